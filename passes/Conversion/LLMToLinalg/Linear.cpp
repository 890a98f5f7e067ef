//===- Linear.cpp - llm.matmul to linalg ----------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// y[s, n] = sum_k x[s, k] * w[n, k]: a contraction over (s, n, k) whose
/// reduction dim is contiguous in both operands (HF weight layout).
struct MatmulLowering : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto resultType = op.getResult().getType();
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, op.getInput(), 0));
    if (resultType.isDynamicDim(1))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, op.getWeight(), 0));
    Value init = emptyTensor(rewriter, loc, resultType.getShape(),
                             resultType.getElementType(), dynamicSizes);
    init = fill(rewriter, loc, init, 0.0);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{op.getInput(), op.getWeight()},
        ValueRange{init},
        ArrayRef<AffineMap>{projectionMap(ctx, 3, {0, 2}),
                            projectionMap(ctx, 3, {1, 2}),
                            projectionMap(ctx, 3, {0, 1})},
        iterators(2, 1), [&](OpBuilder &b, Location nested, ValueRange args) {
          yieldMultiplyAccumulate(b, nested, args[0], args[1], args[2]);
        });
    Value result = generic.getResult(0);
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
