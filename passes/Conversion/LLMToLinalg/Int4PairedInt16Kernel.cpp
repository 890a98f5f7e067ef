//===- Int4PairedInt16Kernel.cpp - INT4 decode dots on x86 pmaddwd --------===//
//
// The per-group dot products of a decode-step INT4 layer,
//
//   D[r, nt, G, t] = sum_{b, s} x[r, G, s, b] * nibble_s(q[nt, G, b, t]),
//
// in 16-bit integers: x is quantized per row and group to int16 (scale
// max|x| / 32767, so the rounding error is at most 2^-16 of the group's
// largest input), and nibbles s and s + 4 of each word, masked in place
// with 0x000F000F, are the two int16 halves of one 32-bit lane, as are the
// inputs s and s + 4 of each pair word. vpmaddwd multiplies both halves
// and adds them: 32 products per instruction on AVX-512BW (16 lanes), 16
// on AVX2 (8 lanes), with no
// conversion to float, against 16 products and a conversion per FMA in
// the float kernel. A group's sum is exact in int32: at most 15 * 32767 * g,
// below 2^31 for groups of up to 4096 inputs (larger groups keep the float
// kernel).
//
// The loops are written here at the vector level (one scf.forall over row
// tiles, registers of `lanes` int32 for T rows of one group) because the instruction pairs
// adjacent int16 lanes (llm.pair_dot_i16), which linalg's vectorizer has no
// way to express.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// Nibble pairs (s, s + 4) per 32-bit word.
constexpr int64_t kPairs = kInt4NibblesPerWord / 2;
/// Largest group whose int32 sums cannot overflow (15 * 32767 * g < 2^31).
constexpr int64_t kMaxGroupSize = 4096;

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value splatI32(OpBuilder &b, Location loc, int64_t lanes, int32_t v) {
  auto type = VectorType::get({lanes}, b.getI32Type());
  return arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::get(type, b.getI32IntegerAttr(v)));
}

} // namespace

bool mlir::llm::detail::supportsPairedInt16Kernel(int64_t rowTile,
                                                  int64_t groupSize,
                                                  int64_t lanes) {
  return rowTile % lanes == 0 && groupSize <= kMaxGroupSize;
}

namespace {

/// The kernel's shapes and the constants its loops share.
struct PairedKernel {
  PairedKernel(OpBuilder &b, Location loc, Value pairs, Value qweight,
               int64_t lanes)
      : pairs(pairs), qweight(qweight), lanes(lanes) {
    auto pType = cast<RankedTensorType>(pairs.getType());
    auto qType = cast<RankedTensorType>(qweight.getType());
    rows = pType.getDimSize(0);
    tiles = qType.getDimSize(0);
    groups = qType.getDimSize(1);
    words = qType.getDimSize(2);
    tile = qType.getDimSize(3);
    chunks = tile / lanes;
    lanesI32 = VectorType::get({lanes}, b.getI32Type());
    lanesI16 = VectorType::get({2 * lanes}, b.getI16Type());
  }

  /// One word position `w` of group `g` for row `r` and row tile `nt`:
  /// `sums` (one int32 register per `lanes` rows) plus, for each nibble pair p,
  /// pair_dot(nibbles p and p + 4 of the words, the input pair p).
  SmallVector<Value> accumulateWord(OpBuilder &b, Location loc, Value nt,
                                    Value r, Value g, Value w,
                                    ValueRange sums) const {
    Value padding =
        arith::ConstantOp::create(b, loc, b.getI32Type(), b.getI32IntegerAttr(0));
    SmallVector<bool> inBounds(1, true);
    SmallVector<Value> packed;
    for (int64_t c = 0; c < chunks; ++c)
      packed.push_back(vector::TransferReadOp::create(
          b, loc, lanesI32, qweight,
          ValueRange{nt, g, w, indexConstant(b, loc, c * lanes)}, padding,
          inBounds));
    Value mask = splatI32(b, loc, lanes, 0x000F000F);
    SmallVector<Value> next(sums.begin(), sums.end());
    for (int64_t p = 0; p < kPairs; ++p) {
      Value pair = tensor::ExtractOp::create(
          b, loc, pairs, ValueRange{r, g, indexConstant(b, loc, p), w});
      Value inputs = vector::BitCastOp::create(
          b, loc, lanesI16, vector::BroadcastOp::create(b, loc, lanesI32, pair));
      for (int64_t c = 0; c < chunks; ++c) {
        Value shifted = p == 0 ? packed[c]
                               : arith::ShRUIOp::create(
                                     b, loc, packed[c],
                                     splatI32(b, loc, lanes, 4 * p))
                                     .getResult();
        Value nibbles = vector::BitCastOp::create(
            b, loc, lanesI16, arith::AndIOp::create(b, loc, shifted, mask));
        Value products =
            PairDotI16Op::create(b, loc, lanesI32, nibbles, inputs);
        next[c] = arith::AddIOp::create(b, loc, next[c], products);
      }
    }
    return next;
  }

