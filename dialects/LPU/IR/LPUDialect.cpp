//===- LPUDialect.cpp - lpu dialect registration --------------------------===//

#include "llm/Dialect/LPU/IR/LPUDialect.h"
#include "llm/Dialect/LPU/IR/LPUOps.h"

using namespace mlir;
using namespace mlir::llm::lpu;

#include "llm/Dialect/LPU/IR/LPUOpsDialect.cpp.inc"
#include "llm/Dialect/LPU/IR/LPUInterfaces.cpp.inc"

void LPUDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "llm/Dialect/LPU/IR/LPUOps.cpp.inc"
      >();
}
