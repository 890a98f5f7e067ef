//===- WorkingMemoryTest.cpp - the buffers compiled code allocates --------===//

#include "llm/runtime/WorkingMemory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace llm::runtime;

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;

uintptr_t address(const void *p) { return reinterpret_cast<uintptr_t>(p); }

/// The VmFlags of the mapping that holds `p` (/proc/self/smaps).
std::string mappingFlags(const void *p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long begin = 0, end = 0;
    // A mapping's first line: "begin-end perms ...".
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2) {
      inside = address(p) >= begin && address(p) < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0)
      return line;
  }
  return "";
}

class WorkingMemoryTest : public ::testing::Test {
protected:
  void SetUp() override { trimWorkingMemory(); }
  void TearDown() override { trimWorkingMemory(); }
};

TEST_F(WorkingMemoryTest, BuffersAreAlignedAndWritable) {
  for (size_t bytes : {size_t(1), size_t(100), 4 * KiB, 70 * KiB, 3 * MiB}) {
    for (size_t alignment : {size_t(64), size_t(128), size_t(4096)}) {
      auto *p = static_cast<uint8_t *>(allocateWorking(bytes, alignment));
      ASSERT_NE(p, nullptr) << bytes;
      EXPECT_EQ(address(p) % alignment, 0u) << bytes << " " << alignment;
      std::memset(p, 0xab, bytes);
      EXPECT_EQ(p[bytes - 1], 0xab);
      freeWorking(p);
    }
  }
  // The generic functions compiled code calls.
  void *p = _mlir_memref_to_llvm_alloc(1000);
  void *q = _mlir_memref_to_llvm_aligned_alloc(256, 200 * KiB);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(address(q) % 256, 0u);
  _mlir_memref_to_llvm_free(p);
  _mlir_memref_to_llvm_free(q);
  _mlir_memref_to_llvm_free(nullptr);
  EXPECT_EQ(allocateWorking(16, 48), nullptr); // Not a power of two.
}

TEST_F(WorkingMemoryTest, CountsEveryBuffer) {
  WorkingMemoryStats before = workingMemoryStats();
  void *a = allocateWorking(10);
  void *b = allocateWorking(300 * KiB);
  WorkingMemoryStats after = workingMemoryStats();
  EXPECT_EQ(after.allocations - before.allocations, 2u);
  EXPECT_EQ(after.allocatedBytes - before.allocatedBytes, 10 + 300 * KiB);
  // Only the pooled one (64 KiB and more) is in use in the pool: its class
  // (four per power of two) holds it and its header.
  EXPECT_EQ(after.inUseBytes - before.inUseBytes, 320 * KiB);
  freeWorking(a);
  freeWorking(b);
  EXPECT_EQ(workingMemoryStats().inUseBytes, before.inUseBytes);
}

TEST_F(WorkingMemoryTest, AFreedBufferServesTheNextOfItsClass) {
  void *first = allocateWorking(100 * KiB);
  freeWorking(first);
  WorkingMemoryStats before = workingMemoryStats();
  // 110 KiB is in the same class as 100 KiB (112 KiB).
  void *second = allocateWorking(110 * KiB);
  WorkingMemoryStats after = workingMemoryStats();
  EXPECT_EQ(second, first);
  EXPECT_EQ(after.reused - before.reused, 1u);
  EXPECT_EQ(after.mappedBytes, before.mappedBytes);
  // Another class does not take it.
  void *third = allocateWorking(200 * KiB);
  EXPECT_NE(third, first);
  EXPECT_EQ(workingMemoryStats().reused, after.reused);
  freeWorking(second);
  freeWorking(third);
}

TEST_F(WorkingMemoryTest, PooledBuffersLieOnHugePageAdvisedMemory) {
  std::ifstream enabled("/sys/kernel/mm/transparent_hugepage/enabled");
  if (!enabled)
    GTEST_SKIP() << "no transparent huge pages on this kernel";
  void *slabbed = allocateWorking(500 * KiB);
  void *mapped = allocateWorking(5 * MiB);
  // "hg": advised for huge pages (MADV_HUGEPAGE).
  EXPECT_NE(mappingFlags(slabbed).find(" hg"), std::string::npos)
      << mappingFlags(slabbed);
  EXPECT_NE(mappingFlags(mapped).find(" hg"), std::string::npos)
      << mappingFlags(mapped);
  freeWorking(slabbed);
  freeWorking(mapped);
}

TEST_F(WorkingMemoryTest, KeptBuffersStayWithinThePeakInUse) {
  WorkingMemoryStats start = workingMemoryStats();
  ASSERT_EQ(start.inUseBytes, 0u);
  // The peak: 4 MiB at once. Freed, the buffer is kept (4 <= 4).
  void *small = allocateWorking(4 * MiB - 64);
  freeWorking(small);
  EXPECT_EQ(workingMemoryStats().mappedBytes - start.mappedBytes, 4 * MiB);
  // The peak becomes 8 MiB; keeping both (12 MiB) would exceed it, so the
  // second is unmapped when freed.
  void *large = allocateWorking(8 * MiB - 64);
  EXPECT_EQ(workingMemoryStats().mappedBytes - start.mappedBytes, 12 * MiB);
  freeWorking(large);
  EXPECT_EQ(workingMemoryStats().mappedBytes - start.mappedBytes, 4 * MiB);
  // The kept one is served again.
  void *again = allocateWorking(4 * MiB - 64);
  EXPECT_EQ(again, small);
  freeWorking(again);
}

TEST_F(WorkingMemoryTest, TrimReturnsWhatIsKept) {
  std::vector<void *> buffers;
  for (size_t bytes : {100 * KiB, 700 * KiB, 3 * MiB, 6 * MiB})
    buffers.push_back(allocateWorking(bytes));
  for (void *p : buffers)
    freeWorking(p);
  EXPECT_GT(workingMemoryStats().mappedBytes, 0u);
  trimWorkingMemory();
  EXPECT_EQ(workingMemoryStats().mappedBytes, 0u);
  EXPECT_EQ(workingMemoryStats().inUseBytes, 0u);
  // A slab with a buffer in use stays.
  void *held = allocateWorking(100 * KiB);
  trimWorkingMemory();
  EXPECT_GT(workingMemoryStats().mappedBytes, 0u);
  std::memset(held, 1, 100 * KiB);
  freeWorking(held);
}

TEST_F(WorkingMemoryTest, ThreadsAllocateAndFreeTogether) {
  auto work = [](int seed) {
    std::vector<void *> held;
    for (int i = 0; i < 2000; ++i) {
      size_t bytes = (static_cast<size_t>(seed * 7919 + i * 104729) % 40 + 1) *
                     16 * KiB;
      auto *p = static_cast<uint8_t *>(allocateWorking(bytes));
      ASSERT_NE(p, nullptr);
      p[0] = p[bytes - 1] = static_cast<uint8_t>(i);
      held.push_back(p);
      if (held.size() > 8) {
        freeWorking(held.front());
        held.erase(held.begin());
      }
    }
    for (void *p : held)
      freeWorking(p);
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(workingMemoryStats().inUseBytes, 0u);
}

} // namespace
