//===- ScheduleVerifier.cpp - whole-program checks of an LPU plan ---------===//
//
// A plan is only trustworthy if it is executable: no functional unit runs two
// operations at once, no SRAM slice holds more than it can, and no operation
// reads data before it has arrived on its chip.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LPU/IR/LPUOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <limits>

#include <map>
#include <tuple>

using namespace mlir;
using namespace mlir::llm::lpu;

LogicalResult ProgramOp::verifyRegions() {
  // I64Attr getters are unsigned: read the signed values.
  for (IntegerAttr attr : {getChipsAttr(), getSlicesAttr(), getSliceBytesAttr(),
                           getMxmUnitsAttr(), getVxmUnitsAttr(),
                           getSxmUnitsAttr(), getLinkUnitsAttr()})
    if (attr.getInt() <= 0)
      return emitOpError("needs positive chips, slices, slice_bytes and unit "
                         "counts");
  // Every time of the plan is cycles divided by the clock: a zero, negative,
  // infinite or NaN clock would turn them into inf or NaN in exports.
  double clock = getClockMhz().convertToDouble();
  if (!(clock > 0.0) || !(clock <= 1e6))
    return emitOpError("needs a clock_mhz in (0, 1e6], not ") << clock;
  // Bytes used in each (chip, slice), by resident tensors and instructions.
  llvm::DenseMap<std::pair<int64_t, int64_t>, int64_t> used;
  auto occupy = [&](Operation *op, int64_t chip, int64_t first, int64_t count,
                    int64_t perSlice) -> LogicalResult {
    if (chip >= getChips())
      return op->emitOpError("is on chip ")
             << chip << " of a program of " << getChips() << " chips";
    // The ops verified these non-negative; compare without overflowing.
    int64_t slices = getSlices(), capacity = getSliceBytes();
    if (count > slices || first > slices - count)
      return op->emitOpError("uses slices up to ")
             << (uint64_t(first) + uint64_t(count)) << " of a chip with "
             << slices << " slices";
    for (int64_t s = first; s < first + count; ++s) {
      int64_t &bytes = used[{chip, s}];
      if (perSlice > capacity - bytes)
        return op->emitOpError("overfills SRAM slice ")
               << s << " of chip " << chip << ": "
               << (uint64_t(bytes) + uint64_t(perSlice))
               << " bytes in a slice of " << capacity;
      bytes += perSlice;
    }
    return success();
  };
  for (auto place : getBody().front().getOps<PlaceOp>())
    if (failed(occupy(place, place.getChip(), place.getFirstSlice(),
                      place.getNumSlices(), place.getBytesPerSlice())))
      return failure();
  llvm::DenseSet<int64_t> instructed;
  for (auto instructions : getBody().front().getOps<InstructionsOp>()) {
    if (!instructed.insert(instructions.getChip()).second)
      return instructions.emitOpError("is the second for chip ")
             << instructions.getChip();
    if (failed(occupy(instructions, instructions.getChip(),
                      instructions.getFirstSlice(),
                      instructions.getNumSlices(),
                      instructions.getBytesPerSlice())))
      return failure();
  }
  return success();
}

int64_t ScheduleOp::getMakespan() {
  int64_t end = 0;
  for (auto op : getBody().front().getOps<ScheduledOpInterface>())
    end = std::max(end, op.getReady());
  return end;
}

namespace {
enum class UnitClass { MXM, VXM, SXM, Link };

struct UnitUse {
  int64_t start, end;
  Operation *op;
};
} // namespace

static const char *unitClassName(UnitClass c) {
  switch (c) {
  case UnitClass::MXM:
    return "mxm";
  case UnitClass::VXM:
    return "vxm";
  case UnitClass::SXM:
    return "sxm";
  case UnitClass::Link:
    return "link";
  }
  return "?";
}

