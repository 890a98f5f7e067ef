//===- QuantizedLinear.cpp - llm.matmul_int4 to linalg --------------------===//
//
// y[s, n] = sum_k x[s, k] * (q[n, k] - z[n, k / g]) * scale[n, k / g] is
// computed without ever forming float weights in memory. qweight is
// [out / T, groups, g / 8, T] 32-bit words (see Int4Layout.h): word
// [nt, G, b, t] holds in nibble s the weight of input G * g + s * (g / 8) + b
// and row nt * T + t. With x viewed as [s, groups, 8, g / 8] (zero padding
// when g does not divide the inputs), every kernel runs over loops
// (rows..., nt, G, b, s, t): one vector of words serves the eight nibbles
// s, each unpacked by a shift and a mask and converted, and the rows t are
// the vector lanes, so a broadcast input multiplies a vector of rows with
// no horizontal sums and no shuffles, while a tile of T rows is streamed
// from one contiguous block of words.
//
// - A few static rows (decode): per-group dot products of the raw nibbles,
//   D[r, nt, G, t] = sum_{b, s} x[r, G, s, b] * nibble_s(q[nt, G, b, t]),
//   then y = sum_G scale * D - zero * scale * sum_k x[r, G, k]: the scale
//   and zero point are applied once per group and row.
// - Prompts (dynamic rows): weights dequantized in the loop, w = nibble *
//   scale - zero * scale, in blocks of rows ([s / 6, 6, ...], then of 2;
//   computeInRowBlocks) that the CPU tiling keeps whole in registers, so
//   that every dequantized weight vector serves all of the block's rows.
// - On x86 (int4-kernel=x86-avx512 or x86-avx2), any rows: int16 inputs
//   and vpmaddwd (Int4IntegerKernel.cpp), each group's sums scaled in
//   registers.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// [r..., m, n] -> [r..., m * n]: the rows of an output from its tiles
/// ([.., out / T, T]), or the inputs of each group from x ([..., G, 8, g /
/// 8]).
Value mergeTrailingPair(OpBuilder &b, Location loc, Value y) {
  auto type = cast<RankedTensorType>(y.getType());
  unsigned rank = type.getRank();
  SmallVector<ReassociationIndices> groups;
  for (unsigned d = 0; d + 2 < rank; ++d)
    groups.push_back({static_cast<int64_t>(d)});
  groups.push_back({static_cast<int64_t>(rank - 2),
                    static_cast<int64_t>(rank - 1)});
  return tensor::CollapseShapeOp::create(b, loc, y, groups);
}

/// The loops (r..., nt, G, b, s, t) of a kernel over x [r..., G, 8, g / 8]
/// with `rowDims` leading row dimensions.
struct KernelLoops {
  explicit KernelLoops(unsigned rowDims)
      : rowDims(rowDims), tile(rowDims), group(rowDims + 1),
        word(rowDims + 2), nibble(rowDims + 3), lane(rowDims + 4),
        count(rowDims + 5) {}
  /// The row loops followed by `more`.
  SmallVector<unsigned> rowsThen(ArrayRef<unsigned> more) const {
    SmallVector<unsigned> dims = llvm::to_vector(llvm::seq(0u, rowDims));
    dims.append(more.begin(), more.end());
    return dims;
  }
  SmallVector<utils::IteratorType> iterators() const {
    SmallVector<utils::IteratorType> kinds(count,
                                           utils::IteratorType::parallel);
    kinds[group] = kinds[word] = kinds[nibble] = utils::IteratorType::reduction;
    return kinds;
  }
  unsigned rowDims, tile, group, word, nibble, lane, count;
};

/// Nibble `s` of `word`, s being the generic's loop `nibbleLoop`: (word >>
/// 4 s) & 15, as a float of `type`.
Value unpackNibble(OpBuilder &b, Location loc, Value word, unsigned nibbleLoop,
                   Type type) {
  Type i32 = b.getI32Type();
  Value s = arith::IndexCastOp::create(
      b, loc, i32, linalg::IndexOp::create(b, loc, nibbleLoop));
  Value shift = arith::MulIOp::create(
      b, loc, s, arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(4)));
  Value value = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, word, shift),
      arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(15)));
  return arith::UIToFPOp::create(b, loc, type, value);
}

