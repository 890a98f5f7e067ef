//===- LPUDialect.h - lpu dialect -------------------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LPU_IR_LPUDIALECT_H
#define LLM_DIALECT_LPU_IR_LPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"

#include "llm/Dialect/LPU/IR/LPUOpsDialect.h.inc"

#endif // LLM_DIALECT_LPU_IR_LPUDIALECT_H
