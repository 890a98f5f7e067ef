//===- Sampler.cpp - llama.cpp-compatible token sampling ------------------===//

#include "llm/runtime/Sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace llm::runtime {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

/// NaN -> -inf and +inf -> FLT_MAX, so that comparisons form a strict weak
/// order and softmax never computes inf - inf.
inline float sanitize(float x) {
  if (std::isnan(x))
    return kNegInf;
  if (x == std::numeric_limits<float>::infinity())
    return std::numeric_limits<float>::max();
  return x;
}

/// Higher logit first; lower id first on ties.
inline bool better(const Candidate &a, const Candidate &b) {
  return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
}

/// Fills c.p with softmax(c.logit / temp) over `cands`; returns nothing.
/// `cands` must be non-empty and sorted so that cands[0] has the max logit.
void softmaxInPlace(std::vector<Candidate> &cands, double temp) {
  const double maxLogit = cands.front().logit;
  double sum = 0.0;
  for (Candidate &c : cands) {
    double e = std::exp((static_cast<double>(c.logit) - maxLogit) / temp);
    c.p = static_cast<float>(e);
    sum += e;
  }
  for (Candidate &c : cands)
    c.p = static_cast<float>(static_cast<double>(c.p) / sum);
}

/// A double in [0, 1) from 53 random bits. Done by hand (not with
/// std::uniform_real_distribution) so that a seed gives the same stream on
/// every standard library.
inline double uniform01(std::mt19937 &rng) {
  const uint64_t hi = rng() >> 5; // 27 bits
  const uint64_t lo = rng() >> 6; // 26 bits
  return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

uint32_t randomSeed() {
  uint32_t seed;
  try {
    std::random_device rd;
    seed = rd();
  } catch (...) {
    seed = static_cast<uint32_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
  }
  return seed == kRandomSeed ? 0x9E3779B9u : seed;
}

} // namespace

Status SamplerParams::validate() const {
  if (!(temp >= 0.0f) || !std::isfinite(temp))
    return Error(fmt::format("sampler: temp must be a finite value >= 0 (0 = greedy), got {}", temp));
  if (!(top_p > 0.0f && top_p <= 1.0f))
    return Error(fmt::format("sampler: top_p must be in (0, 1], got {}", top_p));
  if (!(min_p >= 0.0f && min_p <= 1.0f))
    return Error(fmt::format("sampler: min_p must be in [0, 1], got {}", min_p));
  if (!(repeat_penalty > 0.0f) || !std::isfinite(repeat_penalty))
    return Error(fmt::format(
        "sampler: repeat_penalty must be a finite value > 0 (1 = disabled), got {}",
        repeat_penalty));
  if (repeat_last_n < -1)
    return Error(fmt::format(
        "sampler: repeat_last_n must be >= -1 (-1 = whole context, 0 = disabled), got {}",
        repeat_last_n));
  return Status();
}

void applyRepetitionPenalty(float *logits, size_t n, const int32_t *history,
                            size_t historySize, float penalty, int32_t lastN) {
  if (penalty == 1.0f || lastN == 0 || historySize == 0)
    return;
  size_t count = lastN < 0 ? historySize
                           : std::min(historySize, static_cast<size_t>(lastN));
  // Each distinct token is penalised once, however often it occurs.
  std::unordered_set<int32_t> seen;
  seen.reserve(count * 2);
  for (size_t i = historySize - count; i < historySize; ++i) {
    int32_t id = history[i];
    if (id < 0 || static_cast<size_t>(id) >= n || !seen.insert(id).second)
      continue;
    float &l = logits[id];
    if (l <= 0.0f)
      l *= penalty;
    else
      l /= penalty;
  }
}

