//===- ModelRunner.h - binds weights and KV cache, calls entry points -*- C++ -*-===//
//
// Drives a compiled LLaMA module through its C ABI without depending on MLIR:
// the compiled `@prefill` and `@decode` entry points are packed functions
// (`void(void **)`) taking, in order, the token ids (memref<?xi32>), the start
// position (index), the K and V caches (memref<L x C x KVH x D x f32>), one
// memref per parameter in the module's table, and a pointer to the returned
// logits descriptor (memref<? x vocab x f32>, malloc'ed by the module).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_MODELRUNNER_H
#define LLM_RUNTIME_MODELRUNNER_H

#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llm::runtime {

/// How a derived parameter is computed from a checkpoint tensor.
struct Derivation {
  /// "int4", "concat" or "scale_columns".
  std::string scheme;
  std::string source; ///< The checkpoint tensor, [out, in].
  std::string part;   ///< "qweight", "scales" or "zeros".
  int64_t groupSize = 0;
  bool symmetric = false;
  /// "rtn": `source` is a float tensor to quantize; "awq_gemm": `source` is
  /// the prefix of an AutoAWQ layer (.qweight, .qzeros, .scales) to repack.
  std::string format = "rtn";
  /// A per-input-channel scale vector `s` (a tensor name): quantize
  /// `W * s` (activation-aware); empty: none.
  std::string inputScale;
  /// A 1-D tensor `g` (a tensor name) that multiplies the columns of
  /// `source` ("scale_columns", and "int4" packs quantizing `W * g`: an RMS
  /// norm's weight folded into the layer); empty: none.
  std::string columnScale;
  /// "concat": the tensors stacked along rows to make the parameter;
  /// "scale_columns" and "int4": the parts that `source` stacks, if any.
  std::vector<std::string> sources;
};

/// A parameter the compiled module expects.
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype; // MLIR element type name, e.g. "f32".
  std::optional<Derivation> derived;
};

/// How the runner prepares derived parameters.
struct LoadOptions {
  /// Where INT4 packs are cached; empty: no cache.
  std::string cacheDirectory;
  /// Report quantization on stderr: a summary line, and with `progressBar`
  /// (for a terminal) a bar that updates in place.
  bool progress = false;
  bool progressBar = false;
  /// Quantize again even when a cached pack is valid.
  bool refreshCache = false;
  /// More tensors (e.g. activation-aware scales), looked up after the
  /// checkpoint's own.
  const Checkpoint *extra = nullptr;
};

struct Int4Pack;

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

using PackedFunction = void (*)(void **);

class ModelRunner {
public:
  /// Checks the checkpoint against `params` (every missing tensor, wrong
  /// shape or unsupported dtype is reported by name in one error) and binds
  /// them: F32 tensors are used in place from the mapped file, F16/BF16 are
  /// converted to F32 once.
  /// Derived parameters (INT4 packs) are computed from their source tensors,
  /// or read from the cache when it holds a pack of the same tensor.
  static Expected<std::unique_ptr<ModelRunner>>
  create(const Checkpoint &checkpoint, std::vector<ParamSpec> params,
         ModelShape shape, PackedFunction prefill, PackedFunction decode,
         const LoadOptions &options = {});

  ~ModelRunner();

  /// Allocates (zeroed) K/V caches for `contextSize` positions.
  Status allocateCache(int64_t contextSize);
  int64_t contextSize() const { return context_; }
  const ModelShape &shape() const { return shape_; }

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
  std::vector<ParamSpec> params_;
  std::vector<const void *> paramData_;
  std::vector<std::vector<float>> converted_;
  std::vector<std::unique_ptr<Int4Pack>> packs_;
  std::vector<std::vector<float>> activations_;
  /// A derived f32 tensor `name` of `shape` (zeros, to be filled), found
  /// by name like the checkpoint's tensors from then on.
  float *addVirtualTensor(const std::string &name,
                          std::vector<int64_t> shape);
  /// Parameters built from checkpoint tensors (concatenations, column
  /// scaling), visible to the lookups of the INT4 packs derived from them.
  std::map<std::string, std::vector<float>> virtualData_;
  std::map<std::string, TensorView> virtualViews_;
  PackedFunction prefill_ = nullptr, decode_ = nullptr;
  int64_t context_ = 0;
  std::unique_ptr<float, void (*)(void *)> keyCache_{nullptr, nullptr};
  std::unique_ptr<float, void (*)(void *)> valueCache_{nullptr, nullptr};
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_MODELRUNNER_H
