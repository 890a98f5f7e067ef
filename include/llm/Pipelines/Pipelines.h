//===- Pipelines.h - named pass pipelines of the llm project ----*- C++ -*-===//

#ifndef LLM_PIPELINES_PIPELINES_H
#define LLM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::llm {

struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("Distribute loops over threads (OpenMP)"),
                        llvm::cl::init(true)};
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize linalg ops"),
                         llvm::cl::init(true)};
};

/// llm graph -> linalg -> tiled, vectorized, parallel loops -> bufferized ->
/// LLVM dialect. The result exports `@prefill` and `@decode` taking the token
/// ids, the position, the K/V caches and the parameters in the order of the
/// module's `llm.parameters` table, and returning the logits.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers `llm-cpu-pipeline` with the global pipeline registry.
void registerCPUPipeline();

} // namespace mlir::llm

#endif // LLM_PIPELINES_PIPELINES_H
