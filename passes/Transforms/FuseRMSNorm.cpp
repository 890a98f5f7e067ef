//===- FuseRMSNorm.cpp - RMS norms folded into the matmuls that read them -===//

#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrites.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMFUSERMSNORMPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

/// Whether `matmul` reads `norm` with a checkpoint weight (plain or
/// stacked) that can absorb the norm's weight.
static bool canAbsorb(MatmulOp matmul, RMSNormOp norm) {
  return matmul.getInput() == norm.getResult() &&
         !matmul.getRmsNormEpsAttr() &&
         !stackedParameters(matmul.getWeight()).empty();
}

LogicalResult mlir::llm::foldRMSNorm(RewriterBase &rewriter, RMSNormOp norm) {
  if (norm.getInput().getType().getRank() != 2 ||
      !norm.getWeight().getDefiningOp<ParamOp>() || norm->use_empty())
    return failure();
  SmallVector<MatmulOp> targets;
  for (Operation *user : norm->getUsers()) {
    auto matmul = dyn_cast<MatmulOp>(user);
    if (!matmul || !canAbsorb(matmul, norm))
      return failure();
    targets.push_back(matmul);
  }
  for (MatmulOp matmul : targets) {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(matmul);
    // W * g is a new tensor, made in the activations' precision (the
    // product of two 16-bit tensors is not a 16-bit tensor).
    auto weightType = cast<RankedTensorType>(matmul.getWeight().getType());
    Value folded = ScaleColumnsOp::create(
        rewriter, matmul.getLoc(),
        RankedTensorType::get(weightType.getShape(),
                              matmul.getType().getElementType()),
        matmul.getWeight(), norm.getWeight());
    rewriter.replaceOpWithNewOp<MatmulOp>(matmul, matmul.getType(),
                                          norm.getInput(), folded,
                                          norm.getEpsAttr());
  }
  rewriter.eraseOp(norm);
  return success();
}

namespace {
struct FoldRMSNormPattern : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp norm,
                                PatternRewriter &rewriter) const override {
    return foldRMSNorm(rewriter, norm);
  }
};
} // namespace

void mlir::llm::populateFoldRMSNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldRMSNormPattern>(patterns.getContext());
}

namespace {
struct LLMFuseRMSNormPass
    : llm::impl::LLMFuseRMSNormPassBase<LLMFuseRMSNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFoldRMSNormPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    eraseDeadWeightOps(getOperation());
  }
};
} // namespace
