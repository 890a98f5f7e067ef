//===- ParameterStore.cpp - the weight buffers of a module ----------------===//

#include "llm/runtime/ParameterStore.h"
#include "llm/runtime/Pages.h"
#include "llm/runtime/PreparedCache.h"
#include "llm/runtime/ResidentMemory.h"
#include "llm/runtime/WorkingMemory.h"
#include "PackedCall.h"
#include "ParallelFor.h"
#include "Xxh3.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <set>
#include <sstream>

#include <unistd.h>

using namespace llm::runtime;

namespace {

/// The checkpoint dtype a module element type binds as it is.
std::optional<DType> storedDType(const std::string &elementType) {
  if (elementType == "f32")
    return DType::F32;
  if (elementType == "f16")
    return DType::F16;
  if (elementType == "bf16")
    return DType::BF16;
  if (elementType == "i32")
    return DType::I32;
  if (elementType == "i8")
    return DType::I8;
  return std::nullopt;
}

bool isFloatDType(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// The `--weight-dtype` that matches a checkpoint of `dtype`.
const char *weightDTypeFlag(DType dtype) {
  return dtype == DType::F16 ? "f16" : dtype == DType::BF16 ? "bf16" : "f32";
}

/// Slice `shard.partOf(rank)` of `tensor` (whose shape the caller checked):
/// a view into the tensor when the slice is contiguous (cut along the
/// outermost dimension), else a copy in `copies` that reads only the
/// slice's bytes (the pages of a `mapped` tensor then handed back, so that
/// the other ranks' columns do not stay resident). `copied` says which.
TensorView sliceOf(const TensorView &tensor, const Shard &shard, int64_t rank,
                   bool mapped, std::list<std::vector<uint8_t>> &copies,
                   bool &copied) {
  TensorView slice = tensor;
  int64_t dim = shard.dim, part = shard.partOf(rank);
  int64_t length = tensor.shape[dim] / shard.parts;
  slice.shape[dim] = length;
  size_t inner = dtypeSize(tensor.dtype);
  for (size_t d = dim + 1; d < tensor.shape.size(); ++d)
    inner *= static_cast<size_t>(tensor.shape[d]);
  size_t outer = 1;
  for (int64_t d = 0; d < dim; ++d)
    outer *= static_cast<size_t>(tensor.shape[d]);
  size_t sliceRow = static_cast<size_t>(length) * inner;
  size_t wholeRow = static_cast<size_t>(tensor.shape[dim]) * inner;
  const auto *source = static_cast<const uint8_t *>(tensor.data);
  slice.nbytes = outer * sliceRow;
  copied = outer > 1;
  if (!copied) {
    slice.data = source + static_cast<size_t>(part) * sliceRow;
    return slice;
  }
  std::vector<uint8_t> &copy = copies.emplace_back(slice.nbytes);
  for (size_t o = 0; o < outer; ++o)
    std::memcpy(copy.data() + o * sliceRow,
                source + o * wholeRow + static_cast<size_t>(part) * sliceRow,
                sliceRow);
  if (mapped)
    releasePages(tensor.data, tensor.nbytes);
  slice.data = copy.data();
  return slice;
}

/// The progress report of the @prepare running now (one at a time).
std::atomic<const std::function<void(int64_t, int64_t)> *> currentProgress{
    nullptr};

} // namespace

extern "C" void llm::runtime::llm_prepare_progress(int64_t done,
                                                   int64_t total) {
  if (const auto *report = currentProgress.load())
    (*report)(done, total);
}

ParameterStore::~ParameterStore() {
  for (void *buffer : owned_)
    freeWorking(buffer);
}

Expected<std::unique_ptr<ParameterStore>>
ParameterStore::build(const Checkpoint &checkpoint, const ModuleABI &abi,
                      PackedFunction prepare, const LoadOptions &options) {
  std::unique_ptr<ParameterStore> store(new ParameterStore());
  auto find = [&](const std::string &name) -> const TensorView * {
    if (const TensorView *t = checkpoint.find(name))
      return t;
    return options.extra ? options.extra->find(name) : nullptr;
  };

  // 1. The checkpoint tensors, all checked before any is used.
  std::ostringstream problems;
  int count = 0;
  std::vector<const TensorView *> views(abi.tensors.size());
  // The rank's slices of sharded tensors, and whether each is a copy (in
  // memory of its own, never handed back to the kernel) or a view of the
  // mapped file.
  std::deque<TensorView> slices;
  std::vector<bool> copied(abi.tensors.size(), false);
  for (size_t i = 0; i < abi.tensors.size(); ++i) {
    const TensorBinding &binding = abi.tensors[i];
    auto problem = [&](const std::string &text) {
      problems << "\n  " << binding.name << ": " << text;
      ++count;
    };
    std::optional<DType> stored = storedDType(binding.type.elementType);
    if (!stored) {
      problem("the module reads it as " + binding.type.elementType +
              ", which this runtime cannot bind");
      continue;
    }
    const TensorView *t = find(binding.name);
    if (!t) {
      bool isScale = binding.name.size() > 10 &&
                     binding.name.compare(binding.name.size() - 10, 10,
                                          ".awq_scale") == 0;
      problem("missing (expected " + binding.type.describe() + ")" +
              (isScale ? " (pass the scales of python/awq_search.py with "
                         "--extra-weights)"
                       : ""));
      continue;
    }
    views[i] = t;
    if (binding.shard.parts > 1) {
      std::vector<int64_t> whole = binding.type.shape;
      whole[binding.shard.dim] *= binding.shard.parts;
      if (t->shape != whole) {
        problem("shape " + shapeText(t->shape) + " but the module expects " +
                shapeText(whole) + " (cut into " +
                std::to_string(binding.shard.parts) + " along dim " +
                std::to_string(binding.shard.dim) + ")");
        continue;
      }
      bool copy = false;
      views[i] = &slices.emplace_back(
          sliceOf(*t, binding.shard, options.rank, checkpoint.isMapped(*t),
                  store->copies_, copy));
      copied[i] = copy;
      t = views[i];
    }
    if (t->shape != binding.type.shape)
      problem("shape " + shapeText(t->shape) + " but the module expects " +
              shapeText(binding.type.shape));
    else if (isFloatDType(*stored) && !isFloatDType(t->dtype))
      problem(std::string("dtype ") + dtypeName(t->dtype) +
              " is not F32, F16 or BF16");
    else if (*stored != DType::F32 && t->dtype != *stored)
      problem(std::string("dtype ") + dtypeName(t->dtype) +
              " but the module reads " + binding.type.describe() +
              (isFloatDType(t->dtype)
                   ? std::string(" (import it with --weight-dtype=") +
                         weightDTypeFlag(t->dtype) +
                         ", or set the config's torch_dtype)"
                   : std::string()));
  }
  if (count)
    return Error("checkpoint does not match the compiled module (" +
                 std::to_string(count) + " problem" + (count > 1 ? "s" : "") +
                 "):" + problems.str());

  std::vector<const void *> tensorData(abi.tensors.size());
  for (size_t i = 0; i < abi.tensors.size(); ++i) {
    const TensorView &t = *views[i];
    if (abi.tensors[i].type.elementType == "f32" && t.dtype != DType::F32) {
      // A 16-bit tensor the module reads as f32 (compiled for f32 weights).
      std::vector<uint8_t> &values =
          store->copies_.emplace_back(t.numel() * sizeof(float));
      if (Status s = convertToF32(t, reinterpret_cast<float *>(values.data()));
          !s.ok())
        return Error(t.name + ": " + s.message());
      tensorData[i] = values.data();
      continue;
    }
    // In place from the mapped file; copied only when misaligned.
    if (reinterpret_cast<uintptr_t>(t.data) % dtypeSize(t.dtype) == 0) {
      tensorData[i] = t.data;
      continue;
    }
    std::vector<uint8_t> &copy = store->copies_.emplace_back(t.nbytes);
    std::memcpy(copy.data(), t.data, t.nbytes);
    tensorData[i] = copy.data();
  }

  // 2. The prepared buffers: cached, or computed by @prepare.
  std::vector<const void *> preparedData(abi.prepared.size());
  if (!abi.prepared.empty()) {
    if (!prepare)
      return Error("the module lists prepared weights but has no @prepare");
    std::set<int64_t> readDirectly;
    for (int64_t index : abi.weights)
      if (index < static_cast<int64_t>(abi.tensors.size()))
        readDirectly.insert(index);
    auto preparedOnly = [&](int64_t index) {
      return !readDirectly.count(index);
    };
    // Whether the pages of tensor `index` can be handed back once @prepare
    // no longer needs them: only @prepare reads it, and it lies in a file
    // mapping (Checkpoint::isMapped; the pages of memory of the runtime's
    // own, such as a GGUF's query and key rows put back at load, would come
    // back zeroed). `inPlace`: and @prepare reads it there, not a copy.
    auto releasable = [&](int64_t index, bool inPlace) {
      return preparedOnly(index) && !copied[index] &&
             checkpoint.isMapped(*views[index]) &&
             (!inPlace || tensorData[index] == views[index]->data);
    };
    auto start = std::chrono::steady_clock::now();
    std::string path;
    uint64_t key = 0;
    if (!options.cacheDirectory.empty()) {
      // What @prepare reads, and what it computes: a tensor in a mapped
      // file (safetensors or GGUF) by the file's identity and its place in it (not
      // read: LLaMA-7B-shaped BF16, 13.5 GB, took seconds to hash at every
      // start), any other by every byte (handed back to the kernel as it
      // is hashed when `releasable`). Each tensor's hash on its own, on
      // every core; combined in order.
      std::vector<uint64_t> hashes(abi.prepareArguments.size());
      parallelFor(hashes.size(), [&](size_t i) {
        int64_t index = abi.prepareArguments[i];
        const TensorView &view = *views[index];
        hashes[i] = sourceHash(view, checkpoint.regionOf(view),
                               releasable(index, /*inPlace=*/false));
      });
      Xxh3 hash;
      hash.add(abi.prepareFingerprint);
      for (uint64_t h : hashes)
        hash.add(h);
      key = hash.digest();
      // Each rank of a tensor-parallel group prepares its own slices.
      std::string prefix =
          options.rank ? "prepared-rank" + std::to_string(options.rank)
                       : std::string("prepared");
      path = cacheFilePath(options.cacheDirectory, prefix.c_str(),
                           abi.prepareFingerprint, ".bin");
      if (!options.refreshCache)
        store->cache_ = PreparedCacheFile::open(path, key, abi.prepared);
    }
    if (store->cache_) {
      for (size_t i = 0; i < abi.prepared.size(); ++i)
        preparedData[i] = store->cache_->data(i);
      if (options.progress)
        std::fprintf(stderr, "prepared weights: %zu buffer(s) read from %s\n",
                     abi.prepared.size(), path.c_str());
    } else {
      auto summary = [&] {
        std::fprintf(stderr,
                     "preparing weights: %zu buffer(s) from %zu tensor(s)...",
                     abi.prepared.size(), abi.prepareArguments.size());
      };
      if (options.progress && !options.progressBar)
        summary();
      PackedArgs args(8 * abi.prepareArguments.size());
      for (int64_t index : abi.prepareArguments)
        args.addMemRef(tensorData[index], abi.tensors[index].type.shape);
      size_t fields = 0;
      for (const BufferType &type : abi.prepared)
        fields += ReturnedMemRef::fieldCount(type.shape.size());
      std::vector<int64_t> results(fields, 0);
      std::vector<void *> pointers = args.pointers(results.data());
      // Tensors only @prepare reads, read in place from the mapped files
      // (`releasable`): their pages are handed back after each step of
      // @prepare (those of later steps are not resident yet), so that
      // preparing does not make the checkpoint resident.
      std::vector<const TensorView *> handedBack;
      for (int64_t index : abi.prepareArguments)
        if (releasable(index, /*inPlace=*/true))
          handedBack.push_back(views[index]);
      std::function<void(int64_t, int64_t)> report =
          [&](int64_t done, int64_t total) {
            for (const TensorView *view : handedBack)
              releasePages(view->data, view->nbytes);
            if (!options.progress || !options.progressBar || total <= 0)
              return;
            int width = 30, filled = static_cast<int>(width * done / total);
            std::fprintf(stderr, "\rpreparing weights [%s%s] %3d%%",
                         std::string(filled, '#').c_str(),
                         std::string(width - filled, ' ').c_str(),
                         static_cast<int>(100 * done / total));
            std::fflush(stderr);
          };
      currentProgress = &report;
      prepare(pointers.data());
      currentProgress = nullptr;
      if (options.progress && options.progressBar) {
        std::fprintf(stderr, "\r%*s\r", 50, "");
        summary();
      }
      store->ranPrepare_ = true;
      std::set<void *> owned;
      std::string malformed;
      const int64_t *at = results.data();
      for (size_t i = 0; i < abi.prepared.size(); ++i) {
        ReturnedMemRef result{at, abi.prepared[i].shape.size()};
        at += ReturnedMemRef::fieldCount(result.rank);
        if (result.allocated())
          owned.insert(result.allocated());
        if (!result.isContiguous(abi.prepared[i].shape)) {
          malformed = "prepared buffer " + std::to_string(i) +
                      " is not a contiguous " + abi.prepared[i].describe();
          continue;
        }
        preparedData[i] = result.aligned() +
                          result.offset() * abi.prepared[i].elementSize();
      }
      store->owned_.assign(owned.begin(), owned.end());
      if (!malformed.empty())
        return Error("the compiled @prepare returned a buffer of an "
                     "unexpected layout: " + malformed);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (options.progress)
        std::fprintf(stderr, " done in %.1f s\n", seconds);
      if (!path.empty()) {
        Status saved = savePreparedCache(path, key, abi.prepared, preparedData);
        // A cache that could not be written is said even without progress
        // reports (--json): every run would prepare the weights again.
        if (!saved.ok())
          std::fprintf(stderr,
                       "warning: %s; the prepared weights are not cached and "
                       "will be prepared again on every run\n",
                       saved.message().c_str());
        else if (options.progress)
          std::fprintf(stderr, "prepared weights cached in %s\n", path.c_str());
      }
    }
    // The tensors only @prepare reads are not needed any more.
    for (int64_t index : abi.prepareArguments)
      if (releasable(index, /*inPlace=*/true))
        releasePages(views[index]->data, views[index]->nbytes);
  }

  auto raw = static_cast<int64_t>(abi.tensors.size());
  for (int64_t index : abi.weights)
    store->data_.push_back(index < raw ? tensorData[index]
                                       : preparedData[index - raw]);

  // 3. Weights that lie in file mappings: checkpoint tensors the kernels
  // read as they are, and prepared buffers read from the cache (INT4 packs).
  // Both are copied into anonymous memory on huge pages (ResidentMemory)
  // and their file pages handed back. A file's pages in the page cache lie
  // scattered over physical memory, and a thread streaming them reads
  // slower and less steadily than from anonymous memory: TinyLlama-shaped
  // F32 decode on one thread measured 4.5 tok/s read in place and twice
  // that copied, as llama.cpp's own (5.7 tok/s mapped, 9.3 with --no-mmap;
  // bench/resident_weights.py). So are the buffers @prepare has just
  // computed, then freed. Neither when the weights would not fit in half
  // of the memory: then checkpoint tensors stay in their mapping, mapped
  // now (MAP_POPULATE's effect) so that the first prompt does not take a
  // page fault per page.
  auto paddedToLine = [](size_t bytes) { return (bytes + 63) / 64 * 64; };
  // Weights to copy: their position in abi.weights and bytes; each on its
  // own cache lines.
  std::vector<std::pair<size_t, size_t>> inPlaceWeights, cachedWeights;
  size_t inPlaceBytes = 0, cachedBytes = 0;
  // Checkpoint tensors bound in place from a file mapping, each once (those
  // in memory of their own, as a GGUF's dequantized tensors, stay there).
  std::map<int64_t, size_t> inPlaceTensors;
  for (size_t k = 0; k < abi.weights.size(); ++k) {
    int64_t index = abi.weights[k];
    if (index < raw) {
      if (copied[index] || tensorData[index] != views[index]->data ||
          !checkpoint.isMapped(*views[index]))
        continue;
      inPlaceWeights.push_back({k, views[index]->nbytes});
      if (inPlaceTensors.emplace(index, inPlaceBytes).second)
        inPlaceBytes += paddedToLine(views[index]->nbytes);
    } else if (store->cache_ || store->ranPrepare_) {
      const BufferType &type = abi.prepared[index - raw];
      size_t bytes = static_cast<size_t>(type.numel()) * type.elementSize();
      cachedWeights.push_back({k, bytes});
      cachedBytes += paddedToLine(bytes);
    }
  }
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
  auto fits = [&](size_t bytes) {
    return pages > 0 && pageSize > 0 &&
           bytes < static_cast<size_t>(pages) * static_cast<size_t>(pageSize) / 2;
  };
  // Buffers @prepare has just computed are copied too (they lie in working
  // memory's size-class blocks, up to a fifth larger than they need, and are
  // freed after the copy): the copy and the originals both fit for a
  // moment.
  size_t transientBytes = store->ranPrepare_ ? 2 * cachedBytes : cachedBytes;
  bool copyCached = options.residentWeights && cachedBytes > 0 &&
                    fits(transientBytes);
  bool copyInPlace = options.residentWeights && inPlaceBytes > 0 &&
                     fits(inPlaceBytes + (copyCached ? transientBytes : 0));
  if (!copyInPlace && fits(inPlaceBytes))
    for (auto [index, offset] : inPlaceTensors)
      populatePages(views[index]->data, views[index]->nbytes);
  size_t residentBytes =
      (copyInPlace ? inPlaceBytes : 0) + (copyCached ? cachedBytes : 0);
  if (residentBytes > 0)
    store->resident_ = ResidentMemory::allocate(residentBytes);
  if (store->resident_) {
    std::vector<CopyJob> jobs;
    uint8_t *resident = store->resident_->data();
    if (copyInPlace) {
      for (auto [index, offset] : inPlaceTensors) {
        std::optional<FileSpan> span = checkpoint.fileSpanOf(*views[index]);
        jobs.push_back({views[index]->data, resident + offset,
                        views[index]->nbytes, span ? span->fd : -1,
                        span ? span->offset : 0});
      }
      for (auto [k, bytes] : inPlaceWeights)
        store->data_[k] = resident + inPlaceTensors[abi.weights[k]];
      resident += inPlaceBytes;
    }
    if (copyCached) {
      for (auto [k, bytes] : cachedWeights) {
        jobs.push_back({store->data_[k], resident, bytes});
        store->data_[k] = resident;
        resident += paddedToLine(bytes);
      }
    }
    copyInParallel(jobs);
    if (copyCached) {
      store->cache_.reset();
      for (void *buffer : store->owned_)
        freeWorking(buffer);
      store->owned_.clear();
    }
  }
  // The buffers @prepare freed (and those just copied) are not needed
  // again: no step comes near its peak.
  if (store->ranPrepare_)
    trimWorkingMemory();
  return std::move(store);
}
