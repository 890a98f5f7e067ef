//===- TargetDescriptionTest.cpp - reading LPU target descriptions --------===//

#include "llm/Target/LPU/TargetDescription.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

using namespace mlir::llm::lpu;

namespace {
/// The shipped description with `from` replaced by `to` once.
std::string edited(const std::string &from, const std::string &to) {
  std::string json = defaultTargetDescriptionJSON().str();
  size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    json.replace(at, from.size(), to);
  return json;
}

std::string errorOf(const std::string &json) {
  auto parsed = parseTargetDescription(json, "test.json");
  if (parsed)
    return "";
  return llvm::toString(parsed.takeError());
}

TEST(TargetDescription, ShippedChipHasItsPublishedFigures) {
  const TargetDescription &t = defaultTargetDescription();
  EXPECT_EQ(t.name, "groq-tsp-v1");
  EXPECT_EQ(t.clockMHz, 900);
  EXPECT_EQ(t.chipBytes(), 220LL << 20); // 220 MiB in 88 slices
  EXPECT_EQ(t.mxmCount, 4);
  EXPECT_EQ(t.mxmRows * t.mxmCols, 102400);
  // 4 MXMs x 102400 MACs x 2 ops x 0.9 GHz = 737 TOPS int8 (~750 published)
  EXPECT_NEAR(4.0 * t.mxmInt8MacsPerCycle * 2 * t.clockMHz * 1e6, 737e12, 1e12);
  EXPECT_NEAR(4.0 * t.mxmFp16MacsPerCycle * 2 * t.clockMHz * 1e6, 184e12, 1e12);
  EXPECT_EQ(t.vxmAlus, 5120);
  // 7 local links (all-to-all in a node of 8) and 4 global ports.
  EXPECT_EQ(t.c2cLinks, 11);
  EXPECT_EQ(t.chipsPerNode, 8);
  EXPECT_EQ(t.chipsPerRack, 72);
  EXPECT_TRUE(t.int8.native);
  EXPECT_FALSE(t.int4.native);
  EXPECT_EQ(t.int4.bits, 4u);
  EXPECT_EQ(t.int4.mxmType, "int8");
}

TEST(TargetDescription, MissingFigureIsNamed) {
  std::string json = edited("\"slice_bytes\"", "\"slice_size\"");
  EXPECT_NE(errorOf(json).find("'memory.slice_bytes' is missing"),
            std::string::npos)
      << errorOf(json);
}

TEST(TargetDescription, NonPositiveFigureIsRejected) {
  std::string json = edited("\"value\": 900", "\"value\": -900");
  EXPECT_NE(errorOf(json).find("'clock_mhz' must be positive"),
            std::string::npos)
      << errorOf(json);
}

TEST(TargetDescription, MalformedJSONIsReported) {
  EXPECT_NE(errorOf("{\"name\": ").find("malformed JSON"), std::string::npos);
  EXPECT_NE(errorOf("[1, 2]").find("expected a JSON object"), std::string::npos);
}

TEST(TargetDescription, NonNativeTypeNeedsItsUnpackCost) {
  std::string json = edited("\"unpack_ops_per_weight\": 1,", "");
  EXPECT_NE(errorOf(json).find("element_types.int4.unpack_ops_per_weight"),
            std::string::npos)
      << errorOf(json);
}

/// Checks that every figure under `node` (an object with a "value", or an
/// element type with "native") says where it comes from: a "source", or
/// "assumption": true with a "note" saying what it rests on.
void expectSourced(const nlohmann::json &node, const std::string &path) {
  bool figure = node.contains("value") || node.contains("native");
  if (figure) {
    bool sourced = node.contains("source") && node["source"].is_string() &&
                   !node["source"].get<std::string>().empty();
    bool assumed = node.contains("assumption") &&
                   node["assumption"] == true && node.contains("note") &&
                   node["note"].is_string();
    EXPECT_TRUE(sourced != assumed)
        << path << " needs a source, or assumption: true with a note "
        << "(and not both)";
    if (node.contains("source"))
      EXPECT_EQ(node["source"].get<std::string>().find("assumption"),
                std::string::npos)
          << path << ": an assumption is marked, not written as a source";
    return;
  }
  for (const auto &[key, child] : node.items()) {
    std::string childPath = path.empty() ? key : path + "." + key;
    if (child.is_object())
      expectSourced(child, childPath);
    else
      EXPECT_TRUE(childPath == "name" || childPath == "description")
          << childPath << " is a bare figure: give it a value and a source";
  }
}

TEST(TargetDescription, EveryFigureIsSourcedOrMarkedAnAssumption) {
  auto root = nlohmann::json::parse(defaultTargetDescriptionJSON().str());
  expectSourced(root, "");
}

/// Every description shipped in the source tree (the built-in one and the
/// hypothetical next generation) parses, and each of its figures is
/// sourced or marked an assumption.
TEST(TargetDescription, EveryShippedDescriptionParsesAndIsSourced) {
  std::error_code ec;
  int files = 0;
  for (llvm::sys::fs::directory_iterator it(LLM_LPU_TARGET_DIR, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".json")
      continue;
    ++files;
    SCOPED_TRACE(it->path());
    auto parsed = loadTargetDescription(it->path());
    ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
    auto buffer = llvm::MemoryBuffer::getFile(it->path());
    ASSERT_TRUE(static_cast<bool>(buffer));
    expectSourced(nlohmann::json::parse((*buffer)->getBuffer().str()), "");
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_GE(files, 2);
}

TEST(TargetDescription, HypotheticalNextGenerationTakesInt4Natively) {
  auto parsed = loadTargetDescription(LLM_LPU_TARGET_DIR
                                      "/hypothetical-tsp-v2.json");
  ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_TRUE(parsed->int4.native);
  EXPECT_EQ(parsed->mxmMacsPerCycle(4), 204800);
  EXPECT_EQ(parsed->mxmWeightBits(4), 4u);
  // The first generation computes INT4 layers as INT8.
  EXPECT_FALSE(defaultTargetDescription().int4.native);
  EXPECT_EQ(defaultTargetDescription().mxmWeightBits(4), 8u);
  EXPECT_EQ(defaultTargetDescription().mxmMacsPerCycle(4), 102400);
}

TEST(TargetDescription, InstructionSizesAreBounded) {
  std::string json = edited("\"bytes_per_operation\": { \"value\": 512",
                            "\"bytes_per_operation\": { \"value\": 2000000");
  EXPECT_NE(errorOf(json).find("must be at most 1048576"), std::string::npos)
      << errorOf(json);
}

TEST(TargetDescription, NonNativeTypeComputesInANativeType) {
  std::string json = edited("\"mxm_type\": \"int8\"", "\"mxm_type\": \"int2\"");
  EXPECT_NE(errorOf(json).find("element_types.int4.mxm_type' must be int8 or fp16"),
            std::string::npos)
      << errorOf(json);
}

TEST(TargetDescription, MissingFileIsReported) {
  auto parsed = loadTargetDescription("/nonexistent/lpu.json");
  ASSERT_FALSE(parsed);
  EXPECT_NE(llvm::toString(parsed.takeError()).find("/nonexistent/lpu.json"),
            std::string::npos);
}
} // namespace
