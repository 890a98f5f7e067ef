//===- ModelRunner.h - binds weights and KV cache, calls entry points -*- C++ -*-===//
//
// Drives a compiled LLaMA module through its C ABI without depending on MLIR:
// the compiled `@prefill` and `@decode` entry points are packed functions
// (`void(void **)`) taking, in order, the token ids (memref<?xi32>), the start
// position (index), the K and V caches (memref<L x C x KVH x D x f32>), one
// memref per weight buffer of the module's ABI (`ModuleABI::weights`), and a
// pointer to the returned logits descriptor (memref<? x vocab x f32>,
// malloc'ed by the module). `@decode_batch` (optional) takes the token ids,
// the slots and positions (memref<?xi64>) and the K and V cache pools
// (memref<S x L x C x KVH x D x f32>) instead of a position and caches.
//
// The runner owns the pool: `slots` sequences of `contextSize` positions
// each, contiguous, so that slot s's caches are the s-th [L, C, KVH, D]
// block, which @prefill and @decode take as one sequence's caches.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_MODELRUNNER_H
#define LLM_RUNTIME_MODELRUNNER_H

#include "llm/runtime/ParameterStore.h"
#include "llm/runtime/ResidentMemory.h"
#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llm::runtime {


/// The input of a linear layer that `@prefill` also returns (modules built
/// with llm-expose-activations).
struct ExposedActivation {
  std::string name;   ///< the layer's weight parameter
  int64_t features = 0;
  /// The checkpoint tensors the weight is made of (its parts when
  /// llm-fuse-projections stacked several; else the weight itself).
  std::vector<std::string> sources;
};

/// What the runtime needs to know of the model (from the module's config).
struct ModelShape {
  /// `numKvHeads`, `numLayers`: those this process holds (all of them, or
  /// its rank's with a tensor-parallel module or a pipeline stage).
  int64_t vocabSize = 0, numLayers = 0, numKvHeads = 0, headDim = 0,
          maxPositions = 0, bosTokenId = 1;
  /// The ranks a tensor-parallel module runs on (1: one process).
  int64_t tensorParallel = 1;
  /// A pipeline stage's module: the stages and which one it is; its
  /// `numLayers` are the stage's.
  int64_t pipelineStages = 1, pipelineStage = 0;
  std::vector<int64_t> eosTokenIds;
  /// Whether the module has `@decode_batch`.
  bool batchedDecode = false;
  /// Bytes of one KV-cache element: 4 (f32), or 2 (f16 or bf16 caches, as
  /// `llm-kv-cache-type` compiles them).
  int64_t kvCacheElementBytes = 4;
  /// Inputs of the linear layers that `@prefill` also returns.
  std::vector<ExposedActivation> activations;
};

/// A compiled module's entry points (null: absent; @prefill and @decode are
/// required, @prepare when the module prepares weights, @decode_batch when
/// `ModelShape::batchedDecode`).
struct EntryPoints {
  PackedFunction prefill = nullptr, decode = nullptr, prepare = nullptr,
                 decodeBatch = nullptr;
};

class ModelRunner {
public:
  /// Binds and prepares the weights (ParameterStore::build: every problem
  /// with the checkpoint is reported by name in one error) for the entry
  /// points.
  static Expected<std::unique_ptr<ModelRunner>>
  create(const Checkpoint &checkpoint, ModuleABI abi, ModelShape shape,
         EntryPoints entryPoints, const LoadOptions &options = {});

  ~ModelRunner();

  /// Allocates (zeroed) K/V caches of `slots` sequences of `contextSize`
  /// positions each.
  Status allocateCache(int64_t contextSize, int64_t slots = 1);
  int64_t contextSize() const { return context_; }
  int64_t slots() const { return slots_; }
  const ModelShape &shape() const { return shape_; }
  /// Whether loading ran `@prepare` (false: nothing to prepare, or cached).
  bool ranPrepare() const { return store_->prepared(); }

  /// Runs `tokens` at positions [position, position + n) and returns the
  /// logits of every position, row-major [n, vocab] (of the last one only,
  /// [1, vocab], with a module compiled with llm-prefill-last-logits). Uses `@decode` for a
  /// single token and `@prefill` otherwise. Rejects ids outside the
  /// vocabulary and positions past the context.
  /// The caches of slot `slot` are used.
  Expected<std::vector<float>> forward(const std::vector<int32_t> &tokens,
                                       int64_t position, int64_t slot = 0);

  /// One decode step of several sequences with `@decode_batch`: token b at
  /// position `positions[b]` of slot `slots[b]` (distinct slots). Returns
  /// the logits row-major [batch, vocab]; row b equals what `forward` of
  /// that token alone returns.
  Expected<std::vector<float>>
  forwardBatch(const std::vector<int32_t> &tokens,
               const std::vector<int64_t> &slots,
               const std::vector<int64_t> &positions);

  /// Called by `forward` with its arguments once they are checked, before
  /// the compiled code runs: rank 0 of a tensor-parallel group sends every
  /// call to the other ranks, which make the same call (the collectives in
  /// the compiled code pair them up).
  using ForwardObserver = std::function<void(
      const std::vector<int32_t> &tokens, int64_t position, int64_t slot)>;
  void observeForward(ForwardObserver observer) {
    forwardObserver_ = std::move(observer);
  }

  /// After a prefill of a module that exposes activations: each linear
  /// layer's input, row-major [tokens, features], in `shape().activations`
  /// order.
  const std::vector<std::vector<float>> &lastActivations() const {
    return activations_;
  }

private:
  ModelRunner() = default;
  /// Checks the ids and the positions [position, position + count) of a
  /// slot against the vocabulary, the context and the pool.
  Status checkTokens(const int32_t *tokens, size_t count, int64_t position,
                     int64_t slot) const;
  /// The K and V caches of `slot`.
  /// One sequence's K or V cache as the compiled module reads it: [layers,
  /// kv_heads, context, head_dim], each KV head's history contiguous (the
  /// compiler's kvCacheShape).
  std::vector<int64_t> sequenceCacheShape() const {
    return {shape_.numLayers, shape_.numKvHeads, context_, shape_.headDim};
  }
  std::byte *keyCache(int64_t slot) const {
    return reinterpret_cast<std::byte *>(keyCache_->data()) + slot * slotBytes_;
  }
  std::byte *valueCache(int64_t slot) const {
    return reinterpret_cast<std::byte *>(valueCache_->data()) +
           slot * slotBytes_;
  }

  ModelShape shape_;
  ModuleABI abi_;
  /// The weight buffers (checkpoint tensors and prepared buffers).
  std::unique_ptr<ParameterStore> store_;
  std::vector<std::vector<float>> activations_;
  EntryPoints entryPoints_;
  ForwardObserver forwardObserver_;
  int64_t context_ = 0, slots_ = 0;
  /// Bytes of one slot's K (or V) cache.
  size_t slotBytes_ = 0;
  /// Anonymous memory on huge pages (ResidentMemory), mapped as it fills.
  std::unique_ptr<ResidentMemory> keyCache_, valueCache_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_MODELRUNNER_H
