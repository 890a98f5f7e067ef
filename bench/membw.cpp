// Measures the machine's memory read bandwidth with 1..N threads: each thread
// sums its share of a 1 GiB buffer (much larger than the caches) on
// transparent huge pages, as the runtime keeps its prepared weights
// (runtime/lib/ResidentMemory.cpp): on 4 KiB pages a streaming thread pays
// a TLB miss per page and reads measurably slower, which would understate
// the roofline. Prints GB/s, the best of several passes.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <sys/mman.h>

static double readBandwidth(const float *data, size_t count, int threads) {
  std::vector<double> sums(threads);
  double best = 0;
  for (int rep = 0; rep < 7; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = count / threads / 64 * 64;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const float *p = data + t * chunk;
        // Four independent vectors of partial sums: the adds keep up with
        // memory.
        float acc[64] = {};
        for (size_t i = 0; i < chunk; i += 64)
          for (int j = 0; j < 64; ++j)
            acc[j] += p[i + j];
        double s = 0;
        for (float a : acc)
          s += a;
        sums[t] = s;
      });
    for (auto &th : pool)
      th.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, chunk * threads * sizeof(float) / secs / 1e9);
  }
  return best;
}

int main(int argc, char **argv) {
  // llm-membw [MAX [MIN]]: MIN..MAX threads (default 1..2).
  int maxThreads = argc > 1 ? std::atoi(argv[1]) : 2;
  int minThreads = argc > 2 ? std::atoi(argv[2]) : 1;
  if (maxThreads < 1 || minThreads < 1 || minThreads > maxThreads) {
    std::fprintf(stderr, "usage: llm-membw [MAX_THREADS [MIN_THREADS]]\n");
    return 1;
  }
  const size_t bytes = size_t(1) << 30, huge = size_t(2) << 20;
  void *map = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    std::perror("llm-membw: mmap");
    return 1;
  }
  auto *data = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(map) + huge - 1) / huge * huge);
  madvise(data, bytes, MADV_HUGEPAGE);
  size_t count = bytes / sizeof(float);
  std::fill(data, data + count, 1.0f);
  for (int t = minThreads; t <= maxThreads; ++t)
    std::printf("threads=%d read_GBps=%.2f\n", t, readBandwidth(data, count, t));
  munmap(map, bytes + huge);
  return 0;
}
