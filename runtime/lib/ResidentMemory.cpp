//===- ResidentMemory.cpp - weights on transparent huge pages -------------===//

#include "llm/runtime/ResidentMemory.h"
#include "llm/runtime/Pages.h"
#include "ParallelFor.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <unistd.h>

using namespace llm::runtime;

namespace {

/// Reads `bytes` at `offset` of `fd` into `to`; false on an error or an
/// early end of the file.
bool readFully(int fd, uint64_t offset, uint8_t *to, size_t bytes) {
  while (bytes > 0) {
    ssize_t n = ::pread(fd, to, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    to += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<size_t>(n);
  }
  return true;
}
} // namespace

std::unique_ptr<ResidentMemory> ResidentMemory::allocate(size_t bytes) {
  void *data = mapHugePages(bytes);
  if (!data)
    return nullptr;
  std::unique_ptr<ResidentMemory> memory(new ResidentMemory());
  memory->data_ = static_cast<uint8_t *>(data);
  memory->size_ = bytes;
  return memory;
}

ResidentMemory::~ResidentMemory() { unmapHugePages(data_, size_); }

void llm::runtime::copyInParallel(const std::vector<CopyJob> &jobs) {
  const size_t piece = size_t(64) << 20;
  std::vector<CopyJob> pieces;
  for (const CopyJob &job : jobs)
    for (size_t at = 0; at < job.bytes; at += piece)
      pieces.push_back({static_cast<const uint8_t *>(job.from) + at,
                        static_cast<uint8_t *>(job.to) + at,
                        std::min(piece, job.bytes - at), job.fromFd,
                        job.fromOffset + at});
  parallelFor(pieces.size(), [&](size_t i) {
    const CopyJob &p = pieces[i];
    auto *to = static_cast<uint8_t *>(p.to);
    // Through the mapping when the file cannot be read (the mapping and the
    // file hold the same bytes).
    if (p.fromFd < 0 || !readFully(p.fromFd, p.fromOffset, to, p.bytes))
      std::memcpy(to, p.from, p.bytes);
    if (p.fromFd >= 0)
      releasePages(p.from, p.bytes);
  });
}
