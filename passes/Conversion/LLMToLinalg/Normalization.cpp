//===- Normalization.cpp - llm.rms_norm to linalg -------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// rms_norm(x)[..., d] = x[..., d] * rsqrt(mean(x[..., :]^2) + eps) * w[d],
/// as a reduction of the squares followed by one elementwise generic.
struct RMSNormLowering : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value input = op.getInput();
    auto inputType = op.getInput().getType();
    unsigned rank = inputType.getRank();
    int64_t hidden = inputType.getDimSize(rank - 1);
    if (ShapedType::isDynamic(hidden))
      return rewriter.notifyMatchFailure(op, "normalized dim must be static");

    SmallVector<unsigned> outer = llvm::to_vector(llvm::seq<unsigned>(0, rank - 1));
    Value sumSquares = sumOfSquares(rewriter, loc, input);
    double eps = op.getEps().convertToDouble();
    auto normalized = linalg::GenericOp::create(
        rewriter, loc, inputType,
        ValueRange{input, sumSquares, op.getWeight()},
        ValueRange{emptyLike(rewriter, loc, input)},
        ArrayRef<AffineMap>{identityMap(ctx, rank),
                            projectionMap(ctx, rank, outer),
                            projectionMap(ctx, rank, {rank - 1}),
                            identityMap(ctx, rank)},
        iterators(rank), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value scale = inverseRMS(b, nested, args[1], hidden, eps);
          Value scaled = arith::MulFOp::create(b, nested, args[0], scale);
          linalg::YieldOp::create(
              b, nested,
              arith::MulFOp::create(
                  b, nested, scaled,
                  convertFloat(b, nested, args[2], scaled.getType()))
                  .getResult());
        });
    rewriter.replaceOp(op, normalized.getResults());
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<RMSNormLowering>(patterns.getContext());
}
