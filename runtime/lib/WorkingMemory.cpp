//===- WorkingMemory.cpp - the buffers compiled code allocates ------------===//

#include "llm/runtime/WorkingMemory.h"
#include "llm/runtime/Pages.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

using namespace llm::runtime;

namespace {

constexpr size_t kHeaderBytes = 64;
constexpr size_t kMinAlignment = 64;
/// Buffers from this size on (header included) come from the pool.
constexpr size_t kPooledBytes = size_t(64) << 10;
constexpr size_t kHugePage = size_t(2) << 20;
/// Pooled buffers below a huge page are carved from slabs of this size.
constexpr size_t kSlabBytes = size_t(8) << 20;
constexpr uint64_t kMagic = 0x6c6c6d2d776f726bULL; // "llm-work"

enum class Origin : uint32_t { Malloc, Slab, Mapping };

/// Just before every buffer handed out.
struct Header {
  uint64_t magic;
  /// What to give back: the malloc'd block or the start of the class block.
  void *base;
  Origin origin;
  uint32_t unused;
  /// The size class (pooled buffers).
  size_t classBytes;
};
static_assert(sizeof(Header) <= kHeaderBytes);

size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

/// The smallest size class that holds `bytes`: four classes per power of
/// two (a buffer wastes at most a fifth of its class).
size_t sizeClass(size_t bytes) {
  size_t power = kPooledBytes;
  while (power * 2 <= bytes)
    power *= 2;
  size_t step = power / 4;
  return roundUp(bytes, step);
}

class Pool {
public:
  static Pool &get() {
    // Never destroyed: compiled code may free buffers during exit.
    static Pool *pool = new Pool();
    return *pool;
  }

  /// A block of `classBytes`, and whether it was kept from an earlier
  /// buffer; nullptr when memory is exhausted.
  void *take(size_t classBytes, Origin &origin, bool &reused) {
    std::lock_guard<std::mutex> lock(mutex_);
    origin = classBytes < kHugePage ? Origin::Slab : Origin::Mapping;
    void *block = nullptr;
    auto bin = kept_.find(classBytes);
    if (bin != kept_.end() && !bin->second.empty()) {
      block = bin->second.back();
      bin->second.pop_back();
      if (origin == Origin::Mapping)
        keptMappedBytes_ -= classBytes;
      reused = true;
    } else {
      block = origin == Origin::Slab ? carve(classBytes) : mapHugePages(classBytes);
      if (!block)
        return nullptr;
      if (origin == Origin::Mapping)
        mappedBytes_ += roundUp(classBytes, 4096);
      reused = false;
    }
    inUseBytes_ += classBytes;
    if (origin == Origin::Slab)
      slabInUseBytes_ += classBytes;
    peakInUseBytes_ = std::max(peakInUseBytes_, inUseBytes_);
    return block;
  }

  void give(void *block, size_t classBytes, Origin origin) {
    std::lock_guard<std::mutex> lock(mutex_);
    inUseBytes_ -= classBytes;
    if (origin == Origin::Slab) {
      slabInUseBytes_ -= classBytes;
      kept_[classBytes].push_back(block);
      return;
    }
    // A buffer with its own mapping is kept while the kept ones stay
    // within the peak in use.
    if (keptMappedBytes_ + classBytes <= peakInUseBytes_) {
      keptMappedBytes_ += classBytes;
      kept_[classBytes].push_back(block);
      return;
    }
    unmapHugePages(block, classBytes);
    mappedBytes_ -= roundUp(classBytes, 4096);
  }

  void trim() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &[classBytes, blocks] : kept_) {
      if (classBytes < kHugePage)
        continue;
      for (void *block : blocks)
        unmapHugePages(block, classBytes);
      mappedBytes_ -= blocks.size() * roundUp(classBytes, 4096);
      blocks.clear();
    }
    keptMappedBytes_ = 0;
    // Slabs go only when none of their buffers is in use.
    if (slabInUseBytes_ == 0) {
      for (void *slab : slabs_)
        unmapHugePages(slab, kSlabBytes);
      mappedBytes_ -= slabs_.size() * kSlabBytes;
      slabs_.clear();
      slabFree_ = slabEnd_ = nullptr;
      for (auto &[classBytes, blocks] : kept_)
        blocks.clear();
    }
    peakInUseBytes_ = inUseBytes_;
  }

  void stats(WorkingMemoryStats &out) {
    std::lock_guard<std::mutex> lock(mutex_);
    out.mappedBytes = mappedBytes_;
    out.inUseBytes = inUseBytes_;
  }

