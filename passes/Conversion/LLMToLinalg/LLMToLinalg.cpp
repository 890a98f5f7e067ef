//===- LLMToLinalg.cpp - the convert-llm-to-linalg pass -------------------===//

#include "PopulatePatterns.h"
#include "llm/Conversion/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::llm {
#define GEN_PASS_DEF_CONVERTLLMTOLINALGPASS
#include "llm/Conversion/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

void mlir::llm::populateLLMToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  detail::populateElementwisePatterns(patterns);
  detail::populateNormalizationPatterns(patterns);
  detail::populateLinearPatterns(patterns);
  detail::populateQuantizedLinearPatterns(patterns);
  detail::populateRopePatterns(patterns);
  detail::populateAttentionPatterns(patterns);
}

namespace {
struct ConvertLLMToLinalgPass
    : llm::impl::ConvertLLMToLinalgPassBase<ConvertLLMToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           func::FuncDialect>();
    target.addIllegalDialect<LLMDialect>();
    target.addLegalOp<ParamOp>();
    RewritePatternSet patterns(ctx);
    populateLLMToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
