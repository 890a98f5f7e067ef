//===- FlashAttention.cpp - causal attention with an online softmax -------===//
//
// The attention of query rows [s, kv_heads, group, head_dim] over the first
// `position + s + 1` positions of a layer's K and V caches ([kv_heads, t,
// head_dim]: each head's history one contiguous stream), one pass over the
// cache per KV head and query row with an online softmax per query head:
// blocks of kBlock positions
// are scored (q . k, the query scaled once; the lanes of a register's worth
// of positions' products summed together by a butterfly of shuffles, not
// one reduction per position), the running maximum m and sum l are
// updated, and the output registers are rescaled by exp(m_old - m_new) before the block's
// exp(score - m_new) weighted rows of V are added. Nothing of the size of
// the scores is formed: memory is O(head_dim) per query head whatever the
// context, and the causal mask is the loop bound (a row sees positions t
// <= position + s). Positions past the last whole block go one by one.
//
// One scf.forall over (kv head, query row). The query heads of a group
// that share a KV head take that pass together, a few at a time
// (headsTogether: as many as keep their output accumulators in 16 vector
// registers): each row of K and V is read, and widened from f16/bf16, once
// for all of them instead of once per query head. The head dimension is
// held in registers of `lanes` floats (the widest of 16, 8, 4, 2, 1
// dividing it).
// Written at the vector level because the softmax's running state is a
// loop-carried recurrence between two contractions, which linalg's
// vectorizer has no way to express.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::llm::detail;

namespace {

/// Positions scored together (one register of scores).
constexpr int64_t kBlock = 16;
/// Vector registers the output accumulators of the query heads scanned
/// together may take (of AVX-512's 32: the block's rows, scores and
/// temporaries take the rest).
constexpr int64_t kAccumulatorRegisters = 16;

/// Horizontal sums and maxima in any order (a tree of shuffles, not a chain
/// of one operation per lane).
constexpr arith::FastMathFlags kReassociate = arith::FastMathFlags::reassoc;
/// The running maximum assumes no NaN among the scores (a NaN input makes
/// the output NaN through the exponentials anyway): one vmaxps per step of
/// the tree, where NaN-aware maxima take a compare and a blend per lane.
constexpr arith::FastMathFlags kMaximum =
    arith::FastMathFlags::reassoc | arith::FastMathFlags::nnan;

struct FlashAttention {
  FlashAttention(OpBuilder &b, Value queries, Value keys, Value values,
                 double scale)
      : queries(queries), keys(keys), values(values), scale(scale) {
    auto qType = cast<RankedTensorType>(queries.getType());
    elementType = qType.getElementType();
    group = qType.getDimSize(2);
    headDim = qType.getDimSize(3);
    lanes = 16;
    while (headDim % lanes)
      lanes /= 2;
    chunks = headDim / lanes;
    headsTogether = 1;
    for (int64_t heads = group; heads > 1; --heads)
      if (group % heads == 0 && heads * chunks <= kAccumulatorRegisters) {
        headsTogether = heads;
        break;
      }
    rowType = VectorType::get({lanes}, elementType);
    cacheRowType = VectorType::get(
        {lanes}, cast<RankedTensorType>(keys.getType()).getElementType());
    blockType = VectorType::get({kBlock}, elementType);
  }

  Value constant(OpBuilder &b, Location loc, double v) const {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(elementType, v));
  }

  /// Chunk `c` of position `t`'s row of KV head `kv` in a layer's `cache`
  /// (the cache's order, inKVCacheOrder, without the layer), widened to the
  /// queries' type when the cache holds a narrower float.
  Value readRow(OpBuilder &b, Location loc, Value cache, Value t, Value kv,
                int64_t c) const {
    SmallVector<bool> inBounds(1, true);
    SmallVector<Value> indices = llm::inKVCacheOrder<Value>(
        Value(), t, kv, indexConstant(b, loc, c * lanes));
    Type stored = cacheRowType.getElementType();
    Value padding = arith::ConstantOp::create(b, loc, b.getFloatAttr(stored, 0.0));
    Value row = vector::TransferReadOp::create(
        b, loc, cacheRowType, cache, ArrayRef(indices).drop_front(), padding,
        inBounds);
    return convertFloat(b, loc, row, rowType);
  }

