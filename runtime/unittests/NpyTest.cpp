//===- NpyTest.cpp - Tests of the .npy writer -----------------------------===//

#include "llm/runtime/Npy.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace llm::runtime;
using llm::runtime::testing::readFile;
using llm::runtime::testing::TempDir;

namespace {

/// Splits a .npy image into (dict text including padding, data bytes) after
/// checking the fixed prefix and alignment.
void parseNpy(const std::string &bytes, std::string &dict, std::string &data) {
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(bytes[6], '\x01'); // major version
  EXPECT_EQ(bytes[7], '\x00'); // minor version
  size_t headerLen = static_cast<unsigned char>(bytes[8]) |
                     (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
  ASSERT_LE(10 + headerLen, bytes.size());
  EXPECT_EQ((10 + headerLen) % 64, 0u) << "data must start 64-byte aligned";
  dict = bytes.substr(10, headerLen);
  data = bytes.substr(10 + headerLen);
  ASSERT_FALSE(dict.empty());
  EXPECT_EQ(dict.back(), '\n');
}

} // namespace

TEST(Npy, Writes2x3Float32) {
  TempDir dir;
  std::string path = dir.file("logits.npy");
  const float values[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-8f, -1e20f};
  Status s = writeNpyF32(path, values, 2, 3);
  ASSERT_TRUE(s.ok()) << s.message();

  std::string bytes = readFile(path);
  std::string dict, data;
  parseNpy(bytes, dict, data);
  EXPECT_EQ(bytes.size(), 128u + 24u); // 10 + 59-char dict + newline -> 128
  const std::string expected = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  ASSERT_GE(dict.size(), expected.size());
  EXPECT_EQ(dict.substr(0, expected.size()), expected);
  EXPECT_EQ(dict.find_first_not_of(' ', expected.size()), dict.size() - 1)
      << "padding must be spaces followed by a newline";
  ASSERT_EQ(data.size(), sizeof(values));
  EXPECT_EQ(std::memcmp(data.data(), values, sizeof(values)), 0);
  // Little-endian bytes of 1.0f (0x3F800000) and -2.5f (0xC0200000).
  EXPECT_EQ(data.substr(0, 8), std::string("\x00\x00\x80\x3F\x00\x00\x20\xC0", 8));
}

TEST(Npy, HeaderForOtherRanks) {
  auto dictOf = [](const std::vector<int64_t> &shape) {
    std::string h = npyHeaderF32(shape);
    EXPECT_EQ(h.size() % 64, 0u);
    size_t end = h.find('}');
    return h.substr(10, end - 10 + 1);
  };
  EXPECT_EQ(dictOf({5}), "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }");
  EXPECT_EQ(dictOf({}), "{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
  EXPECT_EQ(dictOf({1, 32000, 7}),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 32000, 7), }");
  // Long shapes grow the header in 64-byte steps.
  std::vector<int64_t> big(20, 123456789);
  EXPECT_EQ(npyHeaderF32(big).size() % 64, 0u);
  EXPECT_GT(npyHeaderF32(big).size(), 64u);
}

TEST(Npy, EmptyArray) {
  TempDir dir;
  std::string path = dir.file("empty.npy");
  Status s = writeNpyF32(path, nullptr, 0, 4);
  ASSERT_TRUE(s.ok()) << s.message();
  std::string dict, data;
  parseNpy(readFile(path), dict, data);
  EXPECT_NE(dict.find("'shape': (0, 4)"), std::string::npos);
  EXPECT_TRUE(data.empty());
}

TEST(Npy, Errors) {
  float x = 1.0f;
  Status s = writeNpyF32("/nonexistent/dir/out.npy", &x, 1, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/dir/out.npy"), std::string::npos) << s.message();
  s = writeNpyF32("/tmp/never-written.npy", &x, std::vector<int64_t>{-1, 2});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("negative"), std::string::npos) << s.message();
  s = writeNpyF32("/tmp/never-written.npy", nullptr, 2, 2);
  ASSERT_FALSE(s.ok());
}
