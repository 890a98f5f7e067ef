//===- PreparedCacheTest.cpp - the cache of @prepare's outputs ------------===//

#include "llm/runtime/PreparedCache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
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

// Files of several checksum pieces (16 MiB each, hashed on every core when
// read): buffers that straddle piece boundaries round-trip, and a flipped
// byte in any piece, the last (short) one included, is seen.
TEST(PreparedCache, LargeFilesAreCheckedPieceByPiece) {
  std::vector<BufferType> types = {{"i32", {3, 1000, 1000}},  // 12 MB
                                   {"f32", {5000, 2001}},     // 40 MB
                                   {"bf16", {333}}};
  std::vector<int32_t> words(3000000);
  std::vector<float> floats(5000 * 2001);
  std::vector<uint16_t> halves(333);
  for (size_t i = 0; i < words.size(); ++i)
    words[i] = static_cast<int32_t>(i * 2654435761u);
  for (size_t i = 0; i < floats.size(); ++i)
    floats[i] = static_cast<float>(i % 977) * 0.5f;
  for (size_t i = 0; i < halves.size(); ++i)
    halves[i] = static_cast<uint16_t>(i);
  std::vector<const void *> data = {words.data(), floats.data(), halves.data()};
  std::string path = temporaryPath("prepared-pieces-test");
  ASSERT_TRUE(savePreparedCache(path, 5, types, data).ok());
  {
    auto back = PreparedCacheFile::open(path, 5, types);
    ASSERT_TRUE(back);
    EXPECT_EQ(std::memcmp(back->data(0), words.data(), words.size() * 4), 0);
    EXPECT_EQ(std::memcmp(back->data(1), floats.data(), floats.size() * 4), 0);
    EXPECT_EQ(std::memcmp(back->data(2), halves.data(), halves.size() * 2), 0);
  }
  uintmax_t size = std::filesystem::file_size(path);
  const uintmax_t piece = uintmax_t(16) << 20;
  ASSERT_GT(size, 3 * piece);
  for (uintmax_t at : {piece - 1, piece, piece + 12345, 2 * piece + 7,
                       3 * piece + 1, size - 1}) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(at));
    char byte;
    file.read(&byte, 1);
    file.seekp(static_cast<std::streamoff>(at));
    file.put(static_cast<char>(byte ^ 0x01));
    file.close();
    EXPECT_FALSE(PreparedCacheFile::open(path, 5, types)) << "byte " << at;
    file.open(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(at));
    file.put(byte);
  }
  EXPECT_TRUE(PreparedCacheFile::open(path, 5, types));
  std::filesystem::remove(path);
}

/// A safetensors file of two F32 tensors, "a" [2] and "b" [3], with
/// values starting at `first`.
std::string twoTensorFile(float first) {
  std::string header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], "
                       "\"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", "
                       "\"shape\": [3], \"data_offsets\": [8, 20]}}";
  while (header.size() % 8)
    header += ' ';
  std::string bytes(8, '\0');
  uint64_t length = header.size();
  std::memcpy(bytes.data(), &length, 8);
  bytes += header;
  for (int i = 0; i < 5; ++i) {
    float v = first + static_cast<float>(i);
    bytes.append(reinterpret_cast<const char *>(&v), sizeof v);
  }
  return bytes;
}

/// The source hashes of a file's tensors "a" and "b", as a checkpoint's
/// region of the file's mapping names them.
std::pair<uint64_t, uint64_t> sourceHashes(const SafeTensorsFile &file) {
  MappedFileRegion region{file.mapping(), file.fileSize(), file.fd(),
                          file.identity()};
  return {sourceHash(*file.find("a"), &region),
          sourceHash(*file.find("b"), &region)};
}

// A cache key names a settled checkpoint file's tensors by the file's
// identity and their place in it (no byte read), and a file changed moments
// before it was opened by its bytes: a change is seen either way.
TEST(PreparedCache, SourceHashSeesAChangedFile) {
  std::string path = temporaryPath("source-hash-test") + ".safetensors";
  { std::ofstream(path, std::ios::binary) << twoTensorFile(1.0f); }
  auto fresh = SafeTensorsFile::open(path);
  ASSERT_TRUE(fresh.ok()) << fresh.message();
  ASSERT_FALSE((*fresh)->identity().settled);
  // Just written: by content, the same as contentHash.
  auto [a, b] = sourceHashes(**fresh);
  EXPECT_EQ(a, contentHash(*(*fresh)->find("a")));
  EXPECT_NE(a, b);
  // Rewritten at once with other values of the same size: seen.
  { std::ofstream(path, std::ios::binary) << twoTensorFile(2.0f); }
  auto rewritten = SafeTensorsFile::open(path);
  ASSERT_TRUE(rewritten.ok());
  EXPECT_NE(sourceHashes(**rewritten).first, a);
  // (Taken now: a later write to the file shows through its mapping.)
  auto [contentOfTwo, contentOfTwoB] = sourceHashes(**rewritten);
  // Once the file has settled: by identity, stable over openings.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto settled = SafeTensorsFile::open(path);
  ASSERT_TRUE(settled.ok());
  ASSERT_TRUE((*settled)->identity().settled);
  auto [sa, sb] = sourceHashes(**settled);
  EXPECT_NE(sa, contentOfTwo);
  EXPECT_NE(sa, sb);
  auto again = SafeTensorsFile::open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(sourceHashes(**again), std::make_pair(sa, sb));
  // One byte changed in place: by content again (it changed moments ago),
  // and not the key of the settled file.
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-1, std::ios::end);
    file.put('\x7f');
  }
  auto changed = SafeTensorsFile::open(path);
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(sourceHashes(**changed).second, sb);
  EXPECT_NE(sourceHashes(**changed).second, contentOfTwoB);
  // Tensors held elsewhere (no file): by content.
  EXPECT_EQ(sourceHash(*(*changed)->find("b"), nullptr),
            contentHash(*(*changed)->find("b")));
  std::filesystem::remove(path);
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
