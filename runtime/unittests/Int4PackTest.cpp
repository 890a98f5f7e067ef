//===- Int4PackTest.cpp - INT4 quantization, layout and cache -------------===//

#include "llm/runtime/Int4Pack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

using namespace llm::runtime;

namespace {

/// Word `index` of a pack (little-endian).
uint32_t word(const Int4Pack &p, size_t index) {
  uint32_t w = 0;
  for (int i = 0; i < 4; ++i)
    w |= static_cast<uint32_t>(p.qweight[index * 4 + i]) << (8 * i);
  return w;
}

TEST(Int4Pack, AsymmetricRampIsExact) {
  // 0, 1, ..., 15: min 0, max 15 -> scale 1, zero 0, q = w.
  std::vector<float> w(16);
  for (int k = 0; k < 16; ++k)
    w[k] = static_cast<float>(k);
  Int4Pack p = quantizeInt4(w.data(), 1, 16, 16, /*tile=*/1,
                            /*symmetric=*/false);
  EXPECT_EQ(p.groups, 1);
  EXPECT_FLOAT_EQ(p.scales[0], 1.0f);
  EXPECT_FLOAT_EQ(p.zeros[0], 0.0f);
  for (int k = 0; k < 16; ++k) {
    EXPECT_EQ(p.nibble(0, k), k);
    EXPECT_FLOAT_EQ(p.dequantize(0, k), w[k]);
  }
  // Two words per group: word b holds inputs s * 2 + b in nibble s.
  ASSERT_EQ(p.qweight.size(), 8u);
  for (int b = 0; b < 2; ++b) {
    uint32_t expected = 0;
    for (int s = 0; s < 8; ++s)
      expected |= static_cast<uint32_t>(s * 2 + b) << (4 * s);
    EXPECT_EQ(word(p, b), expected);
  }
}

TEST(Int4Pack, RowsAreTiled) {
  // 4 rows of 8 inputs, tiles of 2 rows: words [2 tiles, 1 group, 1, 2];
  // row n's word is at (n / 2) * 2 + n % 2 = n, holding its 8 nibbles.
  std::vector<float> w(4 * 8);
  for (int n = 0; n < 4; ++n)
    for (int k = 0; k < 8; ++k)
      w[n * 8 + k] = static_cast<float>((k * 3 + n) % 16);
  for (int n = 0; n < 4; ++n) { // pin each row's range to [0, 15]
    w[n * 8 + 0] = 0.0f;
    w[n * 8 + 7] = 15.0f;
  }
  Int4Pack p = quantizeInt4(w.data(), 4, 8, 8, /*tile=*/2, false);
  for (int n = 0; n < 4; ++n) {
    uint32_t expected = 0;
    for (int k = 0; k < 8; ++k)
      expected |= static_cast<uint32_t>(w[n * 8 + k]) << (4 * k);
    EXPECT_EQ(word(p, n), expected) << "row " << n;
  }
  // 8 rows of 8 in tiles of 4: row 5 is tile 1, lane 1 -> word 4 + 1.
  std::vector<float> w8(8 * 8, 0.0f);
  for (int k = 0; k < 8; ++k)
    w8[5 * 8 + k] = static_cast<float>(k * 2);
  Int4Pack q = quantizeInt4(w8.data(), 8, 8, 8, /*tile=*/4, false);
  EXPECT_EQ(q.nibble(5, 3), 3 * 2 * 15 / 14);
  EXPECT_EQ(word(q, 5) & 0xF, 0u);
  EXPECT_EQ((word(q, 5) >> 28) & 0xF, 15u);
}

TEST(Int4Pack, AsymmetricZeroPointAndRounding) {
  // min -1.5, max 6: scale 0.5, zero round(3) = 3; 0.25 / 0.5 = 0.5 rounds
  // to even (0), 0.75 / 0.5 = 1.5 rounds to 2.
  std::vector<float> w = {-1.5f, 6.0f, 0.25f, 0.75f, 0, 0, 0, 0};
  Int4Pack p = quantizeInt4(w.data(), 1, 8, 8, 1, false);
  EXPECT_FLOAT_EQ(p.scales[0], 0.5f);
  EXPECT_FLOAT_EQ(p.zeros[0], 3.0f);
  EXPECT_EQ(p.nibble(0, 0), 0);
  EXPECT_EQ(p.nibble(0, 1), 15);
  EXPECT_EQ(p.nibble(0, 2), 3);
  EXPECT_EQ(p.nibble(0, 3), 5);
  EXPECT_FLOAT_EQ(p.dequantize(0, 2), 0.0f);
  EXPECT_FLOAT_EQ(p.dequantize(0, 3), 1.0f);
}

TEST(Int4Pack, SymmetricUsesZeroPointEight) {
  std::vector<float> w = {-7.0f, 3.5f, 7.0f, 0.0f, 0, 0, 0, 0};
  Int4Pack p = quantizeInt4(w.data(), 1, 8, 8, 1, true);
  EXPECT_FLOAT_EQ(p.scales[0], 1.0f);
  EXPECT_FLOAT_EQ(p.zeros[0], 8.0f);
  EXPECT_EQ(p.nibble(0, 0), 1);
  EXPECT_EQ(p.nibble(0, 1), 12); // 3.5 rounds to even 4
  EXPECT_EQ(p.nibble(0, 2), 15);
  EXPECT_EQ(p.nibble(0, 3), 8);
}

TEST(Int4Pack, ShortLastGroupUsesOnlyItsInputs) {
  // in = 12, group 8: the second group holds inputs 8..11 only; its
  // padding nibbles are the zero point.
  std::vector<float> w = {0, 0, 0, 0, 0, 0, 0, 0, 10.0f, 40.0f, 10.0f, 40.0f};
  Int4Pack p = quantizeInt4(w.data(), 1, 12, 8, 1, false);
  EXPECT_EQ(p.groups, 2);
  EXPECT_FLOAT_EQ(p.scales[1], 2.0f); // (40 - 10) / 15
  EXPECT_FLOAT_EQ(p.zeros[1], 0.0f);  // round(-10 / 2) = -5 -> clamped to 0
  EXPECT_EQ(p.nibble(0, 8), 5);
  EXPECT_EQ(p.nibble(0, 9), 15); // 40 / 2 = 20, clamped
  // Group 1's one word: inputs 8..11 in nibbles 0..3, padding (zero 0) in
  // nibbles 4..7.
  EXPECT_EQ(word(p, 1), 0xF5F5u);
}

// In a group whose range contains 0, the zero point fits in [0, 15] and
// every weight is within half a step. (A group of one sign has its zero
// point clamped, as in AWQ's round-to-nearest, and may clip.)
TEST(Int4Pack, ErrorIsBoundedByHalfAStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  int64_t out = 5, in = 100, g = 32;
  std::vector<float> w(out * in);
  for (float &v : w)
    v = normal(rng);
  Int4Pack p = quantizeInt4(w.data(), out, in, g, /*tile=*/out, false);
  int checked = 0;
  for (int64_t n = 0; n < out; ++n)
    for (int64_t k = 0; k < in; ++k) {
      int64_t begin = k / g * g, end = std::min(in, begin + g);
      float lo = *std::min_element(&w[n * in + begin], &w[n * in + end]);
      float hi = *std::max_element(&w[n * in + begin], &w[n * in + end]);
      if (!(lo <= 0 && hi >= 0))
        continue;
      ++checked;
      EXPECT_LE(std::fabs(p.dequantize(n, k) - w[n * in + k]),
                0.5f * p.scales[k / g * out + n] * 1.0001f);
    }
  EXPECT_GT(checked, 400);
}

TEST(Int4Pack, CacheRoundTripsAndRejectsStalePacks) {
  std::vector<float> w(3 * 40);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.1f * i);
  Int4Pack p = quantizeInt4(w.data(), 3, 40, 16, 3, false);
  std::string path = (std::filesystem::temp_directory_path() /
                      ("int4-cache-test-" + std::to_string(::getpid())))
                         .string();
  ASSERT_TRUE(saveCachedPack(path, 42, p).ok());
  std::optional<Int4Pack> back = loadCachedPack(path, 42, 3, 40, 16, 3, false);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->qweight, p.qweight);
  EXPECT_EQ(back->scales, p.scales);
  EXPECT_EQ(back->zeros, p.zeros);
  // Another tensor, another layout or scheme: not used.
  EXPECT_FALSE(loadCachedPack(path, 43, 3, 40, 16, 3, false));
  EXPECT_FALSE(loadCachedPack(path, 42, 3, 40, 32, 3, false));
  EXPECT_FALSE(loadCachedPack(path, 42, 3, 40, 16, 3, true));
  EXPECT_FALSE(loadCachedPack(path, 42, 3, 40, 16, 1, false));
  // A truncated file is not used either.
  std::filesystem::resize_file(path, 40);
  EXPECT_FALSE(loadCachedPack(path, 42, 3, 40, 16, 3, false));
  std::filesystem::remove(path);
  EXPECT_FALSE(loadCachedPack(path, 42, 3, 40, 16, 3, false));
}

