//===- PlanSummary.h - the predicted figures of an LPU plan -----*- C++ -*-===//
//
// Reads the figures a user wants from an lpu.program: latency and tokens/s
// of a decode step and of a prefill, chips, SRAM use and the utilization of
// each class of functional unit. Everything is computed from the schedules
// themselves, so the numbers are those of the verified plan.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TARGET_LPU_PLANSUMMARY_H
#define LLM_TARGET_LPU_PLANSUMMARY_H

#include "llm/Dialect/LPU/IR/LPUOps.h"

#include <map>
#include <string>

namespace mlir::llm::lpu {

struct ScheduleSummary {
  std::string name;
  int64_t tokens = 0, context = 0;
  int64_t makespanCycles = 0;
  double latencyUs = 0;
  int64_t operations = 0, transfers = 0;
  int64_t transferBytes = 0;
  /// Busy fraction of each unit class (mxm, vxm, sxm, link) over all chips
  /// for the length of the schedule.
  std::map<std::string, double> utilization;
  /// The analytic lower bound the planner recorded (`lpu.lower_bound`), in
  /// cycles per term and "total"; empty when it recorded none.
  std::map<std::string, int64_t> lowerBound;
  /// The longest time a pipeline stage (tensor_parallel chips) is in use for
  /// one token, from its first operation's start to its last's end, and the
  /// number of stages that do any work. With one user's token per stage in
  /// flight, a system completes a token every `maxStageSpanCycles`.
  int64_t maxStageSpanCycles = 0, activeStages = 0;
};

struct PlanSummary {
  std::string target;
  int64_t chips = 0, fewestChips = 0, tensorParallel = 0, weightBits = 0;
  double clockMHz = 0;
  /// Added to every schedule's latency (the target's host round trip).
  double hostRoundTripUs = 0;
  int64_t weightBytes = 0, kvCacheBytes = 0, reservedBytes = 0;
  /// The schedules' instructions, in all and on the chip with the most.
  int64_t instructionBytes = 0, maxChipInstructionBytes = 0;
  int64_t sramBytes = 0; ///< Of all chips together.
  int64_t maxChipReservedBytes = 0;
  std::map<std::string, ScheduleSummary> schedules;
};

PlanSummary summarize(ProgramOp program);

/// The lpu.program `op` is or holds; emits an error on `op` when none.
FailureOr<ProgramOp> findPlan(Operation *op);

} // namespace mlir::llm::lpu

#endif // LLM_TARGET_LPU_PLANSUMMARY_H
