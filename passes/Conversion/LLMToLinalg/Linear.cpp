//===- Linear.cpp - llm.matmul to linalg ----------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// y[r..., n] = sum_k x[r..., k] * w[n, k] for x with `rowDims` leading
/// row dimensions, computed in `init` (y's shape): a contraction over (r...,
/// n, k) whose reduction dim is contiguous in both operands (HF weight
/// layout).
Value buildContraction(OpBuilder &b, Location loc, Value x, Value w,
                       Value init, unsigned rowDims) {
  MLIRContext *ctx = b.getContext();
  init = fill(b, loc, init, 0.0);
  unsigned loops = rowDims + 2;
  SmallVector<unsigned> rows = llvm::to_vector(llvm::seq(0u, rowDims));
  auto rowsThen = [&](ArrayRef<unsigned> more) {
    SmallVector<unsigned> dims(rows);
    dims.append(more.begin(), more.end());
    return dims;
  };
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, w}, ValueRange{init},
             ArrayRef<AffineMap>{
                 projectionMap(ctx, loops, rowsThen({rowDims + 1})),
                 projectionMap(ctx, loops, {rowDims, rowDims + 1}),
                 projectionMap(ctx, loops, rowsThen({rowDims}))},
             iterators(rowDims + 1, 1),
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               yieldMultiplyAccumulate(nb, nested, args[0], args[1], args[2]);
             })
      .getResult(0);
}

/// y[b, r, n] = sum_k x[b, r, k] * w[n, k] for `x` [blocks, R, K] (R =
/// kTransposedRowBlock rows) as outer products: x transposed to [blocks, K,
/// R], then yT[b, n, r] += w[n, k] * xT[b, k, r] over loops (b, n, k, r),
/// the rows innermost, and yT transposed into `init` [blocks, R, n]. The CPU
/// tiling keeps the R rows (vectors of rows) of a few outputs in registers:
/// each weight is loaded once, broadcast, for all R rows, and each vector of
/// rows serves all of the tile's outputs, without the horizontal sums of a
/// dot product.
Value buildTransposedContraction(OpBuilder &b, Location loc, Value x, Value w,
                                 Value init) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  auto initType = cast<RankedTensorType>(init.getType());
  SmallVector<Value> blocks;
  if (xType.isDynamicDim(0))
    blocks.push_back(tensor::DimOp::create(b, loc, x, 0));
  int64_t rows = xType.getDimSize(1), inputs = xType.getDimSize(2);
  int64_t outputs = initType.getDimSize(2);
  Value xT = linalg::TransposeOp::create(
                 b, loc, x,
                 emptyTensor(b, loc, {xType.getDimSize(0), inputs, rows},
                             xType.getElementType(), blocks),
                 ArrayRef<int64_t>{0, 2, 1})
                 .getResult()[0];
  Value yT = fill(b, loc,
                  emptyTensor(b, loc, {xType.getDimSize(0), outputs, rows},
                              initType.getElementType(), blocks),
                  0.0);
  // Loops (b, n, k, r).
  yT = linalg::GenericOp::create(
           b, loc, yT.getType(), ValueRange{xT, w}, ValueRange{yT},
           ArrayRef<AffineMap>{projectionMap(ctx, 4, {0, 2, 3}),
                               projectionMap(ctx, 4, {1, 2}),
                               projectionMap(ctx, 4, {0, 1, 3})},
           SmallVector<utils::IteratorType>{
               utils::IteratorType::parallel, utils::IteratorType::parallel,
               utils::IteratorType::reduction, utils::IteratorType::parallel},
           [&](OpBuilder &nb, Location nested, ValueRange args) {
             yieldMultiplyAccumulate(nb, nested, args[0], args[1], args[2]);
           })
           .getResult(0);
  return linalg::TransposeOp::create(b, loc, yT, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      .getResult()[0];
}

/// Whether a prompt's rows of `op` are computed in transposed blocks
/// (buildTransposedContraction): f32 weights, inputs and results. 16-bit
/// weights keep the dot-product form, which widens a vector of them per
/// load rather than one weight per broadcast (measured no faster
/// transposed: bench/prompt_gemm.py).
bool usesTransposedRowBlocks(MatmulOp op) {
  return op.getWeight().getType().getElementType().isF32() &&
         op.getInput().getType().getElementType().isF32() &&
         op.getResult().getType().getElementType().isF32();
}

