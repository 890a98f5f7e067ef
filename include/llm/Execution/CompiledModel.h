//===- CompiledModel.h - JIT-compiled llm module ----------------*- C++ -*-===//
//
// Loads an llm module (at graph level, or already lowered to the LLVM
// dialect), runs the CPU pipeline when needed, and JIT-compiles it for the
// host CPU. Exposes what the runtime needs: the module's ABI (the weight
// buffers it binds), the model's shape and the packed entry points.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_EXECUTION_COMPILEDMODEL_H
#define LLM_EXECUTION_COMPILEDMODEL_H

#include "llm/runtime/ModelRunner.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace mlir::llm {

struct CompileOptions {
  /// LLVM optimization level of the JIT (0-3).
  unsigned optLevel = 3;
  /// Lower with OpenMP-parallel loops.
  bool parallel = true;
  /// The INT4 kernel of a module not yet lowered (the `int4-kernel` option
  /// of llm-cpu-pipeline); empty: the fastest the CPU compiled for has
  /// (kPairDotTargets' order), else `generic`.
  std::string int4Kernel;
  /// Where compiled code is cached (see CompileCache.h); empty: nowhere.
  std::string cacheDirectory;
  /// Compile again even when the cache holds the module's code.
  bool refreshCache = false;
  /// Compile (never load cached code) and register the code with perf
  /// (jitdump files under ~/.debug/jit, symbols for `perf report`) and GDB.
  bool jitDebug = false;
};

/// The version of the calling convention between compiled modules and the
/// runtime (packed entry points taking memref descriptors in the order of
/// the module's ABI, the runtime symbols they call): an ahead-of-time
/// artifact of another version is refused.
/// Version 2: buffers through the runtime's working memory
/// (`_mlir_memref_to_llvm_alloc` and its kin) instead of malloc and free.
constexpr int64_t kRuntimeABIVersion = 2;

/// The symbol of an ahead-of-time artifact that holds its metadata (a JSON
/// C string: runtime ABI, target CPU and features, the module's ABI).
constexpr const char *kArtifactMetadataSymbol = "llm_module_metadata";

/// A CPU to compile for ahead of time.
struct TargetDescription {
  std::string triple;
  /// An LLVM CPU name (`skylake-avx512`, `x86-64-v3`).
  std::string cpu;
  /// LLVM feature string (`+avx2,-avx512f`).
  std::string featureString;
};

/// The host (`cpu` empty or "native", with its exact features) or a named
/// CPU, with extra `features` (`+avx2,-avx512f`); unknown names are errors.
llvm::Expected<TargetDescription> describeTarget(llvm::StringRef cpu,
                                                 llvm::StringRef features);

class CompiledModel {
public:
  /// Parses `path` and compiles it.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  loadFile(llvm::StringRef path, const CompileOptions &options);
  /// Compiles a module built in `context`.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  compile(std::unique_ptr<MLIRContext> context, OwningOpRef<ModuleOp> module,
          const CompileOptions &options);

  /// Compiles a module for `target` into a relocatable, position-independent
  /// object at `objectPath`, with its metadata (kArtifactMetadataSymbol), to
  /// be linked into a shared library.
  static llvm::Error compileToObject(std::unique_ptr<MLIRContext> context,
                                     OwningOpRef<ModuleOp> module,
                                     const TargetDescription &target,
                                     const CompileOptions &options,
                                     llvm::StringRef objectPath);
  /// Loads an ahead-of-time artifact (a shared library llm-compile wrote):
  /// nothing is compiled. Refuses one built for another runtime ABI or for
  /// CPU features this machine lacks, before running any of its code.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  loadSharedLibrary(llvm::StringRef path);
  /// Whether `path` is a shared library (an ELF file, as llm-compile
  /// writes), to be loaded with loadSharedLibrary rather than parsed.
  static bool isSharedLibrary(llvm::StringRef path);

  ~CompiledModel();

  /// Whether the code came from the compile cache or an ahead-of-time
  /// artifact (nothing was compiled).
  bool fromCache() const { return fromCache_; }

  /// The buffers the module binds (its verified `#llm.abi`).
  const ::llm::runtime::ModuleABI &abi() const { return abi_; }
  const ::llm::runtime::ModelShape &shape() const { return shape_; }
  ::llm::runtime::PackedFunction prefill() const { return prefill_; }
  ::llm::runtime::PackedFunction decode() const { return decode_; }
  /// Null when the module prepares nothing.
  ::llm::runtime::PackedFunction prepare() const { return prepare_; }
  /// Null when the module has no @decode_batch (shape().batchedDecode).
  ::llm::runtime::PackedFunction decodeBatch() const { return decodeBatch_; }
  /// The entry points, for ModelRunner::create.
  ::llm::runtime::EntryPoints entryPoints() const {
    return {prefill_, decode_, prepare_, decodeBatch_};
  }

private:
  CompiledModel() = default;
  /// The ABI and shape of a module (lowered or not) that carries its model
  /// config (requireModelConfig), without code.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  describe(ModuleOp module);
  /// Sets the entry points to what `lookup` finds (null: nothing): @prefill
  /// and @decode always, @prepare when the module prepares weights,
  /// @decode_batch when it has one, in that order. Returns the name of the first one not found, or null.
  const char *bindEntryPoints(
      llvm::function_ref<::llm::runtime::PackedFunction(llvm::StringRef)>
          lookup);
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  compileWithKey(std::unique_ptr<MLIRContext> context,
                 OwningOpRef<ModuleOp> module, const CompileOptions &options,
                 std::optional<uint64_t> cacheKey);
  /// The model cached under `key` in `directory`; null if there is none
  /// (or it is invalid).
  static std::unique_ptr<CompiledModel> fromCache(llvm::StringRef directory,
                                                  uint64_t key);
  /// With a cache directory: sets `key` for `moduleText` and returns its
  /// cached model, unless the options ask to compile; else null.
  static std::unique_ptr<CompiledModel>
  lookupCache(llvm::StringRef moduleText, const CompileOptions &options,
              std::optional<uint64_t> &key);
  /// The ABI and shape, for the cache.
  std::string metadataJSON() const;

  std::unique_ptr<MLIRContext> context_;
  std::unique_ptr<ExecutionEngine> engine_;
  /// The code of a cached model.
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  /// The shared library of an ahead-of-time artifact (dlopen handle).
  void *library_ = nullptr;
  bool fromCache_ = false;
  ::llm::runtime::ModuleABI abi_;
  ::llm::runtime::ModelShape shape_;
  ::llm::runtime::PackedFunction prefill_ = nullptr, decode_ = nullptr,
                                 prepare_ = nullptr, decodeBatch_ = nullptr;
};

/// A context with every dialect and translation the tools need.
std::unique_ptr<MLIRContext> createExecutionContext();

} // namespace mlir::llm

#endif // LLM_EXECUTION_COMPILEDMODEL_H
