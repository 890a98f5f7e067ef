//===- CostModel.h - first-principles cycle costs on an LPU -----*- C++ -*-===//
//
// Cycle counts of the work the LPU schedule is made of, derived only from the
// target description: no fitted factors. A matrix multiply is bounded by the
// slowest of reading its weights from SRAM, installing them in the matrix
// units, streaming the activations through them, and (for weights the matrix
// units cannot consume directly) unpacking them on the vector units; the
// phases overlap, as the chip double-buffers weights. Vector work is bounded
// by the vector ALUs; transfers by link bandwidth plus per-hop latency.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TARGET_LPU_COSTMODEL_H
#define LLM_TARGET_LPU_COSTMODEL_H

#include "llm/Target/LPU/TargetDescription.h"

#include <cstdint>

namespace mlir::llm::lpu {

/// Cycles of a matrix multiply [rows, inner] x [inner, cols] on one chip,
/// with each bound reported so that plans can explain themselves.
struct MatmulCost {
  int64_t tiles = 0;          ///< Weight tiles of the MXM's shape.
  int64_t storedBytes = 0;    ///< Weight bytes read from SRAM.
  int64_t memoryCycles = 0;   ///< Reading the weights from their slices.
  int64_t installCycles = 0;  ///< Installing the tiles in the MXMs.
  int64_t streamCycles = 0;   ///< Streaming the activation rows through.
  int64_t vectorCycles = 0;   ///< Unpacking and scaling on the VXM.
  int64_t cycles = 0;         ///< The whole operation, pipeline fill included.
  /// Whether the operation keeps the vector units busy too.
  bool usesVectorUnits() const { return vectorCycles > 0; }
};

/// `weightBits` is 16 (fp16), 8 (int8, one scale per output channel) or 4
/// (int4 in groups of `groupSize` along `inner`, with scales and zero
/// points: each pass through the array covers rows of one group only, and
/// the vector units scale the groups' partial sums). The weights are spread
/// over `slices` memory slices.
MatmulCost matmulCost(const TargetDescription &target, int64_t rows,
                      int64_t inner, int64_t cols, unsigned weightBits,
                      int64_t slices, int64_t groupSize = 128);

/// Cycles of `elements` elements of vector work at `opsPerElement` ALU
/// operations each, with `reductions` cross-lane reductions (a log2(lanes)
/// tree of switch-unit shifts each).
int64_t vectorCycles(const TargetDescription &target, int64_t elements,
                     double opsPerElement, int64_t reductions = 0);

/// Cycles to move `bytes` over `links` parallel chip-to-chip links, `hops`
/// hops away: the bytes over the links' bandwidth, plus hopCycles(hops)
/// (none when there are no bytes).
int64_t transferCycles(const TargetDescription &target, int64_t bytes,
                       int64_t hops, int64_t links = 1);

/// The latency of `hops` chip-to-chip hops, in whole cycles: the part of a
/// transfer during which its link is already free.
int64_t hopCycles(const TargetDescription &target, int64_t hops);

/// From a transfer's last byte leaving until its data is usable on a chip
/// `hops` hops away: the hops, and aligning with the receiver's schedule.
int64_t transferLatencyCycles(const TargetDescription &target, int64_t hops);

/// Bytes of instructions for `operations` scheduled operations that install
/// `tiles` weight tiles in all.
int64_t instructionBytes(const TargetDescription &target, int64_t operations,
                         int64_t tiles);

/// Cycles of grouped-query attention for `rows` query positions against
/// `context` cached positions, for `kvHeads` KV heads with `queriesPerKV`
/// query heads each: Q.K^T and P.V on the matrix units with the fp16 cache as
/// weights, softmax on the vector units. The cache is spread over `slices`.
int64_t attentionCycles(const TargetDescription &target, int64_t rows,
                        int64_t queriesPerKV, int64_t kvHeads,
                        int64_t headDim, int64_t context, int64_t slices);

/// ALU operations per element of the vector ops of a LLaMA layer, counted
/// from their definitions.
namespace vector_ops {
/// x^2, accumulate, then x * rsqrt * weight (the rsqrt is one op per row).
inline constexpr double kRMSNorm = 4;
/// Rotate-half: x * cos + rotate(x) * sin (the rotation is a switch shift).
inline constexpr double kRope = 3;
/// silu(g) * u = g / (1 + exp(-g)) * u: negate, exp, add, divide, multiply.
inline constexpr double kSiluMul = 5;
/// Softmax: max, subtract, exp, accumulate, divide.
inline constexpr double kSoftmax = 5;
inline constexpr double kAdd = 1;
inline constexpr double kMul = 1;
} // namespace vector_ops

} // namespace mlir::llm::lpu

#endif // LLM_TARGET_LPU_COSTMODEL_H
