//===- Int4Layout.cpp - the packed layout of INT4 weights -----------------===//

#include "llm/Dialect/LLM/IR/Int4Layout.h"

using namespace mlir;

int64_t mlir::llm::int4RowTile(int64_t out) {
  int64_t tile = 128;
  while (tile > 1 && out % tile != 0)
    tile /= 2;
  return tile;
}

RankedTensorType mlir::llm::int4QweightType(MLIRContext *ctx, int64_t out,
                                            int64_t groups, int64_t groupSize) {
  int64_t tile = int4RowTile(out);
  return RankedTensorType::get(
      {out / tile, groups, groupSize / kInt4NibblesPerWord, tile},
      IntegerType::get(ctx, 32));
}

/// A per-group parameter of a pack of `out` rows in `groups` groups, tiled
/// as its qweight: `elementType` [out / tile, groups, tile].
static RankedTensorType perGroupType(int64_t out, int64_t groups,
                                     Type elementType) {
  int64_t tile = llm::int4RowTile(out);
  return RankedTensorType::get({out / tile, groups, tile}, elementType);
}

RankedTensorType mlir::llm::int4ParamsType(MLIRContext *ctx, int64_t out,
                                           int64_t groups) {
  return perGroupType(out, groups, Float16Type::get(ctx));
}

RankedTensorType mlir::llm::int4ZerosType(MLIRContext *ctx, int64_t out,
                                          int64_t groups) {
  return perGroupType(out, groups, IntegerType::get(ctx, 8));
}
