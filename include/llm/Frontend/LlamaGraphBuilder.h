//===- LlamaGraphBuilder.h - LLaMA graph in the llm dialect -----*- C++ -*-===//

#ifndef LLM_FRONTEND_LLAMAGRAPHBUILDER_H
#define LLM_FRONTEND_LLAMAGRAPHBUILDER_H

#include "llm/Frontend/LlamaConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <array>

namespace mlir::llm {

/// Hugging Face tensor names of one decoder layer's weights.
struct LayerParamNames {
  std::string inputNorm, qProj, kProj, vProj, oProj, postNorm, gateProj,
      upProj, downProj;
  /// The names of layer `layer`.
  static LayerParamNames forLayer(int64_t layer);
  /// The names with `{}` for the layer, as a decoder-layer function's
  /// `llm.param` ops carry them.
  static LayerParamNames forAnyLayer();
  /// The names with `prefix` (`model.layers.N.`) before each.
  static LayerParamNames withPrefix(llvm::StringRef prefix);
  /// The seven linear layers' weight names.
  std::array<const std::string *, 7> linearLayers() const {
    return {&qProj, &kProj, &vProj, &oProj, &gateProj, &upProj, &downProj};
  }
};

/// Builds a module holding `@prefill` (a dynamic number of tokens) and
/// `@decode` (one token), each calling a private decoder-layer function
/// (`@prefill_layer`, `@decode_layer`) once per layer with the layer's index,
/// so that the module's size does not grow with the model's depth. Both take the token ids, the start position and the
/// K/V caches ([layers, kv_heads, context, head_dim], context dynamic) and
/// return the logits of every input position and the updated caches.
/// Weights are `llm.param` ops named as in the checkpoint. The module carries
/// the config as its `llm.config` attribute (a #llm.config).
///
/// With `batchedDecode`, the module also holds `@decode_batch`: one decode
/// step of a dynamic number of sequences, each in its own slot of a KV-cache
/// pool ([slots, layers, kv_heads, context, head_dim]) at its own position.
/// It takes the token ids (`[batch] i32`), the slots and positions
/// (`[batch] i64`) and the two pools, and returns `[batch, vocab]` logits
/// and the pools; its layers call `@decode_batch_layer`, whose attention is
/// `llm.batched_attention`.
struct LlamaModuleOptions {
  bool batchedDecode = false;
};
OwningOpRef<ModuleOp> buildLlamaModule(MLIRContext &context,
                                       const LlamaConfig &config,
                                       const LlamaModuleOptions &options = {});

} // namespace mlir::llm

#endif // LLM_FRONTEND_LLAMAGRAPHBUILDER_H