/// y rows [r..., nt, t] = sum_{G, b, s} x[r..., G, s, b] * w(G, b, s, nt, t)
/// with the weight dequantized in the loop, w = nibble_s(q[nt, G, b, t]) *
/// scale[nt, G, t] - zero[nt, G, t] * scale[nt, G, t], for x [r..., G, 8,
/// g / 8] with `rowDims` leading row dimensions (1: rows; 2: blocks of
/// rows, which share each dequantized weight vector), computed in
/// `rowsInit` [r..., nt * t]. Scales and zeros are [nt, G, t]
/// (zeros null: every zero point 8).
Value buildDequantizedProducts(OpBuilder &b, Location loc, Value x,
                               Value qweight, Value scales, Value zeros,
                               Value rowsInit, unsigned rowDims) {
  MLIRContext *ctx = b.getContext();
  auto qType = cast<RankedTensorType>(qweight.getType());
  auto initType = cast<RankedTensorType>(rowsInit.getType());
  SmallVector<int64_t> shape(initType.getShape().drop_back());
  shape.append({qType.getDimSize(0), qType.getDimSize(3)});
  SmallVector<ReassociationIndices> groups;
  for (unsigned d = 0; d < rowDims; ++d)
    groups.push_back({static_cast<int64_t>(d)});
  groups.push_back({rowDims, rowDims + 1});
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(b, loc, rowsInit);
  sizes.pop_back();
  sizes.append({b.getIndexAttr(qType.getDimSize(0)),
                b.getIndexAttr(qType.getDimSize(3))});
  Value init = fill(b, loc,
                    tensor::ExpandShapeOp::create(
                        b, loc,
                        RankedTensorType::get(shape, initType.getElementType()),
                        rowsInit, groups, sizes),
                    0.0);
  KernelLoops l(rowDims);
  AffineMap perGroupRow = projectionMap(ctx, l.count, {l.tile, l.group, l.lane});
  SmallVector<Value> inputs{x, qweight, scales};
  SmallVector<AffineMap> maps{
      projectionMap(ctx, l.count, l.rowsThen({l.group, l.nibble, l.word})),
      projectionMap(ctx, l.count, {l.tile, l.group, l.word, l.lane}),
      perGroupRow};
  if (zeros) {
    inputs.push_back(zeros);
    maps.push_back(perGroupRow);
  }
  maps.push_back(projectionMap(ctx, l.count, l.rowsThen({l.tile, l.lane})));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             l.iterators(),
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               Type f32 = args[0].getType();
               Value q = unpackNibble(nb, nested, args[1], l.nibble, f32);
               // q * scale - zero * scale: the second product depends only
               // on the group and row (hoisted out of the inner loops), and
               // the difference contracts to one fused multiply-subtract.
               Value scale = convertFloat(nb, nested, args[2], f32);
               Value zero = zeroPoint(nb, nested, zeros ? args[3] : Value(), f32);
               Value qs = arith::MulFOp::create(nb, nested, q, scale);
               Value zs = arith::MulFOp::create(nb, nested, zero, scale);
               Value w = arith::SubFOp::create(nb, nested, qs, zs);
               yieldMultiplyAccumulate(nb, nested, args[0], w, args.back());
             })
      .getResult(0);
}

