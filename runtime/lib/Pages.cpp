//===- Pages.cpp - mapping and advising pages of memory -------------------===//

#include "llm/runtime/Pages.h"

#include <cstdint>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

using namespace llm::runtime;

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

/// The whole pages inside [data, data + bytes) (`inward`), or the pages
/// that hold any of it, as [begin, end).
std::pair<uintptr_t, uintptr_t> pageSpan(const void *data, size_t bytes,
                                         bool inward) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t first = reinterpret_cast<uintptr_t>(data);
  uintptr_t last = first + bytes;
  if (inward)
    return {(first + page - 1) / page * page, last / page * page};
  return {first / page * page, (last + page - 1) / page * page};
}
} // namespace

void *llm::runtime::mapHugePages(size_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX / 2)
    return nullptr;
  // One huge page more than asked, so that the data can start on a huge
  // page boundary; the unaligned head and the tail are unmapped again.
  size_t padded = bytes + kHugePage;
  void *raw = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return nullptr;
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = roundUp(start, kHugePage);
  if (aligned > start)
    ::munmap(raw, aligned - start);
  uintptr_t end = aligned + roundUp(bytes, 4096);
  if (start + padded > end)
    ::munmap(reinterpret_cast<void *>(end), start + padded - end);
  // Advice only: without transparent huge pages (or with them disabled)
  // the memory is ordinary pages, still correct.
  ::madvise(reinterpret_cast<void *>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<void *>(aligned);
}

void llm::runtime::unmapHugePages(void *data, size_t bytes) {
  if (data)
    ::munmap(data, roundUp(bytes, 4096));
}

void llm::runtime::releasePages(const void *data, size_t bytes) {
  auto [begin, end] = pageSpan(data, bytes, /*inward=*/true);
  if (end > begin)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

void llm::runtime::populatePages(const void *data, size_t bytes) {
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
  auto [begin, end] = pageSpan(data, bytes, /*inward=*/false);
  ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_POPULATE_READ);
}
