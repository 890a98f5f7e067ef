//===- ResidentMemory.cpp - weights on transparent huge pages -------------===//

#include "llm/runtime/ResidentMemory.h"
#include "ParallelFor.h"

#include <algorithm>
#include <cstring>

#include <sys/mman.h>

using namespace llm::runtime;

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
} // namespace

std::unique_ptr<ResidentMemory> ResidentMemory::allocate(size_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX - kHugePage)
    return nullptr;
  // One huge page more than asked, so that the data can start on a huge
  // page boundary.
  size_t mapBytes = bytes + kHugePage;
  void *map = ::mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return nullptr;
  std::unique_ptr<ResidentMemory> memory(new ResidentMemory());
  memory->map_ = map;
  memory->mapBytes_ = mapBytes;
  auto start = reinterpret_cast<uintptr_t>(map);
  memory->data_ = reinterpret_cast<uint8_t *>((start + kHugePage - 1) /
                                              kHugePage * kHugePage);
  memory->size_ = bytes;
  // Advice only: without transparent huge pages (or with them disabled)
  // the memory is ordinary pages, still correct.
  ::madvise(memory->data_, bytes, MADV_HUGEPAGE);
  return memory;
}

ResidentMemory::~ResidentMemory() {
  if (map_)
    ::munmap(map_, mapBytes_);
}

void llm::runtime::copyInParallel(const std::vector<CopyJob> &jobs) {
  const size_t piece = size_t(64) << 20;
  std::vector<CopyJob> pieces;
  for (const CopyJob &job : jobs)
    for (size_t at = 0; at < job.bytes; at += piece)
      pieces.push_back({static_cast<const uint8_t *>(job.from) + at,
                        static_cast<uint8_t *>(job.to) + at,
                        std::min(piece, job.bytes - at)});
  parallelFor(pieces.size(), [&](size_t i) {
    std::memcpy(pieces[i].to, pieces[i].from, pieces[i].bytes);
  });
}