/// The decode epilogue of the float kernel over loops (r, nt, G, t), the
/// group a reduction outside the rows:
///
///   y[r, nt, t] = sum_G scale[nt, G, t] * D[r, nt, G, t] - zero[nt, G, t] *
///                       scale[nt, G, t] * inputSums[r, G]
///
/// where D holds the float dot products of the raw nibbles.
Value applyGroupScales(OpBuilder &b, Location loc, Value dots, Value inputSums,
                       Value scales, Value zeros) {
  MLIRContext *ctx = b.getContext();
  auto dType = cast<RankedTensorType>(dots.getType());
  Type f32 = dType.getElementType();
  Value init = fill(b, loc,
                    emptyTensor(b, loc,
                                {dType.getDimSize(0), dType.getDimSize(1),
                                 dType.getDimSize(3)},
                                f32, {}),
                    0.0);
  AffineMap perGroupRow = projectionMap(ctx, 4, {1, 2, 3});
  AffineMap perGroupInput = projectionMap(ctx, 4, {0, 2});
  SmallVector<Value> inputs{dots, inputSums, scales};
  SmallVector<AffineMap> maps{identityMap(ctx, 4), perGroupInput, perGroupRow};
  if (zeros) {
    inputs.push_back(zeros);
    maps.push_back(perGroupRow);
  }
  maps.push_back(projectionMap(ctx, 4, {0, 1, 3}));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel,
                                           utils::IteratorType::reduction,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               // args: dot, input sum, scale, zero (if any), accumulator.
               Value scale = convertFloat(nb, l, args[2], f32);
               Value zero = zeroPoint(nb, l, zeros ? args[3] : Value(), f32);
               Value zeroScaled = arith::MulFOp::create(nb, l, zero, scale);
               Value term = arith::SubFOp::create(
                   nb, l, arith::MulFOp::create(nb, l, scale, args[0]),
                   arith::MulFOp::create(nb, l, zeroScaled, args[1]));
               linalg::YieldOp::create(
                   nb, l, arith::AddFOp::create(nb, l, args.back(), term)
                              .getResult());
             })
      .getResult(0);
}

/// The dynamic row count of `x` (rows first), if any.
SmallVector<Value> dynamicRows(OpBuilder &b, Location loc, Value x) {
  SmallVector<Value> sizes;
  if (cast<RankedTensorType>(x.getType()).isDynamicDim(0))
    sizes.push_back(tensor::DimOp::create(b, loc, x, 0));
  return sizes;
}

/// Per row and group of x [r, G, 8, g / 8]: `combine`(acc, x) over the
/// group's inputs from `initial` ([r, G]).
Value reduceGroups(OpBuilder &b, Location loc, Value x, double initial,
                   function_ref<Value(OpBuilder &, Location, Value, Value)>
                       combine) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  Value init = fill(b, loc,
                    emptyTensor(b, loc,
                                {xType.getDimSize(0), xType.getDimSize(1)},
                                xType.getElementType(),
                                dynamicRows(b, loc, x)),
                    initial);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{mergeTrailingPair(b, loc, x)},
             ValueRange{init},
             ArrayRef<AffineMap>{identityMap(ctx, 3),
                                 projectionMap(ctx, 3, {0, 1})},
             iterators(2, 1),
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               linalg::YieldOp::create(nb, nested,
                                       combine(nb, nested, args[1], args[0]));
             })
      .getResult(0);
}

/// Input sums per group: xs[r, G] = sum_k x[r, G, k].
Value buildInputSums(OpBuilder &b, Location loc, Value x) {
  return reduceGroups(b, loc, x, 0.0,
                      [](OpBuilder &nb, Location l, Value acc, Value v) {
                        return arith::AddFOp::create(nb, l, acc, v).getResult();
                      });
}

/// Registers of int32 sums (and as many float accumulators) per register
/// block of the integer INT4 kernel: with the unpacked weights and the
/// broadcast inputs, within x86-64's 32 vector registers.
constexpr int64_t kIntegerBlockRegisters = 8;
/// Weight rows of a decode step's register block at most: 4 registers of 16
/// lanes on AVX-512 (8 of them spill the block's float and int32
/// registers, with 1.3-1.5x the time of 4 for a one-row 16384 x 8192 layer
/// at groups of 32, bench/int4_kernel.py), 8 of 8 lanes on AVX2 (2 to 8 of
/// them measure alike).
constexpr int64_t kDecodeBlockWeightRows = 64;

