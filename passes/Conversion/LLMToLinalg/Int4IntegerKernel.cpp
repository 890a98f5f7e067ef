//===- Int4IntegerKernel.cpp - INT4 layers in x86 integer dot products ----===//
//
// The per-group dot products of an INT4 layer,
//
//   D[r, nt, G, t] = sum_{b, s} x[r, G, s, b] * nibble_s(q[nt, G, b, t]),
//
// in 16-bit integers: x is quantized per row and group to int16 (scale
// max|x| / 32767, so the rounding error is at most 2^-16 of the group's
// largest input), and nibbles s and s + 4 of each word, masked in place
// with 0x000F000F, are the two int16 halves of one 32-bit lane, as are the
// inputs s and s + 4 of each pair word. vpmaddwd multiplies both halves
// and adds them (vpdpwssd, with the add, where the CPU has VNNI): 32
// products per instruction on AVX-512BW (16 lanes), 16 on AVX2 (8 lanes),
// with no conversion to float, against 16 products and a conversion per
// FMA in the float kernel. A group's sum is exact in int32: at most 15 *
// 32767 * g, below 2^31 for groups of up to 4096 inputs (larger groups
// keep the float kernel).
//
// With int8 inputs (int4-kernel=x86-avx512-vnni: scale max|x| / 127), each
// word's nibbles are two slots of four bytes, nibbles p, p + 2, p + 4, p + 6
// masked where they lie (0x0F0F0F0F, 0xF0F0F0F0: no shift), and vpdpbusd
// multiplies the four unsigned bytes of each lane by four int8 inputs and
// adds them to slot p's int32 sum, which is 16^p times the nibbles' and is
// shifted down by 4 * p (exactly) once per group: 64 products per
// instruction, two per word and three instructions in all (against four
// vpmaddwd and their adds, and the shifts), at the cost of the inputs'
// int8 rounding (1/254 of a group's largest input at most, as llama.cpp's
// Q8 activations). A slot's sum is at most 240 * 128 * g / 2, below 2^31
// for groups of up to 65536 inputs.
//
// Each group's sums are scaled into float accumulators while still in
// registers,
//
//   y[r, nt, t] += scale[nt, G, t] * m[r, G] / 32767 * (D - zero[nt, G, t]
//                  * xsum[r, G]),
//
// xsum being the sum of the group's int16 inputs, so that the layer is
// exactly that of the int16 inputs and nothing of the size of the weights'
// groups is written to memory: a step reads the words, the scales and the
// zero points (none in a symmetric pack: all 8) once, and small groups
// cost only their scale bytes.
//
// Registers are blocked: R input rows by C registers of weight rows, each
// unpacked weight register serving the block's R rows. A decode step (one
// row) takes a whole row tile at once; a prompt's rows go in blocks that
// reuse each unpacked word.
//
// A decode step has too little arithmetic per byte for the core's
// out-of-order window to keep enough of the weights' cache misses in flight
// (about 1.5 KiB of words ahead of the loads it waits on, against the
// several KiB that a memory latency at full bandwidth needs): each group's
// iteration of a decode step prefetches the words, scales and zero points of the group
// kPrefetchBytes of the tile ahead. TinyLlama's INT4 decode took 1.11x (1
// thread) and 1.15x (2 threads) the tokens per second with it
// (bench/vs_llamacpp.py's shapes; the gain is largest when other work on
// the machine lengthens the memory latency).
//
// The loops are written here at the vector level (one scf.forall over row
// tiles and their register slices) because the instruction pairs adjacent
// int16 lanes (llm.pair_dot_i16), which linalg's vectorizer has no way to
// express.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// Largest group whose int32 sums cannot overflow (15 * 32767 * g < 2^31 for
/// int16 inputs; 240 * 128 * g / 2 per slot for int8 inputs, whose second
/// slot's nibbles stay 16 times their value).
int64_t maxGroupSize(int64_t inputBits) {
  return inputBits == 8 ? int64_t(1) << 16 : 4096;
}
/// How far ahead in a row tile's words a group's iteration prefetches:
/// 8 groups of 32 inputs in a tile of 128 rows (6 to 24 of them measured
/// in TinyLlama's decode, 8 the fastest).
constexpr int64_t kPrefetchBytes = 16 * 1024;
/// Bytes per cache line, the unit of a prefetch.
constexpr int64_t kCacheLineBytes = 64;

