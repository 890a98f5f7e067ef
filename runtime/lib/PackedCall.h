//===- PackedCall.h - arguments of packed MLIR functions (private) -*- C++ -*-===//
//
// A packed entry point (`void(void **)`) receives a pointer to each scalar
// of its arguments, each memref expanded to (allocated, aligned, offset,
// sizes..., strides...), then a pointer to where its results go (the
// returned memref descriptors, one after another, 8 bytes a field).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_LIB_PACKEDCALL_H
#define LLM_RUNTIME_LIB_PACKEDCALL_H

#include <cstdint>
#include <vector>

namespace llm::runtime {

class PackedArgs {
public:
  explicit PackedArgs(size_t expectedScalars) { slots_.reserve(expectedScalars); }

  /// A contiguous row-major memref of `shape` at `data`.
  void addMemRef(const void *data, const std::vector<int64_t> &shape) {
    add(reinterpret_cast<int64_t>(data));
    add(reinterpret_cast<int64_t>(data));
    add(0);
    for (int64_t size : shape)
      add(size);
    int64_t stride = 1;
    std::vector<int64_t> strides(shape.size());
    for (size_t i = shape.size(); i-- > 0;) {
      strides[i] = stride;
      stride *= shape[i];
    }
    for (int64_t s : strides)
      add(s);
  }
  void add(int64_t value) { slots_.push_back(value); }

  /// Pointers to every scalar, then `result`.
  std::vector<void *> pointers(void *result) {
    std::vector<void *> out;
    for (int64_t &slot : slots_)
      out.push_back(&slot);
    out.push_back(result);
    return out;
  }

private:
  std::vector<int64_t> slots_;
};

/// A returned memref descriptor of rank `rank` at `fields` (allocated,
/// aligned, offset, sizes, strides).
struct ReturnedMemRef {
  const int64_t *fields;
  size_t rank;

  void *allocated() const { return reinterpret_cast<void *>(fields[0]); }
  char *aligned() const { return reinterpret_cast<char *>(fields[1]); }
  int64_t offset() const { return fields[2]; }
  int64_t size(size_t d) const { return fields[3 + d]; }
  int64_t stride(size_t d) const { return fields[3 + rank + d]; }
  /// Whether it is a contiguous row-major buffer of `shape`.
  bool isContiguous(const std::vector<int64_t> &shape) const {
    if (shape.size() != rank || !allocated())
      return false;
    int64_t expected = 1;
    for (size_t d = rank; d-- > 0;) {
      if (size(d) != shape[d] || (shape[d] > 1 && stride(d) != expected))
        return false;
      expected *= shape[d];
    }
    return true;
  }
  static size_t fieldCount(size_t rank) { return 3 + 2 * rank; }
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_LIB_PACKEDCALL_H
