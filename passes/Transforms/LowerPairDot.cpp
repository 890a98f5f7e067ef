//===- LowerPairDot.cpp - llm.pair_dot_i16 to the vpmaddwd intrinsic ------===//

#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMLOWERPAIRDOTPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// The CPU feature a module that uses vpmaddwd needs.
constexpr llvm::StringLiteral kFeature = "avx512bw";

struct LLMLowerPairDotPass
    : llm::impl::LLMLowerPairDotPassBase<LLMLowerPairDotPass> {
  void runOnOperation() override {
    SmallVector<PairDotI16Op> dots;
    getOperation()->walk([&](PairDotI16Op op) { dots.push_back(op); });
    if (dots.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (PairDotI16Op op : dots) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, op.getType(),
          rewriter.getStringAttr("llvm.x86.avx512.pmaddw.d.512"),
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
    if (!llvm::is_contained(features, rewriter.getStringAttr(kFeature)))
      features.push_back(rewriter.getStringAttr(kFeature));
    module->setAttr("llm.cpu_features", rewriter.getArrayAttr(features));
  }
};

} // namespace
