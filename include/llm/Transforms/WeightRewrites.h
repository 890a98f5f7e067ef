//===- WeightRewrites.h - graph rewrites over weight transforms -*- C++ -*-===//
//
// The cores of the fusion and quantization passes, reusable from other
// passes and pipelines. Each rewrites the graph ops and expresses what it
// does to the weights with the weight-transform ops (`tensor.concat`,
// `llm.scale_columns`, `llm.quantize_int4`, `llm.repack_awq`) over
// `llm.param` leaves; `llm-hoist-weight-prep` later moves those into
// `@prepare`.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TRANSFORMS_WEIGHTREWRITES_H
#define LLM_TRANSFORMS_WEIGHTREWRITES_H

#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::llm {

/// Replaces `group` (matmuls of one input with checkpoint weights of one
/// precision and input size) by one matmul over their weights stacked along
/// rows, and slices of its result. Fails, changing nothing, when the group
/// has fewer than two matmuls or they do not qualify.
FailureOr<MatmulOp> fuseProjections(RewriterBase &rewriter,
                                    ArrayRef<MatmulOp> group);

/// Folds `norm` (weight `g`, a parameter) into the matmuls that read it:
/// each reads the unnormalized input with `rms_norm_eps` over
/// `llm.scale_columns(W, g)`. Fails, changing nothing, unless every user is
/// such a matmul over checkpoint weights.
LogicalResult foldRMSNorm(RewriterBase &rewriter, RMSNormOp norm);

struct Int4Options {
  int64_t groupSize = 128;
  bool symmetric = false;
  /// Scale each input channel by the vector `<layer>.awq_scale` (a tensor
  /// the runtime binds) before quantizing; the layer divides its input by it.
  bool activationAware = false;
};

/// Rewrites `matmul` (over checkpoint weights, plain or stacked; or over
/// `llm.scale_columns(W, g)` with `rms_norm_eps`, a folded norm, which is
/// unfolded so that the pack rounds `W` itself) into `llm.matmul_int4` over
/// `llm.quantize_int4` of its weight. `normCache` shares the recreated
/// norms between the layers that read one input; a recreated norm is placed
/// right after its input and gain, so it dominates every such layer
/// whatever order they are rewritten in. Fails, changing nothing, for other
/// matmuls.
FailureOr<MatmulInt4Op>
quantizeMatmulInt4(RewriterBase &rewriter, MatmulOp matmul,
                   const Int4Options &options,
                   llvm::DenseMap<std::pair<Value, Value>, Value> &normCache);

/// Patterns of the rewrites above, for any driver (the passes use
/// walkAndApplyPatterns): folding every foldable RMS norm, and quantizing
/// the matmuls `select` accepts.
void populateFoldRMSNormPatterns(RewritePatternSet &patterns);
void populateQuantizeInt4Patterns(RewritePatternSet &patterns,
                                  const Int4Options &options,
                                  std::function<bool(MatmulOp)> select);

/// Erases weight-only ops (parameters and weight transforms) left without
/// users under `root`.
void eraseDeadWeightOps(Operation *root);

} // namespace mlir::llm

#endif // LLM_TRANSFORMS_WEIGHTREWRITES_H
