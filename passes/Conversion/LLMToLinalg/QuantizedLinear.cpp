//===- QuantizedLinear.cpp - llm.matmul_int4 to linalg --------------------===//
//
// y[s, n] = sum_k x[s, k] * (q[n, k] - z[n, k / g]) * scale[n, k / g] is
// computed group by group without ever forming float weights:
//
//   dot[s, G, n] = sum_{j, b} x[s, G, j, b] * nibble_j(qweight[G, b, n])
//   xsum[s, G]   = sum_{j, b} x[s, G, j, b]
//   y[s, n]      = sum_G scale[G, n] * (dot[s, G, n] - z[G, n] * xsum[s, G])
//
// where x is viewed as [s, groups, 2, g / 2] (the two nibbles of a byte hold
// the two halves of a group), padded with zeros when g does not divide the
// inputs. The inner loop is unpack, convert and multiply-accumulate; scales
// and zero points are applied once per group.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

struct MatmulInt4Lowering : OpRewritePattern<MatmulInt4Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulInt4Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto inputType = op.getInput().getType();
    auto qType = op.getQweight().getType();
    Type f32 = inputType.getElementType();
    int64_t g = op.getGroupSize(), half = g / 2;
    int64_t groups = qType.getDimSize(0), out = qType.getDimSize(2);
    int64_t in = inputType.getDimSize(1), padded = groups * g;
    int64_t rows = inputType.getDimSize(0);

    SmallVector<Value> rowSizes;
    if (ShapedType::isDynamic(rows))
      rowSizes.push_back(tensor::DimOp::create(rewriter, loc, op.getInput(), 0));

    // x: [s, in] (/ input_scale) -> [s, groups * g] (zero padding) ->
    // [s, groups, 2, g / 2].
    Value x = op.getInput();
    if (Value scale = op.getInputScale()) {
      Value scaledInit = emptyLike(rewriter, loc, x);
      x = linalg::GenericOp::create(
              rewriter, loc, x.getType(), ValueRange{x, scale},
              ValueRange{scaledInit},
              ArrayRef<AffineMap>{identityMap(ctx, 2),
                                  projectionMap(ctx, 2, {1}),
                                  identityMap(ctx, 2)},
              iterators(2), [&](OpBuilder &b, Location nested, ValueRange args) {
                Value q = arith::DivFOp::create(b, nested, args[0], args[1]);
                linalg::YieldOp::create(b, nested, q);
              })
              .getResult(0);
    }
    if (padded != in) {
      Value zero = arith::ConstantOp::create(rewriter, loc, f32,
                                             rewriter.getFloatAttr(f32, 0.0));
      auto paddedType = RankedTensorType::get({rows, padded}, f32);
      x = tensor::PadOp::create(
          rewriter, loc, paddedType, x,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(padded - in)},
          zero);
    }
    auto groupedType = RankedTensorType::get({rows, groups, 2, half}, f32);
    OpFoldResult rowSize = rowSizes.empty()
                               ? OpFoldResult(rewriter.getIndexAttr(rows))
                               : OpFoldResult(rowSizes.front());
    x = tensor::ExpandShapeOp::create(
        rewriter, loc, groupedType, x,
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}},
        ArrayRef<OpFoldResult>{rowSize, rewriter.getIndexAttr(groups),
                               rewriter.getIndexAttr(2),
                               rewriter.getIndexAttr(half)});

    // dot[s, G, n] over (s, G, j, b, n): rows innermost, so the kernel
    // multiplies a broadcast input by a vector of contiguous rows and needs
    // no horizontal sums.
    Value dotInit = fill(
        rewriter, loc,
        emptyTensor(rewriter, loc, {rows, groups, out}, f32, rowSizes), 0.0);
    auto dot = linalg::GenericOp::create(
        rewriter, loc, dotInit.getType(), ValueRange{x, op.getQweight()},
        ValueRange{dotInit},
        ArrayRef<AffineMap>{projectionMap(ctx, 5, {0, 1, 2, 3}),
                            projectionMap(ctx, 5, {1, 3, 4}),
                            projectionMap(ctx, 5, {0, 1, 4})},
        ArrayRef<utils::IteratorType>{
            utils::IteratorType::parallel, utils::IteratorType::parallel,
            utils::IteratorType::reduction, utils::IteratorType::reduction,
            utils::IteratorType::parallel},
        [&](OpBuilder &b, Location nested, ValueRange args) {
          // nibble = (byte >> (4 * j)) & 15, j = 0 for the low half.
          Type i8 = b.getI8Type();
          Value j = linalg::IndexOp::create(b, nested, 2);
          Value j8 = arith::IndexCastOp::create(b, nested, i8, j);
          Value four = arith::ConstantOp::create(b, nested, i8,
                                                 b.getIntegerAttr(i8, 4));
          Value shift = arith::MulIOp::create(b, nested, j8, four);
          Value shifted = arith::ShRUIOp::create(b, nested, args[1], shift);
          Value mask = arith::ConstantOp::create(b, nested, i8,
                                                 b.getIntegerAttr(i8, 15));
          Value nibble = arith::AndIOp::create(b, nested, shifted, mask);
          Value w = arith::UIToFPOp::create(b, nested, f32, nibble);
          yieldMultiplyAccumulate(b, nested, args[0], w, args[2]);
        });

    // xsum[s, G] over (s, G, j, b).
    Value sumInit = fill(
        rewriter, loc, emptyTensor(rewriter, loc, {rows, groups}, f32, rowSizes),
        0.0);
    auto xsum = linalg::GenericOp::create(
        rewriter, loc, sumInit.getType(), ValueRange{x}, ValueRange{sumInit},
        ArrayRef<AffineMap>{identityMap(ctx, 4), projectionMap(ctx, 4, {0, 1})},
        iterators(2, 2), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value sum = arith::AddFOp::create(b, nested, args[0], args[1]);
          linalg::YieldOp::create(b, nested, sum);
        });

    // y[s, n] over (s, G, n).
    auto resultType = op.getResult().getType();
    SmallVector<Value> resultSizes;
    if (resultType.isDynamicDim(0))
      resultSizes.push_back(
          rowSizes.empty() ? arith::ConstantIndexOp::create(rewriter, loc, rows)
                                 .getResult()
                           : rowSizes.front());
    if (resultType.isDynamicDim(1))
      resultSizes.push_back(arith::ConstantIndexOp::create(rewriter, loc, out));
    Value init = fill(rewriter, loc,
                      emptyTensor(rewriter, loc, resultType.getShape(), f32,
                                  resultSizes),
                      0.0);
    auto result = linalg::GenericOp::create(
        rewriter, loc, resultType,
        ValueRange{dot.getResult(0), op.getScales(), op.getZeros(),
                   xsum.getResult(0)},
        ValueRange{init},
        ArrayRef<AffineMap>{identityMap(ctx, 3), projectionMap(ctx, 3, {1, 2}),
                            projectionMap(ctx, 3, {1, 2}),
                            projectionMap(ctx, 3, {0, 1}),
                            projectionMap(ctx, 3, {0, 2})},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::reduction,
                                      utils::IteratorType::parallel},
        [&](OpBuilder &b, Location nested, ValueRange args) {
          Value offset = arith::MulFOp::create(b, nested, args[2], args[3]);
          Value centered = arith::SubFOp::create(b, nested, args[0], offset);
          yieldMultiplyAccumulate(b, nested, centered, args[1], args[4]);
        });
    rewriter.replaceOp(op, result.getResults());
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateQuantizedLinearPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulInt4Lowering>(patterns.getContext());
}
