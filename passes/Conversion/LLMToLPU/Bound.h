//===- Bound.h - an analytic lower bound of an LPU decode step --*- C++ -*-===//
//
// What no schedule of a layout can beat, from the target's own figures.
// A token's work falls into dependent levels (q/k/v projections, attention,
// output projection, gate/up, down, ... the LM head): a level starts when
// the one before has ended. In a level, each chip streams the weights of
// that level it holds through its matrix units at the weight feed (the
// slower of reading SRAM and installing into the MXMs; for INT4, also
// unpacking on the vector units) or reads its share of the level's KV
// cache; a level of matmuls then waits for the array's latency. On top, a
// stage of several chips exchanges at least the hidden vector twice per
// layer over its local links (the sums of a reduce-scatter, which cannot
// leave before the matmul ends), and at least the last vector of the hidden
// state crosses from stage to stage after the work before it (the rest may
// stream as a matmul produces it) over the chip's links and hops. A
// schedule's makespan is at least the sum.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_PASSES_CONVERSION_LLMTOLPU_BOUND_H
#define LLM_PASSES_CONVERSION_LLMTOLPU_BOUND_H

#include "Layout.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::llm::lpu {

/// The model's figures the bound needs.
struct BoundShape {
  int64_t layers, hidden, queriesPerKV, headDim, context;
};

/// Cycles of each term of the bound.
struct DecodeBound {
  int64_t weights = 0, phases = 0, attention = 0, collectives = 0,
          handoffs = 0;
  int64_t total() const {
    return weights + phases + attention + collectives + handoffs;
  }
  /// As a dictionary of cycles (`lpu.lower_bound` of a schedule).
  DictionaryAttr toAttr(MLIRContext *context) const;
};

/// `levels`: per dependent level, the resident tensors it reads (streamed
/// weights, or a KV cache for attention), indices into `tensors`.
DecodeBound decodeLowerBound(const TargetDescription &target,
                             const std::vector<ResidentTensor> &tensors,
                             const Layout &layout,
                             const std::vector<std::vector<unsigned>> &levels,
                             const BoundShape &shape);

} // namespace mlir::llm::lpu

#endif // LLM_PASSES_CONVERSION_LLMTOLPU_BOUND_H
