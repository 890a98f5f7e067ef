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

/// The entry points a model's module may have, besides @prepare: a prompt,
/// one decode step, and one decode step of a batch of sequences (optional).
inline constexpr llvm::StringLiteral kPrefillName = "prefill";
inline constexpr llvm::StringLiteral kDecodeName = "decode";
inline constexpr llvm::StringLiteral kDecodeBatchName = "decode_batch";
inline constexpr llvm::StringLiteral kEntryPointNames[] = {
    kPrefillName, kDecodeName, kDecodeBatchName};

/// Whether `name` (an `llm.name`) is a KV cache's.
inline bool isKVCacheName(llvm::StringRef name) {
  return name == kKeyCacheName || name == kValueCacheName;
}

} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_LLMDIALECT_H
