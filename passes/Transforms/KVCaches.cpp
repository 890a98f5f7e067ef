//===- KVCaches.cpp - rewriting the types of a module's KV caches ---------===//

#include "llm/Transforms/KVCaches.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

void mlir::llm::retypeKVCaches(ModuleOp module,
                               function_ref<Type(Type)> localType) {
  for (auto func : module.getOps<func::FuncOp>()) {
    SmallVector<Type> inputs, results;
    for (Type type : func.getArgumentTypes())
      inputs.push_back(localType(type));
    for (Type type : func.getResultTypes())
      results.push_back(localType(type));
    func.setType(FunctionType::get(module.getContext(), inputs, results));
    for (BlockArgument arg : func.getArguments())
      arg.setType(localType(arg.getType()));
    func.walk([&](Operation *op) {
      for (OpResult result : op->getResults())
        result.setType(localType(result.getType()));
    });
  }
}
