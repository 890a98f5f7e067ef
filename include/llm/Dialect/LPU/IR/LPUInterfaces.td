//===- LPUInterfaces.td - interfaces of the lpu dialect ----*- tablegen -*-===//

#ifndef LLM_DIALECT_LPU_IR_LPUINTERFACES_TD
#define LLM_DIALECT_LPU_IR_LPUINTERFACES_TD

include "mlir/IR/OpBase.td"

def LPU_ScheduledOpInterface : OpInterface<"ScheduledOpInterface"> {
  let cppNamespace = "::mlir::llm::lpu";
  let description = [{
    An operation of a static schedule: it runs on one chip, starts at a fixed
    cycle, lasts a fixed number of cycles and occupies a set of functional
    units of that chip for that whole time. Its results are available on
    `getResultChip()` at `getReady()`: `getEnd()` plus its latency (a
    transfer's hops, during which its link is already free).
  }];
  let methods = [
    InterfaceMethod<"The chip the operation runs on.", "int64_t", "getChipIndex",
      (ins), [{}], [{ return $_op.getChip(); }]>,
    InterfaceMethod<"The chip its results are available on.", "int64_t",
      "getResultChip", (ins), [{}], [{ return $_op.getChip(); }]>,
    InterfaceMethod<"The first cycle of the operation.", "int64_t",
      "getStartCycle", (ins), [{}], [{ return $_op.getStart(); }]>,
    InterfaceMethod<"Its length in cycles.", "int64_t", "getDurationCycles",
      (ins), [{}], [{ return $_op.getDuration(); }]>,
    InterfaceMethod<"The matrix units it occupies.", "::llvm::ArrayRef<int64_t>",
      "getMxmUnits", (ins), [{}], [{ return $_op.getMxm().value_or(::llvm::ArrayRef<int64_t>()); }]>,
    InterfaceMethod<"The vector units it occupies.", "::llvm::ArrayRef<int64_t>",
      "getVxmUnits", (ins), [{}], [{ return $_op.getVxm().value_or(::llvm::ArrayRef<int64_t>()); }]>,
    InterfaceMethod<"The switch units it occupies.", "::llvm::ArrayRef<int64_t>",
      "getSxmUnits", (ins), [{}], [{ return $_op.getSxm().value_or(::llvm::ArrayRef<int64_t>()); }]>,
    InterfaceMethod<"The chip-to-chip links it occupies.", "::llvm::ArrayRef<int64_t>",
      "getLinkUnits", (ins), [{}], [{ return $_op.getLinks().value_or(::llvm::ArrayRef<int64_t>()); }]>,
    InterfaceMethod<"Cycles from its end until its results are available.",
      "int64_t", "getLatencyCycles", (ins), [{}], [{ return 0; }]>,
  ];
  let extraSharedClassDeclaration = [{
    /// The cycle after its last.
    int64_t getEnd() { return $_op.getStartCycle() + $_op.getDurationCycles(); }
    /// The cycle its results are available on their chip.
    int64_t getReady() { return getEnd() + $_op.getLatencyCycles(); }
  }];
}

#endif // LLM_DIALECT_LPU_IR_LPUINTERFACES_TD
