//===- WeightTransforms.cpp - weight-transform ops to linalg --------------===//
//
// The ops of @prepare: scaled columns, group-wise INT4 quantization into the
// packed layout of llm.matmul_int4, and AutoAWQ repacking. Each is a few
// linalg.generic ops over the weights (parallel over rows, so the CPU
// pipeline spreads packing over threads), reading 16-bit weights in place
// and widening them in registers.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

Value f32Constant(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}
Value i32Constant(OpBuilder &b, Location loc, int32_t value) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(value));
}

/// A tensor of `shape` and `elementType` filled with `value` (an attribute
/// of that type).
Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
             TypedAttr value) {
  Value init = tensor::EmptyOp::create(b, loc, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{init})
      .getResult(0);
}

/// `linalg.index dim` as an i32.
Value indexI32(OpBuilder &b, Location loc, int64_t dim) {
  Value index = linalg::IndexOp::create(b, loc, dim);
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), index);
}

/// result[n, k] = weight[n, k] * scale[k], in f32.
struct ScaleColumnsLowering : OpRewritePattern<ScaleColumnsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleColumnsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = op.getResult().getType();
    Value init = emptyTensor(rewriter, loc, type.getShape(),
                             type.getElementType(), {});
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{op.getWeight(), op.getScale()},
        ValueRange{init},
        ArrayRef<AffineMap>{identityMap(ctx, 2), projectionMap(ctx, 2, {1}),
                            identityMap(ctx, 2)},
        iterators(2), [&](OpBuilder &b, Location nested, ValueRange args) {
          Type f32 = b.getF32Type();
          Value product =
              arith::MulFOp::create(b, nested, convertFloat(b, nested, args[0], f32),
                                    convertFloat(b, nested, args[1], f32));
          linalg::YieldOp::create(b, nested, product);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Scales (f32, values f16 holds exactly or rounds) or zero points (f32
/// codes 0..15) [groups, out] as the pack's `packedType` (the op's result:
/// f16 scales or i8 zero points [out / tile, groups, tile]).
Value packParameters(OpBuilder &b, Location loc, Value perGroup,
                     RankedTensorType packedType) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(perGroup.getType());
  int64_t groups = type.getDimSize(0);
  int64_t tiles = packedType.getDimSize(0), tile = packedType.getDimSize(2);
  Value tiled = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({groups, tiles, tile}, type.getElementType()),
      perGroup, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  return linalg::GenericOp::create(
             b, loc, packedType, ValueRange{tiled},
             ValueRange{emptyTensor(b, loc, packedType.getShape(),
                                    packedType.getElementType(), {})},
             ArrayRef<AffineMap>{projectionMap(ctx, 3, {1, 0, 2}),
                                 identityMap(ctx, 3)},
             iterators(3),
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               Type element = packedType.getElementType();
               Value packed =
                   isa<IntegerType>(element)
                       ? arith::FPToUIOp::create(nb, nested, element, args[0])
                             .getResult()
                       : arith::TruncFOp::create(nb, nested, element, args[0])
                             .getResult();
               linalg::YieldOp::create(nb, nested, ValueRange{packed});
             })
      .getResult(0);
}

