//===- LowerPairDot.cpp - llm.pair_dot_i16 to the vpmaddwd intrinsic ------===//

#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Dialect/LLM/IR/PairDotTargets.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMLOWERPAIRDOTPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {


struct LLMLowerPairDotPass
    : llm::impl::LLMLowerPairDotPassBase<LLMLowerPairDotPass> {
  void runOnOperation() override {
    SmallVector<PairDotI16Op> dots;
    getOperation()->walk([&](PairDotI16Op op) { dots.push_back(op); });
    if (dots.empty())
      return;
    IRRewriter rewriter(&getContext());
    llvm::SetVector<StringRef> needed;
    for (PairDotI16Op op : dots) {
      // The op's verifier admits exactly the widths of the table.
      const PairDotTarget *target =
          findPairDotLanes(op.getType().getNumElements());
      needed.insert(target->cpuFeature);
      rewriter.setInsertionPoint(op);
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, op.getType(), rewriter.getStringAttr(target->intrinsic),
          ValueRange{op.getLhs(), op.getRhs()});
    }
    // Record the requirement on the enclosing module (the pass may run on
    // the module itself or on a function in it).
    Operation *root = getOperation();
    auto module = isa<ModuleOp>(root) ? cast<ModuleOp>(root)
                                      : root->getParentOfType<ModuleOp>();
    if (!module)
      return;
    SmallVector<Attribute> features;
    if (auto existing = module->getAttrOfType<ArrayAttr>("llm.cpu_features"))
      features.append(existing.begin(), existing.end());
    for (StringRef feature : needed)
      if (!llvm::is_contained(features, rewriter.getStringAttr(feature)))
        features.push_back(rewriter.getStringAttr(feature));
    module->setAttr("llm.cpu_features", rewriter.getArrayAttr(features));
  }
};

} // namespace
