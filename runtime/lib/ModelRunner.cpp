//===- ModelRunner.cpp - binds weights and KV cache, calls entry points ---===//

#include "llm/runtime/ModelRunner.h"
#include "PackedCall.h"
#include "llm/runtime/WorkingMemory.h"

#include <cstdlib>
#include <cmath>
#include <cstring>
#include <set>

using namespace llm::runtime;

namespace {


/// The descriptor of the returned memref<? x vocab x f32>.
struct LogitsDescriptor {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

} // namespace

ModelRunner::~ModelRunner() = default;


Expected<std::unique_ptr<ModelRunner>>
ModelRunner::create(const Checkpoint &checkpoint, ModuleABI abi,
                    ModelShape shape, EntryPoints entryPoints,
                    const LoadOptions &options) {
  auto store =
      ParameterStore::build(checkpoint, abi, entryPoints.prepare, options);
  if (!store)
    return Error(store.message());
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->shape_ = std::move(shape);
  runner->entryPoints_ = entryPoints;
  runner->store_ = std::move(*store);
  runner->abi_ = std::move(abi);
  return std::move(runner);
}


Status ModelRunner::allocateCache(int64_t contextSize, int64_t slots) {
  if (contextSize <= 0)
    return Error("context size must be positive, got " +
                 std::to_string(contextSize));
  if (slots <= 0)
    return Error("the number of sequences (slots) must be positive, got " +
                 std::to_string(slots));
  // Checked: a hostile config must not turn into a tiny allocation.
  size_t perSlot = 1, elements = 0, bytes = 0;
  bool overflow = false;
  for (int64_t factor :
       {shape_.numLayers, contextSize, shape_.numKvHeads, shape_.headDim})
    overflow |= factor <= 0 ||
                __builtin_mul_overflow(perSlot, static_cast<size_t>(factor),
                                       &perSlot);
  size_t elementBytes = static_cast<size_t>(shape_.kvCacheElementBytes);
  overflow |= __builtin_mul_overflow(perSlot, static_cast<size_t>(slots),
                                     &elements);
  overflow |= __builtin_mul_overflow(elements, 2 * elementBytes, &bytes);
  if (overflow)
    return Error("a KV cache of " + std::to_string(slots) + " x " +
                 std::to_string(contextSize) + " positions for " +
                 std::to_string(shape_.numLayers) + " layers of " +
                 std::to_string(shape_.numKvHeads) + " x " +
                 std::to_string(shape_.headDim) +
                 " values is larger than this machine can address");
  // Zeroed memory mapped as it fills, 2 MiB at a time (huge pages): a
  // large context costs memory only as it fills (up to a huge page ahead in
  // each layer's and KV head's history), and a decode step, which writes a
  // new position of every layer and head, takes no page fault (on 4 KiB
  // pages it took one every few tokens per layer).
  keyCache_.reset();
  valueCache_.reset();
  keyCache_ = ResidentMemory::allocate(bytes / 2);
  valueCache_ = ResidentMemory::allocate(bytes / 2);
  if (!keyCache_ || !valueCache_)
    return Error("cannot allocate a KV cache of " +
                 std::to_string(bytes >> 20) + " MiB for " +
                 std::to_string(slots) + " x " + std::to_string(contextSize) +
                 " positions");
  context_ = contextSize;
  slots_ = slots;
  slotBytes_ = perSlot * elementBytes;
  return Status();
}

Status ModelRunner::checkTokens(const int32_t *tokens, size_t count,
                                int64_t position, int64_t slot) const {
  if (!context_)
    return Error("the KV cache is not allocated");
  if (slot < 0 || slot >= slots_)
    return Error("slot " + std::to_string(slot) + " is outside the pool of " +
                 std::to_string(slots_) + " sequences");
  // Without overflow: a hostile position must not wrap into range.
  auto n = static_cast<int64_t>(count);
  if (position < 0 || n > context_ || position > context_ - n)
    return Error(std::to_string(n) + " token(s) at position " +
                 std::to_string(position) + " exceed the context size " +
                 std::to_string(context_));
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= shape_.vocabSize)
      return Error("token id " + std::to_string(tokens[i]) +
                   " is outside the vocabulary (size " +
                   std::to_string(shape_.vocabSize) + ")");
  return Status();
}

namespace {
/// Copies the `rows` x vocab logits a module returned (and frees them);
/// non-finite logits (NaN or infinite weights, an overflow) would be
/// sampled as if they were meaningful: an error naming the position.
Expected<std::vector<float>> takeLogits(const LogitsDescriptor &result,
                                        int64_t rows, int64_t vocab,
                                        const std::vector<int64_t> &positions) {
  if (!result.allocated || result.sizes[0] != rows || result.sizes[1] != vocab) {
    freeWorking(result.allocated);
    return Error("the compiled module returned logits of an unexpected shape");
  }
  std::vector<float> logits(static_cast<size_t>(rows * vocab));
  for (int64_t row = 0; row < rows; ++row)
    std::memcpy(logits.data() + row * vocab,
                result.aligned + result.offset + row * result.strides[0],
                sizeof(float) * vocab);
  freeWorking(result.allocated);
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t v = 0; v < vocab; ++v)
      if (!std::isfinite(logits[row * vocab + v]))
        return Error("the logits at position " +
                     std::to_string(positions[row]) +
                     " are not finite (token " + std::to_string(v) + ": " +
                     std::to_string(logits[row * vocab + v]) +
                     "); the weights or the computation produce NaN or "
                     "infinity");
  return logits;
}
} // namespace