  /// The `chunks` registers of position `t`'s row of KV head `kv` in
  /// `cache`, widened to the queries' type.
  SmallVector<Value> readRows(OpBuilder &b, Location loc, Value cache, Value t,
                              Value kv) const {
    SmallVector<Value> row;
    for (int64_t c = 0; c < chunks; ++c)
      row.push_back(readRow(b, loc, cache, t, kv, c));
    return row;
  }

  /// The lanes of q . k for the query registers `q` and the key row `k`: a
  /// vector whose horizontal sum is the score.
  Value partialScore(OpBuilder &b, Location loc, ArrayRef<Value> q,
                     ArrayRef<Value> k) const {
    Value sum;
    for (int64_t c = 0; c < chunks; ++c) {
      Value product = arith::MulFOp::create(b, loc, q[c], k[c]);
      sum = sum ? arith::AddFOp::create(b, loc, sum, product).getResult()
                : product;
    }
    return sum;
  }

  /// The horizontal sums of `lanes` vectors of `lanes` lanes, as one vector
  /// (sum j in lane j): a butterfly of two-source shuffles and adds, each
  /// level pairing the vectors and halving the lanes that hold a partial sum
  /// of one input: 2 (lanes - 1) shuffles and lanes - 1 adds in all, where
  /// a reduction of each vector costs about 2 log2(lanes) operations and an
  /// insert.
  Value transposedSums(OpBuilder &b, Location loc,
                       ArrayRef<Value> vectors) const {
    int64_t width = lanes;
    // The butterfly on positions: `masks[level][pair]` = the low and high
    // shuffle masks; `slot[v][i]`, the position whose partial sum lane i of
    // vector v holds. In every segment of 2 * half lanes (all of one
    // position in each vector of a pair) the shuffles take the first halves
    // of both vectors, and the second halves.
    SmallVector<SmallVector<int64_t>> slot;
    for (int64_t j = 0; j < width; ++j)
      slot.push_back(SmallVector<int64_t>(width, j));
    SmallVector<std::pair<SmallVector<int64_t>, SmallVector<int64_t>>> masks;
    for (int64_t half = width / 2; half >= 1; half /= 2) {
      SmallVector<int64_t> low, high;
      for (int64_t segment = 0; segment < width; segment += 2 * half)
        for (int64_t from : {int64_t(0), width})
          for (int64_t i = 0; i < half; ++i) {
            low.push_back(from + segment + i);
            high.push_back(from + segment + half + i);
          }
      masks.push_back({low, high});
      SmallVector<SmallVector<int64_t>> next;
      for (size_t v = 0; v + 1 < slot.size(); v += 2) {
        SmallVector<int64_t> slots;
        for (int64_t source : low)
          slots.push_back(source < width ? slot[v][source]
                                         : slot[v + 1][source - width]);
        next.push_back(slots);
      }
      slot = next;
    }
    // Input j enters at the position whose sum ends in lane j.
    SmallVector<int64_t> input(width);
    for (int64_t j = 0; j < width; ++j)
      input[slot[0][j]] = j;
    SmallVector<Value> level;
    for (int64_t j : input)
      level.push_back(vectors[j]);
    for (auto &[low, high] : masks) {
      SmallVector<Value> next;
      for (size_t v = 0; v + 1 < level.size(); v += 2)
        next.push_back(arith::AddFOp::create(
            b, loc, vector::ShuffleOp::create(b, loc, level[v], level[v + 1], low),
            vector::ShuffleOp::create(b, loc, level[v], level[v + 1], high)));
      level = std::move(next);
    }
    return level[0];
  }

