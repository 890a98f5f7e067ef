//===- QuantizedLinear.cpp - llm.matmul_int4 to linalg --------------------===//
//
// y[s, n] = sum_k x[s, k] * (q[n, k] - z[n, k / g]) * scale[n, k / g] is
// computed without ever forming float weights in memory: with x viewed as
// [s, groups, 2, g / 2] (the low and high nibbles of a byte hold the two
// halves of a group; zero padding when g does not divide the inputs),
//
//   y[s, n] = sum_{G, b} x[s, G, 0, b] * w(lo(qweight[G, b, n]), G, n)
//                      + x[s, G, 1, b] * w(hi(qweight[G, b, n]), G, n),
//   w(q, G, n) = q * scale[G, n] - z[G, n] * scale[G, n]
//
// over loops (s, G, b, n): each packed byte is loaded once and both of its
// nibbles are dequantized inside the vectorized inner loop (a mask or a
// shift, a convert, then one fused multiply-subtract with the group's scale
// and hoisted scaled zero point). The outputs n are innermost: the kernel
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

/// The loops (r..., G, b, n) of a kernel over x [r..., G, 2, g / 2] with
/// `rowDims` leading row dimensions.
struct KernelLoops {
  explicit KernelLoops(unsigned rowDims)
      : rowDims(rowDims), group(rowDims), byte(rowDims + 1),
        output(rowDims + 2), count(rowDims + 3) {}
  /// The row loops followed by `more`.
  SmallVector<unsigned> rowsThen(ArrayRef<unsigned> more) const {
    SmallVector<unsigned> dims = llvm::to_vector(llvm::seq(0u, rowDims));
    dims.append(more.begin(), more.end());
    return dims;
  }
  unsigned rowDims, group, byte, output, count;
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

/// Half `j` of every group of x [r..., G, 2, g / 2]: the inputs that the
/// nibbles `j` of the packed bytes multiply, as [r..., G, g / 2] (a strided
/// view, no copy).
Value groupHalf(OpBuilder &b, Location loc, Value x, int64_t j) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  offsets[rank - 2] = b.getIndexAttr(j);
  sizes[rank - 2] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + rank - 2);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, offsets,
      sizes, strides);
}

/// The nibble of `byte` selected by `keepHigh` (byte >> 4, else byte & 15),
/// as a float of `type`.
Value unpackNibble(OpBuilder &b, Location loc, Value byte, bool keepHigh,
                   Type type) {
  Type i8 = b.getI8Type();
  Value value =
      keepHigh ? arith::ShRUIOp::create(
                     b, loc, byte,
                     arith::ConstantOp::create(b, loc, i8,
                                               b.getIntegerAttr(i8, 4)))
                     .getResult()
               : arith::AndIOp::create(
                     b, loc, byte,
                     arith::ConstantOp::create(b, loc, i8,
                                               b.getIntegerAttr(i8, 15)))
                     .getResult();
  return arith::UIToFPOp::create(b, loc, type, value);
}

/// y rows [r..., n] = sum_{G, b} (x[r..., G, 0, b] * w_lo(G, b, n) +
/// x[r..., G, 1, b] * w_hi(G, b, n)) with both nibbles of each packed byte
/// dequantized in the loop, w = nibble * scale[G, n] - z[G, n] * scale[G, n],
/// for x [r..., G, 2, g / 2] with `rowDims` leading row dimensions (1:
/// rows; 2: blocks of kRowBlock rows, which share each dequantized weight
/// vector). Each byte is loaded and unpacked once; no per-group
/// intermediate is written to memory.
Value buildDequantizedProducts(OpBuilder &b, Location loc, Value x,
                               Value qweight, Value scales, Value zeros,
                               unsigned rowDims) {
  MLIRContext *ctx = b.getContext();
  int64_t out = cast<RankedTensorType>(qweight.getType()).getDimSize(2);
  Value init = zerosWithRows(b, loc, x, rowDims, {out});
  KernelLoops l(rowDims);
  SmallVector<utils::IteratorType> kinds(l.count,
                                         utils::IteratorType::parallel);
  kinds[l.group] = kinds[l.byte] = utils::IteratorType::reduction;
  AffineMap half = projectionMap(ctx, l.count, l.rowsThen({l.group, l.byte}));
  AffineMap perGroup = projectionMap(ctx, l.count, {l.group, l.output});
  return linalg::GenericOp::create(
             b, loc, init.getType(),
             ValueRange{groupHalf(b, loc, x, 0), groupHalf(b, loc, x, 1),
                        qweight, scales, zeros},
             ValueRange{init},
             ArrayRef<AffineMap>{
                 half, half,
                 projectionMap(ctx, l.count, {l.group, l.byte, l.output}),
                 perGroup, perGroup,
                 projectionMap(ctx, l.count, l.rowsThen({l.output}))},
             kinds,
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               Type f32 = args[0].getType();
               Value scale = args[3];
               // nibble * scale - zero * scale: the second product depends
               // only on the group and output (hoisted out of the inner
               // loops), and the difference contracts to one fused
               // multiply-subtract.
               Value zeroScaled =
                   arith::MulFOp::create(nb, nested, args[4], scale);
               SmallVector<Value, 2> products;
               for (bool high : {false, true}) {
                 Value q = unpackNibble(nb, nested, args[2], high, f32);
                 Value w = arith::SubFOp::create(
                     nb, nested, arith::MulFOp::create(nb, nested, q, scale),
                     zeroScaled);
                 products.push_back(
                     arith::MulFOp::create(nb, nested, args[high ? 1 : 0], w));
               }
               // The pair is summed before it meets the accumulator, so that
               // the body stays one reduction (acc + ...) for vectorization.
               Value pair = arith::AddFOp::create(nb, nested, products[0],
                                                  products[1]);
               linalg::YieldOp::create(
                   nb, nested,
                   arith::AddFOp::create(nb, nested, args[5], pair).getResult());
             })
      .getResult(0);
}

