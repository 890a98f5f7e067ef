//===- DropReturnedArguments.cpp - drop results aliasing arguments --------===//

#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMDROPRETURNEDARGUMENTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;

namespace {
struct LLMDropReturnedArgumentsPass
    : llm::impl::LLMDropReturnedArgumentsPassBase<
          LLMDropReturnedArgumentsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      // Only entry points: public, defined, and not called from the module
      // (a caller would still expect the results).
      if (!func.isPublic() || func.isExternal() ||
          !func.getBody().hasOneBlock() ||
          !SymbolTable::symbolKnownUseEmpty(func, module))
        continue;
      auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
      llvm::BitVector drop(func.getNumResults());
      for (auto [i, operand] : llvm::enumerate(ret.getOperands())) {
        auto arg = dyn_cast<BlockArgument>(operand);
        if (!arg || arg.getOwner() != &func.getBody().front() ||
            !isa<BaseMemRefType>(arg.getType()))
          continue;
        drop.set(i);
      }
      // A KV cache that comes back as a fresh buffer was not updated in place.
      for (unsigned i = 0; i < func.getNumResults(); ++i) {
        auto name = func.getResultAttrOfType<StringAttr>(i, "llm.name");
        if (!drop.test(i) && name && name.getValue().ends_with("cache")) {
          func.emitError("result '")
              << name.getValue()
              << "' is not updated in place in its argument's buffer";
          return signalPassFailure();
        }
      }
      if (drop.none())
        continue;
      ret->eraseOperands(drop);
      if (failed(func.eraseResults(drop)))
        return signalPassFailure();
    }
  }
};
} // namespace
