//===- LowerPairDot.cpp - integer dot ops to x86 intrinsics --------------===//

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
    SmallVector<Operation *> dots;
    getOperation()->walk([&](Operation *op) {
      if (isa<PairDotI16Op, QuadDotU8I8Op>(op))
        dots.push_back(op);
    });
    if (dots.empty())
      return;
    IRRewriter rewriter(&getContext());
    llvm::SetVector<StringRef> needed;
    for (Operation *op : dots) {
      // The ops' verifiers admit exactly the widths of the table.
      auto type = cast<VectorType>(op->getResult(0).getType());
      bool quads = isa<QuadDotU8I8Op>(op);
      const PairDotTarget *target =
          findPairDotLanes(type.getNumElements(), quads ? 8 : 16);
      needed.insert(target->cpuFeature);
      rewriter.setInsertionPoint(op);
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, type, rewriter.getStringAttr(target->intrinsic),
          op->getOperands());
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
