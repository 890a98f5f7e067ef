//===- SamplerTest.cpp - Tests of the llama.cpp-style sampler -------------===//

#include "llm/runtime/Sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

using namespace llm::runtime;

namespace {

/// Parameters with every filter disabled.
SamplerParams noFilters(float temp = 1.0f, uint32_t seed = 1234) {
  SamplerParams p;
  p.temp = temp;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.0f;
  p.seed = seed;
  return p;
}

std::vector<float> randomLogits(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::set<int32_t> ids(const std::vector<Candidate> &c) {
  std::set<int32_t> s;
  for (const Candidate &x : c)
    s.insert(x.id);
  return s;
}

/// Logits whose softmax is `probs`, with token ids permuted so that order in
/// the vocabulary differs from order by probability.
std::vector<float> logitsFor(const std::vector<double> &probs) {
  std::vector<float> l;
  for (double p : probs)
    l.push_back(static_cast<float>(std::log(p)));
  return l;
}

} // namespace

TEST(SamplerParams, DefaultsMatchLlamaCpp) {
  SamplerParams p;
  EXPECT_EQ(p.temp, 0.8f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.min_p, 0.05f);
  EXPECT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
  EXPECT_EQ(p.seed, 0xFFFFFFFFu);
  EXPECT_TRUE(p.validate().ok());
}

TEST(SamplerParams, ValidateRejectsOutOfRange) {
  auto rejects = [](auto mutate, const char *field) {
    SamplerParams p;
    mutate(p);
    Status s = p.validate();
    EXPECT_FALSE(s.ok()) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
    EXPECT_FALSE(Sampler::create(p).ok()) << field;
  };
  rejects([](SamplerParams &p) { p.temp = -1.0f; }, "temp");
  rejects([](SamplerParams &p) { p.temp = std::nanf(""); }, "temp");
  rejects([](SamplerParams &p) { p.top_p = 1.5f; }, "top_p");
  rejects([](SamplerParams &p) { p.top_p = 0.0f; }, "top_p");
  rejects([](SamplerParams &p) { p.top_p = -0.1f; }, "top_p");
  rejects([](SamplerParams &p) { p.min_p = -0.01f; }, "min_p");
  rejects([](SamplerParams &p) { p.min_p = 1.5f; }, "min_p");
  rejects([](SamplerParams &p) { p.repeat_penalty = 0.0f; }, "repeat_penalty");
  rejects([](SamplerParams &p) { p.repeat_penalty = -1.1f; }, "repeat_penalty");
  rejects([](SamplerParams &p) { p.repeat_last_n = -2; }, "repeat_last_n");

  // Allowed edge values.
  SamplerParams p;
  p.temp = 0.0f;
  p.top_k = -5; // disabled
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_last_n = -1;
  EXPECT_TRUE(p.validate().ok()) << p.validate().message();
  p.min_p = 1.0f;
  EXPECT_TRUE(p.validate().ok()) << p.validate().message();
  Status bad = SamplerParams{-1.0f}.validate();
  EXPECT_NE(bad.message().find("-1"), std::string::npos) << bad.message();
}

TEST(Sampler, TempZeroIsArgmax) {
  for (uint32_t trial = 0; trial < 50; ++trial) {
    std::vector<float> logits = randomLogits(1000, trial);
    SamplerParams p; // default filters; temp 0 must ignore them
    p.temp = 0.0f;
    p.seed = trial;
    auto s = Sampler::create(p);
    ASSERT_TRUE(s.ok());
    int32_t want = static_cast<int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin());
    for (int rep = 0; rep < 3; ++rep) {
      auto got = s->sample(logits);
      ASSERT_TRUE(got.ok()) << got.message();
      EXPECT_EQ(*got, want);
    }
  }
  // Ties: lowest id wins.
  auto s = Sampler::create(noFilters(0.0f));
  EXPECT_EQ(*s->sample(std::vector<float>{1, 5, 2, 5, 5}), 1);
  EXPECT_EQ(argmax(std::vector<float>{3, 3}.data(), 2), 0);
  // NaN never wins.
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(*s->sample(std::vector<float>{nan, -1, nan, -0.5f}), 3);
}

