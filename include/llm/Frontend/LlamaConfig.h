//===- LlamaConfig.h - LLaMA model configuration ----------------*- C++ -*-===//
//
// The hyper-parameters of a LLaMA-family decoder, read from a Hugging Face
// config.json or taken from a named preset.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_FRONTEND_LLAMACONFIG_H
#define LLM_FRONTEND_LLAMACONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <set>
#include <vector>

namespace mlir::llm {

/// The `llama3` rope_scaling of Llama-3.1 configs.
struct Llama3RopeScaling {
  double factor = 8.0;
  double lowFreqFactor = 1.0;
  double highFreqFactor = 4.0;
  int64_t originalMaxPosition = 8192;
};

/// The `quantization_config` of a pre-quantized AutoAWQ checkpoint ("GEMM"
/// version, 4 bits, with zero points): its linear layers are stored as
/// `<layer>.qweight`, `<layer>.qzeros` and `<layer>.scales`.
struct AwqQuantization {
  int64_t groupSize = 128;
};

/// The element type weights are stored in (config.json's `torch_dtype`):
/// the module binds them in that precision and widens them where they are
/// read, so 16-bit checkpoints are never converted to f32 in memory.
enum class WeightDType { F32, F16, BF16 };

/// "f32", "f16" or "bf16".
llvm::StringRef weightDTypeName(WeightDType dtype);
/// Parses "f32"/"f16"/"bf16" or a `torch_dtype` ("float32", "float16",
/// "bfloat16", ...); nullopt when it is none of those.
std::optional<WeightDType> parseWeightDType(llvm::StringRef text);

struct LlamaConfig {
  std::string name;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numHiddenLayers = 0;
  int64_t numAttentionHeads = 0;
  int64_t numKeyValueHeads = 0;
  int64_t headDim = 0;
  int64_t vocabSize = 0;
  int64_t maxPositionEmbeddings = 0;
  double rmsNormEps = 1e-5;
  double ropeTheta = 10000.0;
  std::optional<Llama3RopeScaling> ropeScaling;
  std::optional<AwqQuantization> awq;
  bool tieWordEmbeddings = false;
  /// Biases of the q/k/v projections (Qwen2; LLaMA's attention_bias).
  bool qkvBias = false;
  /// A bias of the attention output projection (LLaMA's attention_bias).
  bool outputBias = false;
  WeightDType weightDType = WeightDType::F32;
  /// Linear weights a GGUF file stores as Q4_0 blocks: bound raw as
  /// `<layer>.q4_0` (i8) and repacked for llm.matmul_int4, not dequantized.
  std::set<std::string> q4_0Weights;
  int64_t bosTokenId = 1;
  std::vector<int64_t> eosTokenIds = {2};

  /// Parses the text of a Hugging Face config.json; `source` names it in
  /// error messages.
  static llvm::Expected<LlamaConfig> parseJSON(llvm::StringRef text,
                                               llvm::StringRef source);
  /// Reads a config.json file, or the config.json inside a checkpoint
  /// directory.
  static llvm::Expected<LlamaConfig> readFile(llvm::StringRef path);
  /// The configuration of a GGUF file (llama.cpp's metadata keys; weights
  /// imported as F32).
  static llvm::Expected<LlamaConfig> readGguf(llvm::StringRef path);
  /// Returns a named preset (see `presetNames()`).
  static llvm::Expected<LlamaConfig> preset(llvm::StringRef name);
  static std::vector<std::string> presetNames();

  /// Checks internal consistency (positive sizes, divisible head counts...).
  llvm::Error validate() const;

  int64_t queryFeatures() const { return numAttentionHeads * headDim; }
  int64_t keyValueFeatures() const { return numKeyValueHeads * headDim; }
  /// Number of weight elements, counting a tied LM head once.
  int64_t parameterCount() const;
};

} // namespace mlir::llm

#endif // LLM_FRONTEND_LLAMACONFIG_H