Expected<std::vector<float>>
ModelRunner::forward(const std::vector<int32_t> &tokens, int64_t position,
                     int64_t slot) {
  if (tokens.empty())
    return Error("no tokens to process");
  if (Status s = checkTokens(tokens.data(), tokens.size(), position, slot);
      !s.ok())
    return Error(s.message());
  if (forwardObserver_)
    forwardObserver_(tokens, position, slot);

  int64_t n = static_cast<int64_t>(tokens.size());
  std::vector<int64_t> cacheShape = sequenceCacheShape();
  PackedArgs args(16 + 12 * abi_.weights.size());
  args.addMemRef(tokens.data(), {n});
  args.add(position);
  args.addMemRef(keyCache(slot), cacheShape);
  args.addMemRef(valueCache(slot), cacheShape);
  for (size_t i = 0; i < abi_.weights.size(); ++i)
    args.addMemRef(store_->data()[i], abi_.bufferType(abi_.weights[i]).shape);
  // Results: the logits, then (prefill of a calibration module) the
  // activations, each a 2-D memref descriptor.
  size_t extra = n == 1 ? 0 : shape_.activations.size();
  std::vector<LogitsDescriptor> results(1 + extra);
  std::vector<void *> pointers = args.pointers(results.data());
  (n == 1 ? entryPoints_.decode : entryPoints_.prefill)(pointers.data());
  const LogitsDescriptor &result = results.front();

  activations_.clear();
  Status activationError;
  for (size_t i = 0; i < extra && activationError.ok(); ++i) {
    const LogitsDescriptor &d = results[1 + i];
    int64_t width = shape_.activations[i].features;
    if (!d.allocated || d.sizes[0] != n || d.sizes[1] != width) {
      activationError = Error("the compiled module returned activation '" +
                              shape_.activations[i].name +
                              "' of an unexpected shape");
      break;
    }
    std::vector<float> values(static_cast<size_t>(n * width));
    for (int64_t row = 0; row < n; ++row)
      std::memcpy(values.data() + row * width,
                  d.aligned + d.offset + row * d.strides[0],
                  sizeof(float) * width);
    activations_.push_back(std::move(values));
  }
  // Several results may share a buffer: free each once.
  std::set<void *> owned;
  for (size_t i = 1; i < results.size(); ++i)
    if (results[i].allocated != result.allocated)
      owned.insert(results[i].allocated);
  for (void *buffer : owned)
    freeWorking(buffer);
  // A module compiled with llm-prefill-last-logits returns the last
  // position's logits only.
  int64_t rows = n > 1 && result.allocated && result.sizes[0] == 1 ? 1 : n;
  std::vector<int64_t> positions(rows);
  for (int64_t row = 0; row < rows; ++row)
    positions[row] = position + n - rows + row;
  auto logits = takeLogits(result, rows, shape_.vocabSize, positions);
  if (!activationError.ok())
    return Error(activationError.message());
  return logits;
}

Expected<std::vector<float>>
ModelRunner::forwardBatch(const std::vector<int32_t> &tokens,
                          const std::vector<int64_t> &slots,
                          const std::vector<int64_t> &positions) {
  if (!entryPoints_.decodeBatch)
    return Error("the module has no @decode_batch entry point (import it "
                 "with llm-translate --batched-decode)");
  if (tokens.empty())
    return Error("no sequences to decode");
  if (slots.size() != tokens.size() || positions.size() != tokens.size())
    return Error("a batch of " + std::to_string(tokens.size()) +
                 " tokens needs as many slots and positions, got " +
                 std::to_string(slots.size()) + " and " +
                 std::to_string(positions.size()));
  std::set<int64_t> seen;
  for (size_t b = 0; b < tokens.size(); ++b) {
    if (Status s = checkTokens(&tokens[b], 1, positions[b], slots[b]); !s.ok())
      return Error("sequence " + std::to_string(b) + " of the batch: " +
                   s.message());
    if (!seen.insert(slots[b]).second)
      return Error("slot " + std::to_string(slots[b]) +
                   " appears twice in one batch");
  }
  auto n = static_cast<int64_t>(tokens.size());
  std::vector<int64_t> poolShape = sequenceCacheShape();
  poolShape.insert(poolShape.begin(), slots_);
  PackedArgs args(32 + 12 * abi_.weights.size());
  args.addMemRef(tokens.data(), {n});
  args.addMemRef(slots.data(), {n});
  args.addMemRef(positions.data(), {n});
  args.addMemRef(keyCache_->data(), poolShape);
  args.addMemRef(valueCache_->data(), poolShape);
  for (size_t i = 0; i < abi_.weights.size(); ++i)
    args.addMemRef(store_->data()[i], abi_.bufferType(abi_.weights[i]).shape);
  LogitsDescriptor result{};
  std::vector<void *> pointers = args.pointers(&result);
  entryPoints_.decodeBatch(pointers.data());
  return takeLogits(result, n, shape_.vocabSize, positions);
}
