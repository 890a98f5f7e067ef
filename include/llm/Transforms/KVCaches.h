//===- KVCaches.h - rewriting the types of a module's KV caches -*- C++ -*-===//
//
// The K and V caches of a module are values of a few types (the entry
// points' `key_cache`/`value_cache` arguments) that flow through its
// layer functions and attention ops. Partitioning a module shrinks them
// (llm-shard's heads of a rank, a pipeline stage's layers) and
// llm-kv-cache-type stores them in another element type: each maps the
// cache types to new ones and retypes every value of those types.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TRANSFORMS_KVCACHES_H
#define LLM_TRANSFORMS_KVCACHES_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::llm {

/// Gives every function of `module` the types `localType` maps its KV
/// caches to (other types map to themselves): signatures, block arguments
/// and op results.
void retypeKVCaches(ModuleOp module, function_ref<Type(Type)> localType);

} // namespace mlir::llm

#endif // LLM_TRANSFORMS_KVCACHES_H