LogicalResult ScheduleOp::verifyRegions() {
  auto program = (*this)->getParentOfType<ProgramOp>();
  if (getTokensAttr().getInt() <= 0 ||
      getContextAttr().getInt() < getTokensAttr().getInt())
    return emitOpError("needs tokens > 0 and a context of at least tokens");
  // I64Attr getters are unsigned; the program verified them positive.
  int64_t counts[] = {program.getMxmUnitsAttr().getInt(),
                      program.getVxmUnitsAttr().getInt(),
                      program.getSxmUnitsAttr().getInt(),
                      program.getLinkUnitsAttr().getInt()};

  // Every use of a unit, keyed by (chip, class, index).
  std::map<std::tuple<int64_t, int, int64_t>, std::vector<UnitUse>> uses;
  for (Operation &raw : getBody().front()) {
    auto op = dyn_cast<ScheduledOpInterface>(&raw);
    if (!op)
      return raw.emitOpError("is not a scheduled operation");
    int64_t chip = op.getChipIndex();
    if (chip < 0 || chip >= program.getChips() || op.getResultChip() < 0 ||
        op.getResultChip() >= program.getChips())
      return op->emitOpError("uses a chip outside the program's ")
             << program.getChips();
    // Neither its end nor its ready cycle (the end plus its latency, which
    // a transfer verifies non-negative) may overflow.
    if (op.getStartCycle() < 0 || op.getDurationCycles() <= 0 ||
        op.getDurationCycles() > std::numeric_limits<int64_t>::max() -
                                     op.getStartCycle() ||
        op.getLatencyCycles() > std::numeric_limits<int64_t>::max() -
                                    op.getEnd())
      return op->emitOpError("needs a non-negative start and a positive "
                             "duration that do not overflow");

    // Data must be on this chip before the operation starts.
    for (Value operand : op->getOperands()) {
      auto producer = operand.getDefiningOp<ScheduledOpInterface>();
      if (!producer || producer->getParentOp() != getOperation())
        return op->emitOpError("reads a value not produced in its schedule");
      if (producer.getResultChip() != chip)
        return op->emitOpError("on chip ")
               << chip << " reads a value that is on chip "
               << producer.getResultChip();
      // A streamed transfer sends a matmul's vectors as they leave the
      // array: from its first (the matmul's start plus the array's latency)
      // and ending no earlier than its last.
      auto transfer = dyn_cast<TransferOp>(op.getOperation());
      if (transfer && transfer.getStreamed()) {
        if (producer.getStartCycle() + producer.getLatencyCycles() >
            op.getStartCycle())
          return op->emitOpError("streams from cycle ")
                 << op.getStartCycle() << " but the first result leaves the "
                 << "array at cycle "
                 << producer.getStartCycle() + producer.getLatencyCycles();
        if (producer.getReady() > op.getEnd())
          return op->emitOpError("ends at cycle ")
                 << op.getEnd() << " but the last result it streams is ready "
                 << "at cycle " << producer.getReady();
        continue;
      }
      if (producer.getReady() > op.getStartCycle())
        return op->emitOpError("starts at cycle ")
               << op.getStartCycle() << " but its input is ready at cycle "
               << producer.getReady();
    }

    ArrayRef<int64_t> units[] = {op.getMxmUnits(), op.getVxmUnits(),
                                 op.getSxmUnits(), op.getLinkUnits()};
    for (int c = 0; c < 4; ++c) {
      llvm::SmallDenseSet<int64_t> listed;
      for (int64_t index : units[c]) {
        if (!listed.insert(index).second)
          return op->emitOpError("lists ")
                 << unitClassName(UnitClass(c)) << " " << index << " twice";
        if (index < 0 || index >= counts[c])
          return op->emitOpError("uses ")
                 << unitClassName(UnitClass(c)) << " " << index
                 << " of a chip with " << counts[c];
        uses[{chip, c, index}].push_back(
            {op.getStartCycle(), op.getEnd(), op});
      }
    }
  }

  for (auto &[key, list] : uses) {
    llvm::sort(list, [](const UnitUse &a, const UnitUse &b) {
      return a.start < b.start;
    });
    for (size_t i = 1; i < list.size(); ++i) {
      if (list[i].start < list[i - 1].end) {
        auto [chip, c, index] = key;
        InFlightDiagnostic diag =
            list[i].op->emitOpError("overlaps another operation on ")
            << unitClassName(UnitClass(c)) << " " << index << " of chip "
            << chip << ": cycles [" << list[i].start << ", " << list[i].end
            << ") and [" << list[i - 1].start << ", " << list[i - 1].end
            << ")";
        diag.attachNote(list[i - 1].op->getLoc()) << "the other operation";
        return diag;
      }
    }
  }
  return success();
}
