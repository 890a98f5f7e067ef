//===- GenerationConfig.h - generation_config.json defaults ----*- C++ -*-===//
//
// The sampling defaults a Hugging Face checkpoint ships in
// generation_config.json. llm-run applies each one unless its flag is given.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_GENERATIONCONFIG_H
#define LLM_RUNTIME_GENERATIONCONFIG_H

#include "llm/runtime/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llm::runtime {

struct GenerationConfig {
  /// false: greedy decoding whatever the temperature.
  std::optional<bool> doSample;
  std::optional<float> temperature;
  std::optional<float> topP;
  std::optional<int32_t> topK;
  std::optional<float> repetitionPenalty;
  std::optional<int64_t> maxNewTokens;
  /// `eos_token_id`: one id or a list.
  std::vector<int64_t> eosTokenIds;

  /// Parses the text of a generation_config.json (`path` names it in
  /// errors); every field is checked (type and range).
  static Expected<GenerationConfig> parse(const std::string &text,
                                          const std::string &path);
  /// DIR/generation_config.json, or an empty config when there is none.
  static Expected<GenerationConfig> readDirectory(const std::string &dir);
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_GENERATIONCONFIG_H
