//===- Passes.h - llm dialect transformation passes -------------*- C++ -*-===//

#ifndef LLM_TRANSFORMS_PASSES_H
#define LLM_TRANSFORMS_PASSES_H

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::llm {

#define GEN_PASS_DECL
#include "llm/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "llm/Transforms/Passes.h.inc"

} // namespace mlir::llm

#endif // LLM_TRANSFORMS_PASSES_H
