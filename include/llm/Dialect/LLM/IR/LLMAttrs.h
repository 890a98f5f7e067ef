//===- LLMAttrs.h - llm dialect attributes ----------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMATTRS_H
#define LLM_DIALECT_LLM_IR_LLMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#define GET_ATTRDEF_CLASSES
#include "llm/Dialect/LLM/IR/LLMAttrs.h.inc"

namespace mlir::llm {
/// The module attribute holding the module's #llm.abi.
inline constexpr llvm::StringLiteral kModuleABIAttrName = "llm.abi";
/// The runtime function `@prepare` calls with the elements prepared so far
/// and in all (`void(int64_t done, int64_t total)`, see ParameterStore.h).
inline constexpr llvm::StringLiteral kPrepareProgressSymbol =
    "llm_prepare_progress";
} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMATTRS_H
