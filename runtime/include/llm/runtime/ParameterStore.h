//===- ParameterStore.h - the weight buffers of a module --------*- C++ -*-===//
//
// Binds the checkpoint tensors a module reads (its `#llm.abi`) by name, in
// their stored precision and in place from the mapped files, runs the
// module's `@prepare` once on them (or reads its outputs from the cache,
// copied onto huge pages) and holds every buffer the entry points take. It derives nothing itself:
// what a weight is made of is the module's `@prepare`.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_PARAMETERSTORE_H
#define LLM_RUNTIME_PARAMETERSTORE_H

#include "llm/runtime/ModuleABI.h"
#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace llm::runtime {

using PackedFunction = void (*)(void **);

/// How the store binds and prepares weights.
struct LoadOptions {
  /// Where prepared buffers are cached; empty: no cache.
  std::string cacheDirectory;
  /// Report preparation (and the cache) on stderr: a summary line, and with
  /// `progressBar` (for a terminal) a bar that `@prepare` updates as it goes.
  bool progress = false;
  bool progressBar = false;
  /// Prepare again even when the cache holds valid buffers.
  bool refreshCache = false;
  /// More tensors (e.g. activation-aware scales), looked up after the
  /// checkpoint's own.
  const Checkpoint *extra = nullptr;
  /// This process's rank in a tensor-parallel group: which slice of each
  /// sharded tensor it binds (TensorBinding::shard).
  int64_t rank = 0;
  /// Copy the weights that lie in file mappings (checkpoint tensors bound
  /// in place, prepared buffers read from the cache) into memory on huge
  /// pages (ResidentMemory) when they fit in half of the machine's memory;
  /// else the kernels read them from the mapped files.
  bool residentWeights = true;
};

class PreparedCacheFile;
class ResidentMemory;

/// Called by a compiled `@prepare` after each piece of work: `done` of
/// `total` elements prepared. Reports to the ParameterStore::build running
/// it (if any).
extern "C" void llm_prepare_progress(int64_t done, int64_t total);

class ParameterStore {
public:
  /// Checks `checkpoint` against `abi.tensors` (every missing tensor, wrong
  /// shape or element type is reported by name in one error; a sharded
  /// tensor is bound as the slice of `options.rank`: in place when it is
  /// contiguous in the file, else copied, reading only its bytes), binds them
  /// (F32 tensors, and F16/BF16/I32 tensors the module reads as they are,
  /// in place; F16/BF16 tensors the module reads as f32 converted), then
  /// obtains `@prepare`'s outputs: from the cache when it holds them for
  /// this module and these exact bytes, else by calling `prepare` (and
  /// caching them).
  static Expected<std::unique_ptr<ParameterStore>>
  build(const Checkpoint &checkpoint, const ModuleABI &abi,
        PackedFunction prepare, const LoadOptions &options = {});

  ~ParameterStore();

  /// The data of each weight argument of the entry points (`abi.weights`).
  const std::vector<const void *> &data() const { return data_; }
  /// Whether `@prepare` ran (false: nothing to prepare, or cached).
  bool prepared() const { return ranPrepare_; }

private:
  ParameterStore() = default;

  std::vector<const void *> data_;
  /// Copies of misaligned tensors and F32 conversions of 16-bit ones.
  std::list<std::vector<uint8_t>> copies_;
  /// Buffers `@prepare` allocated (malloc), freed with the store.
  std::vector<void *> owned_;
  std::unique_ptr<PreparedCacheFile> cache_;
  /// The weights copied out of file mappings (LoadOptions::residentWeights).
  std::unique_ptr<ResidentMemory> resident_;
  bool ranPrepare_ = false;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_PARAMETERSTORE_H
