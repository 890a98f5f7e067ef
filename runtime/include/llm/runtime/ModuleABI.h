//===- ModuleABI.h - the buffers a compiled module binds --------*- C++ -*-===//
//
// The runtime's copy of a module's `#llm.abi`: which checkpoint tensors it
// reads (name, element type, shape), what `@prepare` takes and returns, and
// which buffers `@prefill` and `@decode` take as their trailing arguments.
// Plain data, filled by the compiler side from the typed attribute.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_MODULEABI_H
#define LLM_RUNTIME_MODULEABI_H

#include <cstdint>
#include <string>
#include <vector>

namespace llm::runtime {

/// The type of a buffer: an MLIR element type name ("f32", "f16", "bf16",
/// "i32", "i8") and a static shape.
struct BufferType {
  std::string elementType;
  std::vector<int64_t> shape;

  /// Elements in all (the shape is verified: positive, bounded).
  int64_t numel() const;
  /// Bytes per element; 0 for an element type the runtime does not know.
  size_t elementSize() const;
  /// "f32[512, 64]".
  std::string describe() const;
  bool operator==(const BufferType &other) const {
    return elementType == other.elementType && shape == other.shape;
  }
};

/// Which slice of a checkpoint tensor a rank of a tensor-parallel module
/// binds: the tensor cut along `dim` into `parts` equal slices, rank r
/// holding slice r / (ranks / parts). `parts` 1: the whole tensor.
struct Shard {
  int64_t dim = 0, parts = 1, ranks = 1;
  int64_t partOf(int64_t rank) const { return rank / (ranks / parts); }
  bool operator==(const Shard &other) const {
    return dim == other.dim && parts == other.parts && ranks == other.ranks;
  }
};

/// A checkpoint tensor the module reads: `type` is what the module reads
/// (with a shard, one slice of the checkpoint's tensor).
struct TensorBinding {
  std::string name;
  BufferType type;
  Shard shard;
};

struct ModuleABI {
  std::vector<TensorBinding> tensors;
  /// `@prepare`'s arguments, indices into `tensors`.
  std::vector<int64_t> prepareArguments;
  /// `@prepare`'s results.
  std::vector<BufferType> prepared;
  /// The trailing arguments of `@prefill` and `@decode`: indices into the
  /// buffers `tensors ++ prepared`.
  std::vector<int64_t> weights;
  /// Identifies what `@prepare` computes (a hash of its IR and of the
  /// compiler): part of the key of cached prepared buffers.
  uint64_t prepareFingerprint = 0;

  const BufferType &bufferType(int64_t index) const {
    auto raw = static_cast<int64_t>(tensors.size());
    return index < raw ? tensors[index].type : prepared[index - raw];
  }
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_MODULEABI_H
