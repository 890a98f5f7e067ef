//===- CostModel.cpp - first-principles cycle costs on an LPU -------------===//

#include "llm/Target/LPU/CostModel.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>

using namespace mlir::llm::lpu;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

static int64_t ceilDiv(double a, double b) {
  return static_cast<int64_t>(std::ceil(a / b - 1e-9));
}

MatmulCost mlir::llm::lpu::matmulCost(const TargetDescription &target,
                                      int64_t rows, int64_t inner,
                                      int64_t cols, unsigned weightBits,
                                      int64_t slices, int64_t groupSize) {
  MatmulCost cost;
  if (rows <= 0 || inner <= 0 || cols <= 0)
    return cost;
  const ElementTypeInfo &stored = target.weightType(weightBits);
  // A pass through the array sums its rows before anything can scale them,
  // so group-wise (INT4) scales need the partial sums of each group apart:
  // passes cut the inner dimension at group boundaries (a group of 128 rows
  // takes one pass of 128, not 2.5 groups in a pass of 320), and the vector
  // units scale and add the groups' partial sums.
  int64_t innerTiles = ceilDiv(inner, target.mxmRows);
  int64_t tileRows = target.mxmRows;
  if (weightBits == 4 && groupSize > 0 && groupSize < inner) {
    int64_t passesPerGroup = ceilDiv(groupSize, target.mxmRows);
    innerTiles = ceilDiv(inner, groupSize) * passesPerGroup;
    tileRows = ceilDiv(groupSize, passesPerGroup);
  }
  cost.tiles = innerTiles * ceilDiv(cols, target.mxmCols);
  cost.storedBytes = ceilDiv(inner * cols * static_cast<int64_t>(stored.bits), 8);

  // SRAM -> streams: limited by the slices holding the weights and by the
  // streams that carry them to the matrix units.
  int64_t usedSlices = std::clamp<int64_t>(slices, 1, target.memorySlices);
  int64_t memoryBandwidth =
      std::min(usedSlices * target.sliceReadBytesPerCycle,
               target.streamCount * target.streamBytesPerCycle);
  cost.memoryCycles = ceilDiv(cost.storedBytes, memoryBandwidth);

  // Tiles are dealt to the matrix units; each unit installs a tile while it
  // streams the previous one (double-buffered weights).
  int64_t tilesPerUnit = ceilDiv(cost.tiles, target.mxmCount);
  int64_t tileBytes =
      ceilDiv(tileRows * target.mxmCols *
                  int64_t(target.mxmWeightBits(weightBits)),
              int64_t(8));
  cost.installCycles =
      tilesPerUnit * ceilDiv(tileBytes, target.mxmWeightLoadBytesPerCycle);
  int64_t cyclesPerRow =
      ceilDiv(target.mxmRows * target.mxmCols, target.mxmMacsPerCycle(weightBits));
  cost.streamCycles = tilesPerUnit * rows * cyclesPerRow;

  // Dequantization on the vector units: unpacking weights the MXM cannot
  // read, then scaling the outputs (per output channel for int8, per group
  // of the inner dimension for int4: a multiply and an accumulate).
  double vectorOps = 0;
  if (!stored.native)
    vectorOps += static_cast<double>(inner) * cols * stored.unpackOpsPerWeight;
  if (weightBits == 8)
    vectorOps += static_cast<double>(rows) * cols;
  if (weightBits == 4)
    vectorOps += 2.0 * rows * cols * ceilDiv(inner, std::max<int64_t>(groupSize, 1));
  cost.vectorCycles = vectorOps > 0 ? ceilDiv(vectorOps, double(target.vxmAlus)) : 0;

  cost.cycles = std::max({cost.memoryCycles, cost.installCycles,
                          cost.streamCycles, cost.vectorCycles}) +
                target.mxmLatencyCycles;
  return cost;
}

int64_t mlir::llm::lpu::vectorCycles(const TargetDescription &target,
                                     int64_t elements, double opsPerElement,
                                     int64_t reductions) {
  if (elements <= 0)
    return 0;
  int64_t alu = ceilDiv(elements * opsPerElement, double(target.vxmAlus));
  int64_t tree = reductions * llvm::Log2_64_Ceil(target.lanes) *
                 target.sxmShiftLatencyCycles;
  return alu + tree + target.vxmLatencyCycles;
}

int64_t mlir::llm::lpu::transferCycles(const TargetDescription &target,
                                       int64_t bytes, int64_t hops,
                                       int64_t links) {
  if (bytes <= 0)
    return 0;
  double perCycle = target.linkBytesPerCycle() * std::max<int64_t>(links, 1);
  return ceilDiv(double(bytes), perCycle) + hopCycles(target, hops);
}

int64_t mlir::llm::lpu::hopCycles(const TargetDescription &target,
                                  int64_t hops) {
  return static_cast<int64_t>(std::ceil(hops * target.hopLatencyCycles()));
}

int64_t mlir::llm::lpu::transferLatencyCycles(const TargetDescription &target,
                                              int64_t hops) {
  return hopCycles(target, hops) +
         static_cast<int64_t>(std::ceil(target.syncCycles()));
}

int64_t mlir::llm::lpu::instructionBytes(const TargetDescription &target,
                                         int64_t operations, int64_t tiles) {
  return operations * target.instructionBytesPerOperation +
         tiles * target.instructionBytesPerTile;
}

int64_t mlir::llm::lpu::attentionCycles(const TargetDescription &target,
                                        int64_t rows, int64_t queriesPerKV,
                                        int64_t kvHeads, int64_t headDim,
                                        int64_t context, int64_t slices) {
  if (rows <= 0 || kvHeads <= 0 || context <= 0)
    return 0;
  int64_t queryRows = rows * queriesPerKV;
  // The cache of each KV head is the stationary operand: K^T is
  // [headDim, context], V is [context, headDim], both fp16.
  int64_t scores =
      matmulCost(target, queryRows, headDim, context, 16, slices).cycles;
  int64_t values =
      matmulCost(target, queryRows, context, headDim, 16, slices).cycles;
  int64_t softmax = vectorCycles(target, queryRows * context,
                                 vector_ops::kSoftmax, /*reductions=*/2);
  return kvHeads * (scores + values) + softmax * kvHeads;
}
