//===- ParameterStore.h - buffers of a module's parameters ----*- C++ -*-===//
//
// A compiled module names its parameters (the `llm.parameters` table): plain
// checkpoint tensors, and tensors derived from them (stacked projections,
// weights with an RMS norm folded into their columns, INT4 packs). The store
// checks a checkpoint against that table, derives what the module derives
// and owns every buffer that is not the mapped checkpoint itself.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_PARAMETERSTORE_H
#define LLM_RUNTIME_PARAMETERSTORE_H

#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llm::runtime {

/// How a derived parameter is computed from a checkpoint tensor.
struct Derivation {
  /// "int4", "concat" or "scale_columns".
  std::string scheme;
  std::string source; ///< The checkpoint tensor, [out, in].
  std::string part;   ///< "qweight", "scales" or "zeros".
  int64_t groupSize = 0;
  bool symmetric = false;
  /// "rtn": `source` is a float tensor to quantize; "awq_gemm": `source` is
  /// the prefix of an AutoAWQ layer (.qweight, .qzeros, .scales) to repack.
  std::string format = "rtn";
  /// A per-input-channel scale vector `s` (a tensor name): quantize
  /// `W * s` (activation-aware); empty: none.
  std::string inputScale;
  /// A 1-D tensor `g` (a tensor name) that multiplies the columns of
  /// `source` ("scale_columns", and "int4" packs quantizing `W * g`: an RMS
  /// norm's weight folded into the layer); empty: none.
  std::string columnScale;
  /// "concat": the tensors stacked along rows to make the parameter;
  /// "scale_columns" and "int4": the parts that `source` stacks, if any.
  std::vector<std::string> sources;
};

/// A parameter the compiled module expects.
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype; // MLIR element type name, e.g. "f32".
  std::optional<Derivation> derived;
};

/// How the store prepares derived parameters.
struct LoadOptions {
  /// Where INT4 packs are cached; empty: no cache.
  std::string cacheDirectory;
  /// Report quantization on stderr: a summary line, and with `progressBar`
  /// (for a terminal) a bar that updates in place.
  bool progress = false;
  bool progressBar = false;
  /// Quantize again even when a cached pack is valid.
  bool refreshCache = false;
  /// Threads that quantize (0: every core).
  int threads = 0;
  /// More tensors (e.g. activation-aware scales), looked up after the
  /// checkpoint's own.
  const Checkpoint *extra = nullptr;
};

struct Int4Pack;

class ParameterStore {
public:
  /// Checks `checkpoint` against `params` (every missing tensor, wrong
  /// shape or unsupported dtype is reported by name in one error), builds
  /// the derived tensors (stacked and column-scaled weights; INT4 packs,
  /// read from the cache when it holds a pack of the same tensor) and
  /// converts F16/BF16 tensors to F32 where the module binds f32. F32
  /// tensors, and F16/BF16 tensors the module binds in their own precision
  /// (parameters of element type f16/bf16), are used in place from the
  /// mapped file.
  static Expected<std::unique_ptr<ParameterStore>>
  build(const Checkpoint &checkpoint, const std::vector<ParamSpec> &params,
        const LoadOptions &options = {});

  ~ParameterStore();

  /// The data of each parameter, in `params` order.
  const std::vector<const void *> &data() const { return data_; }

private:
  ParameterStore() = default;
  /// A derived f32 tensor `name` of `shape` (zeros, to be filled), found by
  /// name like the checkpoint's tensors from then on.
  float *addVirtualTensor(const std::string &name, std::vector<int64_t> shape);
  /// The same for a tensor of `dtype` kept in that precision (stacked
  /// 16-bit parameters), whose bytes are to be filled.
  uint8_t *addVirtualBytes(const std::string &name, std::vector<int64_t> shape,
                           DType dtype);
  /// Registers `data` as the derived tensor `name`.
  void addVirtualView(const std::string &name, std::vector<int64_t> shape,
                      DType dtype, const void *data, size_t nbytes);

  std::vector<const void *> data_;
  std::vector<std::vector<float>> converted_;
  /// Byte buffers: misaligned tensors copied, stacked 16-bit parameters.
  std::list<std::vector<uint8_t>> bytes_;
  std::vector<std::unique_ptr<Int4Pack>> packs_;
  /// Parameters built from checkpoint tensors (concatenations, column
  /// scaling), visible to the lookups of the INT4 packs derived from them.
  std::map<std::string, std::vector<float>> virtualData_;
  std::map<std::string, TensorView> virtualViews_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_PARAMETERSTORE_H
