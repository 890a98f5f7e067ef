//===- ModelRunner.h - binds weights and KV cache, calls entry points -*- C++ -*-===//
//
// Drives a compiled LLaMA module through its C ABI without depending on MLIR:
// the compiled `@prefill` and `@decode` entry points are packed functions
// (`void(void **)`) taking, in order, the token ids (memref<?xi32>), the start
// position (index), the K and V caches (memref<L x C x KVH x D x f32>), one
// memref per weight buffer of the module's ABI (`ModuleABI::weights`), and a
// pointer to the returned logits descriptor (memref<? x vocab x f32>,
// malloc'ed by the module).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_MODELRUNNER_H
#define LLM_RUNTIME_MODELRUNNER_H

#include "llm/runtime/ParameterStore.h"
#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
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
  int64_t vocabSize = 0, numLayers = 0, numKvHeads = 0, headDim = 0,
          maxPositions = 0, bosTokenId = 1;
  std::vector<int64_t> eosTokenIds;
  /// Inputs of the linear layers that `@prefill` also returns.
  std::vector<ExposedActivation> activations;
};

class ModelRunner {
public:
  /// Binds and prepares the weights (ParameterStore::build: every problem
  /// with the checkpoint is reported by name in one error) for the entry
  /// points.
  static Expected<std::unique_ptr<ModelRunner>>
  create(const Checkpoint &checkpoint, ModuleABI abi, ModelShape shape,
         PackedFunction prefill, PackedFunction decode,
         PackedFunction prepare, const LoadOptions &options = {});

  ~ModelRunner();

  /// Allocates (zeroed) K/V caches for `contextSize` positions.
  Status allocateCache(int64_t contextSize);
  int64_t contextSize() const { return context_; }
  const ModelShape &shape() const { return shape_; }
  /// Whether loading ran `@prepare` (false: nothing to prepare, or cached).
  bool ranPrepare() const { return store_->prepared(); }

  /// Runs `tokens` at positions [position, position + n) and returns the
  /// logits of every position, row-major [n, vocab]. Uses `@decode` for a
  /// single token and `@prefill` otherwise. Rejects ids outside the
  /// vocabulary and positions past the context.
  Expected<std::vector<float>> forward(const std::vector<int32_t> &tokens,
                                       int64_t position);

  /// After a prefill of a module that exposes activations: each linear
  /// layer's input, row-major [tokens, features], in `shape().activations`
  /// order.
  const std::vector<std::vector<float>> &lastActivations() const {
    return activations_;
  }

private:
  ModelRunner() = default;

  ModelShape shape_;
  ModuleABI abi_;
  /// The weight buffers (checkpoint tensors and prepared buffers).
  std::unique_ptr<ParameterStore> store_;
  std::vector<std::vector<float>> activations_;
  PackedFunction prefill_ = nullptr, decode_ = nullptr;
  int64_t context_ = 0;
  std::unique_ptr<float, void (*)(void *)> keyCache_{nullptr, nullptr};
  std::unique_ptr<float, void (*)(void *)> valueCache_{nullptr, nullptr};
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_MODELRUNNER_H