TEST(Sampler, TopKKeepsExactlyTheKBest) {
  for (uint32_t trial = 0; trial < 20; ++trial) {
    std::vector<float> logits = randomLogits(200, 100 + trial);
    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    for (int k : {1, 2, 10, 40, 199, 200, 500}) {
      SamplerParams p = noFilters();
      p.top_k = k;
      std::vector<Candidate> c = filterCandidates(logits, p);
      size_t want = std::min<size_t>(k, logits.size());
      ASSERT_EQ(c.size(), want) << "k=" << k;
      EXPECT_EQ(ids(c), std::set<int32_t>(order.begin(), order.begin() + want));
      // Sorted by decreasing logit, and renormalised.
      double sum = 0;
      for (size_t i = 0; i < c.size(); ++i) {
        EXPECT_EQ(c[i].logit, logits[c[i].id]);
        if (i) {
          EXPECT_GE(c[i - 1].logit, c[i].logit);
        }
        sum += c[i].p;
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
  // k <= 0 disables.
  std::vector<float> logits = randomLogits(50, 7);
  for (int k : {0, -1}) {
    SamplerParams p = noFilters();
    p.top_k = k;
    EXPECT_EQ(filterCandidates(logits, p).size(), 50u);
  }
}

TEST(Sampler, TopPKeepsSmallestSetReachingP) {
  // Probabilities (sorted: 0.5, 0.2, 0.15, 0.1, 0.05) spread over ids.
  //            id:   0     1     2     3    4
  std::vector<float> logits = logitsFor({0.1, 0.5, 0.05, 0.2, 0.15});
  auto keep = [&](float topP) {
    SamplerParams p = noFilters();
    p.top_p = topP;
    return filterCandidates(logits, p);
  };
  // Cumulative: 0.5, 0.7, 0.85, 0.95, 1.0
  EXPECT_EQ(ids(keep(0.3f)), (std::set<int32_t>{1}));
  EXPECT_EQ(ids(keep(0.45f)), (std::set<int32_t>{1}));
  EXPECT_EQ(ids(keep(0.6f)), (std::set<int32_t>{1, 3}));
  EXPECT_EQ(ids(keep(0.8f)), (std::set<int32_t>{1, 3, 4}));
  EXPECT_EQ(ids(keep(0.9f)), (std::set<int32_t>{0, 1, 3, 4}));
  EXPECT_EQ(ids(keep(0.96f)), (std::set<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(keep(1.0f).size(), 5u);
  // Renormalised over the survivors: 0.5/0.85, 0.2/0.85, 0.15/0.85.
  std::vector<Candidate> c = keep(0.8f);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].id, 1);
  EXPECT_EQ(c[1].id, 3);
  EXPECT_EQ(c[2].id, 4);
  EXPECT_NEAR(c[0].p, 0.5 / 0.85, 1e-6);
  EXPECT_NEAR(c[1].p, 0.2 / 0.85, 1e-6);
  EXPECT_NEAR(c[2].p, 0.15 / 0.85, 1e-6);

  // top-p sees the distribution after top-k (llama.cpp order): with k = 2 the
  // survivors have p = 0.714, 0.286, so p = 0.7 keeps one and 0.8 keeps both.
  SamplerParams p = noFilters();
  p.top_k = 2;
  p.top_p = 0.7f;
  EXPECT_EQ(ids(filterCandidates(logits, p)), (std::set<int32_t>{1}));
  p.top_p = 0.8f;
  EXPECT_EQ(ids(filterCandidates(logits, p)), (std::set<int32_t>{1, 3}));
}

TEST(Sampler, TopPOnRandomDistributionsIsMinimal) {
  for (uint32_t trial = 0; trial < 30; ++trial) {
    std::vector<float> logits = randomLogits(100, 500 + trial);
    double maxL = *std::max_element(logits.begin(), logits.end());
    std::vector<double> probs;
    double z = 0;
    for (float l : logits)
      z += std::exp(l - maxL);
    for (float l : logits)
      probs.push_back(std::exp(l - maxL) / z);
    std::vector<double> sorted = probs;
    std::sort(sorted.rbegin(), sorted.rend());
    for (float topP : {0.1f, 0.5f, 0.9f, 0.99f}) {
      SamplerParams p = noFilters();
      p.top_p = topP;
      std::vector<Candidate> c = filterCandidates(logits, p);
      double kept = 0;
      for (const Candidate &x : c)
        kept += probs[x.id];
      EXPECT_GE(kept, topP - 1e-6);
      // Dropping the least likely survivor falls below p: the set is minimal.
      EXPECT_LT(kept - probs[c.back().id], topP + 1e-6);
      // And the survivors are the most likely ones.
      for (size_t i = 0; i < c.size(); ++i)
        EXPECT_NEAR(probs[c[i].id], sorted[i], 1e-12);
    }
  }
}

TEST(Sampler, MinPKeepsTokensAboveFractionOfMax) {
  std::vector<float> logits = logitsFor({0.1, 0.5, 0.05, 0.2, 0.15});
  auto keep = [&](float minP) {
    SamplerParams p = noFilters();
    p.min_p = minP;
    return ids(filterCandidates(logits, p));
  };
  EXPECT_EQ(keep(0.0f), (std::set<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(keep(0.05f), (std::set<int32_t>{0, 1, 2, 3, 4})); // >= 0.025
  EXPECT_EQ(keep(0.15f), (std::set<int32_t>{0, 1, 3, 4}));    // >= 0.075
  EXPECT_EQ(keep(0.25f), (std::set<int32_t>{1, 3, 4}));       // >= 0.125
  EXPECT_EQ(keep(0.35f), (std::set<int32_t>{1, 3}));          // >= 0.175
  EXPECT_EQ(keep(0.5f), (std::set<int32_t>{1}));              // >= 0.25
  EXPECT_EQ(keep(1.0f), (std::set<int32_t>{1}));
}

TEST(Sampler, RepetitionPenaltyMath) {
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f, 0.0f};
  std::vector<int32_t> history = {0, 1, 1, 3, 4, 99, -3};
  // Last 5: {1, 3, 4, 99, -3}; 99 and -3 are out of range and ignored.
  std::vector<float> l = logits;
  applyRepetitionPenalty(l.data(), l.size(), history.data(), history.size(), 2.0f, 5);
  EXPECT_EQ(l, (std::vector<float>{2.0f, -4.0f, 1.0f, 0.25f, 0.0f}));
  // -1: the whole history; token 1 appears twice but is penalised once.
  l = logits;
  applyRepetitionPenalty(l.data(), l.size(), history.data(), history.size(), 2.0f, -1);
  EXPECT_EQ(l, (std::vector<float>{1.0f, -4.0f, 1.0f, 0.25f, 0.0f}));
  // 0 or penalty 1: unchanged.
  l = logits;
  applyRepetitionPenalty(l.data(), l.size(), history.data(), history.size(), 2.0f, 0);
  EXPECT_EQ(l, logits);
  applyRepetitionPenalty(l.data(), l.size(), history.data(), history.size(), 1.0f, -1);
  EXPECT_EQ(l, logits);
  // A penalty below 1 rewards: positive logits grow.
  l = logits;
  applyRepetitionPenalty(l.data(), l.size(), history.data(), 1, 0.5f, 64);
  EXPECT_EQ(l[0], 4.0f);

  // Through the sampler: greedy picks token 1 once token 0 is penalised.
  SamplerParams p = noFilters(0.0f);
  p.repeat_penalty = 1.5f;
  p.repeat_last_n = 2;
  auto s = Sampler::create(p);
  ASSERT_TRUE(s.ok());
  std::vector<float> two = {3.0f, 2.5f, -1.0f};
  EXPECT_EQ(*s->sample(two), 0);
  s->accept(0); // 3 / 1.5 = 2 < 2.5
  EXPECT_EQ(*s->sample(two), 1);
  EXPECT_EQ(two[0], 3.0f) << "sample() must not modify the caller's logits";
  s->accept(2);
  s->accept(2); // token 0 has left the 2-token window
  EXPECT_EQ(s->history().size(), 2u);
  EXPECT_EQ(*s->sample(two), 0);
}

TEST(Sampler, SameSeedSameSequence) {
  SamplerParams p; // defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05
  p.top_k = 0;
  p.min_p = 0.0f;
  p.seed = 42;
  std::vector<std::vector<float>> steps;
  for (uint32_t i = 0; i < 300; ++i)
    steps.push_back(randomLogits(64, i));
  auto run = [&](uint32_t seed) {
    p.seed = seed;
    auto s = Sampler::create(p);
    EXPECT_TRUE(s.ok());
    std::vector<int32_t> out;
    for (const auto &l : steps)
      out.push_back(*s->sampleAndAccept(l.data(), l.size()));
    return out;
  };
  std::vector<int32_t> a = run(42), b = run(42), c = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // reset() replays the same stream.
  p.seed = 7;
  auto s = Sampler::create(p);
  std::vector<int32_t> first, second;
  for (const auto &l : steps)
    first.push_back(*s->sample(l));
  s->reset();
  for (const auto &l : steps)
    second.push_back(*s->sample(l));
  EXPECT_EQ(first, second);
  // And the draws are not all greedy.
  size_t nonGreedy = 0;
  for (size_t i = 0; i < steps.size(); ++i)
    nonGreedy += a[i] != argmax(steps[i].data(), steps[i].size());
  EXPECT_GT(nonGreedy, 10u);
}

TEST(Sampler, RandomSeedIsResolved) {
  auto s = Sampler::create(SamplerParams{});
  ASSERT_TRUE(s.ok());
  EXPECT_NE(s->seed(), kRandomSeed);
}

TEST(Sampler, FrequenciesMatchSoftmax) {
  // softmax([0, ln 2, ln 3]) = [1/6, 2/6, 3/6].
  std::vector<float> logits = {0.0f, std::log(2.0f), std::log(3.0f)};
  auto s = Sampler::create(noFilters(1.0f, 2024));
  ASSERT_TRUE(s.ok());
  const int n = 20000;
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < n; ++i) {
    auto id = s->sample(logits);
    ASSERT_TRUE(id.ok());
    ASSERT_GE(*id, 0);
    ASSERT_LT(*id, 3);
    ++counts[*id];
  }
  EXPECT_NEAR(counts[0] / double(n), 1.0 / 6, 0.02);
  EXPECT_NEAR(counts[1] / double(n), 2.0 / 6, 0.02);
  EXPECT_NEAR(counts[2] / double(n), 3.0 / 6, 0.02);

  // Temperature 0.5 squares the odds: [1, 4, 9] / 14.
  auto cold = Sampler::create(noFilters(0.5f, 99));
  int c2[3] = {0, 0, 0};
  for (int i = 0; i < n; ++i)
    ++c2[*cold->sample(logits)];
  EXPECT_NEAR(c2[0] / double(n), 1.0 / 14, 0.02);
  EXPECT_NEAR(c2[1] / double(n), 4.0 / 14, 0.02);
  EXPECT_NEAR(c2[2] / double(n), 9.0 / 14, 0.02);
}

TEST(Sampler, FilteredTokensAreNeverSampled) {
  std::vector<float> logits = randomLogits(100, 3);
  SamplerParams p = noFilters(1.5f, 5);
  p.top_k = 5;
  std::set<int32_t> allowed = ids(filterCandidates(logits, p));
  ASSERT_EQ(allowed.size(), 5u);
  auto s = Sampler::create(p);
  for (int i = 0; i < 2000; ++i)
    EXPECT_TRUE(allowed.count(*s->sample(logits)));
}

TEST(Sampler, ErrorsForDegenerateLogits) {
  auto s = Sampler::create(noFilters());
  ASSERT_TRUE(s.ok());
  auto r = s->sample(std::vector<float>{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("empty"), std::string::npos) << r.message();
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  r = s->sample(std::vector<float>{-inf, nan, -inf});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("all 3 logits"), std::string::npos) << r.message();
  // -inf entries are simply never drawn; +inf dominates.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(*s->sample(std::vector<float>{-inf, 1.0f, -inf}), 1);
    EXPECT_EQ(*s->sample(std::vector<float>{0.0f, inf, 5.0f}), 1);
  }
}
