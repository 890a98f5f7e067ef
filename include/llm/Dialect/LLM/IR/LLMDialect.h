//===- LLMDialect.h - llm dialect -------------------------------*- C++ -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMDIALECT_H
#define LLM_DIALECT_LLM_IR_LLMDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "llm/Dialect/LLM/IR/LLMOpsDialect.h.inc"

namespace mlir::llm {

/// The `llm.name` the importer gives the KV cache arguments and results of
/// the entry points and decoder-layer functions.
inline constexpr llvm::StringLiteral kKeyCacheName = "key_cache";
inline constexpr llvm::StringLiteral kValueCacheName = "value_cache";

/// Whether `name` (an `llm.name`) is a KV cache's.
inline bool isKVCacheName(llvm::StringRef name) {
  return name == kKeyCacheName || name == kValueCacheName;
}

} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMDIALECT_H
