//===- GgufConfig.h - A model's configuration from an open GGUF file ------===//
//
// For callers that already hold the mapped file (llm-run reads its tokenizer
// and tensors too), so its metadata is parsed once. Kept apart from
// LlamaConfig.h: it names the runtime's GgufFile, whose top-level `llm`
// namespace would make `llm::` ambiguous in files that use namespace mlir.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_FRONTEND_GGUFCONFIG_H
#define LLM_FRONTEND_GGUFCONFIG_H

#include "llm/Frontend/LlamaConfig.h"
#include "llm/runtime/Gguf.h"

namespace mlir::llm {

/// The configuration in `file`'s metadata (llama.cpp's keys; weights
/// imported as F32, Q4_0 linear layers marked for the INT4 kernels).
llvm::Expected<LlamaConfig> llamaConfigFromGguf(const ::llm::runtime::GgufFile &file);

} // namespace mlir::llm

#endif // LLM_FRONTEND_GGUFCONFIG_H
