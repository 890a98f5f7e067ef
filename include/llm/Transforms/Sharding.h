//===- Sharding.h - partitioning an llm module over ranks -------*- C++ -*-===//
//
// The transforms behind `llm-shard`: a module becomes the program of one
// rank of a tensor-parallel group (Shard.cpp) or of one pipeline stage
// (PipelineStage.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TRANSFORMS_SHARDING_H
#define LLM_TRANSFORMS_SHARDING_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir::llm {

/// Rewrites `module` (as imported, with its llm.config) into the program
/// of pipeline stage `stage` of `stages`: the stage's layers and KV-cache
/// layers, the hidden state received from the previous stage and sent to
/// the next, the logits computed by the last stage and returned by stage 0.
LogicalResult partitionPipelineStage(ModuleOp module, int64_t stages,
                                     int64_t stage);

} // namespace mlir::llm

#endif // LLM_TRANSFORMS_SHARDING_H
