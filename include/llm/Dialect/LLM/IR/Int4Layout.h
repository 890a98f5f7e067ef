//===- Int4Layout.h - the packed layout of INT4 weights ---------*- C++ -*-===//
//
// The layout of an INT4 pack's `qweight` (see `llm.quantize_int4`): 32-bit words
// [out / tile, groups, group_size / 8, tile]. Word [nt, g, b, t] holds in
// bits 4 s .. 4 s + 3 the nibble of input g * group_size + s * (group_size /
// 8) + b of row nt * tile + t. Every word belongs to one row, so a kernel
// unpacks a vector of rows with a shift and a mask (no shuffles), and the
// rows of a tile are one contiguous stream. The scales are f16 and the
// zero points (0..15) i8, both [out / tile, groups, tile], tiled like the
// words: a tile's parameters are one contiguous stream beside its words.
// At groups of 32 an asymmetric pack is 4.75 bits a weight (an f16 zero
// point would make it 5).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_DIALECT_LLM_IR_INT4LAYOUT_H
#define LLM_DIALECT_LLM_IR_INT4LAYOUT_H

#include "mlir/IR/BuiltinTypes.h"

namespace mlir::llm {

/// Nibbles (inputs of one row) per 32-bit word.
constexpr int64_t kInt4NibblesPerWord = 8;

/// The zero point of every weight of a symmetric pack (`q - 8` in [-8, 7]):
/// such a pack stores no zero points.
constexpr int64_t kInt4SymmetricZero = 8;

/// The largest group size: each row's last group is padded to a whole group,
/// so an unbounded size would make packs of any size from a small layer.
constexpr int64_t kMaxInt4GroupSize = 8192;

/// Whether `groupSize` can be packed: a positive multiple of 8 (whole words
/// per row and group).
inline bool isInt4GroupSize(int64_t groupSize) {
  return groupSize > 0 && groupSize % kInt4NibblesPerWord == 0 &&
         groupSize <= kMaxInt4GroupSize;
}

/// Rows per tile for a layer of `out` rows: the largest power of two up to
/// 128 that divides `out`.
int64_t int4RowTile(int64_t out);

/// The qweight type of a pack of `out` rows in `groups` groups of
/// `groupSize` inputs: [out / tile, groups, group_size / 8, tile] x i32.
RankedTensorType int4QweightType(MLIRContext *ctx, int64_t out, int64_t groups,
                                 int64_t groupSize);

/// The type of an INT4 pack's scales: f16 [out / tile, groups, tile].
RankedTensorType int4ParamsType(MLIRContext *ctx, int64_t out, int64_t groups);

/// The type of an INT4 pack's zero points (codes 0..15): i8 [out / tile,
/// groups, tile].
RankedTensorType int4ZerosType(MLIRContext *ctx, int64_t out, int64_t groups);

} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_INT4LAYOUT_H
