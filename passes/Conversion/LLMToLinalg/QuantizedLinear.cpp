//===- QuantizedLinear.cpp - llm.matmul_int4 to linalg --------------------===//
//
// y[s, n] = sum_k x[s, k] * (q[n, k] - z[n, k / g]) * scale[n, k / g] is
// computed without ever forming float weights in memory: with x viewed as
// [s, groups, 2, g / 2] (the low and high nibbles of a byte hold the two
// halves of a group; zero padding when g does not divide the inputs),
//
//   y[s, n] = sum_{G, j, b} x[s, G, j, b] * (nibble_j(qweight[G, b, n])
//                                            * scale[G, n] - z[G, n] * scale[G, n])
//
// over loops (s, G, j, b, n), the weight dequantized inside the vectorized
// inner loop (convert, then one fused multiply-add with the group's scale
// and scaled zero point, hoisted). The outputs n are innermost: the kernel
// multiplies a broadcast input by a vector of contiguous outputs and needs
// no horizontal sums. Prompts (dynamic rows) run in blocks of kRowBlock rows
// ([s / kRowBlock, kRowBlock, ...]): the weights do not index the block, so
// the CPU tiling keeps it whole in registers and every dequantized weight
// vector serves all of its rows.
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

/// Prompt rows that share each unpacked weight vector.
constexpr int64_t kRowBlock = 4;

/// Rows [offset, offset + count) of a [s, ...] tensor.
Value sliceRows(OpBuilder &b, Location loc, Value t, OpFoldResult offset,
                OpFoldResult count) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  offsets[0] = offset;
  sizes[0] = count;
  return tensor::ExtractSliceOp::create(b, loc, t, offsets, sizes, strides);
}

/// Writes `part` into rows [offset, ...) of `into`.
Value insertRows(OpBuilder &b, Location loc, Value part, Value into,
                 OpFoldResult offset) {
  auto type = cast<RankedTensorType>(part.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = offset;
  return tensor::InsertSliceOp::create(b, loc, part, into, offsets,
                                       tensor::getMixedSizes(b, loc, part), strides);
}

/// [m, rest...] -> [m / kRowBlock, kRowBlock, rest...] (m a multiple).
Value expandRows(OpBuilder &b, Location loc, Value t, OpFoldResult blocks) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape{ShapedType::kDynamic, kRowBlock};
  SmallVector<OpFoldResult> sizes{blocks, b.getIndexAttr(kRowBlock)};
  SmallVector<ReassociationIndices> groups{{0, 1}};
  for (int64_t d = 1; d < type.getRank(); ++d) {
    shape.push_back(type.getDimSize(d));
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    groups.push_back({d + 1});
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t, groups,
      sizes);
}

/// [blocks, kRowBlock, rest...] -> [blocks * kRowBlock, rest...].
Value collapseRows(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<ReassociationIndices> groups{{0, 1}};
  for (int64_t d = 2; d < type.getRank(); ++d)
    groups.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, t, groups);
}

/// The loops (r..., G, j, b, n) of a kernel over x [r..., G, 2, g / 2] with
/// `rowDims` leading row dimensions.
struct KernelLoops {
  explicit KernelLoops(unsigned rowDims)
      : rowDims(rowDims), group(rowDims), nibble(rowDims + 1),
        byte(rowDims + 2), output(rowDims + 3), count(rowDims + 4) {}
  /// The row loops followed by `more`.
  SmallVector<unsigned> rowsThen(ArrayRef<unsigned> more) const {
    SmallVector<unsigned> dims = llvm::to_vector(llvm::seq(0u, rowDims));
    dims.append(more.begin(), more.end());
    return dims;
  }
  unsigned rowDims, group, nibble, byte, output, count;
};

/// Zeros of shape [rows of x..., trailing...].
Value zerosWithRows(OpBuilder &b, Location loc, Value x, unsigned rowDims,
                    ArrayRef<int64_t> trailing) {
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(xType.getShape().take_front(rowDims));
  shape.append(trailing.begin(), trailing.end());
  SmallVector<Value> dynamicSizes;
  for (unsigned d = 0; d < rowDims; ++d)
    if (xType.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, x, d));
  return fill(b, loc,
              emptyTensor(b, loc, shape, xType.getElementType(), dynamicSizes),
              0.0);
}

/// nibble_j(byte) = (byte >> 4 j) & 15 as a float of `type`, j being the
/// generic's loop `nibbleLoop`.
Value unpackNibble(OpBuilder &b, Location loc, Value byte, unsigned nibbleLoop,
                   Type type) {
  Type i8 = b.getI8Type();
  Value j = arith::IndexCastOp::create(
      b, loc, i8, linalg::IndexOp::create(b, loc, nibbleLoop));
  Value shift = arith::MulIOp::create(
      b, loc, j, arith::ConstantOp::create(b, loc, i8, b.getIntegerAttr(i8, 4)));
  Value shifted = arith::ShRUIOp::create(b, loc, byte, shift);
  Value value = arith::AndIOp::create(
      b, loc, shifted,
      arith::ConstantOp::create(b, loc, i8, b.getIntegerAttr(i8, 15)));
  return arith::UIToFPOp::create(b, loc, type, value);
}

