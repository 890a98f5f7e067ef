//===- LlamaConfig.cpp - Hugging Face config.json reader ------------------===//

#include "llm/Frontend/LlamaConfig.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "llm/runtime/JsonText.h"

#include <nlohmann/json.hpp>

using namespace mlir::llm;
using json = nlohmann::json;
using ::llm::runtime::boundedText;
using ::llm::runtime::describeJson;

namespace {

/// Reads the fields of one config.json, recording the first error.
class ConfigReader {
public:
  ConfigReader(const json &root, llvm::StringRef source)
      : root(root), source(source.str()) {}

  /// A required or defaulted integer field.
  int64_t integer(const char *key, std::optional<int64_t> fallback) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null()) {
      if (!fallback)
        fail(llvm::Twine("missing required field '") + key + "'");
      return fallback.value_or(0);
    }
    if (!it->is_number_integer()) {
      fail(llvm::Twine("field '") + key + "' must be an integer, got " +
           describeJson(*it));
      return 0;
    }
    return it->get<int64_t>();
  }

  double number(const char *key, double fallback) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null())
      return fallback;
    if (!it->is_number()) {
      fail(llvm::Twine("field '") + key + "' must be a number, got " +
           describeJson(*it));
      return fallback;
    }
    return it->get<double>();
  }

  bool boolean(const char *key, bool fallback) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null())
      return fallback;
    if (!it->is_boolean()) {
      fail(llvm::Twine("field '") + key + "' must be true or false, got " +
           describeJson(*it));
      return fallback;
    }
    return it->get<bool>();
  }

  std::optional<std::string> string(const char *key) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null())
      return std::nullopt;
    if (!it->is_string()) {
      fail(llvm::Twine("field '") + key + "' must be a string, got " +
           describeJson(*it));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  /// `eos_token_id` is an integer or (Llama-3) a list of integers.
  std::vector<int64_t> tokenIds(const char *key, int64_t fallback) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null())
      return {fallback};
    if (it->is_number_integer())
      return {it->get<int64_t>()};
    std::vector<int64_t> ids;
    if (it->is_array()) {
      for (const json &element : *it) {
        if (!element.is_number_integer())
          break;
        ids.push_back(element.get<int64_t>());
      }
      if (ids.size() == it->size() && !ids.empty())
        return ids;
    }
    fail(llvm::Twine("field '") + key +
         "' must be an integer or a list of integers, got " + describeJson(*it));
    return {fallback};
  }

  std::optional<Llama3RopeScaling> ropeScaling() {
    auto it = root.find("rope_scaling");
    if (it == root.end() || it->is_null())
      return std::nullopt;
    if (!it->is_object()) {
      fail("field 'rope_scaling' must be an object or null, got " +
           describeJson(*it));
      return std::nullopt;
    }
    ConfigReader scaling(*it, source);
    std::optional<std::string> type = scaling.string("rope_type");
    if (!type)
      type = scaling.string("type");
    if (!scaling.error.empty()) {
      error = scaling.error;
      return std::nullopt;
    }
    if (!type) {
      fail("field 'rope_scaling' has no 'rope_type'");
      return std::nullopt;
    }
    if (*type == "default")
      return std::nullopt;
    if (*type != "llama3") {
      fail("unsupported rope_scaling type '" + boundedText(*type) +
           "' (supported: 'llama3', 'default')");
      return std::nullopt;
    }
    Llama3RopeScaling result;
    result.factor = scaling.number("factor", result.factor);
    result.lowFreqFactor =
        scaling.number("low_freq_factor", result.lowFreqFactor);
    result.highFreqFactor =
        scaling.number("high_freq_factor", result.highFreqFactor);
    result.originalMaxPosition = scaling.integer(
        "original_max_position_embeddings", result.originalMaxPosition);
    if (!scaling.error.empty())
      error = scaling.error;
    return result;
  }

  std::optional<AwqQuantization> quantization() {
    auto it = root.find("quantization_config");
    if (it == root.end() || it->is_null())
      return std::nullopt;
    if (!it->is_object()) {
      fail("field 'quantization_config' must be an object or null, got " +
           describeJson(*it));
      return std::nullopt;
    }
    ConfigReader q(*it, source);
    std::optional<std::string> method = q.string("quant_method");
    std::string version = q.string("version").value_or("gemm");
    int64_t bits = q.integer("bits", 4);
    int64_t group = q.integer("group_size", 128);
    bool zeroPoint = q.boolean("zero_point", true);
    if (!q.error.empty()) {
      error = "quantization_config: " + q.error;
      return std::nullopt;
    }
    std::string lower = llvm::StringRef(version).lower();
    if (!method || *method != "awq")
      fail("unsupported quantization_config.quant_method '" +
           boundedText(method.value_or("")) +
           "' (supported: 'awq')");
    else if (bits != 4)
      fail("unsupported AWQ bits " + llvm::Twine(bits) + " (supported: 4)");
    else if (lower != "gemm")
      fail("unsupported AWQ version '" + boundedText(version) +
           "' (supported: 'gemm')");
    else if (!zeroPoint)
      fail("unsupported AWQ checkpoint without zero points");
    else if (!mlir::llm::isInt4GroupSize(group))
      fail("AWQ group_size must be a positive multiple of 8 up to 8192, got " +
           llvm::Twine(group));
    if (!error.empty())
      return std::nullopt;
    return AwqQuantization{group};
  }

  void fail(const llvm::Twine &message) {
    if (error.empty())
      error = message.str();
  }

  llvm::Error takeError() {
    if (error.empty())
      return llvm::Error::success();
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   source + ": " + error);
  }