private:
  /// A new block of a slab (a new slab when the current one is full).
  void *carve(size_t classBytes) {
    if (!slabFree_ || static_cast<size_t>(slabEnd_ - slabFree_) < classBytes) {
      auto *slab = static_cast<uint8_t *>(mapHugePages(kSlabBytes));
      if (!slab)
        return nullptr;
      slabs_.push_back(slab);
      mappedBytes_ += kSlabBytes;
      slabFree_ = slab;
      slabEnd_ = slab + kSlabBytes;
    }
    void *block = slabFree_;
    slabFree_ += classBytes;
    return block;
  }

  std::mutex mutex_;
  /// Freed blocks by size class.
  std::map<size_t, std::vector<void *>> kept_;
  std::vector<void *> slabs_;
  uint8_t *slabFree_ = nullptr, *slabEnd_ = nullptr;
  size_t mappedBytes_ = 0, inUseBytes_ = 0, slabInUseBytes_ = 0,
         peakInUseBytes_ = 0, keptMappedBytes_ = 0;
};

std::atomic<uint64_t> allocationCount{0}, allocatedByteCount{0},
    reusedCount{0};

} // namespace

void *llm::runtime::allocateWorking(size_t bytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return nullptr;
  alignment = std::max(alignment, kMinAlignment);
  // Room for the header and for moving the buffer up to its alignment
  // (blocks start on 64 bytes).
  size_t slack = kHeaderBytes + (alignment - kMinAlignment);
  if (bytes > SIZE_MAX / 2 - slack)
    return nullptr;
  size_t need = roundUp(bytes + slack, kMinAlignment);
  allocationCount.fetch_add(1, std::memory_order_relaxed);
  allocatedByteCount.fetch_add(bytes, std::memory_order_relaxed);

  void *base = nullptr;
  Origin origin = Origin::Malloc;
  size_t classBytes = 0;
  if (need < kPooledBytes) {
    base = std::aligned_alloc(kMinAlignment, need);
  } else {
    classBytes = sizeClass(need);
    bool reused = false;
    base = Pool::get().take(classBytes, origin, reused);
    if (reused)
      reusedCount.fetch_add(1, std::memory_order_relaxed);
  }
  if (!base)
    return nullptr;
  uintptr_t user =
      roundUp(reinterpret_cast<uintptr_t>(base) + kHeaderBytes, alignment);
  auto *header = reinterpret_cast<Header *>(user - kHeaderBytes);
  *header = {kMagic, base, origin, 0, classBytes};
  return reinterpret_cast<void *>(user);
}

void llm::runtime::freeWorking(void *pointer) {
  if (!pointer)
    return;
  auto *header = reinterpret_cast<Header *>(
      reinterpret_cast<uintptr_t>(pointer) - kHeaderBytes);
  if (header->magic != kMagic)
    std::abort(); // Not a working buffer: a double free or a foreign one.
  Header copy = *header;
  header->magic = 0;
  if (copy.origin == Origin::Malloc)
    std::free(copy.base);
  else
    Pool::get().give(copy.base, copy.classBytes, copy.origin);
}

void llm::runtime::trimWorkingMemory() { Pool::get().trim(); }

WorkingMemoryStats llm::runtime::workingMemoryStats() {
  WorkingMemoryStats stats;
  stats.allocations = allocationCount.load();
  stats.allocatedBytes = allocatedByteCount.load();
  stats.reused = reusedCount.load();
  Pool::get().stats(stats);
  return stats;
}

extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  return allocateWorking(bytes);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t bytes) {
  return allocateWorking(bytes, alignment);
}

extern "C" void _mlir_memref_to_llvm_free(void *pointer) {
  freeWorking(pointer);
}
