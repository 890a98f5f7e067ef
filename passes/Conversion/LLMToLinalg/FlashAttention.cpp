//===- FlashAttention.cpp - causal attention with an online softmax -------===//
//
// The attention of query rows [s, kv_heads, group, head_dim] over the first
// `position + s + 1` positions of a layer's K and V caches ([kv_heads, t,
// head_dim]: each head's history one contiguous stream), one pass over the
// cache per query head with an online softmax: blocks of kBlock positions
// are scored (q . k, the query scaled once; the lanes of a register's worth
// of positions' products summed together by a butterfly of shuffles, not
// one reduction per position), the running maximum m and sum l are
// updated, and the output registers are rescaled by exp(m_old - m_new) before the block's
// exp(score - m_new) weighted rows of V are added. Nothing of the size of
// the scores is formed: memory is O(head_dim) per query head whatever the
// context, and the causal mask is the loop bound (a row sees positions t
// <= position + s). Positions past the last whole block go one by one.
//
// One scf.forall over (kv head, query row); the head dimension is held in
// registers of `lanes` floats (the widest of 16, 8, 4, 2, 1 dividing it).
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

  /// The lanes of q . k[kv, t, :] for the query registers `q`: a vector
  /// whose horizontal sum is the score.
  Value partialScore(OpBuilder &b, Location loc, ArrayRef<Value> q, Value t,
                     Value kv) const {
    Value sum;
    for (int64_t c = 0; c < chunks; ++c) {
      Value product =
          arith::MulFOp::create(b, loc, q[c], readRow(b, loc, keys, t, kv, c));
      sum = sum ? arith::AddFOp::create(b, loc, sum, product).getResult()
                : product;
    }
    return sum;
  }

  /// q . k[kv, t, :] for the query registers `q`.
  Value score(OpBuilder &b, Location loc, ArrayRef<Value> q, Value t,
              Value kv) const {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                       partialScore(b, loc, q, t, kv),
                                       kReassociate);
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
    SmallVector<Value> level(width);
    for (int64_t j = 0; j < width; ++j)
      level[slot[0][j]] = vectors[j];
    for (auto &[low, high] : masks) {
      SmallVector<Value> next;
      for (size_t v = 0; v + 1 < level.size(); v += 2)
        next.push_back(arith::AddFOp::create(
            b, loc, vector::ShuffleOp::create(b, loc, level[v], level[v + 1], low),
            vector::ShuffleOp::create(b, loc, level[v], level[v + 1], high)));
      level = next;
    }
    return level[0];
  }

  /// The running state (m, l, acc...) after positions t0 .. t0 + n - 1
  /// (n = kBlock, or 1 for a single position).
  SmallVector<Value> update(OpBuilder &b, Location loc, ArrayRef<Value> q,
                            Value t0, Value kv, int64_t n,
                            ValueRange state) const {
    Value m = state[0], l = state[1];
    ValueRange acc = state.drop_front(2);
    SmallVector<Value> positions;
    for (int64_t j = 0; j < n; ++j)
      positions.push_back(
          j == 0 ? t0
                 : arith::AddIOp::create(b, loc, t0, indexConstant(b, loc, j))
                       .getResult());
    // Scores and the new maximum.
    Value newMax, weights;
    SmallVector<Value> weightOf(n);
    if (n == 1) {
      Value s = score(b, loc, q, t0, kv);
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
          partials.push_back(partialScore(b, loc, q, positions[j], kv));
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
    // Two chains of multiply-adds per register (even and odd positions),
    // so that a block's adds are not one chain of n dependent additions.
    for (int64_t c = 0; c < chunks; ++c) {
      Value even = arith::MulFOp::create(b, loc, acc[c], alphaRow), odd;
      for (int64_t j = 0; j < n; ++j) {
        Value w = vector::BroadcastOp::create(b, loc, rowType, weightOf[j]);
        Value term = arith::MulFOp::create(
            b, loc, w, readRow(b, loc, values, positions[j], kv, c));
        Value &chain = j % 2 ? odd : even;
        chain = chain ? arith::AddFOp::create(b, loc, chain, term).getResult()
                      : term;
      }
      next.push_back(odd ? arith::AddFOp::create(b, loc, even, odd).getResult()
                         : even);
    }
    return next;
  }

  /// Positions [from, to) in steps of `n`, from `state`.
  SmallVector<Value> scan(OpBuilder &b, Location loc, ArrayRef<Value> q,
                          Value kv, Value from, Value to, int64_t n,
                          ValueRange state) const {
    auto loop = scf::ForOp::create(b, loc, from, to, indexConstant(b, loc, n),
                                   state);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(b, loc,
                         update(b, loc, q, loop.getInductionVar(), kv, n,
                                loop.getRegionIterArgs()));
    return SmallVector<Value>(loop.getResults());
  }

  /// Query head `g` of row `s` and KV head `kv` over positions [0, count),
  /// written into `out` ([1, 1, group, head_dim]) at [0, 0, g].
  Value head(OpBuilder &b, Location loc, Value s, Value kv, Value g,
             Value count, Value out) const {
    SmallVector<bool> inBounds(1, true);
    Value scaleRow =
        vector::BroadcastOp::create(b, loc, rowType, constant(b, loc, scale));
    SmallVector<Value> q;
    for (int64_t c = 0; c < chunks; ++c)
      q.push_back(arith::MulFOp::create(
          b, loc,
          vector::TransferReadOp::create(
              b, loc, rowType, queries,
              ValueRange{s, kv, g, indexConstant(b, loc, c * lanes)},
              constant(b, loc, 0.0), inBounds),
          scaleRow));
    Value zeroRow = arith::ConstantOp::create(
        b, loc, rowType,
        DenseElementsAttr::get(rowType, b.getFloatAttr(elementType, 0.0)));
    SmallVector<Value> state{
        constant(b, loc, -std::numeric_limits<double>::infinity()),
        constant(b, loc, 0.0)};
    state.append(chunks, zeroRow);
    Value block = indexConstant(b, loc, kBlock);
    Value whole = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, count, block), block);
    state = scan(b, loc, q, kv, indexConstant(b, loc, 0), whole, kBlock, state);
    state = scan(b, loc, q, kv, whole, count, 1, state);
    Value inverse = vector::BroadcastOp::create(
        b, loc, rowType,
        arith::DivFOp::create(b, loc, constant(b, loc, 1.0), state[1]));
    Value zero = indexConstant(b, loc, 0);
    for (int64_t c = 0; c < chunks; ++c)
      out = vector::TransferWriteOp::create(
                b, loc, arith::MulFOp::create(b, loc, state[2 + c], inverse),
                out,
                ValueRange{zero, zero, g, indexConstant(b, loc, c * lanes)},
                inBounds)
                .getResult();
    return out;
  }

  Value queries, keys, values;
  double scale;
  Type elementType;
  int64_t group, headDim, lanes, chunks;
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
            indexConstant(fb, floc, kernel.group), indexConstant(fb, floc, 1),
            ValueRange{slice});
        {
          OpBuilder::InsertionGuard guard(fb);
          fb.setInsertionPointToStart(heads.getBody());
          scf::YieldOp::create(
              fb, floc,
              kernel.head(fb, floc, s, kv, heads.getInductionVar(), count,
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