/// Outputs per chunk of a prompt's row parts (computeInRowBlocks) for a
/// layer of `outputs` x `inputs` weights of `elementBytes` each: the most
/// whose weights fit in `chunkBytes` (about half of a core's L2 cache), so
/// that every part after the first reads them from there; a multiple of 16
/// that divides `outputs` into at least 4 chunks (at least 16 outputs even
/// when those do not fit: L3 still serves them); 0 when there is none or
/// `chunkBytes` is 0.
int64_t outputChunk(int64_t outputs, int64_t inputs, int64_t elementBytes,
                    int64_t chunkBytes) {
  constexpr int64_t multiple = 16;
  if (ShapedType::isDynamic(outputs) || ShapedType::isDynamic(inputs) ||
      elementBytes <= 0 || chunkBytes <= 0)
    return 0;
  int64_t fitting = chunkBytes / (inputs * elementBytes);
  int64_t most = std::min(std::max(fitting, multiple), outputs / 4);
  for (int64_t chunk = most / multiple * multiple; chunk >= multiple;
       chunk -= multiple)
    if (outputs % chunk == 0)
      return chunk;
  return 0;
}

/// llm.matmul: one contraction over a known number of rows (decode), or,
/// over a prompt's rows, contractions on blocks of rows (which share each
/// weight vector loaded; f32 blocks of 64 rows transposed) and on the last
/// remaining row (computeInRowBlocks).
struct MatmulLowering : OpRewritePattern<MatmulOp> {
  MatmulLowering(MLIRContext *context, int64_t promptChunkBytes)
      : OpRewritePattern(context), promptChunkBytes(promptChunkBytes) {}

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Value w = op.getWeight();
    Value result;
    if (resultType.isDynamicDim(0)) {
      bool transposed = usesTransposedRowBlocks(op);
      SmallVector<int64_t> blockSizes;
      if (transposed)
        blockSizes.push_back(kTransposedRowBlock);
      llvm::append_range(blockSizes, kRowBlocks);
      auto weightType = cast<RankedTensorType>(w.getType());
      // The smaller blocks and the last rows, in chunks of the outputs
      // (one pass over the weights for all of them; the transposed blocks
      // transpose their rows once, outside the chunks).
      int64_t chunk = outputChunk(
          resultType.getDimSize(1), weightType.getDimSize(1),
          weightType.getElementTypeBitWidth() / 8, promptChunkBytes);
      result = computeInRowBlocks(
          rewriter, loc, op.getInput(), resultType,
          [&](OpBuilder &b, Location l, Value rows, Value init,
              unsigned rowDims, OpFoldResult outputOffset) {
            if (transposed && rowDims == 2 &&
                cast<RankedTensorType>(rows.getType()).getDimSize(1) ==
                    kTransposedRowBlock)
              return buildTransposedContraction(b, l, rows, w, init);
            auto initType = cast<RankedTensorType>(init.getType());
            int64_t outputs = initType.getDimSize(initType.getRank() - 1);
            // The weights of the chunk's outputs (rows of w).
            Value weights =
                outputs == weightType.getDimSize(0)
                    ? w
                    : sliceRows(b, l, w, outputOffset, b.getIndexAttr(outputs));
            return buildContraction(b, l, rows, weights, init, rowDims);
          },
          blockSizes, chunk, /*firstChunkedSize=*/transposed ? 1 : 0);
    } else {
      SmallVector<Value> dynamicSizes;
      if (resultType.isDynamicDim(1))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, w, 0));
      result = buildContraction(
          rewriter, loc, op.getInput(), w,
          emptyTensor(rewriter, loc, resultType.getShape(),
                      resultType.getElementType(), dynamicSizes),
          1);
    }
    if (std::optional<APFloat> eps = op.getRmsNormEps())
      result = scaleRowsByInverseRMS(rewriter, loc, op.getInput(), result,
                                     eps->convertToDouble());
    rewriter.replaceOp(op, result);
    return success();
  }

  /// The weights of one output chunk of a prompt's row parts (outputChunk).
  int64_t promptChunkBytes;
};

} // namespace

void mlir::llm::detail::populateLinearPatterns(RewritePatternSet &patterns,
                                               int64_t promptChunkBytes) {
  patterns.add<MatmulLowering>(patterns.getContext(), promptChunkBytes);
}