/// A read-only buffer view of `tensor` for prefetches (any layout: the
/// buffer of a function argument or of a slice alike).
Value prefetchBuffer(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return {};
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType(), layout),
      tensor, /*read_only=*/true);
}

Value splatI32(OpBuilder &b, Location loc, int64_t lanes, int32_t v) {
  auto type = VectorType::get({lanes}, b.getI32Type());
  return arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::get(type, b.getI32IntegerAttr(v)));
}

} // namespace

bool mlir::llm::detail::supportsIntegerInt4Kernel(int64_t rowTile,
                                                  int64_t groupSize,
                                                  int64_t lanes,
                                                  int64_t inputBits) {
  return rowTile % lanes == 0 && groupSize <= maxGroupSize(inputBits);
}

namespace {

/// The kernel's shapes and the constants its loops share. A register block
/// is `blockRows` input rows by `blockChunks` registers of `lanes` weight
/// rows: each unpacked weight register serves all of the block's input
/// rows, and each broadcast input all of its weight registers.
struct IntegerInt4Kernel {
  IntegerInt4Kernel(OpBuilder &b, Location loc, Value pairs, Value qweight,
               Value scales, Value zeros, Value magnitudes, Value inputSums,
               int64_t lanes, int64_t inputBits, int64_t blockRows,
               int64_t blockChunks)
      : pairs(pairs), qweight(qweight), scales(scales), zeros(zeros),
        magnitudes(magnitudes), inputSums(inputSums), lanes(lanes),
        inputBits(inputBits), blockRows(blockRows), blockChunks(blockChunks) {
    auto qType = cast<RankedTensorType>(qweight.getType());
    tiles = qType.getDimSize(0);
    groups = qType.getDimSize(1);
    words = qType.getDimSize(2);
    tile = qType.getDimSize(3);
    chunks = tile / lanes;
    lanesI32 = VectorType::get({lanes}, b.getI32Type());
    lanesNarrow = VectorType::get({32 / inputBits * lanes},
                                  b.getIntegerType(inputBits));
    lanesF32 = VectorType::get({lanes}, b.getF32Type());
    slots = kInt4NibblesPerWord / (32 / inputBits);
    // Prefetches only where every row is in one block, so that each weight
    // is read once per call (a decode step): a prompt's blocks read the
    // same weights again, mostly from the cache.
    prefetchGroups = 0;
    int64_t rows = cast<RankedTensorType>(pairs.getType()).getDimSize(0);
    if (!ShapedType::isDynamic(rows) && rows <= blockRows) {
      int64_t groupBytes = words * tile * 4;
      prefetchGroups = std::max<int64_t>(1, kPrefetchBytes / groupBytes);
      qweightBuffer = prefetchBuffer(b, loc, qweight);
      scalesBuffer = prefetchBuffer(b, loc, scales);
      zerosBuffer = prefetchBuffer(b, loc, zeros);
    }
  }

  /// How far slot `p`'s nibbles are shifted down before their mask: int16
  /// inputs take nibbles p and p + 4 (the low and high half of each lane),
  /// shifted to bit 0 of each half (a nibble at bit 4 or more would not fit
  /// a signed 16-bit lane); int8 inputs take nibbles p + 2j (byte j) where
  /// they lie, 16^p times their value in each unsigned byte.
  int64_t slotShift(int64_t p) const { return inputBits == 8 ? 0 : 4 * p; }
  /// The mask of slot `p`'s nibbles once shifted.
  int32_t slotMask(int64_t p) const {
    return inputBits == 8 ? static_cast<int32_t>(0x0F0F0F0Fu << (4 * p))
                          : 0x000F000F;
  }
  /// How far slot `p`'s sums are shifted down: the int8 slots' nibbles
  /// unshifted are 16^p times their value, and so is every product.
  int64_t sumShift(int64_t p) const { return 4 * p - slotShift(p); }