/// llm.quantize_int4 as four linalg ops:
///   1. the weight, padded with NaN to whole groups when its rows end in a
///      partial one, viewed as [out, groups, group_size];
///   2. each group's range (min and max, or max |w|), NaN ignored;
///   3. scales (rounded to f16) and zero points [groups, out];
///   4. the words [out / tile, groups, group_size / 8, tile], each the OR of
///      its 8 nibbles (a reduction over s), with the weight viewed as
///      [out / tile, tile, groups, 8, group_size / 8].
struct QuantizeInt4Lowering : OpRewritePattern<QuantizeInt4Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeInt4Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value weight = op.getWeight();
    auto weightType = cast<RankedTensorType>(weight.getType());
    Type element = weightType.getElementType();
    int64_t out = weightType.getDimSize(0), in = weightType.getDimSize(1);
    int64_t g = op.getGroupSize(), groups = (in + g - 1) / g;
    int64_t tile = int4RowTile(out), perGroup = g / kInt4NibblesPerWord;
    bool symmetric = op.getSymmetric();
    Type f32 = rewriter.getF32Type();

    // 1. Whole groups: padding is NaN, which the ranges ignore and which
    //    quantizes to the zero point (a weight of 0).
    if (in % g) {
      auto padded = RankedTensorType::get({out, groups * g}, element);
      Value nan = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getFloatAttr(element,
                                std::numeric_limits<double>::quiet_NaN()));
      weight = tensor::PadOp::create(
          rewriter, loc, padded, weight,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(groups * g - in)},
          nan);
    }
    Value grouped = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({out, groups, g}, element),
        weight, ArrayRef<ReassociationIndices>{{0}, {1, 2}});

    // 2. Ranges [out, groups].
    auto rangeType = RankedTensorType::get({out, groups}, f32);
    float inf = std::numeric_limits<float>::infinity();
    SmallVector<Value> rangeInits;
    if (symmetric) {
      rangeInits.push_back(
          filled(rewriter, loc, {out, groups}, rewriter.getF32FloatAttr(0)));
    } else {
      rangeInits.push_back(
          filled(rewriter, loc, {out, groups}, rewriter.getF32FloatAttr(inf)));
      rangeInits.push_back(filled(rewriter, loc, {out, groups},
                                  rewriter.getF32FloatAttr(-inf)));
    }
    SmallVector<AffineMap> rangeMaps = {identityMap(ctx, 3)};
    rangeMaps.append(rangeInits.size(), projectionMap(ctx, 3, {0, 1}));
    SmallVector<Type> rangeTypes(rangeInits.size(), rangeType);
    auto ranges = linalg::GenericOp::create(
        rewriter, loc, rangeTypes, ValueRange{grouped}, rangeInits, rangeMaps,
        iterators(2, 1), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value x = convertFloat(b, nested, args[0], f32);
          if (symmetric) {
            Value magnitude = math::AbsFOp::create(b, nested, x);
            linalg::YieldOp::create(
                b, nested,
                ValueRange{arith::MaxNumFOp::create(b, nested, args[1],
                                                    magnitude)});
            return;
          }
          linalg::YieldOp::create(
              b, nested,
              ValueRange{arith::MinNumFOp::create(b, nested, args[1], x),
                         arith::MaxNumFOp::create(b, nested, args[2], x)});
        });

    // 3. Scales and zero points [groups, out].
    auto groupType = RankedTensorType::get({groups, out}, f32);
    Value scaleInit = emptyTensor(rewriter, loc, {groups, out}, f32, {});
    Value zeroInit = emptyTensor(rewriter, loc, {groups, out}, f32, {});
    SmallVector<AffineMap> paramMaps(ranges.getNumResults(),
                                     projectionMap(ctx, 2, {1, 0}));
    paramMaps.append(2, identityMap(ctx, 2));
    auto parameters = linalg::GenericOp::create(
        rewriter, loc, TypeRange{groupType, groupType}, ranges.getResults(),
        ValueRange{scaleInit, zeroInit}, paramMaps, iterators(2),
        [&](OpBuilder &b, Location nested, ValueRange args) {
          Value tiny = f32Constant(b, nested, 1e-5f);
          Value scale, zero;
          if (symmetric) {
            scale = roundToHalf(
                b, nested,
                arith::DivFOp::create(
                    b, nested,
                    arith::MaximumFOp::create(b, nested, args[0], tiny),
                    f32Constant(b, nested, 7.0f)));
            zero = f32Constant(b, nested, 8.0f);
          } else {
            Value lo = args[0], hi = args[1];
            Value span = arith::SubFOp::create(b, nested, hi, lo);
            scale = roundToHalf(b, nested,
                                arith::DivFOp::create(
                                    b, nested,
                                    arith::MaximumFOp::create(b, nested, span,
                                                              tiny),
                                    f32Constant(b, nested, 15.0f)));
            Value negated = arith::NegFOp::create(b, nested, lo);
            Value rounded = math::RoundEvenOp::create(
                b, nested, arith::DivFOp::create(b, nested, negated, scale));
            zero = clampNibble(b, nested, rounded);
          }
          linalg::YieldOp::create(b, nested, ValueRange{scale, zero});
        });
    Value scales = parameters.getResult(0), zeros = parameters.getResult(1);

    // 4. Words: loops (nt, g, b, t, s), s the nibble (a reduction).
    Value tiled = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get(
            {out / tile, tile, groups, kInt4NibblesPerWord, perGroup},
            element),
        weight, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3, 4}});
    auto tiledParams = [&](Value v) {
      return tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({groups, out / tile, tile}, f32), v,
          ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    };
    Value tiledScales = tiledParams(scales), tiledZeros = tiledParams(zeros);
    RankedTensorType qweightType = op.getQweight().getType();
    Value words = filled(rewriter, loc, qweightType.getShape(),
                         rewriter.getI32IntegerAttr(0));
    auto pack = linalg::GenericOp::create(
        rewriter, loc, qweightType, ValueRange{tiled, tiledScales, tiledZeros},
        ValueRange{words},
        ArrayRef<AffineMap>{projectionMap(ctx, 5, {0, 3, 1, 4, 2}),
                            projectionMap(ctx, 5, {1, 0, 3}),
                            projectionMap(ctx, 5, {1, 0, 3}),
                            projectionMap(ctx, 5, {0, 1, 2, 3})},
        iterators(4, 1), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value x = convertFloat(b, nested, args[0], f32);
          Value scale = args[1], zero = args[2];
          Value code = arith::AddFOp::create(
              b, nested,
              math::RoundEvenOp::create(
                  b, nested, arith::DivFOp::create(b, nested, x, scale)),
              zero);
          code = clampNibble(b, nested, code);
          // Padding (NaN) is the zero point.
          Value isPadding = arith::CmpFOp::create(
              b, nested, arith::CmpFPredicate::UNO, x, x);
          code = arith::SelectOp::create(b, nested, isPadding, zero, code);
          Value nibble =
              arith::FPToUIOp::create(b, nested, b.getI32Type(), code);
          Value shift = arith::MulIOp::create(b, nested, indexI32(b, nested, 4),
                                              i32Constant(b, nested, 4));
          Value placed = arith::ShLIOp::create(b, nested, nibble, shift);
          linalg::YieldOp::create(
              b, nested, ValueRange{arith::OrIOp::create(b, nested, args[3],
                                                         placed)});
        });
    rewriter.replaceOp(op, {pack.getResult(0),
                            packParameters(rewriter, loc, scales,
                                           op.getScales().getType()),
                            packParameters(rewriter, loc, zeros,
                                           op.getZeros().getType())});
    return success();
  }

  /// `value` rounded to the nearest f16 (the precision the pack stores),
  /// as f32.
  static Value roundToHalf(OpBuilder &b, Location loc, Value value) {
    Value half = arith::TruncFOp::create(b, loc, b.getF16Type(), value);
    return arith::ExtFOp::create(b, loc, b.getF32Type(), half);
  }

  /// clamp(value, 0, 15).
  static Value clampNibble(OpBuilder &b, Location loc, Value value) {
    Value low = arith::MaximumFOp::create(b, loc, value, f32Constant(b, loc, 0));
    return arith::MinimumFOp::create(b, loc, low, f32Constant(b, loc, 15));
  }
};

