//===- PopulatePatterns.h - llm to linalg patterns by category --*- C++ -*-===//
//
// Private to the LLMToLinalg conversion: each category of llm op is lowered
// in its own file, and shares the helpers below.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_CONVERSION_LLMTOLINALG_POPULATEPATTERNS_H
#define LLM_CONVERSION_LLMTOLINALG_POPULATEPATTERNS_H

#include "llm/Dialect/LLM/IR/PairDotTargets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::llm::detail {

void populateElementwisePatterns(RewritePatternSet &patterns);
void populateNormalizationPatterns(RewritePatternSet &patterns);
/// `promptChunkBytes`: see populateLLMToLinalgConversionPatterns.
void populateLinearPatterns(RewritePatternSet &patterns,
                            int64_t promptChunkBytes);
/// `int4Kernel` (null: off): INT4 layers use the integer kernel of
/// Int4IntegerKernel.cpp with its vectors of int32 lanes and its input
/// width (int16 pairs or int8 quads) instead of float dot products.
void populateQuantizedLinearPatterns(RewritePatternSet &patterns,
                                     const PairDotTarget *int4Kernel);
void populateRopePatterns(RewritePatternSet &patterns);
void populateAttentionPatterns(RewritePatternSet &patterns);
/// The weight transforms of @prepare (scale_columns, quantize_int4,
/// repack_awq).
void populateWeightTransformPatterns(RewritePatternSet &patterns);
void populateCollectivePatterns(RewritePatternSet &patterns);

/// An empty tensor with the shape of `like` (dynamic sizes taken from it)
/// and its element type, or `elementType` when given.
Value emptyLike(OpBuilder &b, Location loc, Value like,
                Type elementType = {});

/// An empty tensor of `shape`, whose dynamic sizes are `dynamicSizes`.
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType, ValueRange dynamicSizes);

/// `init` filled with the float `value`.
Value fill(OpBuilder &b, Location loc, Value init, double value);

/// sum_d x[..., d]^2, the reduction of x over its last (static) dimension.
Value sumOfSquares(OpBuilder &b, Location loc, Value x);

/// rsqrt(sumSquares / n + eps), inside a linalg body: the inverse RMS of n
/// values whose squares sum to `sumSquares`.
Value inverseRMS(OpBuilder &b, Location loc, Value sumSquares, int64_t n,
                 double eps);

/// `y` ([s, n]) with each row s multiplied by rsqrt(mean_k(x[s, k]^2) + eps)
/// for `x` [s, k]: the RMS normalization of a linear layer's input applied
/// to its output (`rms_norm_eps` of llm.matmul and llm.matmul_int4).
Value scaleRowsByInverseRMS(OpBuilder &b, Location loc, Value x, Value y,
                            double eps);

/// Terminates a contraction body with `yield acc + lhs * rhs`, `rhs` (a
/// weight) widened to the accumulator's type first when it is narrower.
void yieldMultiplyAccumulate(OpBuilder &b, Location loc, Value lhs, Value rhs,
                             Value acc);

/// Float `value` (a scalar or a vector) converted to the float type `to`,
/// else `value` itself when it has that type: extended (f16/bf16 weights
/// meeting f32 inputs), truncated, or (f16 and bf16) through f32, so that
/// weights and INT4 parameters of any float type meet inputs of any.
Value convertFloat(OpBuilder &b, Location loc, Value value, Type to);

/// The float tensor `tensor` with its elements converted to `elementType`
/// (convertFloat, in a linalg.generic), or `tensor` itself when it has that
/// element type.
Value convertElements(OpBuilder &b, Location loc, Value tensor,
                      Type elementType);

/// The zero point of an INT4 weight converted to `to` (a float scalar or
/// vector type): `zero`, an i8 code read from the op's zeros, or, for a pack
/// without zeros (symmetric), the constant 8.
Value zeroPoint(OpBuilder &b, Location loc, Value zero, Type to);

/// An index constant.
Value indexConstant(OpBuilder &b, Location loc, int64_t value);

/// Largest magnitude of the `inputBits` (16 or 8) quantized inputs of the
/// integer INT4 kernel (an input group's largest |x| maps to it).
constexpr int64_t int4InputLevels(int64_t inputBits) {
  return inputBits == 8 ? 127 : 32767;
}

/// Iterator types: `numParallel` parallel loops then `numReduction`
/// reductions.
SmallVector<utils::IteratorType> iterators(unsigned numParallel,
                                           unsigned numReduction = 0);

/// The identity map over `rank` dims, and a projection onto `dims`.
AffineMap identityMap(MLIRContext *ctx, unsigned rank);
AffineMap projectionMap(MLIRContext *ctx, unsigned rank,
                        ArrayRef<unsigned> dims);

