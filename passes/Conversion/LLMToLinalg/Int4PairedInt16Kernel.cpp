//===- Int4PairedInt16Kernel.cpp - INT4 decode dots on AVX-512 pmaddwd ----===//
//
// The per-group dot products of a decode-step INT4 layer,
//
//   D[r, nt, G, t] = sum_{b, s} x[r, G, s, b] * nibble_s(q[nt, G, b, t]),
//
// in 16-bit integers: x is quantized per row and group to int16 (scale
// max|x| / 32767, so the rounding error is at most 2^-16 of the group's
// largest input), and nibbles s and s + 4 of each word, masked in place
// with 0x000F000F, are the two int16 halves of one 32-bit lane, as are the
// inputs s and s + 4 of each pair word. AVX-512BW's vpmaddwd multiplies
// both halves and adds them: 32 products per instruction, with no
// conversion to float, against 16 products and a conversion per FMA in
// the float kernel. A group's sum is exact in int32: at most 15 * 32767 * g,
// below 2^31 for groups of up to 4096 inputs (larger groups keep the float
// kernel).
//
// The loops are written here at the vector level (one scf.forall over row
// tiles, registers for T rows of one group) because the instruction pairs
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

/// int32 lanes per AVX-512 register.
constexpr int64_t kLanes = 16;
/// Nibble pairs (s, s + 4) per 32-bit word.
constexpr int64_t kPairs = kInt4NibblesPerWord / 2;
/// Largest group whose int32 sums cannot overflow (15 * 32767 * g < 2^31).
constexpr int64_t kMaxGroupSize = 4096;

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value splatI32(OpBuilder &b, Location loc, int32_t v) {
  auto type = VectorType::get({kLanes}, b.getI32Type());
  return arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::get(type, b.getI32IntegerAttr(v)));
}

} // namespace

bool mlir::llm::detail::supportsPairedInt16Kernel(int64_t rowTile,
                                                  int64_t groupSize) {
  return rowTile % kLanes == 0 && groupSize <= kMaxGroupSize;
}

Value mlir::llm::detail::buildPairedInt16Dots(OpBuilder &b, Location loc,
                                               Value pairs, Value qweight) {
  auto pType = cast<RankedTensorType>(pairs.getType());
  auto qType = cast<RankedTensorType>(qweight.getType());
  int64_t rows = pType.getDimSize(0), groups = qType.getDimSize(1);
  int64_t words = qType.getDimSize(2), tiles = qType.getDimSize(0);
  int64_t tile = qType.getDimSize(3), chunks = tile / kLanes;
  Type i32 = b.getI32Type();
  auto lanesI32 = VectorType::get({kLanes}, i32);
  auto lanesI16 = VectorType::get({2 * kLanes}, b.getI16Type());
  auto tileType = RankedTensorType::get({rows, 1, groups, tile}, i32);
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{rows, tiles, groups, tile}, i32);

  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(tiles)}, ValueRange{init},
      std::nullopt, [&](OpBuilder &fb, Location floc, ValueRange args) {
        Value nt = args[0], out = args[1];
        Value c0 = indexConstant(fb, floc, 0), c1 = indexConstant(fb, floc, 1);
        SmallVector<OpFoldResult> offsets{fb.getIndexAttr(0), nt,
                                          fb.getIndexAttr(0),
                                          fb.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes{
            fb.getIndexAttr(rows), fb.getIndexAttr(1),
            fb.getIndexAttr(groups), fb.getIndexAttr(tile)};
        SmallVector<OpFoldResult> strides(4, fb.getIndexAttr(1));
        Value tileInit = tensor::ExtractSliceOp::create(
            fb, floc, tileType, out, offsets, sizes, strides);
        Value padding = arith::ConstantOp::create(fb, floc, i32,
                                                  fb.getI32IntegerAttr(0));
        Value mask = splatI32(fb, floc, 0x000F000F);
        Value zero = splatI32(fb, floc, 0);
        SmallVector<Value> shifts;
        for (int64_t p = 0; p < kPairs; ++p)
          shifts.push_back(splatI32(fb, floc, 4 * p));
        SmallVector<bool> inBounds(1, true);

        // For each row and group, T rows of sums in `chunks` registers.
        auto rowLoop = scf::ForOp::create(
            fb, floc, c0, indexConstant(fb, floc, rows), c1,
            ValueRange{tileInit},
            [&](OpBuilder &rb, Location rloc, Value r, ValueRange rowArgs) {
              auto groupLoop = scf::ForOp::create(
                  rb, rloc, c0, indexConstant(rb, rloc, groups), c1,
                  ValueRange{rowArgs[0]},
                  [&](OpBuilder &gb, Location gloc, Value g,
                      ValueRange groupArgs) {
                    SmallVector<Value> zeros(chunks, zero);
                    auto wordLoop = scf::ForOp::create(
                        gb, gloc, c0, indexConstant(gb, gloc, words), c1,
                        zeros,
                        [&](OpBuilder &wb, Location wloc, Value w,
                            ValueRange sums) {
                          SmallVector<Value> packed;
                          for (int64_t c = 0; c < chunks; ++c)
                            packed.push_back(vector::TransferReadOp::create(
                                wb, wloc, lanesI32, qweight,
                                ValueRange{nt, g, w,
                                           indexConstant(wb, wloc,
                                                         c * kLanes)},
                                padding, inBounds));
                          SmallVector<Value> next(sums.begin(), sums.end());
                          for (int64_t p = 0; p < kPairs; ++p) {
                            Value pair = tensor::ExtractOp::create(
                                wb, wloc, pairs,
                                ValueRange{r, g, indexConstant(wb, wloc, p),
                                           w});
                            Value inputs = vector::BitCastOp::create(
                                wb, wloc, lanesI16,
                                vector::BroadcastOp::create(wb, wloc, lanesI32,
                                                            pair));
                            for (int64_t c = 0; c < chunks; ++c) {
                              Value nibbles = arith::AndIOp::create(
                                  wb, wloc,
                                  p == 0 ? packed[c]
                                         : arith::ShRUIOp::create(
                                               wb, wloc, packed[c], shifts[p])
                                               .getResult(),
                                  mask);
                              Value products = PairDotI16Op::create(
                                  wb, wloc, lanesI32,
                                  vector::BitCastOp::create(wb, wloc, lanesI16,
                                                            nibbles),
                                  inputs);
                              next[c] = arith::AddIOp::create(wb, wloc,
                                                              next[c], products);
                            }
                          }
                          scf::YieldOp::create(wb, wloc, next);
                        });
                    Value tileSums = groupArgs[0];
                    for (int64_t c = 0; c < chunks; ++c)
                      tileSums =
                          vector::TransferWriteOp::create(
                              gb, gloc, wordLoop.getResult(c), tileSums,
                              ValueRange{r, c0, g,
                                         indexConstant(gb, gloc, c * kLanes)},
                              inBounds)
                              .getResult();
                    scf::YieldOp::create(gb, gloc, tileSums);
                  });
              scf::YieldOp::create(rb, rloc, groupLoop.getResult(0));
            });
        auto terminator = scf::InParallelOp::create(fb, floc);
        OpBuilder::InsertionGuard guard(fb);
        fb.setInsertionPointToStart(terminator.getBody());
        tensor::ParallelInsertSliceOp::create(fb, floc, rowLoop.getResult(0),
                                              out, offsets, sizes, strides);
      });
  return forall.getResult(0);
}
