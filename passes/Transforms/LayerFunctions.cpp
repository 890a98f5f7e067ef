//===- LayerFunctions.cpp - spelling out decoder-layer functions ----------===//

#include "llm/Transforms/LayerFunctions.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::llm;

void mlir::llm::addSpellOutLayersPasses(OpPassManager &pm) {
  // The inliner's simplification (canonicalization) folds the constant
  // layers into the parameters' names and the attention's layer.
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
}

LogicalResult mlir::llm::verifyLayersSpelledOut(ModuleOp module,
                                                StringRef pass) {
  WalkResult result = module.walk([&](Operation *op) {
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (callee && !callee.isExternal()) {
        call.emitOpError() << pass << ": the call of @" << call.getCallee()
                           << " could not be inlined";
        return WalkResult::interrupt();
      }
    }
    auto param = dyn_cast<ParamOp>(op);
    auto attention = dyn_cast<AttentionOp>(op);
    if ((param && param.getLayer()) || (attention && !attention.getLayer())) {
      op->emitOpError() << pass
                        << ": its layer is not a constant after inlining";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}
