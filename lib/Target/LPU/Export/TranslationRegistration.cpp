//===- TranslationRegistration.cpp - --lpu-to-json, --lpu-to-trace --------===//

#include "llm/Target/LPU/Export.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LPU/IR/LPUDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;

static llvm::cl::opt<std::string> traceSchedule(
    "lpu-trace-schedule",
    llvm::cl::desc("Schedule written by --lpu-to-trace (decode or prefill)"),
    llvm::cl::init("decode"));

void mlir::llm::lpu::registerLPUTranslations() {
  auto dialects = [](DialectRegistry &registry) {
    // llm modules parse too, so that exporting one that was not planned
    // says so instead of failing to parse.
    registry.insert<LPUDialect, LLMDialect, arith::ArithDialect,
                    func::FuncDialect>();
  };
  static TranslateFromMLIRRegistration toJSON(
      "lpu-to-json",
      "write an LPU plan (placement, schedules, predicted figures) as JSON",
      [](Operation *op, raw_ostream &os) { return exportPlanToJSON(op, os); },
      dialects);
  static TranslateFromMLIRRegistration toTrace(
      "lpu-to-trace",
      "write an LPU schedule as a Chrome trace-event file (Perfetto)",
      [](Operation *op, raw_ostream &os) {
        return exportPlanToTrace(op, os, traceSchedule);
      },
      dialects);
}