  /// `acc` plus the dot products of each register lane's unsigned nibbles
  /// (as int16 or int8 lanes) with the same lanes of `inputs`.
  Value dot(OpBuilder &b, Location loc, Value nibbles, Value inputs,
            Value acc) const {
    if (inputBits == 8)
      return QuadDotU8I8Op::create(b, loc, lanesI32, acc, nibbles, inputs);
    Value products = PairDotI16Op::create(b, loc, lanesI32, nibbles, inputs);
    return arith::AddIOp::create(b, loc, acc, products);
  }

  /// The registers of a block: rows r0 .. r0 + R - 1 (`rowCount` R of them)
  /// and weight registers c0 .. c0 + C - 1 of row tile `nt`.
  struct Block {
    Value nt, r0, c0;
    int64_t rowCount;
    Value row(OpBuilder &b, Location loc, int64_t r) const {
      return r == 0 ? r0
                    : arith::AddIOp::create(b, loc, r0,
                                            indexConstant(b, loc, r))
                          .getResult();
    }
    Value lane(OpBuilder &b, Location loc, int64_t c, int64_t lanes) const {
      return arith::AddIOp::create(b, loc, c0, indexConstant(b, loc, c * lanes));
    }
  };

  /// Sets of int32 sums per register: vpdpbusd accumulates in place, so
  /// that a register's dot products form one chain of its latency; each
  /// slot of an int8 word adds into a set of its own (summed once per
  /// group, each shifted down by sumShift), two independent chains. vpmaddwd's products are added apart
  /// (one add per product).
  int64_t sumSets() const { return inputBits == 8 ? slots : 1; }

  /// One word position `w` of group `g`: `sums` (register [s * R * C + r *
  /// C + c] of set s) plus, for each slot p, the dot products of the nibbles
  /// of slot p of the words with input word p of row r, into set p mod
  /// sumSets().
  SmallVector<Value> accumulateWord(OpBuilder &b, Location loc,
                                    const Block &block, Value g, Value w,
                                    ValueRange sums) const {
    Value padding =
        arith::ConstantOp::create(b, loc, b.getI32Type(), b.getI32IntegerAttr(0));
    SmallVector<bool> inBounds(1, true);
    SmallVector<Value> packed;
    for (int64_t c = 0; c < blockChunks; ++c)
      packed.push_back(vector::TransferReadOp::create(
          b, loc, lanesI32, qweight,
          ValueRange{block.nt, g, w, block.lane(b, loc, c, lanes)}, padding,
          inBounds));
    SmallVector<Value> rows;
    for (int64_t r = 0; r < block.rowCount; ++r)
      rows.push_back(block.row(b, loc, r));
    SmallVector<Value> next(sums.begin(), sums.end());
    for (int64_t p = 0; p < slots; ++p) {
      Value mask = splatI32(b, loc, lanes, slotMask(p));
      SmallVector<Value> nibbles;
      for (int64_t c = 0; c < blockChunks; ++c) {
        Value shifted = slotShift(p) == 0
                            ? packed[c]
                            : arith::ShRUIOp::create(
                                  b, loc, packed[c],
                                  splatI32(b, loc, lanes, slotShift(p)))
                                  .getResult();
        nibbles.push_back(vector::BitCastOp::create(
            b, loc, lanesNarrow, arith::AndIOp::create(b, loc, shifted, mask)));
      }
      for (int64_t r = 0; r < block.rowCount; ++r) {
        Value pair = tensor::ExtractOp::create(
            b, loc, pairs, ValueRange{rows[r], g, indexConstant(b, loc, p), w});
        Value inputs = vector::BitCastOp::create(
            b, loc, lanesNarrow,
            vector::BroadcastOp::create(b, loc, lanesI32, pair));
        for (int64_t c = 0; c < blockChunks; ++c) {
          int64_t i = (p % sumSets()) * block.rowCount * blockChunks +
                      r * blockChunks + c;
          next[i] = dot(b, loc, nibbles[c], inputs, next[i]);
        }
      }
    }
    return next;
  }