/// For a few static rows (decode), where nothing shares an unpacked
/// weight: y rows [r, n] from per-group dot products of the raw nibbles,
///
///   lo[r, G, n] = sum_b x[r, G, 0, b] * nibble_lo(q[G, b, n])
///   hi[r, G, n] = sum_b x[r, G, 1, b] * nibble_hi(q[G, b, n])
///   y[r, n] = sum_G scale[G, n] * (lo + hi)[r, G, n]
///                   - zero[G, n] * scale[G, n] * sum_b x[r, G, :, b]
///
/// The inner loop (over b, the outputs n in vector lanes) is only unpack,
/// convert and multiply-add into two accumulators: the scale and zero
/// point are applied once per group and output rather than per weight.
/// The per-group sums are `groups` times the output's size, small next to
/// the packed weights read.
Value buildGroupDotProducts(OpBuilder &b, Location loc, Value x, Value qweight,
                            Value scales, Value zeros) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  Type f32 = xType.getElementType();
  int64_t rows = xType.getDimSize(0), groups = xType.getDimSize(1);
  int64_t out = cast<RankedTensorType>(qweight.getType()).getDimSize(2);
  Value xLo = groupHalf(b, loc, x, 0), xHi = groupHalf(b, loc, x, 1);

  // Loops (r, G, b, n): the group is parallel here.
  auto sumsInit = [&] {
    return fill(b, loc, emptyTensor(b, loc, {rows, groups, out}, f32, {}),
                0.0);
  };
  Value loInit = sumsInit(), hiInit = sumsInit();
  auto dots = linalg::GenericOp::create(
      b, loc, TypeRange{loInit.getType(), hiInit.getType()},
      ValueRange{xLo, xHi, qweight}, ValueRange{loInit, hiInit},
      ArrayRef<AffineMap>{projectionMap(ctx, 4, {0, 1, 2}),
                          projectionMap(ctx, 4, {0, 1, 2}),
                          projectionMap(ctx, 4, {1, 2, 3}),
                          projectionMap(ctx, 4, {0, 1, 3}),
                          projectionMap(ctx, 4, {0, 1, 3})},
      ArrayRef<utils::IteratorType>{
          utils::IteratorType::parallel, utils::IteratorType::parallel,
          utils::IteratorType::reduction, utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nested, ValueRange args) {
        SmallVector<Value, 2> sums;
        for (bool high : {false, true}) {
          Value q = unpackNibble(nb, nested, args[2], high, f32);
          Value product = arith::MulFOp::create(nb, nested, args[high], q);
          sums.push_back(
              arith::AddFOp::create(nb, nested, args[3 + high], product));
        }
        linalg::YieldOp::create(nb, nested, sums);
      });

  // Input sums per group: xs[r, G] = sum_b x[r, G, 0, b] + x[r, G, 1, b].
  Value xsInit = fill(b, loc, emptyTensor(b, loc, {rows, groups}, f32, {}), 0.0);
  Value inputSums =
      linalg::GenericOp::create(
          b, loc, xsInit.getType(), ValueRange{xLo, xHi}, ValueRange{xsInit},
          ArrayRef<AffineMap>{identityMap(ctx, 3), identityMap(ctx, 3),
                              projectionMap(ctx, 3, {0, 1})},
          iterators(2, 1),
          [&](OpBuilder &nb, Location nested, ValueRange args) {
            Value pair = arith::AddFOp::create(nb, nested, args[0], args[1]);
            linalg::YieldOp::create(
                nb, nested,
                arith::AddFOp::create(nb, nested, args[2], pair).getResult());
          })
          .getResult(0);

  // Loops (r, G, n), the group a reduction outside the outputs.
  Value init = fill(b, loc, emptyTensor(b, loc, {rows, out}, f32, {}), 0.0);
  AffineMap perRowGroupOutput = identityMap(ctx, 3);
  AffineMap perGroupOutput = projectionMap(ctx, 3, {1, 2});
  return linalg::GenericOp::create(
             b, loc, init.getType(),
             ValueRange{dots.getResult(0), dots.getResult(1), inputSums,
                        scales, zeros},
             ValueRange{init},
             ArrayRef<AffineMap>{perRowGroupOutput, perRowGroupOutput,
                                 projectionMap(ctx, 3, {0, 1}),
                                 perGroupOutput, perGroupOutput,
                                 projectionMap(ctx, 3, {0, 2})},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::reduction,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               Value scale = args[3];
               Value dot = arith::AddFOp::create(nb, nested, args[0], args[1]);
               Value zeroScaled =
                   arith::MulFOp::create(nb, nested, args[4], scale);
               Value term = arith::SubFOp::create(
                   nb, nested, arith::MulFOp::create(nb, nested, scale, dot),
                   arith::MulFOp::create(nb, nested, zeroScaled, args[2]));
               linalg::YieldOp::create(
                   nb, nested,
                   arith::AddFOp::create(nb, nested, args[5], term).getResult());
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
                            buildGroupDotProducts(rewriter, loc, x,
                                                  op.getQweight(), scales,
                                                  zeros)));
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
