//===- ResidentMemory.h - weights on transparent huge pages -----*- C++ -*-===//
//
// Anonymous memory for the buffers a decode step streams in full on every
// token (the weights), backed by transparent huge pages where the kernel
// grants them. Read through a file mapping's 4 KiB pages, every 4 KiB of
// weights costs a TLB miss; on 2 MiB pages one streaming thread reads
// measurably faster (bench/resident_weights.py).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_RESIDENTMEMORY_H
#define LLM_RUNTIME_RESIDENTMEMORY_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace llm::runtime {

class ResidentMemory {
public:
  /// `bytes` of zeroed anonymous memory aligned to 2 MiB and advised for
  /// huge pages (MADV_HUGEPAGE); nullptr when it cannot be mapped.
  static std::unique_ptr<ResidentMemory> allocate(size_t bytes);
  ~ResidentMemory();
  ResidentMemory(const ResidentMemory &) = delete;
  ResidentMemory &operator=(const ResidentMemory &) = delete;

  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  ResidentMemory() = default;
  void *map_ = nullptr;
  size_t mapBytes_ = 0;
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

/// One copy of `bytes` from `from` to `to`.
struct CopyJob {
  const void *from;
  void *to;
  size_t bytes;
};

/// Runs `jobs` on every core (pieces of at most 64 MiB each, so that a few
/// large tensors still spread over the threads).
void copyInParallel(const std::vector<CopyJob> &jobs);

} // namespace llm::runtime

#endif // LLM_RUNTIME_RESIDENTMEMORY_H
