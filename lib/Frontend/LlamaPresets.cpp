//===- LlamaPresets.cpp - named LLaMA configurations ----------------------===//
//
// Hyper-parameters of published LLaMA-family models, as in their Hugging Face
// config.json files.
//
//===----------------------------------------------------------------------===//

#include "llm/Frontend/LlamaConfig.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir::llm;

namespace {
struct Preset {
  const char *name;
  int64_t hidden, intermediate, layers, heads, kvHeads, headDim, vocab,
      maxPositions;
  double eps, theta;
  bool tied;
  int64_t bos;
  std::vector<int64_t> eos;
  std::optional<Llama3RopeScaling> scaling;
};
} // namespace

static const std::vector<Preset> &presets() {
  static const Llama3RopeScaling llama31{8.0, 1.0, 4.0, 8192};
  static const Llama3RopeScaling llama32{32.0, 1.0, 4.0, 8192};
  static const std::vector<int64_t> llama3Eos = {128001, 128008, 128009};
  static const std::vector<Preset> table = {
      {"llama-2-7b", 4096, 11008, 32, 32, 32, 128, 32000, 4096, 1e-5, 1e4,
       false, 1, {2}, std::nullopt},
      {"llama-2-13b", 5120, 13824, 40, 40, 40, 128, 32000, 4096, 1e-5, 1e4,
       false, 1, {2}, std::nullopt},
      {"llama-2-70b", 8192, 28672, 80, 64, 8, 128, 32000, 4096, 1e-5, 1e4,
       false, 1, {2}, std::nullopt},
      {"llama-3-8b", 4096, 14336, 32, 32, 8, 128, 128256, 8192, 1e-5, 5e5,
       false, 128000, {128001}, std::nullopt},
      {"llama-3-70b", 8192, 28672, 80, 64, 8, 128, 128256, 8192, 1e-5, 5e5,
       false, 128000, {128001}, std::nullopt},
      {"llama-3.1-8b", 4096, 14336, 32, 32, 8, 128, 128256, 131072, 1e-5,
       5e5, false, 128000, llama3Eos, llama31},
      {"llama-3.1-70b", 8192, 28672, 80, 64, 8, 128, 128256, 131072, 1e-5,
       5e5, false, 128000, llama3Eos, llama31},
      {"llama-3.2-1b", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5, 5e5,
       true, 128000, llama3Eos, llama32},
      {"tinyllama-1.1b", 2048, 5632, 22, 32, 4, 64, 32000, 2048, 1e-5, 1e4,
       false, 1, {2}, std::nullopt},
      {"stories15m", 288, 768, 6, 6, 6, 48, 32000, 256, 1e-5, 1e4, false, 1,
       {2}, std::nullopt},
      {"stories110m", 768, 2048, 12, 12, 12, 64, 32000, 1024, 1e-5, 1e4,
       false, 1, {2}, std::nullopt},
  };
  return table;
}

std::vector<std::string> LlamaConfig::presetNames() {
  std::vector<std::string> names;
  for (const Preset &p : presets())
    names.push_back(p.name);
  return names;
}

llvm::Expected<LlamaConfig> LlamaConfig::preset(llvm::StringRef name) {
  for (const Preset &p : presets()) {
    if (!name.equals_insensitive(p.name))
      continue;
    LlamaConfig c;
    c.name = p.name;
    c.hiddenSize = p.hidden;
    c.intermediateSize = p.intermediate;
    c.numHiddenLayers = p.layers;
    c.numAttentionHeads = p.heads;
    c.numKeyValueHeads = p.kvHeads;
    c.headDim = p.headDim;
    c.vocabSize = p.vocab;
    c.maxPositionEmbeddings = p.maxPositions;
    c.rmsNormEps = p.eps;
    c.ropeTheta = p.theta;
    c.ropeScaling = p.scaling;
    c.tieWordEmbeddings = p.tied;
    c.bosTokenId = p.bos;
    c.eosTokenIds = p.eos;
    return c;
  }
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "unknown preset '" + name +
          "'; known presets: " + llvm::join(presetNames(), ", "));
}
