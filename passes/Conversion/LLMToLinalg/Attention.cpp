//===- Attention.cpp - llm.attention to linalg and tensor slices ----------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"


using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// Grouped-query causal attention over the KV cache:
///  1. K and V ([seq, kv_heads * head_dim]) are transposed into the caches'
///     layout (kvCacheShape: [kv_heads, seq, head_dim]) at [layer, :,
///     position .. position + seq] by a linalg.transpose into that slice of
///     the cache (extract_slice, transpose, insert_slice at the same
///     offsets), which bufferizes in place into the runtime's cache buffers;
///     (rounded first to the caches' element type when it is narrower:
///     llm-kv-cache-type);
///  2. the first `total = position + seq` positions of every KV head of
///     the layer are read back (and widened row by row as they are read);
///  3. queries are viewed as [seq, kv_heads, group, head_dim] so that query
///     head h = kv * group + g meets KV head kv with plain projections;
///  4. one pass over the visible rows per KV head, for the query heads of
///     its group together, with an online softmax (buildFlashAttention): no
///     scores in memory.
struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    // The attention block with its rotary embeddings (rope_theta): the
    // query and key are rotated first, by the llm.rope lowering.
    Value query = op.getQuery(), key = op.getKey();
    if (FloatAttr theta = op.getRopeThetaAttr()) {
      auto rotate = [&](Value x) {
        return RopeOp::create(rewriter, op.getLoc(), x, op.getPosition(),
                              op.getHeadDimAttr(), theta,
                              op.getRopeScalingAttr())
            .getResult();
      };
      query = rotate(query);
      key = rotate(key);
    }
    Location loc = op.getLoc();
    auto queryType = cast<RankedTensorType>(query.getType());
    Type elementType = queryType.getElementType();
    int64_t kvHeads = op.getNumKvHeads(), headDim = op.getHeadDim();
    int64_t group = op.getNumHeads() / kvHeads;
    int64_t seqStatic = queryType.getDimSize(0);
    Value position = op.getPosition();
    Value seq = tensor::DimOp::create(rewriter, loc, query, 0);
    OpFoldResult seqSize = tensor::getMixedSize(rewriter, loc, query, 0);
    Value total = arith::AddIOp::create(rewriter, loc, position, seq);
    auto idx = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };

    // 1. Append K and V to the caches, [seq, kv_heads, head_dim] rows
    // transposed into the slice of the layer they fill (the cache's order,
    // inKVCacheOrder, without the layer).
    // The caches may hold a narrower float (llm-kv-cache-type): the rows
    // are rounded to it first.
    Type cacheElementType = op.getKeyCache().getType().getElementType();
    auto rowsType =
        RankedTensorType::get({seqStatic, kvHeads, headDim}, cacheElementType);
    auto sliceType = RankedTensorType::get(
        ArrayRef(inKVCacheOrder<int64_t>(1, seqStatic, kvHeads, headDim))
            .drop_front(),
        cacheElementType);
    // Slice dimension i is dimension permutation[i] of the rows.
    SmallVector<int64_t> permutation = llvm::to_vector(
        ArrayRef(inKVCacheOrder<int64_t>(-1, 0, 1, 2)).drop_front());
    SmallVector<ReassociationIndices> splitHeads = {{0}, {1, 2}};
    auto append = [&](Value rows, Value cache) -> Value {
      Value split = tensor::ExpandShapeOp::create(
          rewriter, loc, rowsType,
          convertElements(rewriter, loc, rows, cacheElementType), splitHeads);
      SmallVector<OpFoldResult> offsets = inKVCacheOrder<OpFoldResult>(
          op.getCacheLayer(), position, idx(0), idx(0));
      SmallVector<OpFoldResult> sizes = inKVCacheOrder<OpFoldResult>(
          idx(1), seqSize, idx(kvHeads), idx(headDim));
      SmallVector<OpFoldResult> strides(4, idx(1));
      Value slice = tensor::ExtractSliceOp::create(
          rewriter, loc, sliceType, cache, offsets, sizes, strides);
      Value transposed = linalg::TransposeOp::create(rewriter, loc, split,
                                                     slice, permutation)
                             ->getResult(0);
      return tensor::InsertSliceOp::create(rewriter, loc, transposed, cache,
                                           offsets, sizes, strides);
    };
    Value newKeyCache = append(key, op.getKeyCache());
    Value newValueCache = append(op.getValue(), op.getValueCache());

    // 2. Read the layer's first `total` positions back.
    auto historyType = RankedTensorType::get(
        ArrayRef(inKVCacheOrder<int64_t>(1, ShapedType::kDynamic, kvHeads,
                                         headDim))
            .drop_front(),
        cacheElementType);
    auto history = [&](Value cache) -> Value {
      SmallVector<OpFoldResult> offsets = inKVCacheOrder<OpFoldResult>(
          op.getCacheLayer(), idx(0), idx(0), idx(0));
      SmallVector<OpFoldResult> sizes = inKVCacheOrder<OpFoldResult>(
          idx(1), total, idx(kvHeads), idx(headDim));
      SmallVector<OpFoldResult> strides(4, idx(1));
      return tensor::ExtractSliceOp::create(rewriter, loc, historyType, cache,
                                            offsets, sizes, strides);
    };
    Value keys = history(newKeyCache);
    Value values = history(newValueCache);

    // 3. Queries as [seq, kv_heads, group, head_dim].
    auto groupedType = RankedTensorType::get(
        {seqStatic, kvHeads, group, headDim}, elementType);
    SmallVector<ReassociationIndices> splitQueryHeads = {{0}, {1, 2, 3}};
    Value queries = tensor::ExpandShapeOp::create(
        rewriter, loc, groupedType, query, splitQueryHeads);

    // 4. The online softmax over the visible rows (FlashAttention.cpp).
    Value output = buildFlashAttention(rewriter, loc, queries, keys, values,
                                       position, op.getEffectiveScale());
    Value collapsed = tensor::CollapseShapeOp::create(
        rewriter, loc, queryType, output, splitQueryHeads);
    rewriter.replaceOp(op, ValueRange{collapsed, newKeyCache, newValueCache});
    return success();
  }
};