TEST(Int4Pack, ContentHashSeesEveryByteNameAndShape) {
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

TEST(Int4Pack, CachedPackWithAFlippedByteIsNotUsed) {
  std::vector<float> w(3 * 40);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.7f * i);
  Int4Pack p = quantizeInt4(w.data(), 3, 40, 16, 3, false);
  std::string path = (std::filesystem::temp_directory_path() /
                      ("int4-flip-test-" + std::to_string(::getpid())))
                         .string();
  ASSERT_TRUE(saveCachedPack(path, 7, p).ok());
  ASSERT_TRUE(loadCachedPack(path, 7, 3, 40, 16, 3, false).has_value());
  uintmax_t size = std::filesystem::file_size(path);
  for (uintmax_t at : {size - 1, size / 2, size - 100}) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(at));
    char byte;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x10);
    file.seekp(static_cast<std::streamoff>(at));
    file.write(&byte, 1);
    file.close();
    EXPECT_FALSE(loadCachedPack(path, 7, 3, 40, 16, 3, false).has_value())
        << "byte " << at;
    file.open(path, std::ios::in | std::ios::out | std::ios::binary);
    byte = static_cast<char>(byte ^ 0x10);
    file.seekp(static_cast<std::streamoff>(at));
    file.write(&byte, 1);
  }
  ASSERT_TRUE(loadCachedPack(path, 7, 3, 40, 16, 3, false).has_value());
  // Reached through a symbolic link, the same file is not used.
  std::string link = path + ".link";
  std::filesystem::create_symlink(path, link);
  EXPECT_FALSE(loadCachedPack(link, 7, 3, 40, 16, 3, false).has_value());
  std::filesystem::remove(link);
  std::filesystem::remove(path);
}

