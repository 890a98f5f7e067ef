//===- Rope.cpp - llm.rope to linalg --------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// Rotate-half rotary embedding. The inverse frequencies depend only on
/// attributes and become a small f64 constant; the angles (position * inv
/// freq) are computed in f64, so that large positions keep their accuracy,
/// into cos/sin tables [seq, head_dim/2]. Each head is viewed as two halves
/// [seq, heads, 2, head_dim/2] and rotated:
///   out[.., 0, j] = x0 * cos - x1 * sin,  out[.., 1, j] = x1 * cos + x0 * sin.
struct RopeLowering : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value input = op.getInput();
    auto inputType = op.getInput().getType();
    Type elementType = inputType.getElementType();
    int64_t features = inputType.getDimSize(1);
    int64_t headDim = op.getHeadDim();
    if (ShapedType::isDynamic(features))
      return rewriter.notifyMatchFailure(op, "feature dim must be static");
    int64_t heads = features / headDim, half = headDim / 2;

    // Inverse frequencies theta^(-2j/head_dim), optionally rescaled.
    SmallVector<double> invFreq;
    double theta = op.getTheta().convertToDouble();
    for (int64_t j = 0; j < half; ++j) {
      double f = std::pow(theta, -2.0 * static_cast<double>(j) /
                                     static_cast<double>(headDim));
      if (auto scaling = op.getScalingAttr())
        f = scaling.scaleInverseFrequency(f);
      invFreq.push_back(f);
    }
    auto f64 = rewriter.getF64Type();
    auto freqType = RankedTensorType::get({half}, f64);
    Value freqs = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(freqType, ArrayRef(invFreq)));

    // cos/sin tables [seq, half].
    SmallVector<Value> seqSize;
    if (inputType.isDynamicDim(0))
      seqSize.push_back(tensor::DimOp::create(rewriter, loc, input, 0));
    int64_t seq = inputType.getDimSize(0);
    auto tableType = RankedTensorType::get({seq, half}, elementType);
    Value tableInit =
        emptyTensor(rewriter, loc, {seq, half}, elementType, seqSize);
    Value position = op.getPosition();
    auto tables = linalg::GenericOp::create(
        rewriter, loc, TypeRange{tableType, tableType}, ValueRange{freqs},
        ValueRange{tableInit, tableInit},
        ArrayRef<AffineMap>{projectionMap(ctx, 2, {1}), identityMap(ctx, 2),
                            identityMap(ctx, 2)},
        iterators(2), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value s = linalg::IndexOp::create(b, nested, 0);
          Value absolute = arith::AddIOp::create(b, nested, position, s);
          Value asInt =
              arith::IndexCastOp::create(b, nested, b.getI64Type(), absolute);
          Value asFloat = arith::SIToFPOp::create(b, nested, f64, asInt);
          Value angle = arith::MulFOp::create(b, nested, asFloat, args[0]);
          Value c = arith::TruncFOp::create(
              b, nested, elementType, math::CosOp::create(b, nested, angle));
          Value sn = arith::TruncFOp::create(
              b, nested, elementType, math::SinOp::create(b, nested, angle));
          linalg::YieldOp::create(b, nested, ValueRange{c, sn});
        });

    // Rotate the two halves of every head.
    auto halvesType =
        RankedTensorType::get({seq, heads, 2, half}, elementType);
    SmallVector<ReassociationIndices> reassociation = {{0}, {1, 2, 3}};
    Value halves = tensor::ExpandShapeOp::create(rewriter, loc, halvesType,
                                                 input, reassociation);
    AffineExpr s = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx),
               j = getAffineDimExpr(3, ctx);
    auto halfMap = [&](int64_t which) {
      return AffineMap::get(4, 0, {s, h, getAffineConstantExpr(which, ctx), j},
                            ctx);
    };
    AffineMap tableMap = AffineMap::get(4, 0, {s, j}, ctx);
    auto rotated = linalg::GenericOp::create(
        rewriter, loc, halvesType,
        ValueRange{halves, halves, tables.getResult(0), tables.getResult(1)},
        ValueRange{emptyLike(rewriter, loc, halves)},
        ArrayRef<AffineMap>{halfMap(0), halfMap(1), tableMap, tableMap,
                            identityMap(ctx, 4)},
        iterators(4), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value x0 = args[0], x1 = args[1], c = args[2], sn = args[3];
          Value first = arith::SubFOp::create(
              b, nested, arith::MulFOp::create(b, nested, x0, c),
              arith::MulFOp::create(b, nested, x1, sn));
          Value second = arith::AddFOp::create(
              b, nested, arith::MulFOp::create(b, nested, x1, c),
              arith::MulFOp::create(b, nested, x0, sn));
          Value r = linalg::IndexOp::create(b, nested, 2);
          Value zero = arith::ConstantIndexOp::create(b, nested, 0);
          Value isFirst = arith::CmpIOp::create(b, nested,
                                                arith::CmpIPredicate::eq, r,
                                                zero);
          linalg::YieldOp::create(
              b, nested,
              arith::SelectOp::create(b, nested, isFirst, first, second)
                  .getResult());
        });
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, inputType, rotated.getResult(0), reassociation);
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateRopePatterns(RewritePatternSet &patterns) {
  patterns.add<RopeLowering>(patterns.getContext());
}
