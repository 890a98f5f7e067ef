// Measures the machine's memory read bandwidth with 1..N threads: each thread
// sums its share of a buffer much larger than the caches. Prints GB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

static double readBandwidth(const std::vector<float> &data, int threads) {
  std::vector<double> sums(threads);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = data.size() / threads;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const float *p = data.data() + t * chunk;
        float acc[16] = {};
        for (size_t i = 0; i + 16 <= chunk; i += 16)
          for (int j = 0; j < 16; ++j)
            acc[j] += p[i + j];
        double s = 0;
        for (float a : acc)
          s += a;
        sums[t] = s;
      });
    for (auto &th : pool)
      th.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, data.size() * sizeof(float) / secs / 1e9);
  }
  return best;
}

int main(int argc, char **argv) {
  int maxThreads = argc > 1 ? std::atoi(argv[1]) : 2;
  std::vector<float> data(size_t(1) << 28, 1.0f); // 1 GiB
  for (int t = 1; t <= maxThreads; ++t)
    std::printf("threads=%d read_GBps=%.2f\n", t, readBandwidth(data, t));
  return 0;
}
