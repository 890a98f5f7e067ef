//===- CostModelTest.cpp - the LPU cost model on hand-computed cases ------===//
//
// Every expected value is worked out by hand from the shipped groq-tsp-v1
// figures: 320x320 MXMs (4), 5120 B/cycle weight install per MXM, 88 slices
// of 320 B/cycle but 64 streams of 320 B/cycle (20480 B/cycle reach the
// MXMs), 340 cycles of MXM latency, 5120 vector ALUs with 20 cycles of
// latency, 4-cycle shifts over 320 lanes, 14 GB/s links at 900 MHz with
// 250 ns per hop.
//
//===----------------------------------------------------------------------===//

#include "llm/Target/LPU/CostModel.h"

#include <gtest/gtest.h>

using namespace mlir::llm::lpu;

namespace {
const TargetDescription &tsp() { return defaultTargetDescription(); }

TEST(MatmulCost, Int8DecodeIsBoundByWeightInstall) {
  // [1, 8192] x [8192, 1024]: 26 x 4 = 104 tiles, 26 per MXM.
  MatmulCost c = matmulCost(tsp(), 1, 8192, 1024, 8, 88);
  EXPECT_EQ(c.tiles, 104);
  EXPECT_EQ(c.storedBytes, 8388608);
  EXPECT_EQ(c.memoryCycles, 410);   // ceil(8388608 / 20480)
  EXPECT_EQ(c.installCycles, 520);  // 26 tiles x 102400 B / 5120 B
  EXPECT_EQ(c.streamCycles, 26);    // one row per tile
  EXPECT_EQ(c.vectorCycles, 1);     // 1024 output scales / 5120 ALUs
  EXPECT_EQ(c.cycles, 520 + 340);
}

TEST(MatmulCost, NativeInt4InstallsHalfTilesAndUnpacksNothing) {
  // The hypothetical next generation: passes of one group of 128 rows, 64 x
  // 4 = 256 tiles, 64 per MXM, each of 128 x 320 weights at 4 bits (20480 B)
  // installing in 4 cycles; only the group scales (2 ops x 1024 outputs x
  // 64 groups = 131072 ops) stay on the vector units.
  auto v2 = loadTargetDescription(LLM_LPU_TARGET_DIR "/hypothetical-tsp-v2.json");
  ASSERT_TRUE(static_cast<bool>(v2)) << llvm::toString(v2.takeError());
  MatmulCost c = matmulCost(*v2, 1, 8192, 1024, 4, 88, 128);
  EXPECT_EQ(c.tiles, 256);
  EXPECT_EQ(c.storedBytes, 4194304);
  EXPECT_EQ(c.memoryCycles, 205);   // ceil(4194304 / 20480)
  EXPECT_EQ(c.installCycles, 256);  // 64 tiles x 20480 B / 5120 B
  EXPECT_EQ(c.vectorCycles, 26);    // ceil(131072 / 5120)
  EXPECT_EQ(c.cycles, 256 + 340);
  // The first generation installs them as INT8 (8 cycles a tile) and
  // unpacks every weight on the vector units.
  MatmulCost v1 = matmulCost(tsp(), 1, 8192, 1024, 4, 88, 128);
  EXPECT_EQ(v1.installCycles, 512);
  EXPECT_EQ(v1.vectorCycles, 1664);  // (8388608 + 131072) / 5120
}

TEST(MatmulCost, Fp16TileInstallsInFortyCycles) {
  MatmulCost c = matmulCost(tsp(), 1, 320, 320, 16, 88);
  EXPECT_EQ(c.tiles, 1);
  EXPECT_EQ(c.memoryCycles, 10);   // 204800 / 20480
  EXPECT_EQ(c.installCycles, 40);  // 204800 / 5120
  EXPECT_EQ(c.streamCycles, 4);    // fp16 runs at a quarter of int8
  EXPECT_EQ(c.vectorCycles, 0);
  EXPECT_FALSE(c.usesVectorUnits());
  EXPECT_EQ(c.cycles, 380);
}

TEST(MatmulCost, Int4IsBoundByUnpackingOnTheVectorUnits) {
  MatmulCost c = matmulCost(tsp(), 1, 8192, 8192, 4, 88, 128);
  EXPECT_EQ(c.storedBytes, 33554432);
  EXPECT_EQ(c.memoryCycles, 1639);  // ceil(33554432 / 20480)
  // Passes of one group of 128 rows: 64 x 26 = 1664 tiles of 128 x 320,
  // 416 per MXM x 8 cycles.
  EXPECT_EQ(c.tiles, 1664);
  EXPECT_EQ(c.installCycles, 3328);
  // 1 op per weight (mask and shift: two weights per two ops) + (multiply,
  // add) per output and group of 128.
  EXPECT_EQ(c.vectorCycles, 13312); // ceil((67108864 + 1048576) / 5120)
  EXPECT_TRUE(c.usesVectorUnits());
  EXPECT_EQ(c.cycles, 13312 + 340);
}

TEST(MatmulCost, Int4GroupsCutThePassesThroughTheArray) {
  // A 128-row prompt streams once per pass: groups of 32 make 256 passes of
  // 32 rows over the inner 8192 where 8-bit weights take 26 of 320.
  MatmulCost g32 = matmulCost(tsp(), 128, 8192, 320, 4, 88, 32);
  EXPECT_EQ(g32.tiles, 256);
  EXPECT_EQ(g32.streamCycles, 64 * 128); // 256 tiles / 4 MXMs, a row a cycle
  EXPECT_EQ(g32.installCycles, 64 * 2);  // 32 x 320 B in 2 cycles each
  MatmulCost int8 = matmulCost(tsp(), 128, 8192, 320, 8, 88);
  EXPECT_EQ(int8.tiles, 26);
  EXPECT_EQ(int8.streamCycles, 7 * 128);
  // Groups as large as the inner dimension change nothing.
  EXPECT_EQ(matmulCost(tsp(), 1, 320, 320, 4, 88, 320).tiles, 1);
  // A group of 512 takes two passes (of 256 rows).
  EXPECT_EQ(matmulCost(tsp(), 1, 1024, 320, 4, 88, 512).tiles, 4);
}

TEST(MatmulCost, PrefillIsBoundByStreamingRows) {
  MatmulCost c = matmulCost(tsp(), 128, 8192, 8192, 8, 88);
  EXPECT_EQ(c.streamCycles, 169 * 128);
  EXPECT_EQ(c.cycles, 169 * 128 + 340);
}

TEST(MatmulCost, FewSlicesLimitMemoryBandwidth) {
  MatmulCost c = matmulCost(tsp(), 1, 8192, 1024, 8, 10);
  EXPECT_EQ(c.memoryCycles, 2622); // ceil(8388608 / 3200)
  EXPECT_EQ(c.cycles, 2622 + 340);
}

TEST(MatmulCost, EmptyShapesCostNothing) {
  EXPECT_EQ(matmulCost(tsp(), 0, 8, 8, 8, 88).cycles, 0);
}

TEST(VectorCycles, AluThroughputPlusReductionTree) {
  // ceil(8192 * 4 / 5120) = 7, one tree of ceil(log2 320) = 9 shifts of 4
  // cycles, plus 20 cycles of latency.
  EXPECT_EQ(vectorCycles(tsp(), 8192, 4, 1), 7 + 36 + 20);
  EXPECT_EQ(vectorCycles(tsp(), 5120, 1), 1 + 20);
  EXPECT_EQ(vectorCycles(tsp(), 0, 1), 0);
}

TEST(TransferCycles, BandwidthAndHopLatency) {
  // 14e9 / 900e6 = 15.56 B/cycle; 250 ns = 225 cycles per hop.
  EXPECT_EQ(transferCycles(tsp(), 16384, 1), 1054 + 225);
  EXPECT_EQ(transferCycles(tsp(), 16384, 1, 2), 527 + 225);
  EXPECT_EQ(transferCycles(tsp(), 16384, 3), 1054 + 675);
  EXPECT_EQ(transferCycles(tsp(), 0, 3), 0);
}

TEST(AttentionCycles, DecodeAgainstAFullCache) {
  // One KV head with 8 query heads, head_dim 128, 4096 cached positions.
  // Q.K^T: 13 fp16 tiles, 4 per MXM: install 160 > stream 4 x 8 x 4 = 128
  // and memory 52, so 500 cycles; P.V the same; softmax over 32768 scores:
  // 32 ALU cycles + 2 trees of 36 + 20 = 124.
  EXPECT_EQ(attentionCycles(tsp(), 1, 8, 1, 128, 4096, 88), 500 + 500 + 124);
  EXPECT_EQ(attentionCycles(tsp(), 1, 8, 2, 128, 4096, 88),
            2 * (500 + 500 + 124));
}

TEST(Topology, HopsFollowNodesAndRacks) {
  EXPECT_EQ(tsp().hopsBetween(5, 5), 0);
  EXPECT_EQ(tsp().hopsBetween(0, 7), 1);
  EXPECT_EQ(tsp().hopsBetween(0, 8), 2);
  EXPECT_EQ(tsp().hopsBetween(0, 71), 2);
  // Between racks: local-global-local, 5 hops at the low end.
  EXPECT_EQ(tsp().hopsBetween(0, 72), 5);
}
} // namespace
