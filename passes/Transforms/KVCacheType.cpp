//===- KVCacheType.cpp - the element type the KV caches are stored in -----===//
//
// Retypes the K and V caches of every function (the entry points' named
// `key_cache`/`value_cache` arguments and pools, and every value of those
// types: layer-function arguments, attention results, returns) to f16 or
// bf16. The attention lowering narrows the new keys and values as it
// appends them and widens the rows it reads, so a decode step reads half
// the cache bytes and a context takes half the memory; the arithmetic
// stays f32.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Transforms/KVCaches.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMKVCACHETYPEPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

struct LLMKVCacheTypePass
    : llm::impl::LLMKVCacheTypePassBase<LLMKVCacheTypePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    Type element = llvm::StringSwitch<Type>(type)
                       .Case("f32", Float32Type::get(ctx))
                       .Case("f16", Float16Type::get(ctx))
                       .Case("bf16", BFloat16Type::get(ctx))
                       .Default(Type());
    if (!element) {
      mlir::emitError(module.getLoc(),
                      "llm-kv-cache-type: type must be f32, f16 or bf16, "
                       "not '")
          << type << "'";
      return signalPassFailure();
    }
    // The caches' types, as the entry points name them.
    llvm::SmallPtrSet<Type, 4> cacheTypes;
    for (auto func : module.getOps<func::FuncOp>())
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (auto name = func.getArgAttrOfType<StringAttr>(i, "llm.name");
            name && isKVCacheName(name.getValue()))
          cacheTypes.insert(func.getArgumentTypes()[i]);
    // Caches of f32 activations (f32, or already 16-bit) only.
    for (Type cache : cacheTypes) {
      auto tensor = dyn_cast<RankedTensorType>(cache);
      if (!tensor ||
          !isWeightStorageOf(tensor.getElementType(), Float32Type::get(ctx))) {
        mlir::emitError(module.getLoc(),
                        "llm-kv-cache-type: cannot store KV caches of type ")
            << cache << " as " << element
            << ": caches of f32 activations only";
        return signalPassFailure();
      }
    }
    retypeKVCaches(module, [&](Type t) -> Type {
      if (!cacheTypes.contains(t))
        return t;
      return cast<RankedTensorType>(t).clone(element);
    });
  }
};

} // namespace
