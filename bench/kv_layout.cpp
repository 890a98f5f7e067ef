// The memory access pattern of a decode step's attention over the KV cache,
// in the two layouts a cache can have: position-major rows ([layers,
// context, kv_heads, head_dim]: a head reads a head_dim slice of every row)
// and head-major ([layers, kv_heads, context, head_dim]: a head's history is
// one contiguous stream, the layout the compiler uses, kvCacheShape). Each
// head scores blocks of 16 positions (q . k) and adds the weighted rows of
// V, as the compiled flash attention does. Prints the time per decode step
// and the cache read bandwidth of each layout, the best of 5 passes.
//
// Usage: llm-kv-layout KV_HEADS POSITIONS LAYERS [HEAD_DIM]
//   e.g. llm-kv-layout 12 1008 12 (stories110M), llm-kv-layout 4 1024 22
//   (TinyLlama).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s KV_HEADS POSITIONS LAYERS [HEAD_DIM]\n",
                 argv[0]);
    return 1;
  }
  long heads = std::atol(argv[1]), positions = std::atol(argv[2]),
       layers = std::atol(argv[3]), dim = argc > 4 ? std::atol(argv[4]) : 64;
  if (heads <= 0 || positions <= 0 || layers <= 0 || dim <= 0 ||
      positions % 16 != 0) {
    std::fprintf(stderr, "positive sizes expected (POSITIONS a multiple of 16)\n");
    return 1;
  }
  size_t count = size_t(layers) * heads * positions * dim;
  std::vector<float> keys(count), values(count), q(dim, 0.1f), out(dim);
  for (size_t i = 0; i < count; ++i) {
    keys[i] = float(i % 7) * 0.01f;
    values[i] = float(i % 5) * 0.01f;
  }
  for (int headMajor = 0; headMajor < 2; ++headMajor) {
    auto at = [&](long l, long h, long t) {
      return headMajor ? ((size_t(l) * heads + h) * positions + t) * dim
                       : ((size_t(l) * positions + t) * heads + h) * dim;
    };
    double best = 1e30, sink = 0;
    for (int pass = 0; pass < 5; ++pass) {
      auto start = std::chrono::steady_clock::now();
      for (long l = 0; l < layers; ++l)
        for (long h = 0; h < heads; ++h) {
          std::fill(out.begin(), out.end(), 0.0f);
          for (long t0 = 0; t0 < positions; t0 += 16) {
            float scores[16];
            for (int j = 0; j < 16; ++j) {
              const float *k = &keys[at(l, h, t0 + j)];
              float s = 0;
              for (long d = 0; d < dim; ++d)
                s += q[d] * k[d];
              scores[j] = s * 1e-3f;
            }
            for (int j = 0; j < 16; ++j) {
              const float *v = &values[at(l, h, t0 + j)];
              for (long d = 0; d < dim; ++d)
                out[d] += scores[j] * v[d];
            }
          }
          for (float x : out)
            sink += x;
        }
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      best = std::min(best, seconds);
    }
    std::printf("%-14s %8.2f ms per decode step, %6.1f GB/s of K and V "
                "(checksum %g)\n",
                headMajor ? "head-major" : "position-major", best * 1e3,
                2.0 * count * sizeof(float) / best / 1e9, sink);
  }
  return 0;
}
