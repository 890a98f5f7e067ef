//===- InitAll.cpp - register every llm dialect, pass and pipeline --------===//

#include "mlir/Target/LLVMIR/LLVMTranslationInterface.h"
#include "llm/InitAll.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LPU/IR/LPUDialect.h"
#include "llm/Conversion/Passes.h"
#include "llm/Pipelines/Pipelines.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"

namespace {
/// The llm attributes a lowered module keeps (`llm.abi`, `llm.config`,
/// `llm.name` on entry-point arguments) are for the runtime: translating to
/// LLVM IR leaves them out, silently.
struct LLMToLLVMIRTranslationInterface : mlir::LLVMTranslationDialectInterface {
  using mlir::LLVMTranslationDialectInterface::LLVMTranslationDialectInterface;
};
} // namespace

void mlir::llm::registerAllLLMDialects(DialectRegistry &registry) {
  registry.insert<LLMDialect, lpu::LPUDialect>();
  registry.addExtension(+[](mlir::MLIRContext *, LLMDialect *dialect) {
    dialect->addInterfaces<LLMToLLVMIRTranslationInterface>();
  });
  // Decoder-layer functions are inlined where a consumer wants every layer
  // spelled out (the LPU planner, llm-expose-activations).
  func::registerInlinerExtension(registry);
  registerMPIMemoryEffects(registry);
}

void mlir::llm::registerAllLLMPasses() {
  registerLLMTransformsPasses();
  registerLLMConversionPasses();
  registerCPUPipeline();
  registerLPUPipeline();
}
