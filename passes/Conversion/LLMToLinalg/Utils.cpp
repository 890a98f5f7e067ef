//===- Utils.cpp - helpers shared by the llm to linalg patterns -----------===//

#include "PopulatePatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value mlir::llm::detail::emptyLike(OpBuilder &b, Location loc, Value like) {
  auto type = llvm::cast<RankedTensorType>(like.getType());
  return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, like),
                                 type.getElementType());
}

Value mlir::llm::detail::emptyTensor(OpBuilder &b, Location loc,
                                     ArrayRef<int64_t> shape, Type elementType,
                                     ValueRange dynamicSizes) {
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
}

Value mlir::llm::detail::fill(OpBuilder &b, Location loc, Value init,
                              double value) {
  Type elementType = getElementTypeOrSelf(init.getType());
  Value scalar = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(elementType, value));
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{init})
      .getResult(0);
}

SmallVector<utils::IteratorType>
mlir::llm::detail::iterators(unsigned numParallel, unsigned numReduction) {
  SmallVector<utils::IteratorType> result(numParallel,
                                          utils::IteratorType::parallel);
  result.append(numReduction, utils::IteratorType::reduction);
  return result;
}

AffineMap mlir::llm::detail::identityMap(MLIRContext *ctx, unsigned rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx);
}

AffineMap mlir::llm::detail::projectionMap(MLIRContext *ctx, unsigned rank,
                                           ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

void mlir::llm::detail::yieldMultiplyAccumulate(OpBuilder &b, Location loc,
                                                Value lhs, Value rhs,
                                                Value acc) {
  Value product = arith::MulFOp::create(b, loc, lhs, rhs);
  linalg::YieldOp::create(b, loc,
                          arith::AddFOp::create(b, loc, acc, product)
                              .getResult());
}
