//===- LLMOps.h - llm dialect operations ------------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMOPS_H
#define LLM_DIALECT_LLM_IR_LLMOPS_H

#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "llm/Dialect/LLM/IR/LLMOps.h.inc"

namespace mlir::llm {
/// Whether a weight stored with element type `stored` may meet activations
/// of element type `compute`: the same type, or f16/bf16 weights with f32
/// activations (widened where they are read, never converted in memory).
bool isWeightStorageOf(Type stored, Type compute);
} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMOPS_H
