//===- AllocationCounter.cpp - What compiled code allocates and copies ----===//

#include "llm/Execution/AllocationCounter.h"
#include "llm/runtime/WorkingMemory.h"

#include <atomic>
#include <cstdlib>
#include <dlfcn.h>

using namespace mlir::llm;

namespace {
std::atomic<uint64_t> copies{0}, copiedBytes{0};

/// An unranked memref descriptor as the compiled code passes it.
struct UnrankedDescriptor {
  int64_t rank;
  void *descriptor;
};

/// The elements of a ranked descriptor: allocated and aligned pointers,
/// offset, then `rank` sizes and `rank` strides.
uint64_t elementsOf(const UnrankedDescriptor &memref) {
  const auto *fields = static_cast<const int64_t *>(memref.descriptor);
  uint64_t elements = 1;
  for (int64_t d = 0; d < memref.rank; ++d)
    elements *= static_cast<uint64_t>(fields[3 + d]);
  return elements;
}

using MemrefCopyFn = void (*)(int64_t, void *, void *);

/// mlir_c_runner_utils' memrefCopy, which the process links.
MemrefCopyFn realMemrefCopy() {
  static MemrefCopyFn fn =
      reinterpret_cast<MemrefCopyFn>(::dlsym(RTLD_DEFAULT, "memrefCopy"));
  return fn;
}
} // namespace

AllocationCounts mlir::llm::allocationCounts() {
  ::llm::runtime::WorkingMemoryStats working =
      ::llm::runtime::workingMemoryStats();
  return {working.allocations, working.allocatedBytes, copies.load(),
          copiedBytes.load()};
}


void mlir::llm::detail::countingMemrefCopy(int64_t elementSize, void *source,
                                           void *target) {
  copies.fetch_add(1, std::memory_order_relaxed);
  copiedBytes.fetch_add(
      static_cast<uint64_t>(elementSize) *
          elementsOf(*static_cast<UnrankedDescriptor *>(source)),
      std::memory_order_relaxed);
  if (MemrefCopyFn copy = realMemrefCopy())
    copy(elementSize, source, target);
  else
    std::abort(); // The process lacks mlir_c_runner_utils: cannot happen
                  // for code that was linked to call memrefCopy.
}