  /// Prefetches of the block's words, scales and zero points of group `g`
  /// + prefetchGroups (the last group, near the end): one per cache line.
  void prefetchAhead(OpBuilder &b, Location loc, const Block &block,
                     Value g) const {
    Value ahead = arith::MinUIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, g, indexConstant(b, loc, prefetchGroups)),
        indexConstant(b, loc, groups - 1));
    int64_t width = blockChunks * lanes;
    // Every cache line of the block's `width` rows at (nt, ahead,
    // `leading`..., row).
    auto prefetchRows = [&](Value buffer, ArrayRef<Value> leading) {
      int64_t bytes = std::max<int64_t>(
          1, cast<MemRefType>(buffer.getType()).getElementTypeBitWidth() / 8);
      int64_t perLine = std::max<int64_t>(1, kCacheLineBytes / bytes);
      for (int64_t row = 0; row < width; row += perLine) {
        SmallVector<Value> indices{block.nt, ahead};
        indices.append(leading.begin(), leading.end());
        indices.push_back(
            arith::AddIOp::create(b, loc, block.c0, indexConstant(b, loc, row)));
        memref::PrefetchOp::create(b, loc, buffer, indices, /*isWrite=*/false,
                                   /*localityHint=*/3, /*isDataCache=*/true);
      }
    };
    for (int64_t w = 0; w < words; ++w)
      prefetchRows(qweightBuffer, {indexConstant(b, loc, w)});
    prefetchRows(scalesBuffer, {});
    if (zerosBuffer)
      prefetchRows(zerosBuffer, {});
  }

  /// The parameters of group `g` per weight register (shared by the
  /// block's rows): the scale, and the zero point times the scale.
  struct GroupParameters {
    SmallVector<Value> scales, zeroScales;
  };
  GroupParameters readGroupParameters(OpBuilder &b, Location loc,
                                      const Block &block, Value g) const {
    SmallVector<bool> inBounds(1, true);
    // The `lanes` parameters of chunk `c` (scales or zero points) as stored.
    auto readParameter = [&](Value parameters, int64_t c) -> Value {
      auto type = cast<RankedTensorType>(parameters.getType());
      Type element = type.getElementType();
      Value padding = arith::ConstantOp::create(b, loc, element,
                                                b.getZeroAttr(element));
      return vector::TransferReadOp::create(
          b, loc, VectorType::get({lanes}, element), parameters,
          ValueRange{block.nt, g, block.lane(b, loc, c, lanes)}, padding,
          inBounds);
    };
    GroupParameters parameters;
    for (int64_t c = 0; c < blockChunks; ++c) {
      Value scale = convertFloat(b, loc, readParameter(scales, c), lanesF32);
      parameters.scales.push_back(scale);
      Value zero = zeroPoint(b, loc, zeros ? readParameter(zeros, c) : Value(),
                             lanesF32);
      parameters.zeroScales.push_back(arith::MulFOp::create(b, loc, zero, scale));
    }
    return parameters;
  }

  /// `acc` (register [r * C + c]) plus the int32 sums of group `g` scaled:
  /// scale * (magnitude / L * sums) - zero * scale * magnitude / L *
  /// inputSum, inputSum being the sum of the row's quantized inputs and L
  /// their largest magnitude (32767 or 127).
  SmallVector<Value> scaleGroup(OpBuilder &b, Location loc, const Block &block,
                                Value g, const GroupParameters &parameters,
                                ValueRange sums, ValueRange acc) const {
    Value inverseMax = arith::ConstantOp::create(
        b, loc, b.getF32Type(), b.getF32FloatAttr(1.0 / int4InputLevels(inputBits)));
    SmallVector<Value> next;
    for (int64_t r = 0; r < block.rowCount; ++r) {
      Value row = block.row(b, loc, r);
      Value magnitude =
          tensor::ExtractOp::create(b, loc, magnitudes, ValueRange{row, g});
      Value inputSum = arith::SIToFPOp::create(
          b, loc, b.getF32Type(),
          tensor::ExtractOp::create(b, loc, inputSums, ValueRange{row, g}));
      Value unitScalar = arith::MulFOp::create(b, loc, magnitude, inverseMax);
      Value unit = vector::BroadcastOp::create(b, loc, lanesF32, unitScalar);
      Value sum = vector::BroadcastOp::create(
          b, loc, lanesF32, arith::MulFOp::create(b, loc, inputSum, unitScalar));
      for (int64_t c = 0; c < blockChunks; ++c) {
        int64_t i = r * blockChunks + c;
        Value dot = arith::MulFOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, lanesF32, sums[i]), unit);
        Value term = arith::SubFOp::create(
            b, loc, arith::MulFOp::create(b, loc, parameters.scales[c], dot),
            arith::MulFOp::create(b, loc, parameters.zeroScales[c], sum));
        next.push_back(arith::AddFOp::create(b, loc, acc[i], term));
      }
    }
    return next;
  }

  /// The block's outputs written into `out` ([rows, 1, C * lanes], the
  /// block's weight registers): every group's word positions summed in
  /// int32 registers from zero and scaled into float registers.
  Value buildBlock(OpBuilder &b, Location loc, const Block &block,
                   Value out) const {
    Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
    int64_t registers = block.rowCount * blockChunks;
    Value floatZero = arith::ConstantOp::create(
        b, loc, lanesF32,
        DenseElementsAttr::get(lanesF32, b.getF32FloatAttr(0.0f)));
    auto groupLoop =
        scf::ForOp::create(b, loc, c0, indexConstant(b, loc, groups), c1,
                           SmallVector<Value>(registers, floatZero));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(groupLoop.getBody());
      Value g = groupLoop.getInductionVar();
      if (prefetchGroups > 0)
        prefetchAhead(b, loc, block, g);
      auto wordLoop = scf::ForOp::create(
          b, loc, c0, indexConstant(b, loc, words), c1,
          SmallVector<Value>(registers * sumSets(),
                             splatI32(b, loc, lanes, 0)));
      // The sets' sums of each register added, each shifted down to the
      // nibbles' value (a set per slot where any is shifted: sumSets()).
      SmallVector<Value> sums(wordLoop.getResults().take_front(registers));
      for (int64_t set = 1; set < sumSets(); ++set)
        for (int64_t i = 0; i < registers; ++i) {
          Value setSum = wordLoop.getResult(set * registers + i);
          if (sumShift(set) != 0)
            setSum = arith::ShRSIOp::create(
                b, loc, setSum, splatI32(b, loc, lanes, sumShift(set)));
          sums[i] = arith::AddIOp::create(b, loc, sums[i], setSum);
        }
      scf::YieldOp::create(
          b, loc,
          scaleGroup(b, loc, block, g, readGroupParameters(b, loc, block, g),
                     sums, groupLoop.getRegionIterArgs()));
      b.setInsertionPointToStart(wordLoop.getBody());
      scf::YieldOp::create(b, loc,
                           accumulateWord(b, loc, block, g,
                                          wordLoop.getInductionVar(),
                                          wordLoop.getRegionIterArgs()));
    }
    SmallVector<bool> inBounds(1, true);
    for (int64_t r = 0; r < block.rowCount; ++r)
      for (int64_t c = 0; c < blockChunks; ++c)
        out = vector::TransferWriteOp::create(
                  b, loc, groupLoop.getResult(r * blockChunks + c), out,
                  ValueRange{block.row(b, loc, r), c0,
                             indexConstant(b, loc, c * lanes)},
                  inBounds)
                  .getResult();
    return out;
  }

  /// Rows [from, to) in blocks of `rowCount` rows (to - from a multiple),
  /// written into `out`.
  Value buildRows(OpBuilder &b, Location loc, Value nt, Value c0, Value from,
                  Value to, int64_t rowCount, Value out) const {
    auto loop = scf::ForOp::create(b, loc, from, to,
                                   indexConstant(b, loc, rowCount),
                                   ValueRange{out});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Block block{nt, loop.getInductionVar(), c0, rowCount};
    scf::YieldOp::create(
        b, loc, buildBlock(b, loc, block, loop.getRegionIterArgs()[0]));
    return loop.getResult(0);
  }

  Value pairs, qweight, scales, zeros, magnitudes, inputSums;
  int64_t lanes, inputBits, blockRows, blockChunks;
  int64_t tiles, groups, words, tile, chunks, slots;
  /// Groups ahead that each group's iteration prefetches (0: none).
  int64_t prefetchGroups;
  /// Read-only buffers of qweight, scales and zeros (null: none, or no
  /// prefetches), for the prefetches.
  Value qweightBuffer, scalesBuffer, zerosBuffer;
  VectorType lanesI32, lanesNarrow, lanesF32;
};

} // namespace