/// The nibble of an AutoAWQ word that holds output `m` (0..7) of its 8:
/// AWQ stores outputs in the order 0, 2, 4, 6, 1, 3, 5, 7, so output m is
/// nibble (m % 2) * 4 + m / 2. Returns its bit offset.
Value awqNibbleShift(OpBuilder &b, Location loc, Value m) {
  Value odd = arith::AndIOp::create(b, loc, m, i32Constant(b, loc, 1));
  Value half = arith::ShRUIOp::create(b, loc, m, i32Constant(b, loc, 1));
  Value nibble = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, odd, i32Constant(b, loc, 4)), half);
  return arith::MulIOp::create(b, loc, nibble, i32Constant(b, loc, 4));
}

/// (word >> shift) & 15.
Value extractNibble(OpBuilder &b, Location loc, Value word, Value shift) {
  Value shifted = arith::ShRUIOp::create(b, loc, word, shift);
  return arith::AndIOp::create(b, loc, shifted, i32Constant(b, loc, 15));
}

/// llm.repack_awq: zero points unpacked from AWQ's words, scales widened,
/// and each word of ours gathered from the 8 AWQ words of its nibbles.
struct RepackAwqLowering : OpRewritePattern<RepackAwqOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RepackAwqOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type f32 = rewriter.getF32Type();
    auto qweightType = op.getQweight().getType();
    int64_t in = qweightType.getDimSize(0),
            out = qweightType.getDimSize(1) * 8;
    int64_t g = op.getGroupSize(), groups = in / g;
    int64_t tile = int4RowTile(out), perGroup = g / kInt4NibblesPerWord;

    // Zero points [groups, out / 8, 8] from qzeros [groups, out / 8].
    auto zerosType = RankedTensorType::get({groups, out / 8, 8}, f32);
    auto zeros = linalg::GenericOp::create(
        rewriter, loc, zerosType, ValueRange{op.getQzeros()},
        ValueRange{emptyTensor(rewriter, loc, zerosType.getShape(), f32, {})},
        ArrayRef<AffineMap>{projectionMap(ctx, 3, {0, 1}),
                            identityMap(ctx, 3)},
        iterators(3), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value shift = awqNibbleShift(b, nested, indexI32(b, nested, 2));
          Value code = extractNibble(b, nested, args[0], shift);
          linalg::YieldOp::create(
              b, nested,
              ValueRange{arith::UIToFPOp::create(b, nested, f32, code)});
        });
    Value zeroPoints = tensor::CollapseShapeOp::create(
        rewriter, loc, zeros.getResult(0),
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});

    auto groupType = RankedTensorType::get({groups, out}, f32);
    auto scales = linalg::GenericOp::create(
        rewriter, loc, groupType, ValueRange{op.getAwqScales()},
        ValueRange{emptyTensor(rewriter, loc, {groups, out}, f32, {})},
        ArrayRef<AffineMap>{identityMap(ctx, 2), identityMap(ctx, 2)},
        iterators(2), [&](OpBuilder &b, Location nested, ValueRange args) {
          linalg::YieldOp::create(b, nested,
                                  ValueRange{convertFloat(b, nested, args[0], f32)});
        });

    // Words: loops (nt, g, b, t1, t0, s), row nt * tile + 8 t1 + t0 and
    // input g * group_size + s * group_size / 8 + b; s is a reduction.
    Value awq = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({groups, kInt4NibblesPerWord, perGroup,
                               out / tile, tile / 8},
                              rewriter.getI32Type()),
        op.getQweight(), ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4}});
    auto wordsType = RankedTensorType::get(
        {out / tile, groups, perGroup, tile / 8, 8}, rewriter.getI32Type());
    Value init = filled(rewriter, loc, wordsType.getShape(),
                        rewriter.getI32IntegerAttr(0));
    auto words = linalg::GenericOp::create(
        rewriter, loc, wordsType, ValueRange{awq}, ValueRange{init},
        ArrayRef<AffineMap>{projectionMap(ctx, 6, {1, 5, 2, 0, 3}),
                            projectionMap(ctx, 6, {0, 1, 2, 3, 4})},
        iterators(5, 1), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value shift = awqNibbleShift(b, nested, indexI32(b, nested, 4));
          Value code = extractNibble(b, nested, args[0], shift);
          Value place = arith::MulIOp::create(b, nested, indexI32(b, nested, 5),
                                              i32Constant(b, nested, 4));
          Value placed = arith::ShLIOp::create(b, nested, code, place);
          linalg::YieldOp::create(
              b, nested, ValueRange{arith::OrIOp::create(b, nested, args[1],
                                                         placed)});
        });
    Value packed = tensor::CollapseShapeOp::create(
        rewriter, loc, op.getPacked().getType(), words.getResult(0),
        ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    rewriter.replaceOp(op, {packed,
                            packParameters(rewriter, loc, scales.getResult(0),
                                           op.getScales().getType()),
                            packParameters(rewriter, loc, zeroPoints,
                                           op.getZeros().getType())});
    return success();
  }
};