int32_t argmax(const float *logits, size_t n) {
  int32_t best = 0;
  float bestVal = kNegInf;
  for (size_t i = 0; i < n; ++i) {
    float v = sanitize(logits[i]);
    if (v > bestVal) {
      bestVal = v;
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

std::vector<Candidate> filterCandidates(const float *logits, size_t n,
                                        const SamplerParams &params) {
  std::vector<Candidate> cands;
  if (n == 0)
    return cands;
  cands.reserve(n);
  for (size_t i = 0; i < n; ++i)
    cands.push_back({static_cast<int32_t>(i), sanitize(logits[i]), 0.0f});

  // top-k (k <= 0: keep all), leaving the survivors sorted.
  size_t k = params.top_k <= 0 ? n : std::min(n, static_cast<size_t>(params.top_k));
  if (k < n) {
    std::partial_sort(cands.begin(), cands.begin() + k, cands.end(), better);
    cands.resize(k);
  } else {
    std::sort(cands.begin(), cands.end(), better);
  }

  if (cands.front().logit == kNegInf) {
    // Nothing has any probability; keep the best-ranked token (lowest id).
    cands.resize(1);
    cands.front().p = 1.0f;
    return cands;
  }

  // top-p: smallest prefix whose cumulative probability reaches top_p.
  if (params.top_p < 1.0f) {
    softmaxInPlace(cands, 1.0);
    double cum = 0.0;
    size_t keep = cands.size();
    for (size_t i = 0; i < cands.size(); ++i) {
      cum += cands[i].p;
      if (cum >= params.top_p) {
        keep = i + 1;
        break;
      }
    }
    cands.resize(keep);
  }

  // min-p: p >= min_p * p_max  <=>  logit >= max_logit + log(min_p).
  if (params.min_p > 0.0f) {
    const double threshold =
        static_cast<double>(cands.front().logit) + std::log(static_cast<double>(params.min_p));
    size_t keep = 1; // the max always survives
    while (keep < cands.size() && static_cast<double>(cands[keep].logit) >= threshold)
      ++keep;
    cands.resize(keep);
  }

  softmaxInPlace(cands, 1.0);
  return cands;
}

//===----------------------------------------------------------------------===//
// Sampler
//===----------------------------------------------------------------------===//

Sampler::Sampler(const SamplerParams &params) : params_(params) {
  if (params_.seed == kRandomSeed)
    params_.seed = randomSeed();
  rng_.seed(params_.seed);
}

Expected<Sampler> Sampler::create(const SamplerParams &params) {
  if (Status s = params.validate(); !s)
    return s;
  return Sampler(params);
}

void Sampler::reset() {
  history_.clear();
  rng_.seed(params_.seed);
}

void Sampler::accept(int32_t token) {
  if (params_.repeat_last_n == 0)
    return;
  history_.push_back(token);
  if (params_.repeat_last_n > 0 &&
      history_.size() > static_cast<size_t>(params_.repeat_last_n))
    history_.pop_front();
}

Expected<int32_t> Sampler::sample(const float *logits, size_t n) {
  if (n == 0)
    return Error("sampler: empty logits vector");
  try {
    scratch_.assign(logits, logits + n);
    if (params_.repeat_penalty != 1.0f && !history_.empty()) {
      std::vector<int32_t> hist(history_.begin(), history_.end());
      applyRepetitionPenalty(scratch_.data(), n, hist.data(), hist.size(),
                             params_.repeat_penalty, params_.repeat_last_n);
    }
    int32_t best = argmax(scratch_.data(), n);
    if (sanitize(scratch_[best]) == kNegInf)
      return Error(fmt::format("sampler: all {} logits are NaN or -inf", n));
    if (params_.temp <= 0.0f)
      return best;

    std::vector<Candidate> cands = filterCandidates(scratch_.data(), n, params_);
    if (cands.size() == 1)
      return cands.front().id;
    softmaxInPlace(cands, static_cast<double>(params_.temp));
    const double u = uniform01(rng_);
    double cum = 0.0;
    for (const Candidate &c : cands) {
      cum += c.p;
      if (u < cum)
        return c.id;
    }
    return cands.back().id; // u within rounding of 1
  } catch (const std::exception &e) {
    return Error(fmt::format("sampler: {}", e.what()));
  }
}

Expected<int32_t> Sampler::sampleAndAccept(const float *logits, size_t n) {
  Expected<int32_t> id = sample(logits, n);
  if (id)
    accept(*id);
  return id;
}

} // namespace llm::runtime
