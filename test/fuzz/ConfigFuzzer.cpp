//===- ConfigFuzzer.cpp - libFuzzer target: the config.json reader --------===//
//
// Each input is a config.json: LlamaConfig::parseJSON must accept it or
// refuse it with an error, never crash or hang; an accepted config must
// pass validate() and stay within the bounds that size every buffer.
//
//===----------------------------------------------------------------------===//

#include "llm/Frontend/LlamaConfig.h"

#include "llvm/ADT/StringRef.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto config = mlir::llm::LlamaConfig::parseJSON(text, "fuzz/config.json");
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  if (llvm::Error err = config->validate())
    __builtin_trap(); // parseJSON returns only valid configs
  if (config->numHiddenLayers > 4096 || config->hiddenSize > (1 << 20) ||
      config->maxPositionEmbeddings > (1 << 24))
    __builtin_trap();
  (void)config->parameterCount();
  return 0;
}