  /// Values of the running state per query head: m, l, and `chunks`
  /// accumulators.
  int64_t stateSize() const { return 2 + chunks; }

  /// The running states (m, l, acc... of each of the heads whose query
  /// registers are `queries`) after positions t0 .. t0 + n - 1 (n = kBlock,
  /// or 1 for a single position). The block's rows of K and V are read
  /// once, for every head.
  SmallVector<Value> update(OpBuilder &b, Location loc,
                            ArrayRef<SmallVector<Value>> queries, Value t0,
                            Value kv, int64_t n, ValueRange states) const {
    SmallVector<Value> positions;
    for (int64_t j = 0; j < n; ++j)
      positions.push_back(
          j == 0 ? t0
                 : arith::AddIOp::create(b, loc, t0, indexConstant(b, loc, j))
                       .getResult());
    SmallVector<SmallVector<Value>> keyRows, valueRows;
    for (Value t : positions)
      keyRows.push_back(readRows(b, loc, keys, t, kv));
    for (Value t : positions)
      valueRows.push_back(readRows(b, loc, values, t, kv));
    SmallVector<Value> next;
    for (auto [h, q] : llvm::enumerate(queries))
      next.append(updateHead(b, loc, q, keyRows, valueRows,
                             states.slice(h * stateSize(), stateSize())));
    return next;
  }