/// On x86 (vpmaddwd, or vpdpbusd): the inputs quantized to int16 (or int8)
/// per row and group (scale m / L, m = max |x| of the group, L = 32767 or
/// 127), the per-group integer dot products of buildIntegerInt4Rows, scaled
/// in registers:
///
///   y[r, nt, t] = sum_G scale[nt, G, t] * m[r, G] / L * (D[r, nt, G, t]
///                                          - zero[nt, G, t] * sum_k xq[r, G, k])
///
/// xq being the quantized inputs. A few static rows (decode) are one block,
/// over as many weight registers as the block holds; a prompt's rows go in
/// blocks of kIntegerBlockRegisters rows that share each unpacked weight register.
Value buildIntegerInt4Products(OpBuilder &b, Location loc, Value x,
                               Value qweight, Value scales, Value zeros,
                               int64_t lanes, int64_t inputBits) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  Type f32 = xType.getElementType(), i32 = b.getI32Type();
  int64_t rows = xType.getDimSize(0), groups = xType.getDimSize(1);
  int64_t words = xType.getDimSize(3);
  // Inputs per int32 word (2 int16 or 4 int8) and word slots per nibble word.
  const int64_t perWord = 32 / inputBits;
  const int64_t pairs = kInt4NibblesPerWord / perWord;
  const double levels = static_cast<double>(int4InputLevels(inputBits));
  const int32_t fieldMask = inputBits == 8 ? 0xFF : 0xFFFF;

  Value maxMagnitude =
      reduceGroups(b, loc, x, 0.0,
                   [](OpBuilder &nb, Location l, Value acc, Value v) {
                     return arith::MaximumFOp::create(
                                nb, l, acc, math::AbsFOp::create(nb, l, v))
                         .getResult();
                   });
  // pairs[r, G, p, b]: the inputs s = p + j * pairs in field j (int16: s = p
  // in the low half, s = p + 4 in the high half; int8: s = p + 2j in byte
  // j), each round(x * L / m).
  Value pairInit = emptyTensor(b, loc, {rows, groups, pairs, words}, i32,
                               dynamicRows(b, loc, x));
  // Nibbles [first, first + pairs) of x [r, G, 8, g / 8].
  auto part = [&](int64_t first) -> Value {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(first), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{
        tensor::getMixedSize(b, loc, x, 0), b.getIndexAttr(groups),
        b.getIndexAttr(pairs), b.getIndexAttr(words)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
  };
  SmallVector<Value> pairInputs;
  SmallVector<AffineMap> pairMaps;
  for (int64_t j = 0; j < perWord; ++j) {
    pairInputs.push_back(part(j * pairs));
    pairMaps.push_back(identityMap(ctx, 4));
  }
  pairInputs.push_back(maxMagnitude);
  pairMaps.push_back(projectionMap(ctx, 4, {0, 1}));
  pairMaps.push_back(identityMap(ctx, 4));
  Value pairWords =
      linalg::GenericOp::create(
          b, loc, pairInit.getType(), pairInputs, ValueRange{pairInit},
          pairMaps, iterators(4),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            auto constF = [&](double v) {
              return arith::ConstantOp::create(nb, l, f32,
                                               nb.getFloatAttr(f32, v));
            };
            auto constI = [&](int32_t v) {
              return arith::ConstantOp::create(nb, l, i32,
                                               nb.getI32IntegerAttr(v));
            };
            Value magnitude = args[perWord];
            Value zero = constF(0.0);
            Value positive = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OGT, magnitude, zero);
            Value inverse = arith::SelectOp::create(
                nb, l, positive,
                arith::DivFOp::create(nb, l, constF(levels), magnitude), zero);
            // Round to nearest: truncation of v + copysign(0.5, v).
            auto quantize = [&](Value v) -> Value {
              Value scaled = arith::MulFOp::create(nb, l, v, inverse);
              Value half = math::CopySignOp::create(nb, l, constF(0.5), scaled);
              return arith::FPToSIOp::create(
                  nb, l, i32, arith::AddFOp::create(nb, l, scaled, half));
            };
            Value word;
            for (int64_t j = 0; j < perWord; ++j) {
              Value field = arith::AndIOp::create(nb, l, quantize(args[j]),
                                                  constI(fieldMask));
              if (j > 0)
                field = arith::ShLIOp::create(nb, l, field,
                                              constI(inputBits * j));
              word = j == 0 ? field
                            : arith::OrIOp::create(nb, l, word, field)
                                  .getResult();
            }
            linalg::YieldOp::create(nb, l, word);
          })
          .getResult(0);

  // The sums of the quantized inputs per row and group (exact in int32: at
  // most 32767 * 4096), for the zero points: they multiply the same quantized
  // inputs as the codes, so that the inputs' rounding errors are scaled by
  // the weights themselves (q - zero), not by the codes q.
  Value sumsInit = linalg::FillOp::create(
                       b, loc,
                       ValueRange{arith::ConstantOp::create(
                           b, loc, i32, b.getI32IntegerAttr(0))},
                       ValueRange{emptyTensor(b, loc, {rows, groups}, i32,
                                              dynamicRows(b, loc, x))})
                       .getResult(0);
  Value inputSums =
      linalg::GenericOp::create(
          b, loc, sumsInit.getType(), ValueRange{pairWords},
          ValueRange{sumsInit},
          ArrayRef<AffineMap>{identityMap(ctx, 4),
                              projectionMap(ctx, 4, {0, 1})},
          iterators(2, 2),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            // Field j sign-extended: shifted to the top, then back down.
            Value total = args[1];
            for (int64_t j = 0; j < perWord; ++j) {
              auto shift = [&](int64_t bits) {
                return arith::ConstantOp::create(nb, l, i32,
                                                 nb.getI32IntegerAttr(bits));
              };
              int64_t up = 32 - inputBits * (j + 1);
              Value top = up == 0 ? args[0]
                                  : arith::ShLIOp::create(nb, l, args[0],
                                                          shift(up))
                                        .getResult();
              Value field =
                  arith::ShRSIOp::create(nb, l, top, shift(32 - inputBits));
              total = arith::AddIOp::create(nb, l, total, field);
            }
            linalg::YieldOp::create(nb, l, total);
          })
          .getResult(0);

  int64_t chunks =
      cast<RankedTensorType>(qweight.getType()).getDimSize(3) / lanes;
  // A prompt's rows (or more static rows than a block holds) in blocks of
  // kIntegerBlockRegisters rows and one weight register; a few static rows
  // (decode) as one block over as many weight registers as it holds.
  int64_t blockRows = kIntegerBlockRegisters, blockChunks = 1;
  if (!ShapedType::isDynamic(rows) && rows <= kIntegerBlockRegisters) {
    blockRows = std::max<int64_t>(rows, 1);
    blockChunks = std::clamp<int64_t>(kIntegerBlockRegisters / blockRows, 1,
                                      kDecodeBlockWeightRows / lanes);
    while (chunks % blockChunks)
      --blockChunks;
  }
  return buildIntegerInt4Rows(b, loc, pairWords, qweight, scales, zeros,
                              maxMagnitude, inputSums, lanes, inputBits,
                              blockRows, blockChunks);
}