/// Rows of a prompt computed together, kept whole in registers by the CPU
/// tiling so that each weight vector loaded serves all of them.
constexpr int64_t kRowBlock = 6;
/// The block sizes computeInRowBlocks uses, largest first: blocks of 6, then
/// of 2 for what remains (a batched decode step of 2 to 5 sequences), then
/// the last row alone.
constexpr int64_t kRowBlocks[] = {kRowBlock, 2};
/// Rows of a prompt a float linear layer computes as one transposed block
/// (buildTransposedContraction): four vectors of rows per output, so that
/// the weights are read once for every 64 rows.
constexpr int64_t kTransposedRowBlock = 64;

/// Rows [offset, offset + count) of a [s, ...] tensor.
Value sliceRows(OpBuilder &b, Location loc, Value t, OpFoldResult offset,
                OpFoldResult count);
/// `part` written into rows [offset, ...) of `into`.
Value insertRows(OpBuilder &b, Location loc, Value part, Value into,
                 OpFoldResult offset);

/// Computes a part of a layer's rows: `rows` ([blocks, size, ...] with
/// rowDims 2, or [rows, ...] with rowDims 1) into `init`, their rows of the
/// result in the same leading layout, uninitialized, restricted to outputs
/// [outputOffset, outputOffset + init's last dimension) when the parts are
/// computed in chunks of the outputs (else the offset is 0 and init holds
/// every output); returns them computed, in init's type.
using RowPartFn = function_ref<Value(OpBuilder &, Location, Value rows,
                                     Value init, unsigned rowDims,
                                     OpFoldResult outputOffset)>;

/// The [s, n] result (`resultType`; s dynamic, or at least kRowBlock) of a
/// layer over the rows of `x` [s, ...]: `compute` on the rows in blocks of
/// each size of `blockSizes` (largest first) in turn, then on the last
/// remaining rows one by one; a part without rows is skipped. Each part
/// reads every weight. With `outputChunk` (dividing a static n), the parts
/// from the `firstChunkedSize`-th block size on (and the last rows) are
/// computed together in one scf.forall over chunks of `outputChunk`
/// outputs, each chunk all of those parts in turn while its weights are in
/// cache: one pass over the weights from memory for them.
Value computeInRowBlocks(OpBuilder &b, Location loc, Value x,
                         RankedTensorType resultType, RowPartFn compute,
                         ArrayRef<int64_t> blockSizes = kRowBlocks,
                         int64_t outputChunk = 0, size_t firstChunkedSize = 0);

/// Whether the integer kernel handles row tiles of `rowTile` rows (a
/// whole number of `lanes`-lane registers) and groups of `groupSize` inputs
/// (small enough for exact int32 sums of `inputBits` inputs).
bool supportsIntegerInt4Kernel(int64_t rowTile, int64_t groupSize,
                               int64_t lanes, int64_t inputBits);

/// y[r, nt, t] (f32) = sum over groups G of scale[nt, G, t] * (m[r, G] /
/// L * D) - zero[nt, G, t] * scale[nt, G, t] * xsum[r, G], where D
/// (int32) sums, over the group's words b and slots p, the dot products of
/// the nibbles of slot p of q[nt, G, b, t] with `pairs`[r, G, p, b]:
/// `inputBits` 16: L = 32767, 4 slots, pmaddwd(nibbles p and p + 4,
/// pairs[r, G, p, b]) for `pairs` [r, G, 4, g / 8] int32 words holding the
/// int16 inputs s = p (low half) and s = p + 4 (high half); `inputBits` 8:
/// L = 127, 2 slots, vpdpbusd(nibbles p, p + 2, p + 4, p + 6 (bytes 0-3),
/// pairs[r, G, p, b]) for words holding the int8 inputs s = p + 2j in
/// byte j; the inputs quantized with group magnitudes m [r, G],
/// `qweight` [out / T, G, g / 8, T], `scales` and `zeros` [out / T, G, T]
/// (`zeros` null: every zero point 8) and the sums of each row's int16 inputs per group `inputSums` [r, G]
/// (int32). One scf.forall over
/// the row tiles and their slices of `blockChunks` registers of `lanes`
/// int32 and float; the rows (static or dynamic) in register blocks of
/// `blockRows` rows, then one by one.
Value buildIntegerInt4Rows(OpBuilder &b, Location loc, Value pairs,
                           Value qweight, Value scales, Value zeros,
                           Value magnitudes, Value inputSums, int64_t lanes,
                           int64_t inputBits, int64_t blockRows,
                           int64_t blockChunks);

/// Causal attention of `queries` [s, kv_heads, group, head_dim] (row s at
/// position `position + s`) over `keys` and `values` [t, kv_heads,
/// head_dim], the scores scaled by `scale`, with an online softmax over
/// blocks of positions: [s, kv_heads, group, head_dim], in O(head_dim)
/// memory per query head.
Value buildFlashAttention(OpBuilder &b, Location loc, Value queries,
                          Value keys, Value values, Value position,
                          double scale);

} // namespace mlir::llm::detail

#endif // LLM_CONVERSION_LLMTOLINALG_POPULATEPATTERNS_H
