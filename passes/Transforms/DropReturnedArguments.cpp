//===- DropReturnedArguments.cpp - drop results aliasing arguments --------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMDROPRETURNEDARGUMENTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;

namespace {
/// The argument of `func` whose buffer `value` is: the argument itself, or
/// the result of loops that carry it through unchanged (a batched decode
/// step updates its pools in a loop over the sequences); else null.
BlockArgument argumentBuffer(func::FuncOp func, Value value) {
  while (auto result = dyn_cast<OpResult>(value)) {
    auto loop = dyn_cast<scf::ForOp>(result.getOwner());
    if (!loop)
      return {};
    unsigned i = result.getResultNumber();
    if (loop.getYieldedValues()[i] != loop.getRegionIterArgs()[i])
      return {};
    value = loop.getInitArgs()[i];
  }
  auto arg = cast<BlockArgument>(value);
  if (arg.getOwner() != &func.getBody().front() ||
      !isa<BaseMemRefType>(arg.getType()))
    return {};
  return arg;
}

/// The results of `func` that return one of its memref arguments.
llvm::BitVector returnedArguments(func::FuncOp func) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::BitVector drop(func.getNumResults());
  for (auto [i, operand] : llvm::enumerate(ret.getOperands()))
    if (argumentBuffer(func, operand))
      drop.set(i);
  return drop;
}

/// Whether result `i` of `func` is a KV cache (its `llm.name`).
bool isCacheResult(func::FuncOp func, unsigned i) {
  auto name = func.getResultAttrOfType<StringAttr>(i, "llm.name");
  return name && llm::isKVCacheName(name.getValue());
}

/// Drops the cache results of private `func` that return an argument's
/// buffer; each call then uses the buffer it passed. Returns whether
/// anything was dropped.
bool dropFromCallee(ModuleOp module, func::FuncOp func) {
  llvm::BitVector drop = returnedArguments(func);
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (!isCacheResult(func, i))
      drop.reset(i);
  if (drop.none())
    return false;
  // Only when every use is a call (a walk of the module: after the cheap
  // check above).
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, module);
  if (!uses || llvm::any_of(*uses, [](const SymbolTable::SymbolUse &use) {
        return !isa<func::CallOp>(use.getUser());
      }))
    return false;
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<unsigned> argumentOf(func.getNumResults());
  for (int i : drop.set_bits())
    argumentOf[i] = argumentBuffer(func, ret.getOperand(i)).getArgNumber();
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = cast<func::CallOp>(use.getUser());
    OpBuilder b(call);
    SmallVector<Type> kept;
    SmallVector<Attribute> keptAttrs;
    ArrayAttr resAttrs = call.getResAttrsAttr();
    for (auto [i, type] : llvm::enumerate(call.getResultTypes()))
      if (!drop.test(i)) {
        kept.push_back(type);
        if (resAttrs)
          keptAttrs.push_back(resAttrs[i]);
      }
    // The same call, with all its attributes, minus the dropped results.
    auto newCall = func::CallOp::create(b, call.getLoc(), call.getCallee(),
                                        kept, call.getOperands());
    newCall->setAttrs(call->getAttrs());
    if (resAttrs)
      newCall.setResAttrsAttr(b.getArrayAttr(keptAttrs));
    unsigned next = 0;
    for (unsigned i = 0; i < call.getNumResults(); ++i)
      call.getResult(i).replaceAllUsesWith(
          drop.test(i) ? call.getOperand(argumentOf[i])
                       : newCall.getResult(next++));
    call.erase();
  }
  ret->eraseOperands(drop);
  (void)func.eraseResults(drop);
  return true;
}

/// A cache result of `func` that is not one of its arguments' buffers
/// (`returned`: returnedArguments; the cache was copied instead of updated
/// in place): an error.
LogicalResult checkCachesInPlace(func::FuncOp func,
                                 const llvm::BitVector &returned) {
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (isCacheResult(func, i) && !returned.test(i))
      return func.emitError("result '")
             << func.getResultAttrOfType<StringAttr>(i, "llm.name").getValue()
             << "' is not updated in place in its argument's buffer";
  return success();
}

struct LLMDropReturnedArgumentsPass
    : llm::impl::LLMDropReturnedArgumentsPassBase<
          LLMDropReturnedArgumentsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Functions the module calls (decoder-layer functions) first, callees
    // before callers whatever their order (until nothing changes): their
    // callers then see the caches they were given.
    SmallVector<func::FuncOp> callees;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPrivate() && !func.isExternal() &&
          func.getBody().hasOneBlock())
        callees.push_back(func);
    for (bool changed = true; changed;) {
      changed = false;
      for (func::FuncOp func : callees)
        changed |= dropFromCallee(module, func);
    }
    for (func::FuncOp func : callees)
      if (failed(checkCachesInPlace(func, returnedArguments(func))))
        return signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>()) {
      // Only entry points: public, defined, and not called from the module
      // (a caller would still expect the results).
      if (!func.isPublic() || func.isExternal() ||
          !func.getBody().hasOneBlock() ||
          !SymbolTable::symbolKnownUseEmpty(func, module))
        continue;
      // A KV cache that comes back as a fresh buffer was not updated in place.
      llvm::BitVector drop = returnedArguments(func);
      if (failed(checkCachesInPlace(func, drop)))
        return signalPassFailure();
      auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
      if (drop.none())
        continue;
      ret->eraseOperands(drop);
      if (failed(func.eraseResults(drop)))
        return signalPassFailure();
    }
  }
};
} // namespace
