//===- CPUTileAndVectorize.cpp - thread and register tiling, vectorization ===//

#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMCPUTILEANDVECTORIZEPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;

namespace {

/// The largest loop kept whole in registers so that every weight vector
/// loaded (and unpacked) serves all of its iterations.
constexpr int64_t maxRegisterBlock = 8;
/// Iterations a dynamic loop is assumed to have when weighing whether an op
/// is worth distributing over threads.
constexpr int64_t assumedDynamicExtent = 256;
/// Vector registers an outer-product tile may hold (of AVX-512's 32; the
/// rest are temporaries).
constexpr int64_t tileRegisters = 24;
/// Marks the two halves of a matrix-vector product split into lanes while
/// this pass tiles them: the per-lane partial sums, and their sum.
constexpr llvm::StringLiteral laneSplitAttr = "llm.lane_split";
constexpr llvm::StringLiteral laneSumAttr = "llm.lane_sum";

/// The inputs of `op` that depend on loop `parallel` but not on loop
/// `reduction`.
int64_t invariantInputs(linalg::LinalgOp op, unsigned parallel,
                        unsigned reduction) {
  return llvm::count_if(op.getDpsInputOperands(), [&](OpOperand *input) {
    AffineMap map = op.getMatchingIndexingMap(input);
    return map.isFunctionOfDim(parallel) && !map.isFunctionOfDim(reduction);
  });
}

/// The input of `op` with the most elements (the weights of a layer), or
/// null when no input has a static shape.
OpOperand *largestInput(linalg::LinalgOp op) {
  OpOperand *largest = nullptr;
  int64_t most = -1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (type && type.hasStaticShape() && type.getNumElements() > most) {
      most = type.getNumElements();
      largest = input;
    }
  }
  return largest;
}

/// Vectors of outputs in an outer-product register tile that keeps `reuse`
/// rows in registers. Per vector of outputs the tile holds an accumulator
/// for each output and row, and the inputs that vary with the outputs but
/// not along the inner reduction (a quantized layer's scales and zero
/// points, and its packed words, each serving eight nibbles), which stay in
/// registers across it; all within `tileRegisters`. A power of two: wider
/// odd shapes leave LLVM building broadcasts element by element.
int64_t outerProductVectors(linalg::LinalgOp op, int64_t reuse,
                            unsigned parallel, unsigned reduction) {
  int64_t perVector = reuse * op.getNumDpsInits() +
                      invariantInputs(op, parallel, reduction);
  return static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(
      std::max<int64_t>(1, tileRegisters / perVector))));
}

/// Tile sizes of one linalg op: `threadTiles` for the scf.forall level (all
/// zero when the op is not distributed) and `vectorTiles` for registers.
struct TilePlan {
  SmallVector<int64_t> threadTiles;
  SmallVector<int64_t> vectorTiles;
  /// Order of the register-tile loops (empty: the op's own order).
  SmallVector<int64_t> vectorLoopOrder;
};

/// Whether loop `i` of `op` is small, static and parallel, and `weights`
/// (its largest input) do not depend on it: kept whole in registers, every
/// weight vector loaded serves all of its iterations.
bool isRegisterBlockLoop(linalg::LinalgOp op, OpOperand *weights, unsigned i) {
  int64_t extent = op.getStaticLoopRanges()[i];
  return op.getIteratorTypesArray()[i] == utils::IteratorType::parallel &&
         !ShapedType::isDynamic(extent) && extent <= maxRegisterBlock &&
         !op.getMatchingIndexingMap(weights).isFunctionOfDim(i);
}

/// A small static parallel loop of `op` that its weights (largest input)
/// do not depend on (isRegisterBlockLoop, longer than one): a block of a prompt's rows (LLMToLinalg's kRowBlock),
/// kept whole in registers so that each weight vector loaded serves all of
/// its rows; -1 when there is none.
int rowBlockLoop(linalg::LinalgOp op) {
  OpOperand *weights = largestInput(op);
  if (!weights)
    return -1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned i = 0; i < ranges.size(); ++i)
    if (ranges[i] > 1 && isRegisterBlockLoop(op, weights, i))
      return i;
  return -1;
}

/// Splits the reduction (innermost) of `op` into `ratio` parallel lanes,
/// `k = ko * ratio + ki` with `ki` innermost: partial sums over `ko` for
/// every lane, then their sum over the lanes.
FailureOr<linalg::SplitReductionResult>
splitIntoLanes(RewriterBase &rewriter, linalg::LinalgOp op, int64_t ratio) {
  unsigned outputRank =
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getNumResults();
  rewriter.setInsertionPoint(op);
  return linalg::splitReduction(rewriter, op, [&](linalg::LinalgOp) {
    return linalg::SplitReductionOptions{ratio, outputRank,
                                         /*innerParallel=*/true};
  });
}