private:
  const json &root;
  std::string source;
  std::string error;
};

} // namespace

llvm::Expected<LlamaConfig> LlamaConfig::parseJSON(llvm::StringRef text,
                                                   llvm::StringRef source) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception &e) { // parse_error, and out_of_range (number overflow)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   source + ": malformed JSON: " + e.what());
  }
  if (!root.is_object())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   source + ": expected a JSON object");

  ConfigReader reader(root, source);
  // Mistral is LLaMA's graph, with sliding-window attention in its first
  // release: accepted where the window covers every position. Qwen2 is
  // LLaMA's graph with biases on the q/k/v projections.
  std::optional<std::string> modelType = reader.string("model_type");
  if (modelType && *modelType != "llama" && *modelType != "mistral" &&
      *modelType != "qwen2")
    reader.fail("unsupported model_type '" + boundedText(*modelType) +
                "' (supported: 'llama', 'mistral', 'qwen2')");
  if (auto act = reader.string("hidden_act"); act && *act != "silu")
    reader.fail("unsupported hidden_act '" + boundedText(*act) +
                "' (expected 'silu')");
  if (reader.boolean("mlp_bias", false))
    reader.fail("mlp_bias = true is not supported");

  LlamaConfig config;
  config.name = llvm::sys::path::filename(
                    llvm::sys::path::parent_path(source))
                    .str();
  config.hiddenSize = reader.integer("hidden_size", std::nullopt);
  config.intermediateSize = reader.integer("intermediate_size", std::nullopt);
  config.numHiddenLayers = reader.integer("num_hidden_layers", std::nullopt);
  config.numAttentionHeads =
      reader.integer("num_attention_heads", std::nullopt);
  config.numKeyValueHeads =
      reader.integer("num_key_value_heads", config.numAttentionHeads);
  int64_t defaultHeadDim = config.numAttentionHeads > 0
                               ? config.hiddenSize / config.numAttentionHeads
                               : 0;
  config.headDim = reader.integer("head_dim", defaultHeadDim);
  config.vocabSize = reader.integer("vocab_size", std::nullopt);
  config.maxPositionEmbeddings =
      reader.integer("max_position_embeddings", 2048);
  config.rmsNormEps = reader.number("rms_norm_eps", 1e-6);
  config.ropeTheta = reader.number("rope_theta", 10000.0);
  config.ropeScaling = reader.ropeScaling();
  config.awq = reader.quantization();
  config.tieWordEmbeddings = reader.boolean("tie_word_embeddings", false);
  if (modelType == "qwen2") {
    config.qkvBias = true;
    if (reader.boolean("use_sliding_window", false))
      reader.fail("use_sliding_window = true is not supported (sliding-window "
                  "attention does not exist yet)");
  } else if (reader.boolean("attention_bias", false)) {
    config.qkvBias = config.outputBias = true;
  }
  if (auto dtype = reader.string("torch_dtype")) {
    if (auto parsed = parseWeightDType(*dtype))
      config.weightDType = *parsed;
    else
      reader.fail("unsupported torch_dtype '" +
                  boundedText(*dtype) +
                  "' (supported: 'float32', 'float16', 'bfloat16')");
  }
  if (modelType == "mistral") {
    // Missing or null: no window.
    int64_t window =
        reader.integer("sliding_window", config.maxPositionEmbeddings);
    if (window < config.maxPositionEmbeddings)
      reader.fail("sliding_window = " + llvm::Twine(window) +
                  " is shorter than max_position_embeddings = " +
                  llvm::Twine(config.maxPositionEmbeddings) +
                  ": sliding-window attention is not supported (a window "
                  "of at least the context, or null, is)");
  }
  config.bosTokenId = reader.integer("bos_token_id", 1);
  config.eosTokenIds = reader.tokenIds("eos_token_id", 2);
  if (llvm::Error err = reader.takeError())
    return std::move(err);
  if (llvm::Error err = config.validate())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   source + ": " +
                                       llvm::toString(std::move(err)));
  return config;
}