  /// The sums of row tile `nt` ([rows, 1, groups, T]) written into
  /// `tileSums`: for each row and group, the word positions accumulated in
  /// registers from zero, then stored.
  Value buildTile(OpBuilder &b, Location loc, Value nt, Value tileSums) const {
    Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
    auto rowLoop = scf::ForOp::create(b, loc, c0, indexConstant(b, loc, rows),
                                      c1, ValueRange{tileSums});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    Value r = rowLoop.getInductionVar();
    auto groupLoop =
        scf::ForOp::create(b, loc, c0, indexConstant(b, loc, groups), c1,
                           ValueRange{rowLoop.getRegionIterArgs()[0]});
    scf::YieldOp::create(b, loc, groupLoop.getResults());

    b.setInsertionPointToStart(groupLoop.getBody());
    Value g = groupLoop.getInductionVar();
    SmallVector<Value> zeros(chunks, splatI32(b, loc, lanes, 0));
    auto wordLoop = scf::ForOp::create(b, loc, c0,
                                       indexConstant(b, loc, words), c1, zeros);
    Value sums = groupLoop.getRegionIterArgs()[0];
    SmallVector<bool> inBounds(1, true);
    for (int64_t c = 0; c < chunks; ++c)
      sums = vector::TransferWriteOp::create(
                 b, loc, wordLoop.getResult(c), sums,
                 ValueRange{r, c0, g, indexConstant(b, loc, c * lanes)},
                 inBounds)
                 .getResult();
    scf::YieldOp::create(b, loc, sums);

    b.setInsertionPointToStart(wordLoop.getBody());
    scf::YieldOp::create(b, loc,
                         accumulateWord(b, loc, nt, r, g,
                                        wordLoop.getInductionVar(),
                                        wordLoop.getRegionIterArgs()));
    return rowLoop.getResult(0);
  }

  Value pairs, qweight;
  int64_t lanes;
  int64_t rows, tiles, groups, words, tile, chunks;
  VectorType lanesI32, lanesI16;
};

} // namespace

Value mlir::llm::detail::buildPairedInt16Dots(OpBuilder &b, Location loc,
                                               Value pairs, Value qweight,
                                               int64_t lanes) {
  PairedKernel kernel(b, loc, pairs, qweight, lanes);
  Type i32 = b.getI32Type();
  Value init = emptyTensor(
      b, loc, {kernel.rows, kernel.tiles, kernel.groups, kernel.tile}, i32, {});
  // One thread tile per row tile: [rows, 1, groups, T] of the sums.
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(kernel.tiles)},
      ValueRange{init}, std::nullopt,
      [&](OpBuilder &fb, Location floc, ValueRange args) {
        Value nt = args[0], out = args[1];
        SmallVector<OpFoldResult> offsets{fb.getIndexAttr(0), nt,
                                          fb.getIndexAttr(0),
                                          fb.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes{
            fb.getIndexAttr(kernel.rows), fb.getIndexAttr(1),
            fb.getIndexAttr(kernel.groups), fb.getIndexAttr(kernel.tile)};
        SmallVector<OpFoldResult> strides(4, fb.getIndexAttr(1));
        Value tileInit = tensor::ExtractSliceOp::create(
            fb, floc,
            RankedTensorType::get(
                {kernel.rows, 1, kernel.groups, kernel.tile}, i32),
            out, offsets, sizes, strides);
        Value tileSums = kernel.buildTile(fb, floc, nt, tileInit);
        auto terminator = scf::InParallelOp::create(fb, floc);
        OpBuilder::InsertionGuard guard(fb);
        fb.setInsertionPointToStart(terminator.getBody());
        tensor::ParallelInsertSliceOp::create(fb, floc, tileSums, out, offsets,
                                              sizes, strides);
      });
  return forall.getResult(0);
}