/// How the reduction of a contraction over contiguous memory is computed:
/// split into per-lane partial sums (vector accumulators, independent
/// chains of multiply-adds that stay in registers across the whole
/// reduction, summed once at its end) or tiled as it is.
enum class LaneSplit {
  None,
  /// Decode's matrix-vector products whose weights are narrower than the
  /// result (16-bit weights widened in registers), or as wide with rows of
  /// at most `row-at-a-time-max-bytes`: one output row at a time, read front to
  /// back. Tiled as other contractions (several rows at a time, a
  /// horizontal sum per tile), such an op reads several short rows at once
  /// (768 16-bit weights are 24 cache lines), streams too short for the
  /// hardware prefetchers: measured 40% slower per decode step than reading
  /// one row front to back. F32 rows of up to 4096 weights read 20-60%
  /// faster one at a time too; longer ones (5632 and 11008 weights: 22-44
  /// KiB) 20-30% slower, so they are read several at a time, as they are
  /// (one thread streaming from memory, eight matrices in turn so that none
  /// stays in cache; Zen 5).
  MatrixVector,
  /// A prompt's products on a block of rows (rowBlockLoop): register tiles
  /// of the block's rows times a few outputs, each weight vector loaded
  /// once for all the rows.
  RowBlock,
};

/// Whether and how `op`'s reduction is split (see LaneSplit): one
/// reduction loop, innermost, of a static extent that is a multiple of two
/// vectors, that every input it indexes walks as its innermost dimension
/// and the output does not depend on; weights (the largest input) of a
/// static shape. Weights as wide as the result are read one row at a time
/// only when a row is at most `rowAtATimeMaxBytes`.
LaneSplit laneSplitKind(linalg::LinalgOp op, int64_t lanes,
                        int64_t rowAtATimeMaxBytes) {
  if (op.getNumReductionLoops() != 1 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics())
    return LaneSplit::None;
  unsigned n = op.getNumLoops();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!linalg::isReductionIterator(op.getIteratorTypesArray()[n - 1]) ||
      ShapedType::isDynamic(ranges[n - 1]) || ranges[n - 1] % (2 * lanes) != 0)
    return LaneSplit::None;
  OpOperand *weights = largestInput(op);
  if (!weights)
    return LaneSplit::None;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(n - 1))
      continue;
    if (!map.isProjectedPermutation() || map.getNumResults() == 0 ||
        map.getDimPosition(map.getNumResults() - 1) != n - 1)
      return LaneSplit::None;
  }
  if (op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isFunctionOfDim(n - 1))
    return LaneSplit::None;
  AffineMap weightMap = op.getMatchingIndexingMap(weights);
  if (rowBlockLoop(op) >= 0) {
    // Dynamic loops only over rows, which the weights do not depend on.
    for (unsigned i = 0; i + 1 < n; ++i)
      if (ShapedType::isDynamic(ranges[i]) && weightMap.isFunctionOfDim(i))
        return LaneSplit::None;
    return LaneSplit::RowBlock;
  }
  unsigned weightBits =
      getElementTypeOrSelf(weights->get().getType()).getIntOrFloatBitWidth();
  unsigned resultBits =
      getElementTypeOrSelf(op->getResult(0).getType()).getIntOrFloatBitWidth();
  if (llvm::any_of(ranges, ShapedType::isDynamic) || weightBits > resultBits ||
      (weightBits == resultBits &&
       ranges[n - 1] > rowAtATimeMaxBytes / (weightBits / 8)))
    return LaneSplit::None;
  for (unsigned i = 0; i + 1 < n; ++i)
    if (ranges[i] > 1 && !weightMap.isFunctionOfDim(i))
      return LaneSplit::None;
  return LaneSplit::MatrixVector;
}

/// The largest tile <= `target` that divides `extent`, so that every tile is
/// full and vectorizes without masks; 1 for dynamic extents.
int64_t largestDivisorUpTo(int64_t extent, int64_t target) {
  if (ShapedType::isDynamic(extent))
    return 1;
  for (int64_t tile = std::min(extent, target); tile > 1; --tile)
    if (extent % tile == 0)
      return tile;
  return 1;
}

