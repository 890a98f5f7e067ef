//===- InitAll.h - register every llm dialect, pass and pipeline -*- C++ -*-===//

#ifndef LLM_INITALL_H
#define LLM_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::llm {

/// Adds the project's dialects to `registry`.
void registerAllLLMDialects(DialectRegistry &registry);

/// Registers the project's passes and pipelines with the global registry.
void registerAllLLMPasses();

} // namespace mlir::llm

#endif // LLM_INITALL_H
