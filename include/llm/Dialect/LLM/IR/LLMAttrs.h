//===- LLMAttrs.h - llm dialect attributes ----------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMATTRS_H
#define LLM_DIALECT_LLM_IR_LLMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#define GET_ATTRDEF_CLASSES
#include "llm/Dialect/LLM/IR/LLMAttrs.h.inc"

namespace mlir::llm {
/// The module attribute holding the model's #llm.config until
/// llm-hoist-weight-prep moves it into the module's #llm.abi.
inline constexpr llvm::StringLiteral kModelConfigAttrName = "llm.config";
/// The model's configuration: from the #llm.abi of `module` once weights
/// are hoisted, else its `llm.config`; null when it has neither.
ModelConfigAttr getModelConfig(Operation *module);
/// The module attribute listing the #llm.activation that @prefill returns,
/// until llm-hoist-weight-prep moves them into the module's #llm.abi.
inline constexpr llvm::StringLiteral kExposedActivationsAttrName =
    "llm.activations";
/// The module attribute holding the module's #llm.abi.
inline constexpr llvm::StringLiteral kModuleABIAttrName = "llm.abi";
/// The runtime function `@prepare` calls with the elements prepared so far
/// and in all (`void(int64_t done, int64_t total)`, see ParameterStore.h).
inline constexpr llvm::StringLiteral kPrepareProgressSymbol =
    "llm_prepare_progress";
} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMATTRS_H
