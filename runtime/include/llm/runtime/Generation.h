//===- Generation.h - Prefill, then sample until a stop -------------------===//
//
// The loop every front end runs (llm-run's one-shot and chat modes): prefill
// new tokens into the KV cache, then sample and decode one token at a time
// until an end-of-sequence id, a stop string, the token limit or the end of
// the context; stream the text as it becomes final, holding back what may
// begin a stop string.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_GENERATION_H
#define LLM_RUNTIME_GENERATION_H

#include "llm/runtime/ModelRunner.h"
#include "llm/runtime/Sampler.h"
#include "llm/runtime/Tokenizer.h"

#include <functional>
#include <string>
#include <vector>

namespace llm::runtime {

struct GenerateOptions {
  /// Most tokens to sample (>= 0).
  int64_t maxTokens = 0;
  std::vector<int64_t> eosIds;
  bool ignoreEos = false;
  /// Generation ends before any of these strings; it is not part of the text.
  std::vector<std::string> stopStrings;
};

struct GenerateResult {
  /// Sampled ids; the last is the end-of-sequence id when endedByEos.
  std::vector<int32_t> generated;
  /// The text streamed (without a stop string and what follows it).
  std::string text;
  /// The stop string that ended generation, "" if none.
  std::string stoppedBy;
  bool endedByEos = false;
  /// Milliseconds: the prefill, until the first sampled token, and the
  /// decode steps after it.
  double prefillMs = 0, firstTokenMs = 0, decodeMs = 0;
  /// How many tokens the KV cache holds afterwards (the last sampled token
  /// is never run).
  int64_t cachedPositions = 0;
};

/// Prefills `tokens` at `position` (the cache already holds [0, position)),
/// then samples up to options.maxTokens tokens. `onText` receives final text
/// as it comes (`stream` may be null: no text); `onPrefill` sees the prefill's
/// logits [tokens, vocab] and may stop with an error. The sampler must
/// already have accepted the context it should penalise.
Expected<GenerateResult>
generate(ModelRunner &runner, Sampler &sampler, StreamDecoder *stream,
         const std::vector<int32_t> &tokens, int64_t position, const GenerateOptions &options,
         const std::function<void(const std::string &)> &onText,
         const std::function<Status(const std::vector<float> &)> &onPrefill = {});

} // namespace llm::runtime

#endif // LLM_RUNTIME_GENERATION_H
