//===- SafeTensorsTest.cpp - Tests of the safetensors reader --------------===//

#include "llm/runtime/SafeTensors.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <unistd.h>

using namespace llm::runtime;
using llm::runtime::testing::TempDir;
using llm::runtime::testing::writeFile;

namespace {

/// One tensor to write: the header entry is built from these fields verbatim,
/// so tests can also write inconsistent entries.
struct Entry {
  std::string name;
  std::string dtype;
  std::string shape;  // JSON array text, e.g. "[2, 3]"
  std::string bytes;  // raw data
  std::string offsets = ""; // JSON text overriding the computed data_offsets
};

std::string u64le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i)
    s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

/// Builds a safetensors file image: header JSON (by hand, independent of the
/// reader's JSON library), padded with spaces to a multiple of 8, then data.
std::string buildSafeTensors(const std::vector<Entry> &entries,
                             const std::string &metadata = "") {
  std::string header = "{";
  std::string data;
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\": " + metadata;
    first = false;
  }
  for (const Entry &e : entries) {
    size_t begin = data.size();
    data += e.bytes;
    std::string offsets = e.offsets.empty()
                              ? "[" + std::to_string(begin) + ", " +
                                    std::to_string(data.size()) + "]"
                              : e.offsets;
    if (!first)
      header += ", ";
    first = false;
    header += "\"" + e.name + "\": {\"dtype\": \"" + e.dtype + "\", \"shape\": " +
              e.shape + ", \"data_offsets\": " + offsets + "}";
  }
  header += "}";
  while (header.size() % 8)
    header += ' ';
  return u64le(header.size()) + header + data;
}

template <class T> std::string bytesOf(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    s.append(buf, sizeof(T));
  }
  return s;
}

std::vector<float> toF32(const TensorView &t) {
  std::vector<float> out(static_cast<size_t>(t.numel()), -12345.0f);
  Status s = convertToF32(t, out.data());
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

/// Opens `bytes` written to a temp file; returns the error message ("" if ok).
std::string openError(const std::string &bytes) {
  TempDir dir;
  std::string path = dir.file("x.safetensors");
  writeFile(path, bytes);
  auto f = SafeTensorsFile::open(path);
  return f.ok() ? "" : f.message();
}

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

} // namespace

TEST(SafeTensors, ReadsF32TensorsAndIgnoresMetadata) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  writeFile(path,
            buildSafeTensors({{"w", "F32", "[2, 3]", bytesOf<float>({1, 2, 3, 4, 5, -6.5f})},
                              {"b", "F32", "[3]", bytesOf<float>({0.25f, -0.5f, 1e-30f})},
                              {"s", "F32", "[]", bytesOf<float>({42.0f})}},
                             R"({"format": "pt"})"));
  auto file = SafeTensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ((*file)->tensors().size(), 3u);
  EXPECT_EQ((*file)->names(), (std::vector<std::string>{"b", "s", "w"}));
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
  EXPECT_EQ((*file)->find("__metadata__"), nullptr);

  const TensorView *w = (*file)->find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::F32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->numel(), 6);
  EXPECT_EQ(w->nbytes, 24u);
  EXPECT_EQ(w->describe(), "F32[2, 3]");
  EXPECT_EQ(toF32(*w), (std::vector<float>{1, 2, 3, 4, 5, -6.5f}));
  EXPECT_EQ(toF32(*(*file)->find("b")), (std::vector<float>{0.25f, -0.5f, 1e-30f}));
  const TensorView *s = (*file)->find("s");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->numel(), 1);
  EXPECT_EQ(toF32(*s), (std::vector<float>{42.0f}));
  // Zero-copy: the view points into the mapping, at data start + offset.
  float first;
  std::memcpy(&first, w->data, 4);
  EXPECT_EQ(first, 1.0f);
  EXPECT_EQ((*file)->find("missing"), nullptr);
}

