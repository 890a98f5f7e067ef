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

/// The checkpoint tensors a float weight is made of: the parameter itself,
/// or the parameters a `tensor.concat` along rows stacks (the fused
/// projections of llm-fuse-projections); empty for any other value.
SmallVector<ParamOp> stackedParameters(Value weight);

/// A name for the layer whose weight is made of `params`: the parameter's
/// name, or for stacked parameters their common prefix and the distinct
/// parts joined by `+` ("model.layers.0.self_attn.q_proj+k_proj.weight").
/// An identifier for files and tools (calibration activations, scale
/// vectors, LPU placements); nothing derives a weight from it.
std::string layerName(ArrayRef<ParamOp> params);

/// The name of the layer a weight operand of a matmul belongs to, seen
/// through the weight transforms (stacking, scaled columns, INT4 packing);
/// empty when the weight does not come from parameters.
std::string weightLayerName(Value weight);
} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMOPS_H
