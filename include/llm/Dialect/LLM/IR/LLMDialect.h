//===- LLMDialect.h - llm dialect -------------------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMDIALECT_H
#define LLM_DIALECT_LLM_IR_LLMDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include <algorithm>
#include <utility>

#include "llm/Dialect/LLM/IR/LLMOpsDialect.h.inc"

namespace mlir::llm {

/// The `llm.name` the importer gives the KV cache arguments and results of
/// the entry points and decoder-layer functions.
inline constexpr llvm::StringLiteral kKeyCacheName = "key_cache";
inline constexpr llvm::StringLiteral kValueCacheName = "value_cache";

/// The entry points a model's module may have, besides @prepare: a prompt,
/// one decode step, and one decode step of a batch of sequences (optional).
inline constexpr llvm::StringLiteral kPrefillName = "prefill";
inline constexpr llvm::StringLiteral kDecodeName = "decode";
inline constexpr llvm::StringLiteral kDecodeBatchName = "decode_batch";
inline constexpr llvm::StringLiteral kEntryPointNames[] = {
    kPrefillName, kDecodeName, kDecodeBatchName};

/// The module attribute (an i64) that `llm-shard` sets: the number of
/// tensor-parallel ranks the module runs on.
inline constexpr llvm::StringLiteral kTensorParallelAttrName =
    "llm.tensor_parallel";

/// A KV cache is `[layers, kv_heads, context, head_dim]` (a batch's pool has
/// a leading dimension of slots): each KV head's history is one contiguous
/// run of `context x head_dim` values, which attention streams front to
/// back. Position-major rows (`[layers, context, kv_heads, head_dim]`) would
/// have each head read a `head_dim` slice of every row, a stride that the
/// hardware prefetchers do not follow across pages: a decode step's cache
/// reads measured 3x slower at 1000 positions. The dimensions, counted from
/// the last (the same in a cache and in a pool):
inline constexpr int64_t kKVCacheLayersFromEnd = 4;
inline constexpr int64_t kKVCacheHeadsFromEnd = 3;
inline constexpr int64_t kKVCacheContextFromEnd = 2;

/// Per-dimension values (sizes, offsets, ...) of a KV cache, given by
/// meaning, in the cache's order.
template <typename T>
llvm::SmallVector<T, 4> inKVCacheOrder(T layer, T position, T kvHead, T dim) {
  return {layer, kvHead, position, dim};
}

/// The shape of one sequence's KV cache.
inline llvm::SmallVector<int64_t, 4> kvCacheShape(int64_t layers,
                                                  int64_t context,
                                                  int64_t kvHeads,
                                                  int64_t headDim) {
  return inKVCacheOrder(layers, context, kvHeads, headDim);
}

/// The KV heads each rank of `ranks` holds, of `kvHeads` (a head shared by
/// several ranks when there are fewer heads than ranks).
inline int64_t kvHeadsPerRank(int64_t kvHeads, int64_t ranks) {
  return kvHeads / std::min(kvHeads, ranks);
}

/// The module attributes (i64) that `llm-shard` sets for a pipeline: the
/// number of stages, and which stage the module is.
inline constexpr llvm::StringLiteral kPipelineStagesAttrName =
    "llm.pipeline_stages";
inline constexpr llvm::StringLiteral kPipelineStageAttrName =
    "llm.pipeline_stage";

/// The layers [first, first + count) of stage `stage` of `stages`, of
/// `layers` (earlier stages take one layer fewer when they do not divide).
struct StageLayers {
  int64_t first, count;
};
inline StageLayers stageLayers(int64_t layers, int64_t stages, int64_t stage) {
  int64_t first = stage * layers / stages;
  return {first, (stage + 1) * layers / stages - first};
}

/// A module's pipeline stages and its stage ({1, 0} when it is not a
/// pipeline stage).
std::pair<int64_t, int64_t> getPipelineStage(mlir::Operation *module);

/// A module's tensor-parallel ranks (1 when it is not partitioned).
int64_t getTensorParallelRanks(mlir::Operation *module);

/// Whether `name` (an `llm.name`) is a KV cache's.
inline bool isKVCacheName(llvm::StringRef name) {
  return name == kKeyCacheName || name == kValueCacheName;
}

} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMDIALECT_H
