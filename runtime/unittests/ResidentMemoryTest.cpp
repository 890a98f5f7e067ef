//===- ResidentMemoryTest.cpp - huge-page weight memory -------------------===//

#include "llm/runtime/ResidentMemory.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace llm::runtime;

TEST(ResidentMemory, AlignedZeroedAndWritable) {
  const size_t bytes = (size_t(3) << 20) + 17;
  auto memory = ResidentMemory::allocate(bytes);
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->size(), bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(memory->data()) % (size_t(2) << 20), 0u);
  for (size_t i = 0; i < bytes; i += 4093)
    EXPECT_EQ(memory->data()[i], 0) << "byte " << i;
  memory->data()[bytes - 1] = 0x5a;
  EXPECT_EQ(memory->data()[bytes - 1], 0x5a);
}

TEST(ResidentMemory, NothingToMap) {
  EXPECT_EQ(ResidentMemory::allocate(0), nullptr);
  EXPECT_EQ(ResidentMemory::allocate(SIZE_MAX), nullptr);
}

TEST(ResidentMemory, ParallelCopiesEveryByteOfEveryJob) {
  // Pieces of 64 MiB: one job longer than a piece, one short, one empty.
  std::vector<uint8_t> big((size_t(64) << 20) + 4099), small(300);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  for (size_t i = 0; i < small.size(); ++i)
    small[i] = static_cast<uint8_t>(255 - i);
  std::vector<uint8_t> bigCopy(big.size()), smallCopy(small.size());
  copyInParallel({{big.data(), bigCopy.data(), big.size()},
                  {small.data(), smallCopy.data(), small.size()},
                  {small.data(), smallCopy.data(), 0}});
  EXPECT_EQ(bigCopy, big);
  EXPECT_EQ(smallCopy, small);
}

// A job whose source lies in a mapping of an open file reads the bytes from
// the file at its offset (here the "mapping" holds other bytes, so the copy
// shows where they came from); a file that ends early falls back to the
// mapping's bytes.
TEST(ResidentMemory, ParallelCopyReadsFromTheFileWhenGivenOne) {
  llm::runtime::testing::TempDir dir;
  std::string path = dir.file("weights.bin");
  std::string onDisk((size_t(64) << 20) + 100, '\0');
  for (size_t i = 0; i < onDisk.size(); ++i)
    onDisk[i] = static_cast<char>(i * 40503u >> 7);
  llm::runtime::testing::writeFile(path, onDisk);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const size_t offset = 4096 + 3, bytes = onDisk.size() - offset;
  std::vector<uint8_t> mapping(bytes, 0xee), copy(bytes);
  copyInParallel({{mapping.data(), copy.data(), bytes, fd, offset}});
  EXPECT_EQ(std::memcmp(copy.data(), onDisk.data() + offset, bytes), 0);

  // Past the end of the file: the mapping's bytes.
  std::vector<uint8_t> past(64);
  copyInParallel({{mapping.data(), past.data(), past.size(), fd, onDisk.size()}});
  EXPECT_EQ(past, std::vector<uint8_t>(64, 0xee));
  ::close(fd);
}
