//===- ModelRunner.cpp - binds weights and KV cache, calls entry points ---===//

#include "llm/runtime/ModelRunner.h"
#include "PackedCall.h"

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
                    ModelShape shape, PackedFunction prefill,
                    PackedFunction decode, PackedFunction prepare,
                    const LoadOptions &options) {
  auto store = ParameterStore::build(checkpoint, abi, prepare, options);
  if (!store)
    return Error(store.message());
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->shape_ = std::move(shape);
  runner->prefill_ = prefill;
  runner->decode_ = decode;
  runner->store_ = std::move(*store);
  runner->abi_ = std::move(abi);
  return std::move(runner);
}


Status ModelRunner::allocateCache(int64_t contextSize) {
  if (contextSize <= 0)
    return Error("context size must be positive, got " +
                 std::to_string(contextSize));
  // Checked: a hostile config must not turn into a tiny allocation.
  size_t elements = 1, bytes = 0;
  bool overflow = false;
  for (int64_t factor :
       {shape_.numLayers, contextSize, shape_.numKvHeads, shape_.headDim})
    overflow |= factor <= 0 ||
                __builtin_mul_overflow(elements, static_cast<size_t>(factor),
                                       &elements);
  overflow |= __builtin_mul_overflow(elements, 2 * sizeof(float), &bytes);
  if (overflow)
    return Error("a KV cache of " + std::to_string(contextSize) +
                 " positions for " + std::to_string(shape_.numLayers) +
                 " layers of " + std::to_string(shape_.numKvHeads) + " x " +
                 std::to_string(shape_.headDim) +
                 " values is larger than this machine can address");
  // calloc: zeroed pages are mapped lazily, so a large context costs memory
  // only as it fills.
  keyCache_ = {static_cast<float *>(std::calloc(elements, sizeof(float))),
               std::free};
  valueCache_ = {static_cast<float *>(std::calloc(elements, sizeof(float))),
                 std::free};
  if (!keyCache_ || !valueCache_)
    return Error("cannot allocate a KV cache of " +
                 std::to_string(2 * elements * sizeof(float) >> 20) +
                 " MiB for " + std::to_string(contextSize) + " positions");
  context_ = contextSize;
  return Status();
}

Expected<std::vector<float>>
ModelRunner::forward(const std::vector<int32_t> &tokens, int64_t position) {
  if (tokens.empty())
    return Error("no tokens to process");
  if (!context_)
    return Error("the KV cache is not allocated");
  if (position < 0 ||
      position + static_cast<int64_t>(tokens.size()) > context_)
    return Error("positions " + std::to_string(position) + ".." +
                 std::to_string(position + tokens.size() - 1) +
                 " exceed the context size " + std::to_string(context_));
  for (int32_t id : tokens)
    if (id < 0 || id >= shape_.vocabSize)
      return Error("token id " + std::to_string(id) +
                   " is outside the vocabulary (size " +
                   std::to_string(shape_.vocabSize) + ")");

  int64_t n = static_cast<int64_t>(tokens.size());
  std::vector<int64_t> cacheShape = {shape_.numLayers, context_,
                                     shape_.numKvHeads, shape_.headDim};
  PackedArgs args(16 + 12 * abi_.weights.size());
  args.addMemRef(tokens.data(), {n});
  args.add(position);
  args.addMemRef(keyCache_.get(), cacheShape);
  args.addMemRef(valueCache_.get(), cacheShape);
  for (size_t i = 0; i < abi_.weights.size(); ++i)
    args.addMemRef(store_->data()[i], abi_.bufferType(abi_.weights[i]).shape);
  // Results: the logits, then (prefill of a calibration module) the
  // activations, each a 2-D memref descriptor.
  size_t extra = n == 1 ? 0 : shape_.activations.size();
  std::vector<LogitsDescriptor> results(1 + extra);
  std::vector<void *> pointers = args.pointers(results.data());
  (n == 1 ? decode_ : prefill_)(pointers.data());
  const LogitsDescriptor &result = results.front();

  activations_.clear();
  for (size_t i = 0; i < extra; ++i) {
    const LogitsDescriptor &d = results[1 + i];
    int64_t width = shape_.activations[i].features;
    if (!d.allocated || d.sizes[0] != n || d.sizes[1] != width)
      return Error("the compiled module returned activation '" +
                   shape_.activations[i].name + "' of an unexpected shape");
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
    std::free(buffer);

  if (!result.allocated || result.sizes[0] != n ||
      result.sizes[1] != shape_.vocabSize)
    return Error("the compiled module returned logits of an unexpected shape");
  std::vector<float> logits(static_cast<size_t>(n * shape_.vocabSize));
  for (int64_t row = 0; row < n; ++row)
    std::memcpy(logits.data() + row * shape_.vocabSize,
                result.aligned + result.offset + row * result.strides[0],
                sizeof(float) * shape_.vocabSize);
  std::free(result.allocated);
  // Non-finite logits (NaN or infinite weights, an overflow) would be
  // sampled as if they were meaningful: stop with the position they came
  // from instead.
  for (int64_t row = 0; row < n; ++row)
    for (int64_t v = 0; v < shape_.vocabSize; ++v)
      if (!std::isfinite(logits[row * shape_.vocabSize + v]))
        return Error("the logits at position " + std::to_string(position + row) +
                     " are not finite (token " + std::to_string(v) + ": " +
                     std::to_string(logits[row * shape_.vocabSize + v]) +
                     "); the weights or the computation produce NaN or "
                     "infinity");
  return logits;
}
