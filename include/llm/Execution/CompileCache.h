//===- CompileCache.h - compiled code of modules, cached on disk -*- C++ -*-===//
//
// `llm-run` compiles a module (lowering and LLVM code generation) before the
// first token; the cache keeps the resulting object code and what the
// runtime needs to know of the module, so that the next run of the same
// module on the same kind of CPU starts without compiling. An entry is keyed
// by a hash of the module's text, the compile options, the compiler and the
// host CPU (name and features), and carries a checksum of its contents,
// verified on every read: a corrupt or foreign entry is compiled again and
// rewritten. Entries are read only from regular files of this user, never
// through symbolic links.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_EXECUTION_COMPILECACHE_H
#define LLM_EXECUTION_COMPILECACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mlir::llm {

/// A hash of the binary that holds this compiler (the executable, or the
/// shared library it was linked into): any rebuild of the compiler, even one
/// that keeps its version, changes the code it emits for the same module.
uint64_t compilerBuildHash();

/// Every feature host detection reports for this CPU, enabled (`+avx2`) or
/// not (`-avx512f`), sorted and joined with commas: an LLVM feature string.
std::string hostCPUFeatureString();

/// A key for `moduleText` compiled with `options` (any text that changes
/// the code) by this build of the compiler for this host.
uint64_t compileCacheKey(llvm::StringRef moduleText, llvm::StringRef options);

struct CachedCompilation {
  /// What the runtime needs of the module (see CompiledModel).
  std::string metadata;
  /// The object code.
  std::unique_ptr<llvm::MemoryBuffer> object;
};

/// The path of the entry for `key` in `directory`.
std::string compileCachePath(llvm::StringRef directory, uint64_t key);

/// The entry for `key`, if `directory` holds a valid one.
std::optional<CachedCompilation> readCompileCache(llvm::StringRef directory,
                                                  uint64_t key);

/// Writes the entry for `key` (atomically: a temporary file, then a rename).
llvm::Error writeCompileCache(llvm::StringRef directory, uint64_t key,
                              llvm::StringRef metadata,
                              llvm::StringRef object);

} // namespace mlir::llm

#endif // LLM_EXECUTION_COMPILECACHE_H