  /// One head's running state (m, l, acc...) after the rows `keyRows` and
  /// `valueRows` of a block (or of a single position).
  SmallVector<Value> updateHead(OpBuilder &b, Location loc, ArrayRef<Value> q,
                                ArrayRef<SmallVector<Value>> keyRows,
                                ArrayRef<SmallVector<Value>> valueRows,
                                ValueRange state) const {
    int64_t n = keyRows.size();
    Value m = state[0], l = state[1];
    ValueRange acc = state.drop_front(2);
    // Scores and the new maximum.
    Value newMax, weights;
    SmallVector<Value> weightOf(n);
    if (n == 1) {
      Value s = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                            partialScore(b, loc, q, keyRows[0]),
                                            kReassociate);
      newMax = arith::MaxNumFOp::create(b, loc, m, s, kMaximum);
      weightOf[0] = math::ExpOp::create(
          b, loc, arith::SubFOp::create(b, loc, s, newMax));
      weights = weightOf[0];
    } else {
      // The block's scores, `lanes` positions at a time.
      Value scores = arith::ConstantOp::create(
          b, loc, blockType,
          DenseElementsAttr::get(blockType, b.getFloatAttr(elementType, 0.0)));
      for (int64_t j0 = 0; j0 < n; j0 += lanes) {
        SmallVector<Value> partials;
        for (int64_t j = j0; j < j0 + lanes; ++j)
          partials.push_back(partialScore(b, loc, q, keyRows[j]));
        Value sums = transposedSums(b, loc, partials);
        scores = lanes == n ? sums
                            : vector::InsertStridedSliceOp::create(
                                  b, loc, sums, scores,
                                  ArrayRef<int64_t>{j0}, ArrayRef<int64_t>{1})
                                  .getResult();
      }
      Value blockMax = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::MAXNUMF, scores, kMaximum);
      newMax = arith::MaxNumFOp::create(b, loc, m, blockMax, kMaximum);
      Value shifted = arith::SubFOp::create(
          b, loc, scores,
          vector::BroadcastOp::create(b, loc, blockType, newMax));
      Value exps = math::ExpOp::create(b, loc, shifted);
      weights = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, exps, kReassociate);
      for (int64_t j = 0; j < n; ++j)
        weightOf[j] =
            vector::ExtractOp::create(b, loc, exps, ArrayRef<int64_t>{j});
    }
    // Rescale what came before to the new maximum (exp(-inf) = 0 at the
    // start), then add this block's weighted rows of V.
    Value alpha =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, newMax));
    SmallVector<Value> next{newMax,
                            arith::AddFOp::create(
                                b, loc,
                                arith::MulFOp::create(b, loc, l, alpha),
                                weights)};
    Value alphaRow = vector::BroadcastOp::create(b, loc, rowType, alpha);
    SmallVector<Value> w;
    for (int64_t j = 0; j < n; ++j)
      w.push_back(vector::BroadcastOp::create(b, loc, rowType, weightOf[j]));
    // Two chains of multiply-adds per register (even and odd positions),
    // so that a block's adds are not one chain of n dependent additions.
    for (int64_t c = 0; c < chunks; ++c) {
      Value even = arith::MulFOp::create(b, loc, acc[c], alphaRow), odd;
      for (int64_t j = 0; j < n; ++j) {
        Value term = arith::MulFOp::create(b, loc, w[j], valueRows[j][c]);
        Value &chain = j % 2 ? odd : even;
        chain = chain ? arith::AddFOp::create(b, loc, chain, term).getResult()
                      : term;
      }
      next.push_back(odd ? arith::AddFOp::create(b, loc, even, odd).getResult()
                         : even);
    }
    return next;
  }

  /// Positions [from, to) in steps of `n`, from `states`.
  SmallVector<Value> scan(OpBuilder &b, Location loc,
                          ArrayRef<SmallVector<Value>> queries, Value kv,
                          Value from, Value to, int64_t n,
                          ValueRange states) const {
    auto loop = scf::ForOp::create(b, loc, from, to, indexConstant(b, loc, n),
                                   states);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(b, loc,
                         update(b, loc, queries, loop.getInductionVar(), kv, n,
                                loop.getRegionIterArgs()));
    return SmallVector<Value>(loop.getResults());
  }

  /// Query heads g0 .. g0 + headsTogether - 1 of row `s` and KV head `kv`
  /// over positions [0, count), written into `out` ([1, 1, group,
  /// head_dim]) at [0, 0, g].
  Value heads(OpBuilder &b, Location loc, Value s, Value kv, Value g0,
              Value count, Value out) const {
    SmallVector<bool> inBounds(1, true);
    Value scaleRow =
        vector::BroadcastOp::create(b, loc, rowType, constant(b, loc, scale));
    SmallVector<Value> head;
    SmallVector<SmallVector<Value>> queryRows;
    for (int64_t h = 0; h < headsTogether; ++h) {
      head.push_back(h == 0 ? g0
                            : arith::AddIOp::create(b, loc, g0,
                                                    indexConstant(b, loc, h))
                                  .getResult());
      SmallVector<Value> q;
      for (int64_t c = 0; c < chunks; ++c)
        q.push_back(arith::MulFOp::create(
            b, loc,
            vector::TransferReadOp::create(
                b, loc, rowType, queries,
                ValueRange{s, kv, head[h], indexConstant(b, loc, c * lanes)},
                constant(b, loc, 0.0), inBounds),
            scaleRow));
      queryRows.push_back(q);
    }
    Value zeroRow = arith::ConstantOp::create(
        b, loc, rowType,
        DenseElementsAttr::get(rowType, b.getFloatAttr(elementType, 0.0)));
    SmallVector<Value> states;
    for (int64_t h = 0; h < headsTogether; ++h) {
      states.push_back(
          constant(b, loc, -std::numeric_limits<double>::infinity()));
      states.push_back(constant(b, loc, 0.0));
      states.append(chunks, zeroRow);
    }
    Value block = indexConstant(b, loc, kBlock);
    Value whole = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, count, block), block);
    states = scan(b, loc, queryRows, kv, indexConstant(b, loc, 0), whole,
                  kBlock, states);
    states = scan(b, loc, queryRows, kv, whole, count, 1, states);
    Value zero = indexConstant(b, loc, 0);
    for (int64_t h = 0; h < headsTogether; ++h) {
      ArrayRef<Value> state = ArrayRef(states).slice(h * stateSize(),
                                                     stateSize());
      Value inverse = vector::BroadcastOp::create(
          b, loc, rowType,
          arith::DivFOp::create(b, loc, constant(b, loc, 1.0), state[1]));
      for (int64_t c = 0; c < chunks; ++c)
        out = vector::TransferWriteOp::create(
                  b, loc, arith::MulFOp::create(b, loc, state[2 + c], inverse),
                  out,
                  ValueRange{zero, zero, head[h],
                             indexConstant(b, loc, c * lanes)},
                  inBounds)
                  .getResult();
    }
    return out;
  }

  Value queries, keys, values;
  double scale;
  Type elementType;
  int64_t group, headDim, lanes, chunks;
  /// Query heads of a group scanned together (a divisor of `group`).
  int64_t headsTogether;
  VectorType rowType, blockType;
  /// A chunk of a cache row as stored (f32, or f16/bf16).
  VectorType cacheRowType;
};

} // namespace