/// Iterations of `op`'s loops. A dynamic extent is a sequence or context
/// length: counted as `assumedDynamicExtent` iterations, so that attention
/// over the cache is spread over heads in decode too.
int64_t staticWork(linalg::LinalgOp op) {
  int64_t work = 1;
  for (int64_t extent : op.getStaticLoopRanges())
    work *= ShapedType::isDynamic(extent) ? assumedDynamicExtent : extent;
  return work;
}

/// `order` (empty: the op's own) with the register-tile loops of `op`
/// reordered so that each tile of the weights (the largest input) serves
/// every row of a prompt while it is in cache: the static parallel loops
/// the weights depend on run outside the dynamic parallel loops they do not
/// depend on (the sequence), the other loops keeping their places. Without
/// it a prompt streams the whole weight matrix from memory once per row (or
/// block of rows) instead of once. Ops with no such dynamic loop (decode)
/// keep `order`.
SmallVector<int64_t> weightStationaryOrder(linalg::LinalgOp op,
                                           ArrayRef<int64_t> order) {
  unsigned n = op.getNumLoops();
  SmallVector<int64_t> loops =
      order.empty() ? llvm::to_vector(llvm::seq<int64_t>(0, n))
                    : SmallVector<int64_t>(order);
  OpOperand *weights = largestInput(op);
  if (!weights)
    return SmallVector<int64_t>(order);
  AffineMap weightMap = op.getMatchingIndexingMap(weights);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  auto isParallel = [&](int64_t i) {
    return kinds[i] == utils::IteratorType::parallel;
  };
  auto isStationary = [&](int64_t i) {
    return isParallel(i) && !ShapedType::isDynamic(ranges[i]) &&
           weightMap.isFunctionOfDim(i);
  };
  auto isStreamed = [&](int64_t i) {
    return isParallel(i) && ShapedType::isDynamic(ranges[i]) &&
           !weightMap.isFunctionOfDim(i);
  };
  if (llvm::none_of(loops, isStreamed) || llvm::none_of(loops, isStationary))
    return SmallVector<int64_t>(order);
  // The parallel positions, refilled stationary loops first.
  SmallVector<int64_t> parallel;
  for (int64_t i : loops)
    if (isStationary(i))
      parallel.push_back(i);
  for (int64_t i : loops)
    if (isParallel(i) && !isStationary(i))
      parallel.push_back(i);
  auto next = parallel.begin();
  for (int64_t &i : loops)
    if (isParallel(i))
      i = *next++;
  return loops;
}

