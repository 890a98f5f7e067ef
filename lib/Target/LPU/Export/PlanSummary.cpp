//===- PlanSummary.cpp - the predicted figures of an LPU plan -------------===//

#include "llm/Target/LPU/PlanSummary.h"

#include "llvm/ADT/DenseMap.h"

#include <map>
#include <set>
#include <tuple>
#include <vector>

using namespace mlir;
using namespace mlir::llm::lpu;

static IntegerAttr intAttr(Operation *op, StringRef name) {
  return op->getAttrOfType<IntegerAttr>(name);
}

PlanSummary mlir::llm::lpu::summarize(ProgramOp program) {
  PlanSummary s;
  s.target = program.getTarget().str();
  s.chips = program.getChips();
  s.weightBits = program.getWeightBits();
  s.clockMHz = program.getClockMhz().convertToDouble();
  s.fewestChips = intAttr(program, "fewest_chips")
                      ? intAttr(program, "fewest_chips").getInt()
                      : s.chips;
  s.tensorParallel = intAttr(program, "tensor_parallel")
                         ? intAttr(program, "tensor_parallel").getInt()
                         : 1;
  s.sramBytes = s.chips * program.getChipBytes();
  if (auto host = program->getAttrOfType<FloatAttr>("host_round_trip_us"))
    s.hostRoundTripUs = host.getValueAsDouble();

  llvm::DenseMap<int64_t, int64_t> perChip;
  // The model's bytes count each part of a tensor once, however many chips
  // hold a copy of it (a replicated norm's weights); SRAM counts every copy.
  std::set<std::tuple<std::string, std::vector<int64_t>, std::vector<int64_t>>>
      parts;
  for (auto place : program.getBody().front().getOps<PlaceOp>()) {
    bool first = parts
                     .insert({place.getTensor().str(),
                              std::vector<int64_t>(place.getOffsets().begin(),
                                                   place.getOffsets().end()),
                              std::vector<int64_t>(place.getSizes().begin(),
                                                   place.getSizes().end())})
                     .second;
    if (first && place.getTensor().ends_with(".kv_cache"))
      s.kvCacheBytes += place.getPayloadBytes();
    else if (first)
      s.weightBytes += place.getPayloadBytes();
    s.reservedBytes += place.getReservedBytes();
    perChip[place.getChip()] += place.getReservedBytes();
  }
  for (auto instructions : program.getBody().front().getOps<InstructionsOp>()) {
    s.instructionBytes += instructions.getBytes();
    s.maxChipInstructionBytes =
        std::max<int64_t>(s.maxChipInstructionBytes, instructions.getBytes());
    s.reservedBytes += instructions.getReservedBytes();
    perChip[instructions.getChip()] += instructions.getReservedBytes();
  }
  for (auto &[chip, bytes] : perChip)
    s.maxChipReservedBytes = std::max(s.maxChipReservedBytes, bytes);

  int64_t unitsPerChip[] = {program.getMxmUnits(), program.getVxmUnits(),
                            program.getSxmUnits(), program.getLinkUnits()};
  const char *unitNames[] = {"mxm", "vxm", "sxm", "link"};
  for (auto schedule : program.getBody().front().getOps<ScheduleOp>()) {
    ScheduleSummary ss;
    ss.name = schedule.getName().str();
    ss.tokens = schedule.getTokens();
    ss.context = schedule.getContext();
    ss.makespanCycles = schedule.getMakespan();
    // Every step ends with the host taking its logits and sending a token.
    ss.latencyUs = ss.makespanCycles / s.clockMHz + s.hostRoundTripUs;
    if (auto bound = schedule->getAttrOfType<DictionaryAttr>("lpu.lower_bound"))
      for (NamedAttribute term : bound)
        if (auto cycles = llvm::dyn_cast<IntegerAttr>(term.getValue()))
          ss.lowerBound[term.getName().str()] = cycles.getInt();
    double busy[4] = {0, 0, 0, 0};
    std::map<int64_t, std::pair<int64_t, int64_t>> stageSpan;
    for (auto op : schedule.getBody().front().getOps<ScheduledOpInterface>()) {
      ++ss.operations;
      auto [it, inserted] = stageSpan.try_emplace(
          op.getChipIndex() / std::max<int64_t>(s.tensorParallel, 1),
          op.getStartCycle(), op.getEnd());
      it->second.first = std::min(it->second.first, op.getStartCycle());
      it->second.second = std::max(it->second.second, op.getEnd());
      double d = op.getDurationCycles();
      busy[0] += d * op.getMxmUnits().size();
      busy[1] += d * op.getVxmUnits().size();
      busy[2] += d * op.getSxmUnits().size();
      busy[3] += d * op.getLinkUnits().size();
      if (auto transfer = dyn_cast<TransferOp>(op.getOperation())) {
        ++ss.transfers;
        // The bytes sent: the result (a column range of the input, or all).
        auto type = transfer.getResult().getType();
        ss.transferBytes += type.getNumElements() *
                            ((type.getElementTypeBitWidth() + 7) / 8);
      }
    }
    ss.activeStages = static_cast<int64_t>(stageSpan.size());
    for (auto &[stage, span] : stageSpan)
      ss.maxStageSpanCycles =
          std::max(ss.maxStageSpanCycles, span.second - span.first);
    for (int c = 0; c < 4; ++c) {
      double capacity = double(unitsPerChip[c]) * s.chips * ss.makespanCycles;
      ss.utilization[unitNames[c]] = capacity > 0 ? busy[c] / capacity : 0;
    }
    s.schedules[ss.name] = std::move(ss);
  }
  return s;
}

FailureOr<ProgramOp> mlir::llm::lpu::findPlan(Operation *op) {
  if (auto program = dyn_cast<ProgramOp>(op))
    return program;
  ProgramOp found;
  op->walk([&](ProgramOp program) {
    found = program;
    return WalkResult::interrupt();
  });
  if (!found)
    return op->emitError("no lpu.program to export: run --llm-lpu-pipeline "
                         "(or --llm-tile-lpu) first");
  return found;
}

