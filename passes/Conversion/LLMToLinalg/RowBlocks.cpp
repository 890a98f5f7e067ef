//===- RowBlocks.cpp - prompt rows in register blocks ---------------------===//
//
// A layer over a prompt's dynamic rows is computed on blocks of rows, [s /
// size, size, ...], for each block size in turn (kRowBlocks: 6, then 2), and
// on the remaining rows one by one; a part without rows
// is skipped. The CPU tiling keeps a block whole in registers, so that every
// weight vector loaded (and unpacked) serves all of its rows.
//
// Each part alone reads every weight, from memory when the layer's weights
// do not fit in cache: three passes for a 17-row prompt. Parts can instead
// be computed together in chunks of the outputs (an scf.forall, the
// threads' loop): each chunk of weights, read once, serves all of those
// parts' rows from cache.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm::detail;

namespace {

/// [m, rest...] -> [m / block, block, rest...] (m a multiple).
Value expandRows(OpBuilder &b, Location loc, Value t, OpFoldResult blocks,
                 int64_t block) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape{ShapedType::kDynamic, block};
  SmallVector<OpFoldResult> sizes{blocks, b.getIndexAttr(block)};
  SmallVector<ReassociationIndices> groups{{0, 1}};
  for (int64_t d = 1; d < type.getRank(); ++d) {
    shape.push_back(type.getDimSize(d));
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    groups.push_back({d + 1});
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t, groups,
      sizes);
}

/// [blocks, block, rest...] -> [blocks * block, rest...].
Value collapseRows(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<ReassociationIndices> groups{{0, 1}};
  for (int64_t d = 2; d < type.getRank(); ++d)
    groups.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, t, groups);
}

} // namespace

Value mlir::llm::detail::sliceRows(OpBuilder &b, Location loc, Value t,
                                   OpFoldResult offset, OpFoldResult count) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  offsets[0] = offset;
  sizes[0] = count;
  return tensor::ExtractSliceOp::create(b, loc, t, offsets, sizes, strides);
}

Value mlir::llm::detail::insertRows(OpBuilder &b, Location loc, Value part,
                                    Value into, OpFoldResult offset) {
  auto type = cast<RankedTensorType>(part.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = offset;
  return tensor::InsertSliceOp::create(b, loc, part, into, offsets,
                                       tensor::getMixedSizes(b, loc, part),
                                       strides);
}

Value mlir::llm::detail::computeInRowBlocks(
    OpBuilder &b, Location loc, Value x, RankedTensorType resultType,
    RowPartFn compute, ArrayRef<int64_t> blockSizes, int64_t outputChunk,
    size_t firstChunkedSize) {
  Value rowCount = tensor::DimOp::create(b, loc, x, 0);
  // Each part is computed in its rows of one result buffer, so nothing is
  // copied. An explicit allocation, not a tensor.empty: CSE would merge the
  // empty results of layers that read the same input (q/k/v, gate/up), and
  // the tiling gives each slice or reshape of an empty tensor its own
  // buffer; both would copy the parts into their result.
  SmallVector<Value> dynamicSizes;
  if (resultType.isDynamicDim(0))
    dynamicSizes.push_back(rowCount);
  Value result =
      bufferization::AllocTensorOp::create(b, loc, resultType, dynamicSizes);
  struct Part {
    Value offset, rows, blocks;
    int64_t size;
  };
  int64_t outputs = resultType.getRank() == 2 ? resultType.getDimSize(1)
                                              : ShapedType::kDynamic;
  bool chunked = outputChunk > 0 && !ShapedType::isDynamic(outputs) &&
                 outputs % outputChunk == 0 && outputs > outputChunk &&
                 firstChunkedSize <= blockSizes.size();
  size_t parts = 0;
  Value offset = arith::ConstantIndexOp::create(b, loc, 0);
  Value rest = rowCount;
  Value zeroRows = offset;
  // Part `part` computed in its rows of `into` (the result, or a chunk of
  // its columns from `outputOffset`). A part with no rows is skipped: the
  // tiling hoists weight loads out of its (empty) row loops, and an empty
  // part would still read every weight.
  auto computePart = [&](OpBuilder &b, const Part &part, Value into,
                         OpFoldResult outputOffset) -> Value {
    Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                           part.rows, zeroRows);
    auto computed = scf::IfOp::create(
        b, loc, nonEmpty,
        [&](OpBuilder &then, Location nested) {
          Value input = sliceRows(then, nested, x, part.offset, part.rows);
          Value init = sliceRows(then, nested, into, part.offset, part.rows);
          Value rows;
          if (part.size > 1) {
            rows = collapseRows(
                then, nested,
                compute(then, nested,
                        expandRows(then, nested, input, part.blocks, part.size),
                        expandRows(then, nested, init, part.blocks, part.size),
                        2, outputOffset));
          } else {
            rows = compute(then, nested, input, init, 1, outputOffset);
          }
          scf::YieldOp::create(
              then, nested, insertRows(then, nested, rows, into, part.offset));
        },
        [&](OpBuilder &otherwise, Location nested) {
          scf::YieldOp::create(otherwise, nested, into);
        });
    return computed.getResult(0);
  };
  // The parts, in order: rows [offset, offset + rows) in `blocks` blocks of
  // `size` (size 1: the remaining rows, no blocks). Those before the
  // chunked ones are computed as they come; the others after them.
  SmallVector<Part> chunkedParts;
  auto addPart = [&](Part part) {
    if (chunked && parts++ >= firstChunkedSize)
      chunkedParts.push_back(part);
    else
      result = computePart(b, part, result, b.getIndexAttr(0));
  };
  for (int64_t size : blockSizes) {
    Value block = arith::ConstantIndexOp::create(b, loc, size);
    Value blocks = arith::DivUIOp::create(b, loc, rest, block);
    Value rows = arith::MulIOp::create(b, loc, blocks, block);
    addPart({offset, rows, blocks, size});
    offset = arith::AddIOp::create(b, loc, offset, rows);
    rest = arith::SubIOp::create(b, loc, rest, rows);
  }
  addPart({offset, rest, Value(), 1});
  if (chunked) {
    // The other parts, chunk by chunk of the outputs: each chunk's weights
    // serve all of those parts' rows while they are in cache, one pass over
    // the weights from memory for all of them. The chunks are the threads'
    // work.
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(outputs)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(outputChunk)},
        ValueRange{result}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getTerminator());
    Value column = forall.getInductionVar(0);
    Value shared = forall.getRegionIterArgs()[0];
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), column};
    SmallVector<OpFoldResult> sizes{rowCount, b.getIndexAttr(outputChunk)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    Value chunk = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                 sizes, strides);
    for (const Part &part : chunkedParts)
      chunk = computePart(b, part, chunk, column);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, chunk, shared, offsets,
                                          sizes, strides);
    result = forall.getResult(0);
  }
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}
