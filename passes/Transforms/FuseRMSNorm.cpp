//===- FuseRMSNorm.cpp - RMS norms folded into the matmuls that read them -===//

#include "llm/Transforms/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMFUSERMSNORMPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// A float parameter weight (plain or stacked) that a norm can be folded
/// into, or null.
ParamOp foldableWeight(MatmulOp matmul) {
  auto param = matmul.getWeight().getDefiningOp<ParamOp>();
  return param && param.isPlainFloat() ? param : ParamOp();
}

/// The matmuls that read `norm` as their input, when they are all of its
/// users and their weights can absorb the norm's; empty otherwise.
SmallVector<MatmulOp> foldTargets(RMSNormOp norm) {
  SmallVector<MatmulOp> targets;
  for (Operation *user : norm->getUsers()) {
    auto matmul = dyn_cast<MatmulOp>(user);
    if (!matmul || matmul.getInput() != norm.getResult() ||
        matmul.getRmsNormEpsAttr() || !foldableWeight(matmul))
      return {};
    targets.push_back(matmul);
  }
  return targets;
}

struct LLMFuseRMSNormPass
    : llm::impl::LLMFuseRMSNormPassBase<LLMFuseRMSNormPass> {
  void runOnOperation() override {
    SmallVector<RMSNormOp> norms;
    getOperation().walk([&](RMSNormOp norm) { norms.push_back(norm); });
    for (RMSNormOp norm : norms) {
      auto gain = norm.getWeight().getDefiningOp<ParamOp>();
      if (!gain || gain.getDerivedAttr() || gain.getStackedAttr() ||
          gain.getColumnScaleAttr() ||
          norm.getInput().getType().getRank() != 2)
        continue;
      SmallVector<MatmulOp> targets = foldTargets(norm);
      if (targets.empty())
        continue;
      for (MatmulOp matmul : targets) {
        ParamOp weight = foldableWeight(matmul);
        OpBuilder b(matmul);
        // W * g is a new tensor, made in the activations' precision (the
        // product of two 16-bit tensors is not a 16-bit tensor).
        auto folded = ParamOp::create(
            b, weight.getLoc(),
            RankedTensorType::get(weight.getType().getShape(),
                                  matmul.getType().getElementType()),
            (weight.getName() + "*" + gain.getName()).str(), Int4PackAttr(),
            weight.getStackedAttr(), gain.getNameAttr());
        auto fused = MatmulOp::create(b, matmul.getLoc(), matmul.getType(),
                                      norm.getInput(), folded.getResult(),
                                      norm.getEpsAttr());
        matmul.replaceAllUsesWith(fused.getResult());
        matmul.erase();
        if (weight->use_empty())
          weight.erase();
      }
      norm.erase();
      if (gain->use_empty())
        gain.erase();
    }
  }
};

} // namespace