llvm::StringRef mlir::llm::weightDTypeName(WeightDType dtype) {
  switch (dtype) {
  case WeightDType::F32:
    return "f32";
  case WeightDType::F16:
    return "f16";
  case WeightDType::BF16:
    return "bf16";
  }
  return "f32";
}

std::optional<WeightDType> mlir::llm::parseWeightDType(llvm::StringRef text) {
  text.consume_front("torch.");
  if (text == "f32" || text == "float32" || text == "float")
    return WeightDType::F32;
  if (text == "f16" || text == "float16" || text == "half")
    return WeightDType::F16;
  if (text == "bf16" || text == "bfloat16")
    return WeightDType::BF16;
  return std::nullopt;
}

llvm::Expected<LlamaConfig> LlamaConfig::readFile(llvm::StringRef path) {
  llvm::SmallString<256> file(path);
  if (llvm::sys::fs::is_directory(path))
    llvm::sys::path::append(file, "config.json");
  // Only a regular file of sane size is read: a FIFO would block and a
  // device such as /dev/zero would never end.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(file, status)) {
    if (status.type() != llvm::sys::fs::file_type::regular_file)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "'" + file + "' is not a regular file");
    constexpr uint64_t kMaxConfigBytes = uint64_t(16) << 20;
    if (status.getSize() > kMaxConfigBytes)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "'" + file + "' is " + llvm::Twine(status.getSize()) +
              " bytes, more than a config.json may be (16 MiB)");
  }
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + file + "': " +
                                       buffer.getError().message());
  return parseJSON((*buffer)->getBuffer(), file);
}

