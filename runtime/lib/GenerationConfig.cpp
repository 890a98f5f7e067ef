//===- GenerationConfig.cpp - generation_config.json defaults -------------===//

#include "llm/runtime/GenerationConfig.h"
#include "llm/runtime/JsonText.h"
#include "TextFile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>

namespace llm::runtime {

using json = nlohmann::json;

Expected<GenerationConfig> GenerationConfig::parse(const std::string &text,
                                                   const std::string &path) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception &e) {
    return Error(fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
  if (!root.is_object())
    return Error(fmt::format("'{}' must hold a JSON object, not {}", path,
                             describeJson(root)));
  auto fieldError = [&](const char *key, const char *expected) {
    return Error(fmt::format("'{}': field '{}' must be {}, not {}", path, key,
                             expected, describeJson(root[key])));
  };
  GenerationConfig config;
  // A present key set to null means "not set", as in Hugging Face.
  auto present = [&](const char *key) {
    return root.contains(key) && !root[key].is_null();
  };
  if (present("do_sample")) {
    if (!root["do_sample"].is_boolean())
      return fieldError("do_sample", "true or false");
    config.doSample = root["do_sample"].get<bool>();
  }
  struct FloatField {
    const char *key;
    std::optional<float> *into;
    double low;
    bool lowInclusive;
    double high;
    const char *expected;
  } floats[] = {
      {"temperature", &config.temperature, 0, true, 1e6, "a number >= 0"},
      {"top_p", &config.topP, 0, false, 1, "a number in (0, 1]"},
      {"repetition_penalty", &config.repetitionPenalty, 0, false, 1e6,
       "a number > 0"},
  };
  for (const FloatField &f : floats) {
    if (!present(f.key))
      continue;
    const json &value = root[f.key];
    if (!value.is_number())
      return fieldError(f.key, f.expected);
    double v = value.get<double>();
    if (!std::isfinite(v) || v > f.high || v < f.low ||
        (!f.lowInclusive && v == f.low))
      return fieldError(f.key, f.expected);
    *f.into = static_cast<float>(v);
  }
  auto integer = [&](const json &value, int64_t low,
                     int64_t high) -> std::optional<int64_t> {
    if (!value.is_number_integer())
      return std::nullopt;
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(high))
      return std::nullopt;
    int64_t v = value.get<int64_t>();
    if (v < low || v > high)
      return std::nullopt;
    return v;
  };
  if (present("top_k")) {
    auto v = integer(root["top_k"], 0, std::numeric_limits<int32_t>::max());
    if (!v)
      return fieldError("top_k", "an integer >= 0");
    config.topK = static_cast<int32_t>(*v);
  }
  if (present("max_new_tokens")) {
    auto v = integer(root["max_new_tokens"], 0, int64_t(1) << 24);
    if (!v)
      return fieldError("max_new_tokens", "an integer in [0, 2^24]");
    config.maxNewTokens = *v;
  }
  if (present("eos_token_id")) {
    const json &eos = root["eos_token_id"];
    constexpr int64_t kMaxId = (int64_t(1) << 24) - 1;
    if (eos.is_array()) {
      for (const json &id : eos) {
        auto v = integer(id, 0, kMaxId);
        if (!v)
          return fieldError("eos_token_id",
                            "a token id or a list of token ids");
        config.eosTokenIds.push_back(*v);
      }
    } else if (auto v = integer(eos, 0, kMaxId)) {
      config.eosTokenIds.push_back(*v);
    } else {
      return fieldError("eos_token_id", "a token id or a list of token ids");
    }
  }
  return config;
}

Expected<GenerationConfig>
GenerationConfig::readDirectory(const std::string &dir) {
  std::filesystem::path path =
      std::filesystem::path(dir) / "generation_config.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return GenerationConfig();
  auto text = detail::readTextFile(path.string());
  if (!text)
    return Error(text.message());
  return parse(*text, path.string());
}

} // namespace llm::runtime