/// A batched decode step's attention: a loop over the batch whose body is
/// the `llm.attention` of row b's one token on its slot's cache (a
/// rank-reduced slice of the pool at `slots[b]`), lowered as above. The
/// pool slices are extracted from and inserted back into the loop-carried
/// pools at the same offsets, so bufferization updates the runtime's pool
/// in place.
struct BatchedAttentionLowering : OpRewritePattern<BatchedAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchedAttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto poolType = op.getKeyCache().getType();
    auto idx = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value rows = tensor::DimOp::create(rewriter, loc, op.getQuery(), 0);
    Value outputInit = emptyLike(rewriter, loc, op.getQuery());
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, rows, one,
        ValueRange{outputInit, op.getKeyCache(), op.getValueCache()},
        [&](OpBuilder &b, Location nested, Value row, ValueRange carried) {
          auto element = [&](Value vector) -> Value {
            Value value = tensor::ExtractOp::create(b, nested, vector, row);
            return arith::IndexCastOp::create(b, nested, b.getIndexType(),
                                              value);
          };
          Value slot = element(op.getSlots());
          Value position = element(op.getPositions());
          // Row b of a [rows, features] tensor, as [1, features].
          auto rowOf = [&](Value matrix) {
            return sliceRows(b, nested, matrix, row, idx(1));
          };
          // The slot's cache (kvCacheShape).
          auto cacheType = RankedTensorType::get(poolType.getShape().drop_front(),
                                                 poolType.getElementType());
          SmallVector<OpFoldResult> offsets = {slot, idx(0), idx(0), idx(0),
                                               idx(0)};
          SmallVector<OpFoldResult> strides(5, idx(1));
          auto slotSizes = [&](Value pool) {
            SmallVector<OpFoldResult> sizes = {idx(1)};
            for (int64_t d = 1; d < 5; ++d)
              sizes.push_back(tensor::getMixedSize(b, nested, pool, d));
            return sizes;
          };
          auto slotOf = [&](Value pool) -> Value {
            return tensor::ExtractSliceOp::create(b, nested, cacheType, pool,
                                                  offsets, slotSizes(pool),
                                                  strides);
          };
          Value query = rowOf(op.getQuery());
          auto attention = AttentionOp::create(
              b, nested,
              TypeRange{query.getType(), cacheType, cacheType}, query,
              rowOf(op.getKey()), rowOf(op.getValue()), slotOf(carried[1]),
              slotOf(carried[2]), position, op.getLayer(),
              /*layer=*/IntegerAttr(), op.getNumHeadsAttr(),
              op.getNumKvHeadsAttr(), op.getHeadDimAttr(), op.getScaleAttr(),
              op.getRopeThetaAttr(), op.getRopeScalingAttr());
          Value output =
              insertRows(b, nested, attention.getOutput(), carried[0], row);
          auto putBack = [&](Value cache, Value pool) -> Value {
            return tensor::InsertSliceOp::create(b, nested, cache, pool,
                                                 offsets, slotSizes(pool),
                                                 strides);
          };
          Value keys = putBack(attention.getNewKeyCache(), carried[1]);
          Value values = putBack(attention.getNewValueCache(), carried[2]);
          scf::YieldOp::create(b, nested, ValueRange{output, keys, values});
        });
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering, BatchedAttentionLowering>(
      patterns.getContext());
}