Value mlir::llm::detail::buildFlashAttention(OpBuilder &b, Location loc,
                                             Value queries, Value keys,
                                             Value values, Value position,
                                             double scale) {
  FlashAttention kernel(b, queries, keys, values, scale);
  auto qType = cast<RankedTensorType>(queries.getType());
  int64_t kvHeads = qType.getDimSize(1);
  Value seq = tensor::DimOp::create(b, loc, queries, 0);
  SmallVector<Value> dynamicSizes;
  if (qType.isDynamicDim(0))
    dynamicSizes.push_back(seq);
  Value init = emptyTensor(b, loc, qType.getShape(), kernel.elementType,
                           dynamicSizes);
  auto forall = scf::ForallOp::create(
      b, loc,
      ArrayRef<OpFoldResult>{b.getIndexAttr(kvHeads),
                             getAsOpFoldResult(seq)},
      ValueRange{init}, std::nullopt,
      [&](OpBuilder &fb, Location floc, ValueRange args) {
        Value kv = args[0], s = args[1], out = args[2];
        SmallVector<OpFoldResult> offsets{s, kv, fb.getIndexAttr(0),
                                          fb.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes{
            fb.getIndexAttr(1), fb.getIndexAttr(1),
            fb.getIndexAttr(kernel.group), fb.getIndexAttr(kernel.headDim)};
        SmallVector<OpFoldResult> strides(4, fb.getIndexAttr(1));
        Value slice = tensor::ExtractSliceOp::create(
            fb, floc,
            RankedTensorType::get({1, 1, kernel.group, kernel.headDim},
                                  kernel.elementType),
            out, offsets, sizes, strides);
        // Row s is at position `position + s` and sees positions up to it.
        Value count = arith::AddIOp::create(
            fb, floc, arith::AddIOp::create(fb, floc, position, s),
            indexConstant(fb, floc, 1));
        auto heads = scf::ForOp::create(
            fb, floc, indexConstant(fb, floc, 0),
            indexConstant(fb, floc, kernel.group),
            indexConstant(fb, floc, kernel.headsTogether), ValueRange{slice});
        {
          OpBuilder::InsertionGuard guard(fb);
          fb.setInsertionPointToStart(heads.getBody());
          scf::YieldOp::create(
              fb, floc,
              kernel.heads(fb, floc, s, kv, heads.getInductionVar(), count,
                           heads.getRegionIterArgs()[0]));
        }
        auto terminator = scf::InParallelOp::create(fb, floc);
        OpBuilder::InsertionGuard guard(fb);
        fb.setInsertionPointToStart(terminator.getBody());
        tensor::ParallelInsertSliceOp::create(fb, floc, heads.getResult(0),
                                              out, offsets, sizes, strides);
      });
  return forall.getResult(0);
}
