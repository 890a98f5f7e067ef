//===- AllowFPContraction.cpp - the `contract` flag on LLVM float ops -----===//

#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMALLOWFPCONTRACTIONPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;

namespace {

struct LLMAllowFPContractionPass
    : llm::impl::LLMAllowFPContractionPassBase<LLMAllowFPContractionPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::FastmathFlagsInterface op) {
      LLVM::FastmathFlags flags = op.getFastmathAttr().getValue();
      if (LLVM::bitEnumContainsAll(flags, LLVM::FastmathFlags::contract))
        return;
      op->setAttr(op.getFastmathAttrName(),
                  LLVM::FastmathFlagsAttr::get(
                      op->getContext(), flags | LLVM::FastmathFlags::contract));
    });
  }
};

} // namespace
