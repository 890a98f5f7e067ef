//===- CPUPipeline.cpp - llm to LLVM dialect for the CPU ------------------===//

#include "llm/Pipelines/Pipelines.h"
#include "llm/Conversion/Passes.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::llm::buildCPUPipeline(OpPassManager &pm,
                                 const CPUPipelineOptions &options) {
  // Weight-only computation into @prepare, weights as arguments; then
  // graph level -> linalg on tensors.
  pm.addPass(createLLMHoistWeightPrepPass());
  ConvertLLMToLinalgPassOptions toLinalg;
  toLinalg.int4Kernel = options.int4Kernel;
  toLinalg.promptChunkBytes = options.promptChunkBytes;
  pm.addPass(createConvertLLMToLinalgPass(toLinalg));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLLMFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());

  // Threads (scf.forall) and registers (scf.for + vector ops).
  LLMCPUTileAndVectorizePassOptions tiling;
  if (!options.parallel)
    tiling.parallelChunks = 0;
  tiling.vectorize = options.vectorize;
  tiling.rowAtATimeMaxBytes = options.rowAtATimeMaxBytes;
  tiling.matrixVectorAccumulators = options.matrixVectorAccumulators;
  if (options.parallel || options.vectorize)
    pm.addNestedPass<func::FuncOp>(createLLMCPUTileAndVectorizePass(tiling));
  // Every op's destination is its own allocation from here on: CSE would
  // merge identical empty tensors again, and the ops writing into one
  // would each copy it.
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  if (options.vectorize) {
    // Reductions over unit dimensions (outer-product kernels) fold to
    // elementwise adds before the rest are lowered.
    pm.addPass(createCanonicalizerPass());
    // Masked reductions of partial tiles -> inner reductions -> selects.
    pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass(
        vector::VectorMultiReductionLowering::InnerReduction));
    pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // Accumulator tiles that a reduction loop reads and writes back become
    // loop-carried vectors (registers) instead of memory round trips.
    pm.addPass(createLoopInvariantCodeMotionPass());
    pm.addPass(createLoopInvariantSubsetHoistingPass());
    pm.addPass(createCanonicalizerPass());
  }
  if (options.approximateMath)
    pm.addPass(createLLMApproximateMathPass());

  // Tensors -> buffers; the KV caches are updated in place.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Caches updated in their arguments' buffers are not returned (by the
  // decoder-layer functions, then by the entry points).
  pm.addPass(createLLMDropReturnedArgumentsPass());
  // Small fixed-size buffers of a function's body (a decode step's
  // activations) live on the stack instead of the heap: no malloc and free
  // per step. Only at the top of a function body, never in a loop (an
  // alloca in a loop would grow the stack at every iteration).
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass([](Value alloc) {
        auto type = dyn_cast<MemRefType>(alloc.getType());
        Operation *op = alloc.getDefiningOp();
        if (!type || !type.hasStaticShape() ||
            !type.getElementType().isIntOrFloat() || !op ||
            !isa<func::FuncOp>(op->getParentOp()))
          return false;
        int64_t bits = type.getNumElements() *
                       type.getElementType().getIntOrFloatBitWidth();
        return bits <= int64_t(64) * 1024 * 8;
      }));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Buffers a function returns that are views of its allocations (a
  // prepared weight reshaped) are handed over as clones.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // CSE makes the subviews of a slice written in place identical, and the
  // canonicalizer then drops the copies of a buffer onto itself.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());

  // Loops and LLVM: scf.forall becomes an OpenMP worksharing loop.
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  if (options.parallel) {
    pm.addPass(createConvertSCFToOpenMPPass());
    // One thread team per run of parallel loops (a decoder layer), not one
    // fork and join per op.
    pm.addNestedPass<func::FuncOp>(createLLMMergeParallelRegionsPass());
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll(true);
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(vectorToSCF));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // OpenMP loop bodies sit in memref.alloca_scope, which must be lowered
  // while it still holds a single block, before scf becomes cf.
  pm.addPass(createLLMLowerPairDotPass());
  // Collectives of a tensor-parallel module: calls of Open MPI.
  pm.addPass(createLLMLowerMPIPass());
  // Buffers come from the runtime's working memory (reused from step to
  // step, on huge pages), through MLIR's generic allocation functions.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createSCFToControlFlowPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  // A transpose's 16 x 16 tiles (llm-cpu-tile-and-vectorize) in shuffles.
  vectorToLLVM.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  if (options.fpContract)
    pm.addPass(createLLMAllowFPContractionPass());
}

void mlir::llm::registerCPUPipeline() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "llm-cpu-pipeline",
      "Lower an llm module to the LLVM dialect for CPU execution",
      buildCPUPipeline);
}
