//===- PreparedCacheTest.cpp - the cache of @prepare's outputs ------------===//

#include "llm/runtime/PreparedCache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace llm::runtime;

namespace {

struct Buffers {
  std::vector<BufferType> types = {{"i32", {2, 1, 2, 4}},
                                   {"f32", {3, 5}},
                                   {"bf16", {7}}};
  std::vector<int32_t> words = std::vector<int32_t>(16);
  std::vector<float> floats = std::vector<float>(15);
  std::vector<uint16_t> halves = std::vector<uint16_t>(7);

  Buffers() {
    for (size_t i = 0; i < words.size(); ++i)
      words[i] = static_cast<int32_t>(0x12345678u * (i + 1));
    for (size_t i = 0; i < floats.size(); ++i)
      floats[i] = std::sin(0.3f * i);
    for (size_t i = 0; i < halves.size(); ++i)
      halves[i] = static_cast<uint16_t>(0x3f80 + i);
  }
  std::vector<const void *> data() const {
    return {words.data(), floats.data(), halves.data()};
  }
  /// Whether `file` holds exactly these buffers.
  bool sameAs(const PreparedCacheFile &file) const {
    return std::memcmp(file.data(0), words.data(), words.size() * 4) == 0 &&
           std::memcmp(file.data(1), floats.data(), floats.size() * 4) == 0 &&
           std::memcmp(file.data(2), halves.data(), halves.size() * 2) == 0;
  }
};

std::string temporaryPath(const std::string &stem) {
  return (std::filesystem::temp_directory_path() /
          (stem + "-" + std::to_string(::getpid())))
      .string();
}

TEST(PreparedCache, RoundTripsAndRejectsStaleFiles) {
  Buffers b;
  std::string path = temporaryPath("prepared-cache-test");
  ASSERT_TRUE(savePreparedCache(path, 42, b.types, b.data()).ok());
  auto back = PreparedCacheFile::open(path, 42, b.types);
  ASSERT_TRUE(back);
  EXPECT_TRUE(b.sameAs(*back));
  for (size_t i = 0; i < b.types.size(); ++i)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(back->data(i)) % 64, 0u);
  // Another key (other source bytes, another @prepare) or other buffer
  // types: not used.
  EXPECT_FALSE(PreparedCacheFile::open(path, 43, b.types));
  std::vector<BufferType> other = b.types;
  other[1].shape = {5, 3};
  EXPECT_FALSE(PreparedCacheFile::open(path, 42, other));
  other = b.types;
  other[2].elementType = "f16";
  EXPECT_FALSE(PreparedCacheFile::open(path, 42, other));
  other = b.types;
  other.pop_back();
  EXPECT_FALSE(PreparedCacheFile::open(path, 42, other));
  // A truncated file is not used either.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  EXPECT_FALSE(PreparedCacheFile::open(path, 42, b.types));
  std::filesystem::remove(path);
  EXPECT_FALSE(PreparedCacheFile::open(path, 42, b.types));
}

TEST(PreparedCache, ContentHashSeesEveryByteNameAndShape) {
  std::vector<float> a(100000, 1.0f);
  TensorView va{"w", DType::F32, {1000, 100}, a.data(), a.size() * 4};
  TensorView vn{"v", DType::F32, {1000, 100}, a.data(), a.size() * 4};
  TensorView vs{"w", DType::F32, {100, 1000}, a.data(), a.size() * 4};
  uint64_t base = contentHash(va);
  EXPECT_EQ(contentHash(va), base);
  EXPECT_NE(contentHash(vn), base);
  EXPECT_NE(contentHash(vs), base);
  // A change anywhere, not only where a sample would look.
  for (size_t at : {size_t(0), size_t(12345), size_t(54321), a.size() - 1}) {
    std::vector<float> b = a;
    b[at] = 1.0000001f;
    TensorView vb{"w", DType::F32, {1000, 100}, b.data(), b.size() * 4};
    EXPECT_NE(contentHash(vb), base) << "element " << at;
  }
}

TEST(PreparedCache, AFlippedByteAnywhereIsDetected) {
  Buffers b;
  std::string path = temporaryPath("prepared-flip-test");
  ASSERT_TRUE(savePreparedCache(path, 7, b.types, b.data()).ok());
  ASSERT_TRUE(PreparedCacheFile::open(path, 7, b.types));
  uintmax_t size = std::filesystem::file_size(path);
  // The header, the descriptions, the padding between buffers, the
  // payload.
  for (uintmax_t at : {uintmax_t(9), uintmax_t(40), uintmax_t(64),
                       uintmax_t(100), uintmax_t(128), uintmax_t(131), size / 2, size - 1}) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(at));
    char byte;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x10);
    file.seekp(static_cast<std::streamoff>(at));
    file.write(&byte, 1);
    file.close();
    EXPECT_FALSE(PreparedCacheFile::open(path, 7, b.types)) << "byte " << at;
    file.open(path, std::ios::in | std::ios::out | std::ios::binary);
    byte = static_cast<char>(byte ^ 0x10);
    file.seekp(static_cast<std::streamoff>(at));
    file.write(&byte, 1);
  }
  auto restored = PreparedCacheFile::open(path, 7, b.types);
  ASSERT_TRUE(restored);
  EXPECT_TRUE(b.sameAs(*restored));
  // Reached through a symbolic link, the same file is not used.
  std::string link = path + ".link";
  std::filesystem::create_symlink(path, link);
  EXPECT_FALSE(PreparedCacheFile::open(link, 7, b.types));
  std::filesystem::remove(link);
  std::filesystem::remove(path);
}

TEST(PreparedCache, CacheDirectoryMustBeThisUsersRealDirectory) {
  std::string dir = temporaryPath("prepared-dir-test");
  std::filesystem::create_directory(dir);
  EXPECT_TRUE(checkCacheDirectory(dir).ok());
  std::string link = dir + ".link";
  std::filesystem::create_symlink(dir, link);
  Status linked = checkCacheDirectory(link);
  EXPECT_FALSE(linked.ok());
  EXPECT_NE(linked.message().find("symbolic link"), std::string::npos);
  std::filesystem::remove(link);
  std::filesystem::remove(dir);
}

} // namespace
