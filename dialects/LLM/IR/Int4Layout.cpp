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

RankedTensorType mlir::llm::int4ParamsType(MLIRContext *ctx, int64_t out,
                                           int64_t groups) {
  int64_t tile = int4RowTile(out);
  return RankedTensorType::get({out / tile, groups, tile},
                               Float16Type::get(ctx));
}

RankedTensorType mlir::llm::int4ZerosType(MLIRContext *ctx, int64_t out,
                                          int64_t groups) {
  int64_t tile = int4RowTile(out);
  return RankedTensorType::get({out / tile, groups, tile},
                               IntegerType::get(ctx, 8));
}
