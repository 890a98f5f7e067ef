//===- GgufConfig.cpp - A model's configuration from GGUF metadata --------===//
//
// llama.cpp's keys (<arch>.embedding_length, <arch>.block_count, ...) map
// onto the Hugging Face fields of LlamaConfig. The weights of an imported
// GGUF module are F32: the runtime widens F16/BF16 tensors and dequantizes
// Q8_0/Q4_0 blocks at load.
//
//===----------------------------------------------------------------------===//

#include "llm/Frontend/GgufConfig.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::llm;
namespace rt = ::llm::runtime;

llvm::Expected<LlamaConfig> mlir::llm::llamaConfigFromGguf(const rt::GgufFile &file) {
  std::string problems;
  auto fail = [&](const std::string &text) { problems += "\n  " + text; };
  const rt::GgufValue *archValue = file.find("general.architecture");
  std::string arch = archValue && archValue->string() ? *archValue->string() : "";
  if (arch != "llama" && arch != "qwen2")
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "GGUF file '" + file.path() + "': general.architecture '" + arch +
            "' is not supported (supported: 'llama', 'qwen2')");
  auto integer = [&](const std::string &key, std::optional<int64_t> fallback) -> int64_t {
    const rt::GgufValue *v = file.find(arch + "." + key);
    if (!v) {
      if (!fallback)
        fail("missing " + arch + "." + key);
      return fallback.value_or(0);
    }
    if (!v->isInteger() || v->integer() <= 0) {
      fail(arch + "." + key + " must be a positive integer");
      return 0;
    }
    return v->integer();
  };
  auto number = [&](const std::string &key, double fallback) -> double {
    const rt::GgufValue *v = file.find(arch + "." + key);
    if (!v)
      return fallback;
    if (!v->isNumber() || !(v->number() > 0)) {
      fail(arch + "." + key + " must be a positive number");
      return fallback;
    }
    return v->number();
  };

  LlamaConfig config;
  const rt::GgufValue *name = file.find("general.name");
  config.name = name && name->string() ? *name->string()
                                       : llvm::sys::path::stem(file.path()).str();
  config.hiddenSize = integer("embedding_length", std::nullopt);
  config.intermediateSize = integer("feed_forward_length", std::nullopt);
  config.numHiddenLayers = integer("block_count", std::nullopt);
  config.numAttentionHeads = integer("attention.head_count", std::nullopt);
  config.numKeyValueHeads = integer("attention.head_count_kv", config.numAttentionHeads);
  config.headDim = integer("attention.key_length",
                           config.numAttentionHeads > 0
                               ? config.hiddenSize / config.numAttentionHeads
                               : 0);
  config.maxPositionEmbeddings = integer("context_length", 2048);
  config.rmsNormEps = number("attention.layer_norm_rms_epsilon", 1e-5);
  config.ropeTheta = number("rope.freq_base", 10000.0);
  if (file.find(arch + ".rope.scaling.type"))
    fail(arch + ".rope.scaling.* is not supported");
  const rt::GgufValue *tokens = file.find("tokenizer.ggml.tokens");
  int64_t vocab = tokens && tokens->array() ? static_cast<int64_t>(tokens->array()->size()) : 0;
  config.vocabSize = integer("vocab_size", vocab > 0 ? std::optional<int64_t>(vocab) : std::nullopt);
  bool hasOutput = false, hasQkvBias = false, hasOutputBias = false;
  for (const rt::GgufTensorInfo &t : file.tensors()) {
    llvm::StringRef tensor(t.name);
    hasOutput |= tensor == "output.weight";
    hasQkvBias |= tensor.ends_with("attn_q.bias") || tensor.ends_with("attn_k.bias") ||
                  tensor.ends_with("attn_v.bias");
    hasOutputBias |= tensor.ends_with("attn_output.bias");
    // llama.cpp stores Llama-3.1's RoPE scaling as per-dimension factors.
    if (tensor == "rope_freqs.weight")
      fail("rope_freqs.weight (per-dimension RoPE factors, e.g. Llama-3.1's scaling) is not "
           "supported: import the Hugging Face checkpoint instead");
  }
  config.tieWordEmbeddings = !hasOutput;
  config.outputBias = hasOutputBias;
  // Q4_0 linear layers run on the INT4 kernels from their own blocks.
  for (const rt::GgufTensorInfo &t : file.tensors())
    if (t.type == static_cast<uint32_t>(rt::GgmlType::Q4_0) && t.shape.size() == 2)
      if (std::string name = rt::huggingFaceTensorName(t.name); !name.empty())
        config.q4_0Weights.insert(name);
  config.qkvBias = arch == "qwen2" || hasQkvBias;
  config.weightDType = WeightDType::F32;
  auto tokenId = [&](const char *key, int64_t fallback) {
    const rt::GgufValue *v = file.find(key);
    return v && v->isInteger() ? v->integer() : fallback;
  };
  config.bosTokenId = tokenId("tokenizer.ggml.bos_token_id", 1);
  config.eosTokenIds = {tokenId("tokenizer.ggml.eos_token_id", 2)};
  if (!problems.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "GGUF file '" + file.path() + "':" + problems);
  if (llvm::Error err = config.validate())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "GGUF file '" + file.path() + "': " +
                                       llvm::toString(std::move(err)));
  return config;
}

llvm::Expected<LlamaConfig> LlamaConfig::readGguf(llvm::StringRef path) {
  auto file = rt::GgufFile::open(path.str());
  if (!file.ok())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), file.message());
  return llamaConfigFromGguf(**file);
}
