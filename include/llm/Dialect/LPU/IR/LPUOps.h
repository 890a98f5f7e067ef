//===- LPUOps.h - lpu dialect operations ------------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LPU_IR_LPUOPS_H
#define LLM_DIALECT_LPU_IR_LPUOPS_H

#include "llm/Dialect/LPU/IR/LPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"

#include "llm/Dialect/LPU/IR/LPUInterfaces.h.inc"

#define GET_OP_CLASSES
#include "llm/Dialect/LPU/IR/LPUOps.h.inc"

#endif // LLM_DIALECT_LPU_IR_LPUOPS_H