/// For a few static rows (decode), where nothing shares an unpacked weight:
/// y [r, nt, t] from per-group dot products of the raw nibbles,
///
///   D[r, nt, G, t] = sum_{b, s} x[r, G, s, b] * nibble_s(q[nt, G, b, t])
///   y[r, nt, t] = sum_G scale[nt, G, t] * D[r, nt, G, t]
///                   - zero[nt, G, t] * scale[nt, G, t] * sum_k x[r, G, k]
///
/// The inner loop is only shift, mask, convert and multiply-add: the scale
/// and zero point are applied once per group and row rather than per
/// weight. D is `groups` times the output's size, small next to the words
/// read.
Value buildGroupDotProducts(OpBuilder &b, Location loc, Value x, Value qweight,
                            Value scales, Value zeros) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  auto qType = cast<RankedTensorType>(qweight.getType());
  Type f32 = xType.getElementType();
  int64_t rows = xType.getDimSize(0), groups = xType.getDimSize(1);
  int64_t tiles = qType.getDimSize(0), tile = qType.getDimSize(3);

  // Loops (r, nt, G, b, s, t): the group is parallel here.
  KernelLoops l(1);
  SmallVector<utils::IteratorType> kinds = l.iterators();
  kinds[l.group] = utils::IteratorType::parallel;
  Value dotsInit = fill(
      b, loc, emptyTensor(b, loc, {rows, tiles, groups, tile}, f32, {}), 0.0);
  Value dots =
      linalg::GenericOp::create(
          b, loc, dotsInit.getType(), ValueRange{x, qweight},
          ValueRange{dotsInit},
          ArrayRef<AffineMap>{
              projectionMap(ctx, l.count, {0, l.group, l.nibble, l.word}),
              projectionMap(ctx, l.count, {l.tile, l.group, l.word, l.lane}),
              projectionMap(ctx, l.count, {0, l.tile, l.group, l.lane})},
          kinds,
          [&](OpBuilder &nb, Location nested, ValueRange args) {
            Value q = unpackNibble(nb, nested, args[1], l.nibble, f32);
            yieldMultiplyAccumulate(nb, nested, args[0], q, args[2]);
          })
          .getResult(0);

  Value inputSums = buildInputSums(b, loc, x);

  return applyGroupScales(b, loc, dots, inputSums, scales, zeros);
}