/// y rows [r..., n] = sum_{G, j, b} x[r..., G, j, b] * w(G, j, b, n) with the
/// weight dequantized in the loop, w = (nibble_j(q[G, b, n]) - z[G, n]) *
/// scale[G, n], for x [r..., G, 2, g / 2] with `rowDims` leading row
/// dimensions (1: rows; 2: blocks of kRowBlock rows, which share each
/// dequantized weight vector). No per-group intermediate is written to
/// memory.
Value buildDequantizedProducts(OpBuilder &b, Location loc, Value x,
                               Value qweight, Value scales, Value zeros,
                               unsigned rowDims) {
  MLIRContext *ctx = b.getContext();
  int64_t out = cast<RankedTensorType>(qweight.getType()).getDimSize(2);
  Value init = zerosWithRows(b, loc, x, rowDims, {out});
  KernelLoops l(rowDims);
  SmallVector<utils::IteratorType> kinds(l.count,
                                         utils::IteratorType::parallel);
  kinds[l.group] = kinds[l.nibble] = kinds[l.byte] =
      utils::IteratorType::reduction;
  AffineMap perGroup = projectionMap(ctx, l.count, {l.group, l.output});
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, qweight, scales, zeros},
             ValueRange{init},
             ArrayRef<AffineMap>{
                 projectionMap(ctx, l.count,
                               l.rowsThen({l.group, l.nibble, l.byte})),
                 projectionMap(ctx, l.count, {l.group, l.byte, l.output}),
                 perGroup, perGroup,
                 projectionMap(ctx, l.count, l.rowsThen({l.output}))},
             kinds,
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               Value q = unpackNibble(nb, nested, args[1], l.nibble,
                                      args[0].getType());
               // q * scale - zero * scale: the second product depends only
               // on the group and output (hoisted out of the inner loops),
               // and the difference contracts to one fused multiply-add.
               Value qs = arith::MulFOp::create(nb, nested, q, args[2]);
               Value zs = arith::MulFOp::create(nb, nested, args[3], args[2]);
               Value w = arith::SubFOp::create(nb, nested, qs, zs);
               yieldMultiplyAccumulate(nb, nested, args[0], w, args[4]);
             })
      .getResult(0);
}

struct MatmulInt4Lowering : OpRewritePattern<MatmulInt4Op> {
  using OpRewritePattern::OpRewritePattern;

  /// `y` scaled by the inverse RMS of the op's input rows with
  /// `rms_norm_eps`, else `y`.
  static Value normalizeRows(OpBuilder &b, MatmulInt4Op op, Value y) {
    std::optional<APFloat> eps = op.getRmsNormEps();
    if (!eps)
      return y;
    return scaleRowsByInverseRMS(b, op.getLoc(), op.getInput(), y,
                                 eps->convertToDouble());
  }

  LogicalResult matchAndRewrite(MatmulInt4Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto inputType = op.getInput().getType();
    auto qType = op.getQweight().getType();
    Type f32 = inputType.getElementType();
    int64_t g = op.getGroupSize(), half = g / 2;
    int64_t groups = qType.getDimSize(0);
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

    Value scales = op.getScales(), zeros = op.getZeros();

    // A known handful of rows (decode): one pass over the weights per row.
    if (!ShapedType::isDynamic(rows) && rows < kRowBlock) {
      rewriter.replaceOp(
          op, normalizeRows(rewriter, op,
                            buildDequantizedProducts(rewriter, loc, x,
                                                     op.getQweight(), scales,
                                                     zeros, 1)));
      return success();
    }

    // Otherwise (prompts) rows [0, blocked) in blocks of kRowBlock, which
    // share each dequantized weight vector, and the remaining rows
    // [blocked, s) one by one, each part writing its rows of y.
    Value rowCount = tensor::DimOp::create(rewriter, loc, x, 0);
    Value block = arith::ConstantIndexOp::create(rewriter, loc, kRowBlock);
    Value blocks = arith::DivUIOp::create(rewriter, loc, rowCount, block);
    Value blocked = arith::MulIOp::create(rewriter, loc, blocks, block);
    Value rest = arith::SubIOp::create(rewriter, loc, rowCount, blocked);
    OpFoldResult zero = rewriter.getIndexAttr(0);

    Value blockRows = collapseRows(
        rewriter, loc,
        buildDequantizedProducts(
            rewriter, loc,
            expandRows(rewriter, loc,
                       sliceRows(rewriter, loc, x, zero, blocked), blocks),
            op.getQweight(), scales, zeros, 2));
    auto resultType = op.getResult().getType();
    Value init = emptyTensor(rewriter, loc, resultType.getShape(), f32,
                             resultType.isDynamicDim(0)
                                 ? ValueRange{rowCount}
                                 : ValueRange{});
    Value result = insertRows(rewriter, loc, blockRows, init, zero);
    Value restRows = buildDequantizedProducts(
        rewriter, loc, sliceRows(rewriter, loc, x, blocked, rest),
        op.getQweight(), scales, zeros, 1);
    result = insertRows(rewriter, loc, restRows, result, blocked);
    if (result.getType() != resultType)
      result = tensor::CastOp::create(rewriter, loc, resultType, result);
    rewriter.replaceOp(op, normalizeRows(rewriter, op, result));
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateQuantizedLinearPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulInt4Lowering>(patterns.getContext());
}
