//===- RowBlocks.cpp - prompt rows in register blocks ---------------------===//
//
// A layer over a prompt's dynamic rows is computed on blocks of rows, [s /
// size, size, ...], for each block size in turn (kRowBlocks: 6, then 2), and
// on the remaining rows one by one; a part without rows
// is skipped. The CPU tiling keeps a block whole in registers, so that every
// weight vector loaded (and unpacked) serves all of its rows.
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
    function_ref<Value(OpBuilder &, Location, Value, Value, unsigned)> compute,
    ArrayRef<int64_t> blockSizes) {
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
  // Blocks of each size in turn, from rows [offset, offset + rest). A part
  // with no rows is skipped: the tiling hoists weight loads out of its
  // (empty) row loops, and an empty part would still read every weight.
  Value offset = arith::ConstantIndexOp::create(b, loc, 0);
  Value rest = rowCount;
  Value zeroRows = offset;
  auto computePart = [&](Value rows, Value blocks, int64_t size) {
    Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                           rows, zeroRows);
    auto part = scf::IfOp::create(
        b, loc, nonEmpty,
        [&](OpBuilder &then, Location nested) {
          Value input = sliceRows(then, nested, x, offset, rows);
          Value init = sliceRows(then, nested, result, offset, rows);
          Value computed;
          if (size > 1) {
            computed = collapseRows(
                then, nested,
                compute(then, nested,
                        expandRows(then, nested, input, blocks, size),
                        expandRows(then, nested, init, blocks, size), 2));
          } else {
            computed = compute(then, nested, input, init, 1);
          }
          scf::YieldOp::create(
              then, nested, insertRows(then, nested, computed, result, offset));
        },
        [&](OpBuilder &otherwise, Location nested) {
          scf::YieldOp::create(otherwise, nested, result);
        });
    result = part.getResult(0);
  };
  for (int64_t size : blockSizes) {
    Value block = arith::ConstantIndexOp::create(b, loc, size);
    Value blocks = arith::DivUIOp::create(b, loc, rest, block);
    Value rows = arith::MulIOp::create(b, loc, blocks, block);
    computePart(rows, blocks, size);
    offset = arith::AddIOp::create(b, loc, offset, rows);
    rest = arith::SubIOp::create(b, loc, rest, rows);
  }
  computePart(rest, Value(), 1);
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}
