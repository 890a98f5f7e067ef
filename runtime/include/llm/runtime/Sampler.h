//===- Sampler.h - llama.cpp-compatible token sampling --------------------===//
//
// Picks the next token from a logits vector with the same chain and defaults
// as llama.cpp's common sampler:
//
//   repetition penalty -> (temp <= 0: greedy argmax)
//                      -> top-k -> top-p -> min-p -> temperature -> softmax
//                      -> draw with a seeded std::mt19937
//
// top-k/top-p/min-p look at the distribution at temperature 1; temperature
// only reshapes the distribution over the surviving candidates, as in
// llama.cpp where the temperature sampler comes after the filters.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_SAMPLER_H
#define LLM_RUNTIME_SAMPLER_H

#include "llm/runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace llm::runtime {

/// Like llama.cpp's LLAMA_DEFAULT_SEED: draw a seed from std::random_device.
constexpr uint32_t kRandomSeed = 0xFFFFFFFFu;

struct SamplerParams {
  /// <= 0 selects greedy decoding (argmax; the lowest id wins ties).
  float temp = 0.8f;
  /// Keep the k most likely tokens; <= 0 disables.
  int32_t top_k = 40;
  /// Keep the smallest set of most likely tokens whose probability sums to at
  /// least top_p; 1 disables. Must be in (0, 1].
  float top_p = 0.95f;
  /// Drop tokens whose probability is below min_p * (max probability); 0
  /// disables. Must be in [0, 1].
  float min_p = 0.05f;
  /// Penalty for tokens among the last repeat_last_n: positive logits are
  /// divided by it, negative ones multiplied. 1 disables. Must be > 0.
  float repeat_penalty = 1.0f;
  /// How many recent tokens the penalty looks at: 0 disables, -1 means the
  /// whole history (the context). Must be >= -1.
  int32_t repeat_last_n = 64;
  /// RNG seed; kRandomSeed draws one from std::random_device.
  uint32_t seed = kRandomSeed;

  /// An error naming the first out-of-range field and its value.
  Status validate() const;
};

/// A surviving token. `p` is its probability at temperature 1, renormalised
/// over the returned candidates.
struct Candidate {
  int32_t id;
  float logit;
  float p;
};

/// Applies the repetition penalty in place to every distinct token among the
/// last `lastN` entries of `history` (-1: all of it; 0: none). Ids outside
/// [0, n) are ignored.
void applyRepetitionPenalty(float *logits, size_t n, const int32_t *history,
                            size_t historySize, float penalty, int32_t lastN);

/// top-k, then top-p, then min-p over `logits` (which should already carry the
/// repetition penalty). Returns the survivors sorted by decreasing logit, ties
/// broken by lower id; never empty when n > 0. NaN logits count as -inf.
std::vector<Candidate> filterCandidates(const float *logits, size_t n,
                                        const SamplerParams &params);
inline std::vector<Candidate> filterCandidates(const std::vector<float> &logits,
                                               const SamplerParams &params) {
  return filterCandidates(logits.data(), logits.size(), params);
}

/// Index of the largest logit, lowest index on ties; NaN counts as -inf.
/// Returns 0 for n == 0.
int32_t argmax(const float *logits, size_t n);

/// Stateful sampler: owns the RNG and the token history used by the
/// repetition penalty. Same params and seed, same inputs -> same outputs.
class Sampler {
public:
  /// Validates `params`; resolves kRandomSeed to a random seed.
  static Expected<Sampler> create(const SamplerParams &params);

  /// Samples a token id. Does not modify `logits` (the penalty is applied to
  /// a copy) and does not record the token; call accept() for that (as with
  /// llama.cpp, prompt tokens should be accepted too so the penalty sees
  /// them). Errors: n == 0, or every logit is NaN/-inf.
  Expected<int32_t> sample(const float *logits, size_t n);
  Expected<int32_t> sample(const std::vector<float> &logits) {
    return sample(logits.data(), logits.size());
  }

  /// Records a token in the penalty history.
  void accept(int32_t token);
  /// sample() followed by accept() of the result.
  Expected<int32_t> sampleAndAccept(const float *logits, size_t n);

  /// Clears the history and re-seeds the RNG with seed().
  void reset();

  const SamplerParams &params() const { return params_; }
  /// The seed actually in use (never kRandomSeed).
  uint32_t seed() const { return params_.seed; }
  const std::deque<int32_t> &history() const { return history_; }

private:
  explicit Sampler(const SamplerParams &params);

  SamplerParams params_;
  std::mt19937 rng_;
  std::deque<int32_t> history_;
  std::vector<float> scratch_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_SAMPLER_H
