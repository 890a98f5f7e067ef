//===- LPUPipeline.cpp - llm to a verified LPU plan -----------------------===//

#include "llm/Conversion/Passes.h"
#include "llm/Pipelines/Pipelines.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::llm::buildLPUPipeline(OpPassManager &pm,
                                 const LPUPipelineOptions &options) {
  // (llm-tile-lpu spells out the decoder-layer functions: it places every
  // layer on chips of its own.)
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // 4-bit weights go through the project's quantization pass (the LM head
  // included): the tiler then places the INT4 layers at 4 bits.
  if (options.weightBits == 4) {
    LLMQuantizeInt4PassOptions quantize;
    quantize.groupSize = options.groupSize;
    quantize.lmHead = true;
    pm.addPass(createLLMQuantizeInt4Pass(quantize));
  }
  LLMTileForLPUPassOptions tiling;
  tiling.target = options.target;
  tiling.chips = options.chips;
  tiling.weightBits = options.weightBits;
  tiling.groupSize = options.groupSize;
  tiling.promptLength = options.promptLength;
  tiling.verifyTokens = options.verifyTokens;
  tiling.context = options.context;
  tiling.tensorParallel = options.tensorParallel;
  pm.addPass(createLLMTileForLPUPass(tiling));
}

void mlir::llm::registerLPUPipeline() {
  PassPipelineRegistration<LPUPipelineOptions>(
      "llm-lpu-pipeline",
      "Plan an llm model on a Groq-style LPU: tile, place over chips and "
      "statically schedule (verified) a decode step and a prefill",
      buildLPUPipeline);
}