TEST(Int4Pack, StreamedQuantizationMatchesWholeMatrix) {
  const int64_t out = 96, in = 200;
  std::vector<float> w(out * in);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.37f * i) * (1.0f + (i % 7));
  Int4Pack whole = quantizeInt4(w.data(), out, in, 32, 32, false);
  for (int threads : {1, 2, 5}) {
    int64_t lastProgress = 0;
    auto streamed = quantizeInt4Rows(
        [&](int64_t first, int64_t count, float *rows) {
          std::copy(w.begin() + first * in, w.begin() + (first + count) * in,
                    rows);
          return Status();
        },
        out, in, 32, 32, false, threads,
        [&](int64_t done) { lastProgress = done; });
    ASSERT_TRUE(streamed.ok()) << streamed.message();
    EXPECT_EQ(streamed->qweight, whole.qweight) << threads << " threads";
    EXPECT_EQ(streamed->scales, whole.scales);
    EXPECT_EQ(streamed->zeros, whole.zeros);
    EXPECT_EQ(lastProgress, out);
  }
  // An error of the reader is the error of the quantization.
  auto failing = quantizeInt4Rows(
      [&](int64_t first, int64_t, float *) {
        return first >= 64 ? Status(Error("row 64 is unreadable")) : Status();
      },
      out, in, 32, 32, false, 2);
  ASSERT_FALSE(failing.ok());
  EXPECT_NE(failing.message().find("row 64 is unreadable"), std::string::npos);
}

} // namespace

