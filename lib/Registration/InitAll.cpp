//===- InitAll.cpp - register every llm dialect, pass and pipeline --------===//

#include "llm/InitAll.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LPU/IR/LPUDialect.h"
#include "llm/Conversion/Passes.h"
#include "llm/Pipelines/Pipelines.h"
#include "llm/Transforms/Passes.h"

void mlir::llm::registerAllLLMDialects(DialectRegistry &registry) {
  registry.insert<LLMDialect, lpu::LPUDialect>();
}

void mlir::llm::registerAllLLMPasses() {
  registerLLMTransformsPasses();
  registerLLMConversionPasses();
  registerCPUPipeline();
  registerLPUPipeline();
}
