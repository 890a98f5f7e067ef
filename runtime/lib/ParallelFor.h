//===- ParallelFor.h - independent tasks on every core ----------*- C++ -*-===//
//
// Loading work that is not compiled code (hashing tensors, copying weights)
// spread over the machine's cores with plain threads.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_LIB_PARALLELFOR_H
#define LLM_RUNTIME_LIB_PARALLELFOR_H

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace llm::runtime {

/// Calls `body(i)` for every i in [0, count), each once, on up to one
/// thread per core (the calling thread one of them); tasks are taken in
/// order as threads free up.
template <typename Body>
void parallelFor(size_t count, const Body &body) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < count;)
      body(i);
  };
  std::vector<std::thread> helpers;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 1; t < std::min<size_t>(cores, count); ++t)
    helpers.emplace_back(work);
  work();
  for (std::thread &helper : helpers)
    helper.join();
}

} // namespace llm::runtime

#endif // LLM_RUNTIME_LIB_PARALLELFOR_H
