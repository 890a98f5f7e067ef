//===- LLMToLinalg.cpp - the convert-llm-to-linalg pass -------------------===//

#include "PopulatePatterns.h"
#include "llm/Conversion/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Dialect/LLM/IR/PairDotTargets.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::llm {
#define GEN_PASS_DEF_CONVERTLLMTOLINALGPASS
#include "llm/Conversion/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

void mlir::llm::populateLLMToLinalgConversionPatterns(
    RewritePatternSet &patterns, const PairDotTarget *int4Kernel,
    int64_t promptChunkBytes) {
  detail::populateElementwisePatterns(patterns);
  detail::populateNormalizationPatterns(patterns);
  detail::populateLinearPatterns(patterns, promptChunkBytes);
  detail::populateQuantizedLinearPatterns(patterns, int4Kernel);
  detail::populateRopePatterns(patterns);
  detail::populateAttentionPatterns(patterns);
  detail::populateWeightTransformPatterns(patterns);
  detail::populateCollectivePatterns(patterns);
}

namespace {
struct ConvertLLMToLinalgPass
    : llm::impl::ConvertLLMToLinalgPassBase<ConvertLLMToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           func::FuncDialect, scf::SCFDialect,
                           vector::VectorDialect,
                           bufferization::BufferizationDialect,
                           memref::MemRefDialect, mpi::MPIDialect>();
    target.addIllegalDialect<LLMDialect>();
    target.addLegalOp<ParamOp, PairDotI16Op, QuadDotU8I8Op>();
    RewritePatternSet patterns(ctx);
    if (!isInt4KernelName(int4Kernel)) {
      getOperation()->emitError()
          << "unknown int4-kernel '" << int4Kernel << "' (expected "
          << int4KernelChoices() << ")";
      return signalPassFailure();
    }
    // Null for the generic kernel.
    const PairDotTarget *kernel = findPairDotKernel(int4Kernel);
    if (promptChunkBytes < 0) {
      getOperation()->emitError()
          << "prompt-chunk-bytes must not be negative, got "
          << static_cast<int64_t>(promptChunkBytes);
      return signalPassFailure();
    }
    populateLLMToLinalgConversionPatterns(patterns, kernel,
                                          promptChunkBytes);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    // Stacked weights (tensor.concat) become copies into one tensor, which
    // bufferization turns into copies into one buffer.
    RewritePatternSet concat(ctx);
    tensor::populateDecomposeTensorConcatPatterns(concat);
    walkAndApplyPatterns(getOperation(), std::move(concat));
  }
};
} // namespace
