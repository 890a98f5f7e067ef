//===- Pages.h - mapping and advising pages of memory -----------*- C++ -*-===//
//
// The page-level memory calls the runtime makes: anonymous memory on
// transparent huge pages for the buffers a step streams in full (weights,
// working memory), and a read-only file mapping's pages mapped in at once
// or handed back to the kernel.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_PAGES_H
#define LLM_RUNTIME_PAGES_H

#include <cstddef>

namespace llm::runtime {

/// `bytes` of zeroed anonymous memory starting on a 2 MiB boundary and
/// advised for huge pages (MADV_HUGEPAGE), mapped exactly (`bytes` rounded up
/// to 4 KiB, nothing before it); nullptr when it cannot be mapped. Released
/// with unmapHugePages(p, bytes).
void *mapHugePages(size_t bytes);
void unmapHugePages(void *data, size_t bytes);

/// Gives the pages wholly inside [data, data + bytes) of a read-only file
/// mapping back to the kernel (they are read again from the file if used):
/// memory that a weight read once (hashed, prepared) no longer holds.
/// Only for file mappings: anonymous memory would read back as zeros.
void releasePages(const void *data, size_t bytes);

/// Maps every page of [data, data + bytes) of a read-only file mapping in
/// one call (reading it from the file if it is not cached), far cheaper
/// than the page fault per page that a first read would take: weights a
/// kernel reads in place are mapped at load time, not during the first
/// prompt. A no-op where the kernel lacks MADV_POPULATE_READ (Linux 5.14).
void populatePages(const void *data, size_t bytes);

} // namespace llm::runtime

#endif // LLM_RUNTIME_PAGES_H
