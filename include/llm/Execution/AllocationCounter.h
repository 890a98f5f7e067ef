//===- AllocationCounter.h - What compiled code allocates and copies -*- C++ -*-===//
//
// The compiled code allocates through the runtime's working memory
// (llm/runtime/WorkingMemory.h), which counts every buffer, and the JIT
// resolves its `memrefCopy` to a counting wrapper of the real function, so
// that a run can report what a decode step allocates and copies (a step
// should allocate nothing that grows with the model or the context, and
// never copy the KV cache). Totals since the process started; differences
// of two snapshots give a step's share. Copies made by code loaded from an
// ahead-of-time shared library call the library directly and are not
// counted.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_EXECUTION_ALLOCATIONCOUNTER_H
#define LLM_EXECUTION_ALLOCATIONCOUNTER_H

#include <cstdint>

namespace mlir::llm {

struct AllocationCounts {
  uint64_t allocations = 0, allocatedBytes = 0;
  /// memrefCopy calls (strided copies between buffers) and their bytes.
  uint64_t copies = 0, copiedBytes = 0;

  AllocationCounts operator-(const AllocationCounts &earlier) const {
    return {allocations - earlier.allocations,
            allocatedBytes - earlier.allocatedBytes, copies - earlier.copies,
            copiedBytes - earlier.copiedBytes};
  }
};

/// The totals so far of every compiled module's allocations and copies.
AllocationCounts allocationCounts();

namespace detail {
/// The wrapper the JIT binds the compiled code's memrefCopy to.
void countingMemrefCopy(int64_t elementSize, void *source, void *target);
} // namespace detail

} // namespace mlir::llm

#endif // LLM_EXECUTION_ALLOCATIONCOUNTER_H
