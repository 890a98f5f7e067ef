//===- Export.h - LPU plans for toolchains and trace viewers ----*- C++ -*-===//

#ifndef LLM_TARGET_LPU_EXPORT_H
#define LLM_TARGET_LPU_EXPORT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class Operation;
namespace llm::lpu {

/// Writes the plan in `op` (an lpu.program, or a module holding one) as
/// JSON: a "summary" object, the placements and every schedule.
LogicalResult exportPlanToJSON(Operation *op, raw_ostream &os);

/// Writes the schedule `scheduleName` of the plan in `op` as a Chrome
/// trace-event file (Perfetto opens it): one process per chip, one thread
/// per functional unit.
LogicalResult exportPlanToTrace(Operation *op, raw_ostream &os,
                                StringRef scheduleName = "decode");

/// Registers --lpu-to-json and --lpu-to-trace with mlir-translate.
void registerLPUTranslations();

} // namespace llm::lpu
} // namespace mlir

#endif // LLM_TARGET_LPU_EXPORT_H