llvm::Error LlamaConfig::validate() const {
  auto fail = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  struct Positive {
    const char *field;
    int64_t value;
  } positives[] = {{"hidden_size", hiddenSize},
                   {"intermediate_size", intermediateSize},
                   {"num_hidden_layers", numHiddenLayers},
                   {"num_attention_heads", numAttentionHeads},
                   {"num_key_value_heads", numKeyValueHeads},
                   {"head_dim", headDim},
                   {"vocab_size", vocabSize},
                   {"max_position_embeddings", maxPositionEmbeddings}};
  for (const Positive &p : positives)
    if (p.value <= 0)
      return fail(llvm::Twine("'") + p.field + "' must be positive, got " +
                  llvm::Twine(p.value));
  // Upper bounds, so that every size the compiler and runtime derive fits
  // comfortably in 64 bits and every weight matrix has fewer than 2^31
  // elements (the largest released LLaMA models are far below these).
  struct Bounded {
    const char *field;
    int64_t value, limit;
  } bounded[] = {{"hidden_size", hiddenSize, int64_t(1) << 20},
                 {"intermediate_size", intermediateSize, int64_t(1) << 22},
                 {"num_hidden_layers", numHiddenLayers, 4096},
                 {"num_attention_heads", numAttentionHeads, 4096},
                 {"num_key_value_heads", numKeyValueHeads, 4096},
                 {"head_dim", headDim, 4096},
                 {"vocab_size", vocabSize, int64_t(1) << 24},
                 {"max_position_embeddings", maxPositionEmbeddings,
                  int64_t(1) << 24}};
  for (const Bounded &b : bounded)
    if (b.value > b.limit)
      return fail(llvm::Twine("'") + b.field + "' is " +
                  llvm::Twine(b.value) + ", above the supported maximum of " +
                  llvm::Twine(b.limit));
  int64_t matrixLimit = int64_t(1) << 31;
  struct Matrix {
    const char *what;
    int64_t rows, columns;
  } matrices[] = {{"the embedding table (vocab_size x hidden_size)", vocabSize,
                   hiddenSize},
                  {"an MLP projection (intermediate_size x hidden_size)",
                   intermediateSize, hiddenSize},
                  {"the query projection (num_attention_heads * head_dim x "
                   "hidden_size)",
                   numAttentionHeads * headDim, hiddenSize}};
  for (const Matrix &m : matrices)
    if (m.rows * m.columns >= matrixLimit)
      return fail(llvm::Twine(m.what) + " would have " +
                  llvm::Twine(m.rows * m.columns) +
                  " elements, more than the supported 2^31");
  if (numAttentionHeads % numKeyValueHeads != 0)
    return fail("num_attention_heads (" + llvm::Twine(numAttentionHeads) +
                ") is not divisible by num_key_value_heads (" +
                llvm::Twine(numKeyValueHeads) + ")");
  if (headDim % 2 != 0)
    return fail("head_dim (" + llvm::Twine(headDim) +
                ") must be even for rotary embeddings");
  if (!(rmsNormEps > 0.0))
    return fail("rms_norm_eps must be positive");
  if (!(ropeTheta > 0.0))
    return fail("rope_theta must be positive");
  if (ropeScaling) {
    if (!(ropeScaling->factor > 0.0) || !(ropeScaling->lowFreqFactor > 0.0) ||
        !(ropeScaling->highFreqFactor > ropeScaling->lowFreqFactor) ||
        ropeScaling->originalMaxPosition <= 0)
      return fail("rope_scaling 'llama3' needs factor > 0, 0 < "
                  "low_freq_factor < high_freq_factor and a positive "
                  "original_max_position_embeddings");
  }
  if (awq) {
    // An AutoAWQ layer packs whole groups of inputs and 8 outputs a word.
    int64_t g = awq->groupSize;
    for (int64_t width : {hiddenSize, intermediateSize,
                          numAttentionHeads * headDim,
                          numKeyValueHeads * headDim})
      if (width % g || width % 8)
        return fail("an AWQ checkpoint with group_size " + llvm::Twine(g) +
                    " cannot have layers of width " + llvm::Twine(width) +
                    " (AutoAWQ packs whole groups and 8 outputs per word)");
  }
  if (bosTokenId < 0 || bosTokenId >= vocabSize)
    return fail("bos_token_id " + llvm::Twine(bosTokenId) +
                " is outside the vocabulary of " + llvm::Twine(vocabSize));
  for (int64_t eos : eosTokenIds)
    if (eos < 0 || eos >= vocabSize)
      return fail("eos_token_id " + llvm::Twine(eos) +
                  " is outside the vocabulary of " + llvm::Twine(vocabSize));
  return llvm::Error::success();
}

int64_t LlamaConfig::parameterCount() const {
  int64_t d = hiddenSize, f = intermediateSize;
  int64_t perLayer = 2 * d + d * queryFeatures() +
                     2 * d * keyValueFeatures() + queryFeatures() * d +
                     3 * d * f +
                     (qkvBias ? queryFeatures() + 2 * keyValueFeatures() : 0) +
                     (outputBias ? d : 0);
  int64_t embeddings = vocabSize * d * (tieWordEmbeddings ? 1 : 2);
  return numHiddenLayers * perLayer + embeddings + d;
}
