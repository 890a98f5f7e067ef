//===- Layout.h - where the model's tensors live on LPU chips ---*- C++ -*-===//
//
// The tensors an LPU plan keeps resident (weight matrices, embedding tables,
// norm weights, KV caches) are cut into stripes along one dimension and laid
// out in graph order over pipeline stages of `group` chips: a stage's share
// of every tensor is split evenly between its chips, so each stage runs its
// layers tensor-parallel, and consecutive stages form a pipeline. Weights
// and caches are dealt to a stage's chips in the same order, so that the
// same part of equally striped tensors (a layer's query heads, its KV
// heads, its output projection's input) lands on the same chip.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_PASSES_CONVERSION_LLMTOLPU_LAYOUT_H
#define LLM_PASSES_CONVERSION_LLMTOLPU_LAYOUT_H

#include "llm/Target/LPU/TargetDescription.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::llm::lpu {

/// A tensor that stays resident in SRAM.
struct ResidentTensor {
  std::string name;                ///< Checkpoint name, or the cache's name.
  llvm::SmallVector<int64_t> shape;
  unsigned stripeDim = 0;          ///< The dimension cut into stripes.
  int64_t stripeWidth = 1;         ///< Elements of `stripeDim` per stripe.
  unsigned bits = 16;              ///< Storage bits per element.
  /// A linear layer's weights, streamed through the matrix units once per
  /// token (not an embedding table, a norm, a bias or a cache). Stripes of
  /// dimension 0 split its output columns (column-parallel: every chip
  /// needs the whole input), of dimension 1 its input columns
  /// (row-parallel: every chip needs its share of the input and produces
  /// partial sums of the whole output).
  bool streamed = false;
  /// A small tensor (a norm's weight) with a whole copy on every chip of its
  /// stage, so that each chip can do the work that reads it itself.
  bool replicated = false;
  /// A layer's KV cache ([2, context, kv_heads, head_dim], striped by KV
  /// heads), read by attention.
  bool kvCache = false;
  /// Narrower stripes (one attention head's columns) that a layout of whole
  /// tensors per stage uses, so that a stage's chips each hold whole heads
  /// of the projections around attention and of the cache; 0 if none.
  int64_t headStripeWidth = 0;

  int64_t numStripes() const {
    return (shape[stripeDim] + stripeWidth - 1) / stripeWidth;
  }
  /// Storage bytes of the elements [begin, end) of the stripe dimension.
  int64_t bytes(int64_t begin, int64_t end) const;
  int64_t totalBytes() const { return bytes(0, shape[stripeDim]); }
};

/// A contiguous range of one tensor's stripe dimension on one chip (the
/// whole tensor, for each copy of a replicated one).
struct Shard {
  unsigned tensor;
  int64_t chip;
  int64_t begin, end; ///< Elements of the stripe dimension.
  int64_t bytes;
};

struct Layout {
  int64_t chips = 0;
  int64_t group = 1;                          ///< Chips per stage.
  std::vector<std::vector<Shard>> shards;     ///< Per tensor, in order.
  std::vector<int64_t> reservedBytes;         ///< Per chip, slice-rounded.
};

/// Bytes a shard of `bytes` reserves when spread evenly over every slice.
int64_t reservedBytes(const TargetDescription &target, int64_t bytes);

/// Lays `tensors` out over `chips` chips in stages of `group` chips, or
/// returns std::nullopt when some chip would be over capacity.
std::optional<Layout> layoutTensors(const std::vector<ResidentTensor> &tensors,
                                    const TargetDescription &target,
                                    int64_t chips, int64_t group);

/// The fewest chips (in stages of one) that hold `tensors`.
int64_t fewestChips(const std::vector<ResidentTensor> &tensors,
                    const TargetDescription &target);

} // namespace mlir::llm::lpu

#endif // LLM_PASSES_CONVERSION_LLMTOLPU_LAYOUT_H
