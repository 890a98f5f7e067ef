//===- ResidentMemory.h - weights on transparent huge pages -----*- C++ -*-===//
//
// Anonymous memory for the buffers a decode step streams in full on every
// token (the weights), backed by transparent huge pages where the kernel
// grants them. A file mapping's pages are the page cache's, scattered over
// physical memory, 4 KiB each; from anonymous memory one streaming thread
// reads measurably faster and more steadily (bench/resident_weights.py).
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
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

/// One copy of `bytes` from `from` to `to`.
struct CopyJob {
  const void *from;
  void *to;
  size_t bytes;
  /// When `from` lies in a mapping of the open file `fromFd` (at
  /// `fromOffset`): the bytes are read from the file (pread: the kernel
  /// copies them out of its page cache, so that the process maps no page of
  /// them, 4x faster than copying through the mapping for TinyLlama's 4.4
  /// GB of F32 weights on 2 threads) and the mapping's pages handed back.
  int fromFd = -1;
  uint64_t fromOffset = 0;
};

/// Runs `jobs` on every core (pieces of at most 64 MiB each, so that a few
/// large tensors still spread over the threads).
void copyInParallel(const std::vector<CopyJob> &jobs);

} // namespace llm::runtime

#endif // LLM_RUNTIME_RESIDENTMEMORY_H