TEST(SafeTensors, F16KnownBitPatterns) {
  TempDir dir;
  std::string path = dir.file("h.safetensors");
  writeFile(path, buildSafeTensors({{"h", "F16", "[12]",
                                     bytesOf<uint16_t>({0x3C00, 0xC000, 0x0001, 0x7C00,
                                                        0xFC00, 0x7E00, 0x8000, 0x3555,
                                                        0x03FF, 0x0400, 0x7BFF, 0x8001})}}));
  auto file = SafeTensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.message();
  const TensorView *h = (*file)->find("h");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->dtype, DType::F16);
  EXPECT_EQ(h->nbytes, 24u);
  std::vector<float> v = toF32(*h);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(v[2], 5.960464477539063e-08f); // smallest subnormal, 2^-24
  EXPECT_EQ(v[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[4], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(v[5]));
  EXPECT_EQ(bitsOf(v[6]), 0x80000000u); // -0.0
  EXPECT_EQ(v[7], 0.333251953125f);
  EXPECT_EQ(v[8], 6.097555160522461e-05f); // largest subnormal
  EXPECT_EQ(v[9], 6.103515625e-05f);       // smallest normal
  EXPECT_EQ(v[10], 65504.0f);              // largest finite
  EXPECT_EQ(v[11], -5.960464477539063e-08f);
}

TEST(SafeTensors, HalfToFloatMatchesDefinitionForAllInputs) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    float got = halfToFloat(static_cast<uint16_t>(h));
    if (exp == 0x1F) {
      if (mant == 0)
        EXPECT_TRUE(std::isinf(got) && std::signbit(got) == (sign == 1)) << h;
      else
        EXPECT_TRUE(std::isnan(got)) << h;
      continue;
    }
    double mag = exp == 0 ? std::ldexp(static_cast<double>(mant), -24)
                          : std::ldexp(static_cast<double>(1024 + mant), exp - 25);
    double want = sign ? -mag : mag;
    ASSERT_EQ(static_cast<double>(got), want) << "half bits 0x" << std::hex << h;
    ASSERT_EQ(std::signbit(got), sign == 1) << h;
  }
}

TEST(SafeTensors, BF16KnownBitPatterns) {
  TempDir dir;
  std::string path = dir.file("b.safetensors");
  writeFile(path, buildSafeTensors({{"b", "BF16", "[2, 3]",
                                     bytesOf<uint16_t>({0x3F80, 0xC040, 0x4049, 0x7F80,
                                                        0x0001, 0xFF80})}}));
  auto file = SafeTensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.message();
  std::vector<float> v = toF32(*(*file)->find("b"));
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -3.0f);
  EXPECT_EQ(v[2], 3.140625f);
  EXPECT_EQ(v[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[4], 9.183549615799121e-41f); // bf16 subnormal 2^-133
  EXPECT_EQ(v[5], -std::numeric_limits<float>::infinity());
}

TEST(SafeTensors, OtherDTypesAreMappedButNotConverted) {
  TempDir dir;
  std::string path = dir.file("i.safetensors");
  writeFile(path, buildSafeTensors({{"i", "I32", "[2]", bytesOf<int32_t>({7, -9})},
                                    {"l", "I64", "[1]", bytesOf<int64_t>({1LL << 40})},
                                    {"u", "U8", "[3]", "\x01\x02\x03"},
                                    {"m", "BOOL", "[1]", std::string(1, '\1')},
                                    {"d", "F64", "[1]", bytesOf<double>({0.1})}}));
  auto file = SafeTensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.message();
  const TensorView *i = (*file)->find("i");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->dtype, DType::I32);
  int32_t vals[2];
  std::memcpy(vals, i->data, 8);
  EXPECT_EQ(vals[0], 7);
  EXPECT_EQ(vals[1], -9);
  EXPECT_EQ((*file)->find("l")->nbytes, 8u);
  EXPECT_EQ((*file)->find("u")->dtype, DType::U8);
  EXPECT_EQ((*file)->find("m")->dtype, DType::BOOL);
  EXPECT_EQ((*file)->find("d")->dtype, DType::F64);

  float out[2];
  Status s = convertToF32(*i, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'i'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("I32"), std::string::npos) << s.message();
}

TEST(SafeTensors, EmptyTensorIsAllowed) {
  EXPECT_EQ(openError(buildSafeTensors({{"e", "F32", "[0, 4]", ""},
                                        {"x", "F32", "[1]", bytesOf<float>({1})}})),
            "");
}

