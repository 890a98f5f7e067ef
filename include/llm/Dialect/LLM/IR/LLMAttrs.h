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
} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMATTRS_H