Value mlir::llm::detail::buildIntegerInt4Rows(
    OpBuilder &b, Location loc, Value pairs, Value qweight, Value scales,
    Value zeros, Value magnitudes, Value inputSums, int64_t lanes,
    int64_t inputBits, int64_t blockRows, int64_t blockChunks) {
  IntegerInt4Kernel kernel(b, loc, pairs, qweight, scales, zeros, magnitudes,
                      inputSums, lanes, inputBits, blockRows, blockChunks);
  Type f32 = b.getF32Type();
  auto pairsType = cast<RankedTensorType>(pairs.getType());
  int64_t staticRows = pairsType.getDimSize(0);
  SmallVector<Value> dynamicRows;
  Value rowCount = tensor::DimOp::create(b, loc, pairs, 0);
  if (ShapedType::isDynamic(staticRows))
    dynamicRows.push_back(rowCount);
  int64_t width = blockChunks * lanes;
  int64_t slices = kernel.chunks / blockChunks;
  Value init = emptyTensor(b, loc, {staticRows, kernel.tiles, kernel.tile},
                           f32, dynamicRows);
  // One thread tile per row tile and slice of C registers: [rows, 1, C *
  // lanes] of the output.
  auto forall = scf::ForallOp::create(
      b, loc,
      ArrayRef<OpFoldResult>{b.getIndexAttr(kernel.tiles),
                             b.getIndexAttr(slices)},
      ValueRange{init}, std::nullopt,
      [&](OpBuilder &fb, Location floc, ValueRange args) {
        Value nt = args[0], out = args[2];
        Value c0 = arith::MulIOp::create(fb, floc, args[1],
                                         indexConstant(fb, floc, width));
        SmallVector<OpFoldResult> offsets{fb.getIndexAttr(0), nt, c0};
        SmallVector<OpFoldResult> sizes{ShapedType::isDynamic(staticRows)
                                            ? OpFoldResult(rowCount)
                                            : fb.getIndexAttr(staticRows),
                                        fb.getIndexAttr(1),
                                        fb.getIndexAttr(width)};
        SmallVector<OpFoldResult> strides(3, fb.getIndexAttr(1));
        Value slice = tensor::ExtractSliceOp::create(
            fb, floc,
            RankedTensorType::get({staticRows, 1, width}, f32), out, offsets,
            sizes, strides);
        // Whole blocks of rows, then the rest one by one.
        Value zero = indexConstant(fb, floc, 0);
        Value blockRowsValue = indexConstant(fb, floc, blockRows);
        Value wholeRows = arith::MulIOp::create(
            fb, floc,
            arith::DivUIOp::create(fb, floc, rowCount, blockRowsValue),
            blockRowsValue);
        slice = kernel.buildRows(fb, floc, nt, c0, zero, wholeRows, blockRows,
                                 slice);
        if (blockRows > 1)
          slice = kernel.buildRows(fb, floc, nt, c0, wholeRows, rowCount, 1,
                                   slice);
        auto terminator = scf::InParallelOp::create(fb, floc);
        OpBuilder::InsertionGuard guard(fb);
        fb.setInsertionPointToStart(terminator.getBody());
        tensor::ParallelInsertSliceOp::create(fb, floc, slice, out, offsets,
                                              sizes, strides);
      });
  return forall.getResult(0);
}