/// llm.repack_q4_0: scales read from each block's fp16 bytes, zero points 8,
/// and each word of ours gathered from the nibbles of its row's block.
struct RepackQ4_0Lowering : OpRewritePattern<RepackQ4_0Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RepackQ4_0Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
    Value blocks = op.getBlocks();
    auto blocksType = cast<RankedTensorType>(blocks.getType());
    const int64_t out = blocksType.getDimSize(0);
    const int64_t groups = blocksType.getDimSize(1) / RepackQ4_0Op::kBlockBytes;
    const int64_t g = RepackQ4_0Op::kBlockValues, tile = int4RowTile(out);
    const int64_t perGroup = g / kInt4NibblesPerWord;
    auto index = [](OpBuilder &b, Location l, int64_t v) {
      return arith::ConstantIndexOp::create(b, l, v).getResult();
    };
    /// blocks[row, group * 18 + offset] zero-extended to i32.
    auto byteAt = [&](OpBuilder &b, Location l, Value row, Value group, Value offset) {
      Value base = arith::MulIOp::create(b, l, group, index(b, l, RepackQ4_0Op::kBlockBytes));
      Value column = arith::AddIOp::create(b, l, base, offset);
      Value byte = tensor::ExtractOp::create(b, l, blocks, ValueRange{row, column});
      return arith::ExtUIOp::create(b, l, i32, byte).getResult();
    };

    // Scales [groups, out]: the fp16 at the start of each block.
    auto groupType = RankedTensorType::get({groups, out}, f32);
    auto scales = linalg::GenericOp::create(
        rewriter, loc, groupType, ValueRange{},
        ValueRange{emptyTensor(rewriter, loc, {groups, out}, f32, {})},
        ArrayRef<AffineMap>{identityMap(ctx, 2)}, iterators(2),
        [&](OpBuilder &b, Location nested, ValueRange) {
          Value group = linalg::IndexOp::create(b, nested, 0);
          Value row = linalg::IndexOp::create(b, nested, 1);
          Value lo = byteAt(b, nested, row, group, index(b, nested, 0));
          Value hi = byteAt(b, nested, row, group, index(b, nested, 1));
          Value bits = arith::OrIOp::create(
              b, nested, lo, arith::ShLIOp::create(b, nested, hi, i32Constant(b, nested, 8)));
          Value half = arith::BitcastOp::create(
              b, nested, b.getF16Type(), arith::TruncIOp::create(b, nested, b.getI16Type(), bits));
          linalg::YieldOp::create(b, nested,
                                  ValueRange{arith::ExtFOp::create(b, nested, f32, half)});
        });

    // Words [out / tile, groups, group / 8, tile]: loops (nt, g, b, t, s),
    // nibble s holds input s * group / 8 + b of row nt * tile + t; s is a
    // reduction.
    auto wordsType = RankedTensorType::get({out / tile, groups, perGroup, tile}, i32);
    Value init = filled(rewriter, loc, wordsType.getShape(), rewriter.getI32IntegerAttr(0));
    // An operand over the nibble loop gives it its bounds.
    Value nibbles = emptyTensor(rewriter, loc, {kInt4NibblesPerWord}, i32, {});
    auto words = linalg::GenericOp::create(
        rewriter, loc, wordsType, ValueRange{nibbles}, ValueRange{init},
        ArrayRef<AffineMap>{projectionMap(ctx, 5, {4}), projectionMap(ctx, 5, {0, 1, 2, 3})},
        iterators(4, 1),
        [&](OpBuilder &b, Location nested, ValueRange args) {
          Value nt = linalg::IndexOp::create(b, nested, 0);
          Value group = linalg::IndexOp::create(b, nested, 1);
          Value bIdx = linalg::IndexOp::create(b, nested, 2);
          Value t = linalg::IndexOp::create(b, nested, 3);
          Value s = linalg::IndexOp::create(b, nested, 4);
          Value row = arith::AddIOp::create(
              b, nested, arith::MulIOp::create(b, nested, nt, index(b, nested, tile)), t);
          // k = s * perGroup + b in [0, 32): byte 2 + k % 16, high nibble when k >= 16.
          Value k = arith::AddIOp::create(
              b, nested, arith::MulIOp::create(b, nested, s, index(b, nested, perGroup)), bIdx);
          Value low = arith::RemUIOp::create(b, nested, k, index(b, nested, 16));
          Value offset = arith::AddIOp::create(b, nested, low, index(b, nested, 2));
          Value byte = byteAt(b, nested, row, group, offset);
          Value high = arith::CmpIOp::create(b, nested, arith::CmpIPredicate::uge, k,
                                             index(b, nested, 16));
          Value shift = arith::SelectOp::create(b, nested, high, i32Constant(b, nested, 4),
                                                i32Constant(b, nested, 0));
          Value code = extractNibble(b, nested, byte, shift);
          Value place = arith::MulIOp::create(
              b, nested,
              arith::IndexCastOp::create(b, nested, i32, s).getResult(), i32Constant(b, nested, 4));
          Value placed = arith::ShLIOp::create(b, nested, code, place);
          linalg::YieldOp::create(b, nested,
                                  ValueRange{arith::OrIOp::create(b, nested, args[1], placed)});
        });
    rewriter.replaceOp(op, {words.getResult(0),
                            packParameters(rewriter, loc, scales.getResult(0),
                                           op.getScales().getType())});
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateWeightTransformPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ScaleColumnsLowering, QuantizeInt4Lowering, RepackAwqLowering,
               RepackQ4_0Lowering>(
      patterns.getContext());
}