TEST(SafeTensors, ErrorFileTooShort) {
  std::string err = openError("abc");
  EXPECT_NE(err.find("3 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("too short"), std::string::npos) << err;
  EXPECT_NE(err.find("x.safetensors"), std::string::npos) << err;
  EXPECT_NE(openError(""), "");
}

TEST(SafeTensors, ErrorHeaderLengthPastEndOfFile) {
  std::string err = openError(u64le(1000) + "{}");
  EXPECT_NE(err.find("header length 1000"), std::string::npos) << err;
  EXPECT_NE(err.find("past the end"), std::string::npos) << err;
  // A huge length must not overflow the bounds check.
  err = openError(u64le(~0ull) + "{}");
  EXPECT_NE(err.find("past the end"), std::string::npos) << err;
}

TEST(SafeTensors, ErrorGarbageJson) {
  std::string err = openError(u64le(8) + "{\"a\": [1");
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;
  err = openError(u64le(8) + "\x01\x02garbage");
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;
  err = openError(u64le(6) + "[1, 2]");
  EXPECT_NE(err.find("must be a JSON object"), std::string::npos) << err;
  err = openError(u64le(0));
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;
}

TEST(SafeTensors, ErrorOffsetsOutOfRange) {
  std::string err = openError(
      buildSafeTensors({{"t", "F32", "[2]", bytesOf<float>({1, 2}), "[0, 16]"}}));
  EXPECT_NE(err.find("tensor 't'"), std::string::npos) << err;
  EXPECT_NE(err.find("[0, 16]"), std::string::npos) << err;
  EXPECT_NE(err.find("past the end of the data section (8 bytes)"), std::string::npos)
      << err;
  err = openError(buildSafeTensors({{"t", "F32", "[2]", bytesOf<float>({1, 2}), "[8, 0]"}}));
  EXPECT_NE(err.find("begin is after end"), std::string::npos) << err;
  err = openError(buildSafeTensors({{"t", "F32", "[2]", bytesOf<float>({1, 2}), "[-1, 8]"}}));
  EXPECT_NE(err.find("data_offsets"), std::string::npos) << err;
  err = openError(buildSafeTensors({{"t", "F32", "[2]", bytesOf<float>({1, 2}), "[0]"}}));
  EXPECT_NE(err.find("data_offsets"), std::string::npos) << err;
}

TEST(SafeTensors, ErrorSizeMismatchWithShape) {
  std::string err =
      openError(buildSafeTensors({{"w", "F32", "[2, 3]", bytesOf<float>({1, 2, 3, 4, 5})}}));
  EXPECT_NE(err.find("tensor 'w'"), std::string::npos) << err;
  EXPECT_NE(err.find("span 20 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("needs 24 bytes"), std::string::npos) << err;
  err = openError(buildSafeTensors({{"h", "F16", "[4]", bytesOf<float>({1, 2, 3, 4})}}));
  EXPECT_NE(err.find("span 16 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("needs 8 bytes"), std::string::npos) << err;
}

TEST(SafeTensors, ErrorBadEntries) {
  std::string err = openError(buildSafeTensors({{"t", "F17", "[1]", "abcd"}}));
  EXPECT_NE(err.find("unknown dtype \"F17\""), std::string::npos) << err;
  err = openError(buildSafeTensors({{"t", "F32", "[-1]", "abcd"}}));
  EXPECT_NE(err.find("non-negative integers"), std::string::npos) << err;
  err = openError(buildSafeTensors({{"t", "F32", "[1.5]", "abcd"}}));
  EXPECT_NE(err.find("non-negative integers"), std::string::npos) << err;
  err = openError(buildSafeTensors({{"t", "F32", "7", "abcd"}}));
  EXPECT_NE(err.find("\"shape\" must be an array"), std::string::npos) << err;
  err = openError(buildSafeTensors(
      {{"t", "F32", "[4294967296, 4294967296, 4294967296]", "abcd"}}));
  EXPECT_NE(err.find("too large"), std::string::npos) << err;
  std::string header = R"({"t": {"shape": [1], "data_offsets": [0, 4]}})";
  err = openError(u64le(header.size()) + header + "abcd");
  EXPECT_NE(err.find("missing \"dtype\""), std::string::npos) << err;
  header = R"({"t": 5})";
  err = openError(u64le(header.size()) + header);
  EXPECT_NE(err.find("tensor 't': entry must be a JSON object"), std::string::npos) << err;
}

TEST(SafeTensors, ErrorOverlappingTensors) {
  std::string err = openError(buildSafeTensors(
      {{"a", "F32", "[2]", bytesOf<float>({1, 2}), "[0, 8]"},
       {"b", "F32", "[2]", bytesOf<float>({3, 4}), "[4, 12]"}}));
  EXPECT_NE(err.find("'a'"), std::string::npos) << err;
  EXPECT_NE(err.find("'b'"), std::string::npos) << err;
  EXPECT_NE(err.find("overlap"), std::string::npos) << err;
}

TEST(SafeTensors, ErrorMissingFileAndDirectory) {
  auto f = SafeTensorsFile::open("/nonexistent/dir/model.safetensors");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.message().find("/nonexistent/dir/model.safetensors"), std::string::npos);
  EXPECT_NE(f.message().find("No such file"), std::string::npos) << f.message();
  TempDir dir;
  f = SafeTensorsFile::open(dir.path().string());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.message().find("not a regular file"), std::string::npos) << f.message();
}

//===----------------------------------------------------------------------===//
// Checkpoint
//===----------------------------------------------------------------------===//

TEST(Checkpoint, SingleFileDirectoryAndFilePath) {
  TempDir dir;
  writeFile(dir.file("model.safetensors"),
            buildSafeTensors({{"a", "F32", "[1]", bytesOf<float>({1.5f})}}));
  // A stray other file is ignored when model.safetensors exists.
  writeFile(dir.file("other.safetensors"), "junk");
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  EXPECT_EQ(ckpt->names(), (std::vector<std::string>{"a"}));
  ASSERT_NE(ckpt->find("a"), nullptr);
  EXPECT_EQ(toF32(*ckpt->find("a")), (std::vector<float>{1.5f}));
  EXPECT_EQ(ckpt->find("b"), nullptr);

  auto direct = Checkpoint::open(dir.file("model.safetensors"));
  ASSERT_TRUE(direct.ok()) << direct.message();
  EXPECT_EQ(direct->size(), 1u);

  // Moving a checkpoint keeps views valid.
  Checkpoint moved = std::move(*ckpt);
  EXPECT_EQ(toF32(*moved.find("a")), (std::vector<float>{1.5f}));
}

TEST(Checkpoint, ShardedWithIndex) {
  TempDir dir;
  writeFile(dir.file("model-00001-of-00002.safetensors"),
            buildSafeTensors({{"embed", "F32", "[2]", bytesOf<float>({1, 2})},
                              {"norm", "BF16", "[1]", bytesOf<uint16_t>({0x3F80})}}));
  writeFile(dir.file("model-00002-of-00002.safetensors"),
            buildSafeTensors({{"head", "F16", "[2]", bytesOf<uint16_t>({0xC000, 0x3C00})}}));
  writeFile(dir.file("model.safetensors.index.json"), R"({
    "metadata": {"total_size": 14},
    "weight_map": {
      "embed": "model-00001-of-00002.safetensors",
      "norm": "model-00001-of-00002.safetensors",
      "head": "model-00002-of-00002.safetensors"
    }})");
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  EXPECT_EQ(ckpt->names(), (std::vector<std::string>{"embed", "head", "norm"}));
  // Each shard is one mapped region, with its file's identity: the tensors
  // of one shard share it, those of the other have their own.
  auto inodeOf = [&](const char *name) {
    struct stat st {};
    EXPECT_EQ(::stat(dir.file(name).c_str(), &st), 0);
    return static_cast<uint64_t>(st.st_ino);
  };
  const MappedFileRegion *first = ckpt->regionOf(*ckpt->find("embed"));
  const MappedFileRegion *second = ckpt->regionOf(*ckpt->find("head"));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(ckpt->regionOf(*ckpt->find("norm")), first);
  EXPECT_NE(first, second);
  EXPECT_EQ(first->identity.inode, inodeOf("model-00001-of-00002.safetensors"));
  EXPECT_EQ(second->identity.inode, inodeOf("model-00002-of-00002.safetensors"));
  EXPECT_GE(first->fd, 0);
  EXPECT_EQ(toF32(*ckpt->find("embed")), (std::vector<float>{1, 2}));
  EXPECT_EQ(toF32(*ckpt->find("head")), (std::vector<float>{-2, 1}));
  EXPECT_EQ(toF32(*ckpt->find("norm")), (std::vector<float>{1}));
  EXPECT_EQ(ckpt->find("missing"), nullptr);
}

TEST(Checkpoint, ShardedErrorMissingShardFile) {
  TempDir dir;
  writeFile(dir.file("model-00001-of-00002.safetensors"),
            buildSafeTensors({{"embed", "F32", "[2]", bytesOf<float>({1, 2})}}));
  writeFile(dir.file("model.safetensors.index.json"), R"({"weight_map": {
      "embed": "model-00001-of-00002.safetensors",
      "head": "model-00002-of-00002.safetensors"}})");
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("missing shard file"), std::string::npos) << ckpt.message();
  EXPECT_NE(ckpt.message().find("'model-00002-of-00002.safetensors'"), std::string::npos)
      << ckpt.message();
  EXPECT_NE(ckpt.message().find("'head'"), std::string::npos) << ckpt.message();
  EXPECT_EQ(ckpt.message().find("00001-of"), std::string::npos) << ckpt.message();
}

