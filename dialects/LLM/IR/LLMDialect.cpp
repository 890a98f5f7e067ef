//===- LLMDialect.cpp - llm dialect registration --------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

using namespace mlir;
using namespace mlir::llm;

#include "llm/Dialect/LLM/IR/LLMOpsDialect.cpp.inc"

void LLMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "llm/Dialect/LLM/IR/LLMOps.cpp.inc"
      >();
  registerAttributes();
}
