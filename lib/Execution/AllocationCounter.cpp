//===- AllocationCounter.cpp - What compiled code allocates and copies ----===//

#include "llm/Execution/AllocationCounter.h"

#include <atomic>
#include <cstdlib>
#include <dlfcn.h>

using namespace mlir::llm;

namespace {
std::atomic<uint64_t> allocations{0}, allocatedBytes{0}, copies{0},
    copiedBytes{0};

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
  return {allocations.load(), allocatedBytes.load(), copies.load(),
          copiedBytes.load()};
}

void *mlir::llm::detail::countingMalloc(uint64_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  allocatedBytes.fetch_add(size, std::memory_order_relaxed);
  return std::malloc(size);
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