TEST(Checkpoint, ShardedErrorTensorNotInItsShard) {
  TempDir dir;
  writeFile(dir.file("s1.safetensors"),
            buildSafeTensors({{"embed", "F32", "[2]", bytesOf<float>({1, 2})}}));
  writeFile(dir.file("model.safetensors.index.json"),
            R"({"weight_map": {"embed": "s1.safetensors", "lm_head": "s1.safetensors"}})");
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("'lm_head'"), std::string::npos) << ckpt.message();
  EXPECT_NE(ckpt.message().find("'s1.safetensors'"), std::string::npos) << ckpt.message();
}

TEST(Checkpoint, ShardedErrorBadIndexAndBadShard) {
  TempDir dir;
  writeFile(dir.file("model.safetensors.index.json"), "{not json");
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("not valid JSON"), std::string::npos) << ckpt.message();

  writeFile(dir.file("model.safetensors.index.json"), R"({"metadata": {}})");
  ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("weight_map"), std::string::npos) << ckpt.message();

  writeFile(dir.file("bad.safetensors"), "1234");
  writeFile(dir.file("model.safetensors.index.json"),
            R"({"weight_map": {"x": "bad.safetensors"}})");
  ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("bad.safetensors"), std::string::npos) << ckpt.message();
  EXPECT_NE(ckpt.message().find("too short"), std::string::npos) << ckpt.message();
}

