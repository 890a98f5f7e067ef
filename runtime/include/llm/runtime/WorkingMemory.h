//===- WorkingMemory.h - the buffers compiled code allocates ----*- C++ -*-===//
//
// Compiled modules allocate their intermediate buffers (a layer's
// activations, a prompt's attention rows, the logits they return) through
// MLIR's generic allocation functions (`_mlir_memref_to_llvm_alloc`,
// `_mlir_memref_to_llvm_aligned_alloc`, `_mlir_memref_to_llvm_free`: the
// CPU pipeline lowers memrefs with `use-generic-functions`), which this
// runtime defines. They serve the same buffer sizes step after step, so:
//
//  - a buffer of 64 KiB or more is rounded up to a size class (four per
//    power of two) and, once freed, kept for the next request of its
//    class: a step reuses the memory of the one before and takes no page
//    fault and no system call;
//  - that memory lies on transparent huge pages (2 MiB-aligned slabs,
//    MADV_HUGEPAGE), so that even the first prompt touches a few hundred
//    pages rather than one page fault per 4 KiB (a 128-token prompt of a
//    stories110M-shaped model otherwise faulted 4097 times);
//  - freed memory stays bounded: buffers of 2 MiB or more keep their own
//    mapping and are unmapped once the kept ones would exceed the most
//    bytes in use at once, so working memory stays within twice the peak
//    a step needs; `trimWorkingMemory` returns everything kept (after
//    @prepare, whose peak no step repeats).
//
// Smaller buffers come from the C library's malloc. Every buffer carries a
// header, so that a free finds where the buffer came from. Thread safe.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_WORKINGMEMORY_H
#define LLM_RUNTIME_WORKINGMEMORY_H

#include <cstddef>
#include <cstdint>

extern "C" {
/// The allocation functions compiled modules call.
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *pointer);
}

namespace llm::runtime {

/// A buffer of at least `bytes`, aligned to `alignment` (a power of two;
/// smaller ones give 64); nullptr when memory is exhausted or `alignment`
/// is not a power of two.
void *allocateWorking(size_t bytes, size_t alignment = 64);

/// Frees a buffer of allocateWorking (or of compiled code); nullptr is a
/// no-op.
void freeWorking(void *pointer);

/// Unmaps every freed buffer kept for reuse, and resets the peak that
/// bounds how much is kept to what is in use now.
void trimWorkingMemory();

struct WorkingMemoryStats {
  /// Buffers allocated and bytes asked for, since the process started.
  uint64_t allocations = 0, allocatedBytes = 0;
  /// Of those, requests served by a kept buffer (no new memory).
  uint64_t reused = 0;
  /// Bytes mapped for buffers of 64 KiB or more now (in use and kept), and
  /// the bytes of those in use.
  uint64_t mappedBytes = 0, inUseBytes = 0;
};

WorkingMemoryStats workingMemoryStats();

} // namespace llm::runtime

#endif // LLM_RUNTIME_WORKINGMEMORY_H
