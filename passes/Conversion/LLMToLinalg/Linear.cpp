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

/// llm.matmul: one contraction over a known number of rows (decode), or,
/// over a prompt's rows, contractions on blocks of rows (which share each
/// weight vector loaded) and on the last remaining row (computeInRowBlocks).
struct MatmulLowering : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Value w = op.getWeight();
    Value result;
    if (resultType.isDynamicDim(0)) {
      result = computeInRowBlocks(
          rewriter, loc, op.getInput(), resultType,
          [&](OpBuilder &b, Location l, Value rows, Value init,
              unsigned rowDims) {
            return buildContraction(b, l, rows, w, init, rowDims);
          });
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
};

} // namespace

void mlir::llm::detail::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering>(patterns.getContext());
}
