//===- ExportTrace.cpp - an LPU schedule as a Chrome/Perfetto trace -------===//

#include "llm/Target/LPU/Export.h"
#include "llm/Target/LPU/PlanSummary.h"

#include "llvm/Support/JSON.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <set>

using namespace mlir;
using namespace mlir::llm::lpu;

namespace {
/// Thread ids of the units of a chip: matrix units first, then vector,
/// switch and link units.
struct UnitTracks {
  int64_t mxm, vxm, sxm;
  int64_t mxmTrack(int64_t i) const { return i; }
  int64_t vxmTrack(int64_t i) const { return mxm + i; }
  int64_t sxmTrack(int64_t i) const { return mxm + vxm + i; }
  int64_t linkTrack(int64_t i) const { return mxm + vxm + sxm + i; }
};
} // namespace

LogicalResult mlir::llm::lpu::exportPlanToTrace(Operation *op,
                                                raw_ostream &os,
                                                StringRef scheduleName) {
  FailureOr<ProgramOp> program = findPlan(op);
  if (failed(program))
    return failure();
  ScheduleOp schedule;
  for (auto s : program->getBody().front().getOps<ScheduleOp>())
    if (s.getName() == scheduleName)
      schedule = s;
  if (!schedule)
    return program->emitError("the plan has no schedule '")
           << scheduleName << "'";

  // Integer nanoseconds (with displayTimeUnit "ns"): an event's start and
  // end are each the floor of its cycle's time, so an event that starts
  // when another ends starts exactly there. Fractional microseconds made
  // back-to-back events overlap by rounding, and Perfetto drops partially
  // overlapping slices.
  double clockMhz = program->getClockMhz().convertToDouble();
  auto nsAt = [&](int64_t cycle) {
    return static_cast<int64_t>(
        std::floor(static_cast<double>(cycle) * 1000.0 / clockMhz));
  };
  UnitTracks tracks{program->getMxmUnits(), program->getVxmUnits(),
                    program->getSxmUnits()};
  std::set<std::pair<int64_t, int64_t>> usedTracks;
  // Events are named after the tensor they read, not the shard's symbol.
  llvm::StringMap<std::string> tensorOf;
  for (auto place : program->getBody().front().getOps<PlaceOp>())
    tensorOf[place.getSymName()] = place.getTensor().str();
  std::set<int64_t> usedChips;

  llvm::json::OStream j(os);
  j.object([&] {
    j.attribute("displayTimeUnit", "ns");
    j.attributeArray("traceEvents", [&] {
      auto event = [&](ScheduledOpInterface sop, StringRef name,
                       int64_t track) {
        usedTracks.insert({sop.getChipIndex(), track});
        usedChips.insert(sop.getChipIndex());
        j.object([&] {
          j.attribute("name", name);
          j.attribute("cat", sop->getName().stripDialect());
          j.attribute("ph", "X");
          j.attribute("pid", sop.getChipIndex());
          j.attribute("tid", track);
          int64_t start = nsAt(sop.getStartCycle());
          int64_t end = nsAt(sop.getStartCycle() + sop.getDurationCycles());
          j.attribute("ts", start);
          j.attribute("dur", end - start);
          j.attributeObject("args", [&] {
            j.attribute("start_cycle", sop.getStartCycle());
            j.attribute("cycles", sop.getDurationCycles());
            if (auto weights =
                    sop->getAttrOfType<FlatSymbolRefAttr>("weights"))
              j.attribute("weights", weights.getValue());
            if (auto transfer = dyn_cast<TransferOp>(sop.getOperation()))
              j.attribute("to_chip", transfer.getTo());
          });
        });
      };
      for (auto sop :
           schedule.getBody().front().getOps<ScheduledOpInterface>()) {
        std::string name = sop->getName().stripDialect().str();
        if (auto vector = dyn_cast<VectorOp>(sop.getOperation()))
          name = vector.getKind().str();
        if (auto weights = sop->getAttrOfType<FlatSymbolRefAttr>("weights"))
          name += " " + tensorOf.lookup(weights.getValue());
        if (auto attention = dyn_cast<AttentionOp>(sop.getOperation()))
          name += " " + tensorOf.lookup(attention.getCache());
        for (int64_t i : sop.getMxmUnits())
          event(sop, name, tracks.mxmTrack(i));
        for (int64_t i : sop.getVxmUnits())
          event(sop, name, tracks.vxmTrack(i));
        for (int64_t i : sop.getSxmUnits())
          event(sop, name, tracks.sxmTrack(i));
        for (int64_t i : sop.getLinkUnits())
          event(sop, name, tracks.linkTrack(i));
      }
      // Names of the processes (chips) and threads (units) in use.
      for (int64_t chip : usedChips)
        j.object([&] {
          j.attribute("name", "process_name");
          j.attribute("ph", "M");
          j.attribute("pid", chip);
          j.attributeObject("args",
                            [&] { j.attribute("name", "chip " + std::to_string(chip)); });
        });
      for (auto [chip, track] : usedTracks) {
        std::string unit;
        if (track < tracks.vxmTrack(0))
          unit = "mxm " + std::to_string(track);
        else if (track < tracks.sxmTrack(0))
          unit = "vxm " + std::to_string(track - tracks.vxmTrack(0));
        else if (track < tracks.linkTrack(0))
          unit = "sxm " + std::to_string(track - tracks.sxmTrack(0));
        else
          unit = "link " + std::to_string(track - tracks.linkTrack(0));
        j.object([&] {
          j.attribute("name", "thread_name");
          j.attribute("ph", "M");
          j.attribute("pid", chip);
          j.attribute("tid", track);
          j.attributeObject("args", [&] { j.attribute("name", unit); });
        });
      }
    });
  });
  os << "\n";
  return success();
}
