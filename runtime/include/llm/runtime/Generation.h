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

/// The most prompt tokens one prefill call runs when only the last logits
/// are needed: the logits of every position ([tokens, vocab] floats) of a
/// long prompt would take gigabytes.
inline constexpr size_t kPrefillChunk = 512;

/// Runs `tokens` into cache slot `slot` from `position` (the slot holds
/// [0, position) already) in chunks of at most `chunk` tokens, and returns
/// the logits of the last one ([vocab]).
Expected<std::vector<float>> prefillLast(ModelRunner &runner,
                                         const std::vector<int32_t> &tokens,
                                         int64_t position, int64_t slot,
                                         size_t chunk = kPrefillChunk);

/// Runs the model once before the first prompt, as llama.cpp's front ends
/// do (their --no-warmup skips it): a prefill of two BOS tokens (id 0 when
/// the vocabulary lacks the model's BOS) at position 0 of cache slot
/// `slot`, then one decode step at position 2 (those of
/// them the allocated context holds). The first calls start the thread
/// team and fault in the compiled code, the weights' page-table entries
/// and the allocator's heap: costs that would otherwise fall on the first
/// prompt. The cache positions it writes are written again by the slot's
/// next sequence before they are read, so what the model computes after
/// it is unchanged. The cache must be allocated.
Status warmUp(ModelRunner &runner, int64_t slot = 0);

/// One sequence's sampling, a token at a time: given the logits of its last
/// position, samples the next id, decides whether generation ends (an
/// end-of-sequence id, a stop string, the token limit) and returns the text
/// that became final. generate() runs it for one sequence; a server runs
/// one per request of a batch.
class TokenStepper {
public:
  /// `stream` may be null (no text, no stop strings).
  TokenStepper(Sampler &sampler, StreamDecoder *stream,
               const GenerateOptions &options)
      : sampler_(sampler), stream_(stream), options_(options) {}

  /// Samples from `logits` (`vocab` values). Returns the newly final text;
  /// afterwards done() says whether generation ended, else lastToken() is
  /// the id to run next.
  Expected<std::string> step(const float *logits, size_t vocab);
  /// Whether generation ended (limit, end of sequence or stop string).
  bool done() const { return done_; }
  int32_t lastToken() const { return generated_.back(); }
  /// What was held back (text that might have begun a stop string, an
  /// incomplete character) once generation ends without a stop string.
  std::string finish();

  const std::vector<int32_t> &generated() const { return generated_; }
  bool endedByEos() const { return endedByEos_; }
  const std::string &stoppedBy() const { return stoppedBy_; }

private:
  Sampler &sampler_;
  StreamDecoder *stream_;
  const GenerateOptions &options_;
  std::vector<int32_t> generated_;
  std::string pending_; // text that may begin a stop string
  std::string stoppedBy_;
  bool endedByEos_ = false, done_ = false;
};

/// Prefills `tokens` at `position` (the cache already holds [0, position)),
/// then samples up to options.maxTokens tokens. `onText` receives final text
/// as it comes (`stream` may be null: no text); `onPrefill` sees the prefill's
/// logits [tokens, vocab] and may stop with an error (without it, the
/// prompt runs in chunks: prefillLast). The sampler must
/// already have accepted the context it should penalise. The sequence is
/// the one in cache slot `slot`.
Expected<GenerateResult>
generate(ModelRunner &runner, Sampler &sampler, StreamDecoder *stream,
         const std::vector<int32_t> &tokens, int64_t position, const GenerateOptions &options,
         const std::function<void(const std::string &)> &onText,
         const std::function<Status(const std::vector<float> &)> &onPrefill = {},
         int64_t slot = 0);

} // namespace llm::runtime

#endif // LLM_RUNTIME_GENERATION_H
