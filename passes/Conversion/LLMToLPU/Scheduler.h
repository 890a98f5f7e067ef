//===- Scheduler.h - static list scheduling of a model on LPU chips -*- C++ -*-===//
//
// Walks the llm graph of one forward pass in order and emits, into an
// lpu.schedule, one scheduled operation per shard of work: each starts when
// its inputs are on its chip and its units are free, and lasts what the cost
// model says. Activations are tracked as pieces (column ranges) on chips,
// with every copy made so far; when an operation needs columns that are
// elsewhere, transfers over free links bring them from the copies that
// arrive first (relayed inside another node, striped over several holders,
// streamed from a matmul as its vectors leave the array). Column-parallel
// matmuls read their whole input; row-parallel ones read the input columns
// of their weights and their partial sums are reduce-scattered (Megatron);
// norms run on every chip of a stage that reads them.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_PASSES_CONVERSION_LLMTOLPU_SCHEDULER_H
#define LLM_PASSES_CONVERSION_LLMTOLPU_SCHEDULER_H

#include "Layout.h"

#include "llm/Dialect/LPU/IR/LPUOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::llm::lpu {

/// What the scheduler needs to know about the plan.
struct PlanContext {
  const TargetDescription &target;
  const std::vector<ResidentTensor> &tensors;
  const Layout &layout;
  /// Index in `tensors` of each parameter name and of each layer's cache.
  llvm::StringMap<unsigned> tensorIndex;
  /// Symbol of each shard, parallel to layout.shards.
  std::vector<std::vector<FlatSymbolRefAttr>> shardSymbols;
  unsigned weightBits;
  int64_t groupSize;
};

/// The name of the llm.param `v` is, or an empty string.
std::string paramName(Value v);

/// Name of the resident KV cache of layer `layer`.
std::string kvCacheName(int64_t layer);

/// The checkpoint name of the weights of a linear layer (an llm.matmul's,
/// or the source of an llm.matmul_int4's packs), or an empty string.
std::string linearWeightName(Operation *op);

/// The name of the second residency of a table tied to the embedding,
/// striped by rows for the LM head: `NAME#lm_head`.
inline std::string lmHeadResidencyName(llvm::StringRef name) {
  return (name + "#lm_head").str();
}

/// The index in `tensors` of what the linear layer `op` streams: its
/// weights, or for a table tied to the embedding its second residency
/// (`NAME#lm_head`, striped by rows); none if it has no resident weights.
std::optional<unsigned>
residentWeights(Operation *op, const llvm::StringMap<unsigned> &index,
                const std::vector<ResidentTensor> &tensors);

/// Emits the schedule of `func` (the decode graph) for `tokens` positions
/// against `context` cached ones into `schedule`.
LogicalResult emitSchedule(const PlanContext &plan, func::FuncOp func,
                           ScheduleOp schedule);

} // namespace mlir::llm::lpu

#endif // LLM_PASSES_CONVERSION_LLMTOLPU_SCHEDULER_H