TEST(Checkpoint, FallbackToAnySafetensorsFiles) {
  TempDir dir;
  writeFile(dir.file("b.safetensors"),
            buildSafeTensors({{"y", "F32", "[1]", bytesOf<float>({2})}}));
  writeFile(dir.file("a.safetensors"),
            buildSafeTensors({{"x", "F32", "[1]", bytesOf<float>({1})}}));
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  EXPECT_EQ(ckpt->names(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(toF32(*ckpt->find("y")), (std::vector<float>{2}));

  // Duplicate names across files are an error naming both files.
  writeFile(dir.file("c.safetensors"),
            buildSafeTensors({{"x", "F32", "[1]", bytesOf<float>({3})}}));
  ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("'x'"), std::string::npos) << ckpt.message();
  EXPECT_NE(ckpt.message().find("a.safetensors"), std::string::npos) << ckpt.message();
  EXPECT_NE(ckpt.message().find("c.safetensors"), std::string::npos) << ckpt.message();
}

TEST(Checkpoint, ErrorEmptyOrMissingDirectory) {
  TempDir dir;
  auto ckpt = Checkpoint::open(dir.path().string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("no model.safetensors"), std::string::npos)
      << ckpt.message();
  ckpt = Checkpoint::open(dir.file("nope"));
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.message().find("does not exist"), std::string::npos) << ckpt.message();
}

// The real stories260K checkpoint, when the shared models are present. The
// expected values were read with Python's struct/json modules.
TEST(Checkpoint, Stories260K) {
  std::string dir;
  for (const char *candidate : {LLM_TEST_STORIES_DIR_DEFAULT, LLM_TEST_STORIES_DIR_FALLBACK})
    if (std::filesystem::exists(std::string(candidate) + "/model.safetensors"))
      dir = candidate;
  if (dir.empty())
    GTEST_SKIP() << "stories260K checkpoint not found at " << LLM_TEST_STORIES_DIR_DEFAULT;
  auto ckpt = Checkpoint::open(dir);
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  EXPECT_EQ(ckpt->size(), 48u);
  const TensorView *embed = ckpt->find("model.embed_tokens.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->describe(), "F32[512, 64]");
  const TensorView *down = ckpt->find("model.layers.0.mlp.down_proj.weight");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->shape, (std::vector<int64_t>{64, 172}));
  const TensorView *norm = ckpt->find("model.norm.weight");
  ASSERT_NE(norm, nullptr);
  std::vector<float> v = toF32(*norm);
  ASSERT_EQ(v.size(), 64u);
  EXPECT_EQ(v[0], 2.4583089351654053f);
  EXPECT_EQ(v[1], 1.3673226833343506f);
  EXPECT_EQ(v[2], 1.7504382133483887f);
  EXPECT_EQ(v[3], 1.1078318357467651f);
}

