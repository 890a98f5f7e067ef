//===- LLMDialect.h - llm dialect -------------------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMDIALECT_H
#define LLM_DIALECT_LLM_IR_LLMDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "llm/Dialect/LLM/IR/LLMOpsDialect.h.inc"

#endif // LLM_DIALECT_LLM_IR_LLMDIALECT_H