namespace {
// An AWQ GEMM layer with out = 8 (one word per row), in = 16, groups of 8:
// code(k, n) = (k * 8 + n) % 16, zero(g, n) = g + n, scale(g, n) = 0.5 + g.
TEST(Int4Pack, AwqGemmRepackIsExact) {
  static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  auto pack = [&](auto code) {
    uint32_t word = 0;
    for (int i = 0; i < 8; ++i)
      word |= static_cast<uint32_t>(code(order[i])) << (4 * i);
    return static_cast<int32_t>(word);
  };
  std::vector<int32_t> qweight(16), qzeros(2);
  for (int k = 0; k < 16; ++k)
    qweight[k] = pack([&](int n) { return (k * 8 + n) % 16; });
  for (int g = 0; g < 2; ++g)
    qzeros[g] = pack([&](int n) { return g + n; });
  std::vector<float> scales(2 * 8);
  for (int g = 0; g < 2; ++g)
    for (int n = 0; n < 8; ++n)
      scales[g * 8 + n] = 0.5f + g;
  TensorView qw{"l.qweight", DType::I32, {16, 1}, qweight.data(), 64};
  TensorView qz{"l.qzeros", DType::I32, {2, 1}, qzeros.data(), 8};
  TensorView sc{"l.scales", DType::F32, {2, 8}, scales.data(), 64};
  auto repacked = repackAwqGemm(qw, qz, sc, 8, /*tile=*/4);
  ASSERT_TRUE(repacked.ok()) << repacked.message();
  for (int k = 0; k < 16; ++k)
    for (int n = 0; n < 8; ++n) {
      int g = k / 8;
      EXPECT_EQ(repacked->nibble(n, k), (k * 8 + n) % 16);
      EXPECT_EQ(repacked->dequantize(n, k),
                (static_cast<float>((k * 8 + n) % 16) - (g + n)) * (0.5f + g));
    }
}

TEST(Int4Pack, AwqGemmShapesAreChecked) {
  std::vector<int32_t> words(16, 0);
  std::vector<float> scales(16, 1.0f);
  TensorView qw{"l.qweight", DType::I32, {16, 1}, words.data(), 64};
  TensorView qz{"l.qzeros", DType::I32, {3, 1}, words.data(), 12};
  TensorView sc{"l.scales", DType::F32, {2, 8}, scales.data(), 64};
  auto bad = repackAwqGemm(qw, qz, sc, 8, 8);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("l.qzeros"), std::string::npos) << bad.message();
  TensorView qwf{"l.qweight", DType::F32, {16, 1}, words.data(), 64};
  EXPECT_FALSE(repackAwqGemm(qwf, qz, sc, 8, 8).ok());
  TensorView qz2{"l.qzeros", DType::I32, {2, 1}, words.data(), 8};
  auto ragged = repackAwqGemm(qw, qz2, sc, 24, 8);
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.message().find("multiple of 8"), std::string::npos);
  auto untiled = repackAwqGemm(qw, qz2, sc, 8, 3);
  ASSERT_FALSE(untiled.ok());
  EXPECT_NE(untiled.message().find("tile of 3 rows"), std::string::npos);
}
} // namespace