struct LLMCPUTileAndVectorizePass
    : llm::impl::LLMCPUTileAndVectorizePassBase<LLMCPUTileAndVectorizePass> {
  using Base::Base;

  /// Splits the reduction of every contiguous matrix-vector product in
  /// `func` into per-lane partial sums (`k = ko * ratio + ki`, `ki`
  /// parallel: `laneSplitAttr`) and a sum over the lanes (`laneSumAttr`).
  /// Tiled together one output row at a time, the partial sums of a row are
  /// vector accumulators, independent chains of multiply-adds that stay in
  /// registers across the row and are summed once at its end; the row is
  /// read front to back, one stream that the hardware prefetchers follow.
  void splitMatrixVectorReductions(RewriterBase &rewriter, func::FuncOp func) {
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (laneSplitKind(op, lanes, rowAtATimeMaxBytes) ==
          LaneSplit::MatrixVector)
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      int64_t extent = op.getStaticLoopRanges().back();
      // Up to `matrixVectorAccumulators` vectors of lanes per row: the most
      // that divide it (at least two, as laneSplitKind checked).
      int64_t ratio = 2 * lanes;
      for (int64_t vectors = matrixVectorAccumulators; vectors > 2; --vectors)
        if (extent % (vectors * lanes) == 0) {
          ratio = vectors * lanes;
          break;
        }
      FailureOr<linalg::SplitReductionResult> split =
          splitIntoLanes(rewriter, op, ratio);
      if (failed(split))
        continue; // Not a recognised combiner: tiled as it is.
      split->splitLinalgOp->setAttr(laneSplitAttr, rewriter.getUnitAttr());
      split->resultCombiningLinalgOp->setAttr(laneSumAttr,
                                              rewriter.getUnitAttr());
    }
  }

  /// The register tiles of a lane-split product (splitIntoLanes: loops
  /// `..., ko, ki`, `ko` the reduction) inside a register tile of its
  /// result: its static parallel loops whole (the tile's rows and outputs,
  /// and the lanes), `ko` innermost, one step at a time.
  static TilePlan laneSplitPlan(linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    unsigned n = ranges.size();
    TilePlan p{SmallVector<int64_t>(n, 0), SmallVector<int64_t>(n, 1)};
    for (unsigned i = 0; i < n; ++i)
      if (kinds[i] == utils::IteratorType::parallel &&
          !ShapedType::isDynamic(ranges[i]))
        p.vectorTiles[i] = ranges[i];
    for (unsigned i = 0; i < n; ++i)
      if (kinds[i] == utils::IteratorType::parallel)
        p.vectorLoopOrder.push_back(i);
    for (unsigned i = 0; i < n; ++i)
      if (kinds[i] != utils::IteratorType::parallel)
        p.vectorLoopOrder.push_back(i);
    return p;
  }

  /// For an outer-product `op` (a reduction outside its innermost parallel
  /// loop) whose vector loop (that innermost parallel loop) is a static
  /// block of rows that its weights (largest input) do not depend on, a
  /// whole number of vectors of at most a third of `tileRegisters`: the
  /// innermost static parallel loop the weights do depend on (the outputs,
  /// whose weights are broadcast, each serving every vector of rows); -1
  /// otherwise.
  int rowsInVectors(linalg::LinalgOp op) const {
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    int vectorLoop = -1, reduction = -1;
    for (unsigned i = 0; i < kinds.size(); ++i)
      (kinds[i] == utils::IteratorType::parallel ? vectorLoop : reduction) = i;
    if (reduction < 0 || vectorLoop < reduction)
      return -1;
    OpOperand *weights = largestInput(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (!weights || ShapedType::isDynamic(ranges[vectorLoop]) ||
        ranges[vectorLoop] % lanes != 0 ||
        ranges[vectorLoop] / lanes > tileRegisters / 3)
      return -1;
    AffineMap weightMap = op.getMatchingIndexingMap(weights);
    if (weightMap.isFunctionOfDim(vectorLoop))
      return -1;
    for (int i = vectorLoop - 1; i >= 0; --i)
      if (kinds[i] == utils::IteratorType::parallel &&
          !ShapedType::isDynamic(ranges[i]) && weightMap.isFunctionOfDim(i))
        return i;
    return -1;
  }

  /// For a transpose `op` (linalg.transpose, or any op without reductions
  /// whose one input walks innermost a static parallel loop other than the
  /// output's innermost, both whole multiples of `lanes`): that loop; -1
  /// otherwise.
  int transposedLoop(linalg::LinalgOp op) const {
    if (op.getNumReductionLoops() != 0 || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1)
      return -1;
    AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!in.isPermutation() || !out.isIdentity() || in.getNumResults() < 2)
      return -1;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    unsigned across = in.getDimPosition(in.getNumResults() - 1);
    unsigned along = out.getNumDims() - 1;
    if (across == along)
      return -1;
    for (unsigned loop : {across, along})
      if (ShapedType::isDynamic(ranges[loop]) || ranges[loop] % lanes != 0)
        return -1;
    return across;
  }

  /// Outputs of a register tile of `op` (rowsInVectors) whose vector loop
  /// is `vectorLoop`: the accumulators of its rows for each output fill
  /// `tileRegisters`.
  int64_t outputsPerRowTile(linalg::LinalgOp op, int vectorLoop) const {
    int64_t vectors = op.getStaticLoopRanges()[vectorLoop] / lanes;
    return std::max<int64_t>(1, tileRegisters /
                                    (vectors * op.getNumDpsInits()));
  }

  /// Splits every op whose vectors hold rows (rowsInVectors) along its
  /// outputs into the most outputs that are a multiple of outputsPerRowTile
  /// and the rest, so that both are tiled into full register tiles (2048
  /// outputs would otherwise be tiled by 4, their largest divisor up to 6,
  /// leaving a third of the accumulators unused).
  void splitRowTileRemainders(RewriterBase &rewriter, func::FuncOp func) {
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && rowsInVectors(op) >= 0)
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      int outputs = rowsInVectors(op);
      int64_t extent = op.getStaticLoopRanges()[outputs];
      int64_t tile = outputsPerRowTile(op, op.getNumLoops() - 1);
      if (extent % tile == 0 || extent < tile)
        continue;
      rewriter.setInsertionPoint(op);
      linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()),
                      outputs, rewriter.getIndexAttr(extent - extent % tile));
    }
  }

  /// The tile plan of `op`; `distribute` is false for an op already inside
  /// a thread tile.
  TilePlan plan(linalg::LinalgOp op, bool distribute = true) const {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    unsigned n = ranges.size();
    bool hasReduction = llvm::is_contained(kinds, utils::IteratorType::reduction);
    TilePlan p{SmallVector<int64_t>(n, 0), SmallVector<int64_t>(n, 1)};

    // Registers hold `rows` x `reductionTile` (or `lanes` without a
    // reduction) of the innermost parallel and reduction loops; other loops
    // step one at a time.
    int innermostParallel = -1, innermostReduction = -1;
    for (unsigned i = 0; i < n; ++i) {
      if (kinds[i] == utils::IteratorType::parallel)
        innermostParallel = i;
      else
        innermostReduction = i;
    }
    // A reduction outside the innermost parallel loop (an outer-product
    // form, such as the INT4 kernel's rows-innermost layout) steps one at a
    // time, its vector registers accumulating outputs without horizontal
    // sums.
    if (innermostReduction >= 0 && innermostParallel > innermostReduction) {
      if (int outputs = rowsInVectors(op); outputs >= 0) {
        // The vectors hold a block of rows (a float matmul's transposed row
        // block), kept whole, times the outputs whose accumulators fill the
        // remaining registers.
        p.vectorTiles[innermostParallel] = ranges[innermostParallel];
        p.vectorTiles[outputs] = largestDivisorUpTo(
            ranges[outputs], outputsPerRowTile(op, innermostParallel));
      } else {
        // The vectors hold outputs; the register block loops
        // (isRegisterBlockLoop: the row block of a quantized matmul over a
        // prompt) are kept whole.
        int64_t reuse = 1;
        OpOperand *weights = largestInput(op);
        for (unsigned i = 0; weights && i < n; ++i) {
          if (static_cast<int>(i) == innermostParallel ||
              !isRegisterBlockLoop(op, weights, i))
            continue;
          p.vectorTiles[i] = ranges[i];
          reuse *= ranges[i];
        }
        p.vectorTiles[innermostParallel] = largestDivisorUpTo(
            ranges[innermostParallel],
            outerProductVectors(op, reuse, innermostParallel,
                                innermostReduction) *
                lanes);
      }
      // The register-tile loops of an outer-product op run its parallel
      // loops outside its reductions, so that a tile's accumulators stay in
      // registers for the whole reduction.
      for (auto kind : {utils::IteratorType::parallel,
                        utils::IteratorType::reduction})
        for (unsigned i = 0; i < n; ++i)
          if (kinds[i] == kind)
            p.vectorLoopOrder.push_back(i);
    } else {
      if (innermostReduction >= 0)
        p.vectorTiles[innermostReduction] =
            largestDivisorUpTo(ranges[innermostReduction], reductionTile);
      if (innermostParallel >= 0)
        p.vectorTiles[innermostParallel] = largestDivisorUpTo(
            ranges[innermostParallel], hasReduction ? rows : lanes);
      // A transpose (its input's innermost dimension another loop than the
      // output's) moves `lanes` x `lanes` tiles, read and written a vector
      // at a time and transposed in registers, instead of gathering each
      // output vector from `lanes` rows of its input.
      if (int across = transposedLoop(op); across >= 0)
        p.vectorTiles[across] = lanes;
    }
    p.vectorLoopOrder = weightStationaryOrder(op, p.vectorLoopOrder);
    return distribute ? distributePlan(op, p) : p;
  }

  /// `p` with thread tiles: a parallel loop of `op` distributed over threads
  /// in chunks of whole register tiles, when `op` has enough work.
  TilePlan distributePlan(linalg::LinalgOp op, TilePlan p) const {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    unsigned n = ranges.size();
    if (parallelChunks <= 0)
      return p;
    int64_t work = staticWork(op);
    // Among the static parallel loops that hold at least two register
    // tiles, the one with the most tiles (then the longest); never a block
    // of a prompt's rows, which its register tiles keep whole.
    int best = -1, block = rowBlockLoop(op);
    auto tilesOf = [&](unsigned i) { return ranges[i] / p.vectorTiles[i]; };
    for (unsigned i = 0; i < n; ++i)
      if (kinds[i] == utils::IteratorType::parallel &&
          static_cast<int>(i) != block &&
          !ShapedType::isDynamic(ranges[i]) && tilesOf(i) >= 2 &&
          (best < 0 || tilesOf(i) > tilesOf(best) ||
           (tilesOf(i) == tilesOf(best) && ranges[i] > ranges[best])))
        best = i;
    if (best < 0 || work < minParallelWork)
      return p;
    // Chunks of whole vector tiles that divide the loop evenly (a partial
    // last chunk would have dynamic sizes and stay scalar): the largest
    // number of tiles per chunk that gives at least `parallelChunks` chunks.
    int64_t tile = p.vectorTiles[best];
    int64_t tiles = ranges[best] / tile;
    int64_t perChunk = largestDivisorUpTo(
        tiles, std::max<int64_t>(1, tiles / parallelChunks));
    p.threadTiles[best] = perChunk * tile;
    return p;
  }

  static SmallVector<OpFoldResult> asFoldResults(Builder &b,
                                                 ArrayRef<int64_t> sizes) {
    return llvm::map_to_vector(sizes, [&](int64_t s) -> OpFoldResult {
      return b.getIndexAttr(s);
    });
  }

  /// Tiles `op` with `sizes` (0 = untiled) using loops of `type`; returns
  /// the tiled op, or `op` itself when nothing is tiled.
  FailureOr<linalg::LinalgOp> tile(RewriterBase &rewriter, linalg::LinalgOp op,
                                   ArrayRef<int64_t> sizes,
                                   scf::SCFTilingOptions::LoopType type,
                                   ArrayRef<int64_t> order = {}) {
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return op;
    scf::SCFTilingOptions options;
    options.setLoopType(type);
    options.setTileSizes(asFoldResults(rewriter, sizes));
    if (!order.empty())
      options.setInterchange(order);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    return cast<linalg::LinalgOp>(tiled->tiledOps.back());
  }

  /// Tiles `op` with `sizes` using loops of `type`, fusing into the tiles
  /// the fills of its destination (so that each thread zeroes, or otherwise
  /// initializes, its own part, in parallel and while it is in cache) and
  /// the per-lane partial sums of a lane sum with their fills. Returns the
  /// ops in the tiles (the tiled op first), or `op` alone when nothing is
  /// tiled.
  ///
  /// Other producers stay outside: computing a fused producer's tile into
  /// a thread-local buffer (the quantized matmul's per-group dot products
  /// into its epilogue's tiles) measured 20% slower per decode step than
  /// distributing each op on its own.
  FailureOr<SmallVector<linalg::LinalgOp>>
  tileAndFuse(RewriterBase &rewriter, linalg::LinalgOp op,
              ArrayRef<int64_t> sizes, scf::SCFTilingOptions::LoopType type) {
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return SmallVector<linalg::LinalgOp>{op};
    scf::SCFTileAndFuseOptions options;
    scf::SCFTilingOptions tiling;
    tiling.setLoopType(type);
    tiling.setTileSizes(asFoldResults(rewriter, sizes));
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          Operation *defining = producer.getOwner();
          auto fill = dyn_cast<linalg::FillOp>(defining);
          // A lane sum's tiles compute their partial sums from zero.
          bool fuse = op->hasAttr(laneSumAttr)
                          ? defining->hasAttr(laneSplitAttr) ||
                                (fill && fill.hasPureTensorSemantics())
                          : isDestination && fill &&
                                fill.hasPureTensorSemantics();
          if (!fuse)
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    // The op and the producers fused into it are replaced by the loop's
    // results where they have any; a producer left without users goes.
    SmallVector<Operation *> replaced{op};
    llvm::append_range(replaced, tiled->fusedProducers);
    for (Operation *original : replaced) {
      for (OpResult result : original->getResults())
        if (Value replacement = tiled->replacements.lookup(result))
          rewriter.replaceAllUsesWith(result, replacement);
    }
    for (Operation *original : llvm::reverse(replaced))
      if (original->use_empty())
        rewriter.eraseOp(original);
    SmallVector<linalg::LinalgOp> inTile;
    for (Operation *tiledOp : tiled->tiledAndFusedOps)
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(tiledOp))
        inTile.push_back(linalgOp);
    return inTile;
  }

  /// Tiles `op` for registers and vectorizes the tile (static and full: no
  /// masks). Ops that gather (tensor.extract in the body: the embedding)
  /// and ops that do not vectorize stay scalar tiles, still correct.
  LogicalResult tileForRegisters(RewriterBase &rewriter, linalg::LinalgOp op,
                                 const TilePlan &p) {
    FailureOr<linalg::LinalgOp> tiled =
        tile(rewriter, op, p.vectorTiles,
             scf::SCFTilingOptions::LoopType::ForOp, p.vectorLoopOrder);
    if (failed(tiled))
      return op->emitError("failed to tile for registers");
    bool gathers = false;
    tiled->getOperation()->walk([&](tensor::ExtractOp) { gathers = true; });
    if (gathers)
      return success();
    rewriter.setInsertionPoint(*tiled);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, *tiled);
    if (succeeded(vectorized))
      rewriter.replaceOp(*tiled, vectorized->replacements);
    return success();
  }

  /// Tiles a product over a block of a prompt's rows (LaneSplit::RowBlock)
  /// for registers: tiles of the block's rows times the most outputs whose
  /// accumulators (a vector of lanes per row and output) fit in
  /// `tileRegisters`, the outputs' loop outermost (a tile of weights serves
  /// every row while in cache); in each tile the reduction is split into
  /// per-lane partial sums, accumulated in registers over the whole
  /// reduction and summed once at its end.
  LogicalResult tileRowBlockForRegisters(RewriterBase &rewriter,
                                         linalg::LinalgOp op) {
    unsigned n = op.getNumLoops();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int block = rowBlockLoop(op);
    AffineMap weightMap = op.getMatchingIndexingMap(largestInput(op));
    int outputs = -1;
    for (int i = n - 2; i >= 0 && outputs < 0; --i)
      if (i != block && !ShapedType::isDynamic(ranges[i]) &&
          weightMap.isFunctionOfDim(i))
        outputs = i;
    if (outputs < 0)
      return tileForRegisters(rewriter, op, plan(op, /*distribute=*/false));
    SmallVector<int64_t> sizes(n, 1);
    sizes[n - 1] = 0;
    sizes[block] = ranges[block];
    // One accumulator (a vector of lanes) per row and output.
    sizes[outputs] = largestDivisorUpTo(
        ranges[outputs],
        outerProductVectors(op, ranges[block], outputs, n - 1));
    FailureOr<linalg::LinalgOp> tiled =
        tile(rewriter, op, sizes, scf::SCFTilingOptions::LoopType::ForOp,
             weightStationaryOrder(op, {}));
    if (failed(tiled))
      return op->emitError("failed to tile for registers");
    FailureOr<linalg::SplitReductionResult> split =
        splitIntoLanes(rewriter, *tiled, lanes);
    if (failed(split)) // Not a recognised combiner: tiled as it is.
      return tileForRegisters(rewriter, *tiled,
                              plan(*tiled, /*distribute=*/false));
    auto partials = cast<linalg::LinalgOp>(split->splitLinalgOp);
    if (failed(tileForRegisters(rewriter, partials, laneSplitPlan(partials))))
      return failure();
    for (Operation *whole : {split->fillOp.getOperation(),
                             split->resultCombiningLinalgOp.getOperation()}) {
      rewriter.setInsertionPoint(whole);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, whole);
      if (succeeded(vectorized))
        rewriter.replaceOp(whole, vectorized->replacements);
    }
    return success();
  }

  /// Tiles a lane sum one output at a time with its partial sums fused in,
  /// and vectorizes the three (fill, partial sums, sum) in each tile.
  LogicalResult tileLaneSumForRegisters(RewriterBase &rewriter,
                                        linalg::LinalgOp sum) {
    unsigned n = sum.getNumLoops();
    SmallVector<int64_t> sizes(n, 1);
    sizes[n - 1] = 0;
    FailureOr<SmallVector<linalg::LinalgOp>> inTile = tileAndFuse(
        rewriter, sum, sizes, scf::SCFTilingOptions::LoopType::ForOp);
    if (failed(inTile))
      return sum->emitError("failed to tile for registers");
    for (linalg::LinalgOp op : llvm::reverse(*inTile)) {
      TilePlan p = op->hasAttr(laneSplitAttr)
                       ? laneSplitPlan(op)
                       : TilePlan{{}, SmallVector<int64_t>(op.getNumLoops(), 0)};
      if (failed(tileForRegisters(rewriter, op, p)))
        return failure();
    }
    return success();
  }

  /// Gives every user of a shared `tensor.empty` or fill (CSE merges
  /// identical ones across layers) its own copy: ops writing into one
  /// shared destination would each copy it before writing in place, and a
  /// fill moved into one op's thread tiles would leave the others to copy.
  static void unshareDestinations(RewriterBase &rewriter, func::FuncOp func) {
    // Fills first, whose copies share their empty tensor, then the empties.
    auto unshare = [&](auto opType) {
      using OpTy = decltype(opType);
      SmallVector<OpTy> shared;
      func.walk([&](OpTy op) {
        if (op->getNumResults() == 1 && !op->getResult(0).use_empty() &&
            !op->getResult(0).hasOneUse())
          shared.push_back(op);
      });
      for (OpTy op : shared) {
        SmallVector<OpOperand *> uses = llvm::map_to_vector(
            op->getResult(0).getUses(), [](OpOperand &use) { return &use; });
        for (OpOperand *use : llvm::drop_begin(uses)) {
          // Next to its user, so that no buffer is live longer than before.
          rewriter.setInsertionPoint(use->getOwner());
          Operation *copy = rewriter.clone(*op);
          rewriter.modifyOpInPlace(use->getOwner(),
                                   [&] { use->set(copy->getResult(0)); });
        }
      }
    };
    unshare(linalg::FillOp());
    unshare(tensor::EmptyOp());
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (matrixVectorAccumulators < 2) {
      func.emitError() << "matrix-vector-accumulators must be at least 2, got "
                       << static_cast<int64_t>(matrixVectorAccumulators);
      return signalPassFailure();
    }
    IRRewriter unsharing(&getContext());
    unshareDestinations(unsharing, func);
    IRRewriter rewriter(&getContext());
    if (vectorize) {
      splitMatrixVectorReductions(rewriter, func);
      splitRowTileRemainders(rewriter, func);
    }
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    // Threads: consumers first, so that each op distributed takes the fill
    // of its destination into its thread tiles. A fill fused there is
    // erased and skipped here.
    llvm::SmallPtrSet<Operation *, 32> erased;
    struct Listener : RewriterBase::Listener {
      llvm::SmallPtrSet<Operation *, 32> &erased;
      explicit Listener(llvm::SmallPtrSet<Operation *, 32> &erased)
          : erased(erased) {}
      void notifyOperationErased(Operation *op) override { erased.insert(op); }
    } listener(erased);
    rewriter.setListener(&listener);
    SmallVector<linalg::LinalgOp> forRegisters;
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (erased.contains(op.getOperation()))
        continue;
      // An op already in a thread loop (a prompt's row parts computed in
      // chunks of their outputs, computeInRowBlocks) is not distributed
      // again.
      bool distribute = !op->getParentOfType<scf::ForallOp>();
      FailureOr<SmallVector<linalg::LinalgOp>> inTile =
          tileAndFuse(rewriter, op, plan(op, distribute).threadTiles,
                      scf::SCFTilingOptions::LoopType::ForallOp);
      if (failed(inTile)) {
        op.emitError("failed to distribute over threads");
        return signalPassFailure();
      }
      llvm::append_range(forRegisters, *inTile);
    }

    // Registers: every op, in or out of a thread tile (consumers first;
    // partial sums fused into their sum's tiles are skipped). The ops
    // erased so far are forgotten: new ops may have taken their addresses.
    erased.clear();
    for (linalg::LinalgOp op : vectorize ? forRegisters
                                         : SmallVector<linalg::LinalgOp>{}) {
      if (erased.contains(op.getOperation()))
        continue;
      LogicalResult done =
          op->hasAttr(laneSumAttr) ? tileLaneSumForRegisters(rewriter, op)
          : laneSplitKind(op, lanes, rowAtATimeMaxBytes) == LaneSplit::RowBlock
              ? tileRowBlockForRegisters(rewriter, op)
              : tileForRegisters(rewriter, op, plan(op, /*distribute=*/false));
      if (failed(done))
        return signalPassFailure();
    }
    rewriter.setListener(nullptr);
    func.walk([](linalg::LinalgOp op) {
      op->removeAttr(laneSplitAttr);
      op->removeAttr(laneSumAttr);
    });

    // Slices and reshapes of empty tensors become empty tensors of their
    // own: scratch that is allocated where it is used (in the thread's
    // tile) rather than a part of a larger buffer allocated for all.
    {
      RewritePatternSet patterns(&getContext());
      tensor::populateFoldTensorEmptyPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // Reads that transpose (a transpose's tiles, transposedLoop) become
    // contiguous reads and a vector.transpose, lowered to shuffles in
    // registers; as they are, each vector would be gathered element by
    // element. Only those: other permuted reads broadcast.
    {
      SmallVector<Operation *> transposing;
      func.walk([&](vector::TransferReadOp read) {
        AffineMap map = read.getPermutationMap();
        if (map.isPermutation() && !map.isMinorIdentity())
          transposing.push_back(read);
      });
      RewritePatternSet patterns(&getContext());
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      if (failed(applyOpPatternsGreedily(transposing, std::move(patterns))))
        return signalPassFailure();
    }

    // Fixed-length `vector.step` (the vectorized linalg.index of causal masks
    // and rotary tables) becomes a constant [0, 1, ...].
    RewritePatternSet patterns(&getContext());
    vector::populateVectorStepLoweringPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