struct MatmulInt4Lowering : OpRewritePattern<MatmulInt4Op> {
  MatmulInt4Lowering(MLIRContext *ctx, const PairDotTarget *kernel)
      : OpRewritePattern(ctx), kernel(kernel) {}

  /// Decode steps and prompts use the integer kernel of this target (its
  /// int32 lanes per register and input width; null: the float kernels).
  const PairDotTarget *kernel;

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
    int64_t g = op.getGroupSize(), words = g / kInt4NibblesPerWord;
    int64_t groups = qType.getDimSize(1);
    int64_t tile = qType.getDimSize(3);
    int64_t in = inputType.getDimSize(1), padded = groups * g;
    int64_t rows = inputType.getDimSize(0);

    // No rows (a static empty input): an empty result, no kernel.
    if (rows == 0) {
      rewriter.replaceOpWithNewOp<tensor::EmptyOp>(
          op, op.getResult().getType().getShape(), f32);
      return success();
    }

    SmallVector<Value> rowSizes;
    if (ShapedType::isDynamic(rows))
      rowSizes.push_back(tensor::DimOp::create(rewriter, loc, op.getInput(), 0));

    // x: [s, in] (/ input_scale) -> [s, groups * g] (zero padding) ->
    // [s, groups, 8, g / 8] (input G * g + s * g / 8 + b at [G, s, b]).
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
    auto groupedType = RankedTensorType::get(
        {rows, groups, kInt4NibblesPerWord, words}, f32);
    OpFoldResult rowSize = rowSizes.empty()
                               ? OpFoldResult(rewriter.getIndexAttr(rows))
                               : OpFoldResult(rowSizes.front());
    x = tensor::ExpandShapeOp::create(
        rewriter, loc, groupedType, x,
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}},
        ArrayRef<OpFoldResult>{rowSize, rewriter.getIndexAttr(groups),
                               rewriter.getIndexAttr(kInt4NibblesPerWord),
                               rewriter.getIndexAttr(words)});

    // Scales and zeros [out / T, groups, T]; no zeros: every zero point 8.
    Value scales = op.getScales(), zeros = op.getZeros();

    // On x86, any rows: int16 inputs and vpmaddwd, in register blocks.
    if (kernel && f32.isF32() &&
        supportsIntegerInt4Kernel(tile, g, kernel->lanes, kernel->inputBits)) {
      Value tiled = buildIntegerInt4Products(rewriter, loc, x, op.getQweight(),
                                             scales, zeros, kernel->lanes,
                                             kernel->inputBits);
      rewriter.replaceOp(op, normalizeRows(rewriter, op,
                                           mergeTrailingPair(rewriter, loc,
                                                             tiled)));
      return success();
    }

    // A known handful of rows (decode): one pass over the weights per row.
    if (!ShapedType::isDynamic(rows) && rows < kRowBlock) {
      Value tiled = buildGroupDotProducts(rewriter, loc, x, op.getQweight(),
                                          scales, zeros);
      rewriter.replaceOp(op, normalizeRows(rewriter, op,
                                           mergeTrailingPair(rewriter, loc,
                                                             tiled)));
      return success();
    }

    // Otherwise (prompts) in blocks of rows, which share each dequantized
    // weight vector, and the last row alone (computeInRowBlocks).
    Value qweight = op.getQweight();
    Value result = computeInRowBlocks(
        rewriter, loc, x, op.getResult().getType(),
        [&](OpBuilder &b, Location l, Value rows, Value init,
            unsigned rowDims, OpFoldResult) {
          return mergeTrailingPair(
              b, l,
              buildDequantizedProducts(b, l, rows, qweight, scales, zeros,
                                       init, rowDims));
        });
    rewriter.replaceOp(op, normalizeRows(rewriter, op, result));
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateQuantizedLinearPatterns(
    RewritePatternSet &patterns, const PairDotTarget *int4Kernel) {
  patterns.add<MatmulInt4Lowering>(patterns.getContext(), int4Kernel);
}