namespace {

// Views of another format's checkpoint: those inside a mapped region are
// read in place from the file (their pages can be handed back), the others
// are memory of their own (handing back their pages would zero them).
TEST(Checkpoint, FromViewsIsMappedOnlyInsideMappedRegions) {
  std::vector<uint8_t> file(256), converted(64);
  auto view = [](const char *name, const uint8_t *data, size_t bytes) {
    TensorView t;
    t.name = name;
    t.dtype = DType::F32;
    t.shape = {static_cast<int64_t>(bytes / 4)};
    t.data = data;
    t.nbytes = bytes;
    return t;
  };
  Checkpoint checkpoint = Checkpoint::fromViews(
      {view("in_place", file.data() + 64, 128),
       view("at_the_end", file.data() + 192, 64),
       view("converted", converted.data(), 64),
       view("past_the_end", file.data() + 224, 64)},
      nullptr, {{file.data(), file.size() - 32}});
  EXPECT_TRUE(checkpoint.isMapped(*checkpoint.find("in_place")));
  // Ends 32 bytes past the region.
  EXPECT_FALSE(checkpoint.isMapped(*checkpoint.find("at_the_end")));
  EXPECT_FALSE(checkpoint.isMapped(*checkpoint.find("converted")));
  EXPECT_FALSE(checkpoint.isMapped(*checkpoint.find("past_the_end")));
  // Without regions nothing is mapped.
  Checkpoint none = Checkpoint::fromViews({view("in_place", file.data(), 64)},
                                          nullptr);
  EXPECT_FALSE(none.isMapped(*none.find("in_place")));
}

} // namespace

namespace {

/// `bytes` bytes at `offset` of the open file `fd`.
std::string preadBytes(int fd, uint64_t offset, size_t bytes) {
  std::string out(bytes, '\0');
  ssize_t n = ::pread(fd, out.data(), bytes, static_cast<off_t>(offset));
  EXPECT_EQ(n, static_cast<ssize_t>(bytes));
  return out;
}

// Each mapped tensor's bytes can be read from the file the checkpoint keeps
// open, at the offset its span names (what the runtime reads when it copies
// weights out of the mapping); memory of its own has no span.
TEST(Checkpoint, FileSpanOfReadsTheTensorsBytesFromTheOpenFile) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  writeFile(path, buildSafeTensors({{"a", "F32", "[2]", bytesOf<float>({1.5f, -2.0f})},
                                    {"b", "F32", "[3]", bytesOf<float>({3.0f, 4.0f, 5.25f})}}));
  auto checkpoint = Checkpoint::open(path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.message();
  for (const char *name : {"a", "b"}) {
    const TensorView *t = checkpoint->find(name);
    ASSERT_NE(t, nullptr);
    std::optional<FileSpan> span = checkpoint->fileSpanOf(*t);
    ASSERT_TRUE(span.has_value()) << name;
    EXPECT_GE(span->fd, 0);
    EXPECT_EQ(preadBytes(span->fd, span->offset, t->nbytes),
              std::string(static_cast<const char *>(t->data), t->nbytes))
        << name;
  }

  // Views of another format: inside a region with a known file, the span is
  // the region's file at the view's offset in it; without one, none.
  std::string image = "0123456789abcdefghijklmnopqrstuv";
  std::string other = dir.file("other.bin");
  writeFile(other, image);
  int fd = ::open(other.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string mapped = image; // stands in for the mapping of `other`
  auto *base = reinterpret_cast<const uint8_t *>(mapped.data());
  TensorView inRegion;
  inRegion.name = "in_region";
  inRegion.dtype = DType::F32;
  inRegion.shape = {2};
  inRegion.data = base + 8;
  inRegion.nbytes = 8;
  Checkpoint views = Checkpoint::fromViews({inRegion}, nullptr,
                                           {{base, mapped.size(), fd}});
  std::optional<FileSpan> span = views.fileSpanOf(*views.find("in_region"));
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->fd, fd);
  EXPECT_EQ(span->offset, 8u);
  EXPECT_EQ(preadBytes(fd, span->offset, 8), "89abcdef");
  Checkpoint unknownFile = Checkpoint::fromViews({inRegion}, nullptr,
                                                 {{base, mapped.size()}});
  EXPECT_TRUE(unknownFile.isMapped(*unknownFile.find("in_region")));
  EXPECT_FALSE(unknownFile.fileSpanOf(*unknownFile.find("in_region")).has_value());
  ::close(fd);
}

} // namespace
