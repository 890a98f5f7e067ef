//===- Utils.cpp - helpers shared by the llm to linalg patterns -----------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value mlir::llm::detail::emptyLike(OpBuilder &b, Location loc, Value like,
                                   Type elementType) {
  auto type = llvm::cast<RankedTensorType>(like.getType());
  return tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like),
      elementType ? elementType : type.getElementType());
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
  Value product = arith::MulFOp::create(
      b, loc, lhs, convertFloat(b, loc, rhs, acc.getType()));
  linalg::YieldOp::create(b, loc,
                          arith::AddFOp::create(b, loc, acc, product)
                              .getResult());
}

Value mlir::llm::detail::convertFloat(OpBuilder &b, Location loc, Value value,
                                      Type to) {
  Type from = getElementTypeOrSelf(value.getType());
  Type target = getElementTypeOrSelf(to);
  if (from == target)
    return value;
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = target.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return arith::ExtFOp::create(b, loc, to, value);
  if (fromWidth > toWidth)
    return arith::TruncFOp::create(b, loc, to, value);
  // Same width, different format (f16 and bf16): through f32.
  Type f32 = b.getF32Type();
  if (auto vector = dyn_cast<VectorType>(to))
    f32 = VectorType::get(vector.getShape(), f32);
  return arith::TruncFOp::create(b, loc, to,
                                 arith::ExtFOp::create(b, loc, f32, value));
}

Value mlir::llm::detail::convertElements(OpBuilder &b, Location loc,
                                         Value tensor, Type elementType) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == elementType)
    return tensor;
  Value init = emptyLike(b, loc, tensor, elementType);
  AffineMap identity = identityMap(b.getContext(), type.getRank());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{tensor}, ValueRange{init},
             ArrayRef<AffineMap>{identity, identity},
             iterators(type.getRank(), 0),
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               linalg::YieldOp::create(
                   nested, nestedLoc,
                   convertFloat(nested, nestedLoc, args[0], elementType));
             })
      .getResult(0);
}

Value mlir::llm::detail::zeroPoint(OpBuilder &b, Location loc, Value zero,
                                   Type to) {
  // Stored zero points are i8 codes (0..15).
  if (zero)
    return arith::UIToFPOp::create(b, loc, to, zero);
  auto element = cast<FloatType>(getElementTypeOrSelf(to));
  TypedAttr eight = b.getFloatAttr(element, kInt4SymmetricZero);
  if (auto vector = dyn_cast<VectorType>(to))
    eight = DenseElementsAttr::get(vector, eight);
  return arith::ConstantOp::create(b, loc, to, eight);
}

Value mlir::llm::detail::indexConstant(OpBuilder &b, Location loc,
                                       int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value mlir::llm::detail::sumOfSquares(OpBuilder &b, Location loc, Value x) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<unsigned> outer = llvm::to_vector(llvm::seq<unsigned>(0, rank - 1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.pop_back();
  Value init = fill(
      b, loc, tensor::EmptyOp::create(b, loc, sizes, type.getElementType()),
      0.0);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x}, ValueRange{init},
             ArrayRef<AffineMap>{identityMap(ctx, rank),
                                 projectionMap(ctx, rank, outer)},
             iterators(rank - 1, 1),
             [&](OpBuilder &nb, Location nested, ValueRange args) {
               Value square =
                   arith::MulFOp::create(nb, nested, args[0], args[0]);
               linalg::YieldOp::create(
                   nb, nested,
                   arith::AddFOp::create(nb, nested, square, args[1])
                       .getResult());
             })
      .getResult(0);
}

Value mlir::llm::detail::inverseRMS(OpBuilder &b, Location loc,
                                    Value sumSquares, int64_t n, double eps) {
  Type type = sumSquares.getType();
  auto constant = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
  };
  Value mean = arith::MulFOp::create(b, loc, sumSquares,
                                     constant(1.0 / static_cast<double>(n)));
  return math::RsqrtOp::create(
      b, loc, arith::AddFOp::create(b, loc, mean, constant(eps)));
}

Value mlir::llm::detail::scaleRowsByInverseRMS(OpBuilder &b, Location loc,
                                               Value x, Value y, double eps) {
  MLIRContext *ctx = b.getContext();
  int64_t in = cast<RankedTensorType>(x.getType()).getDimSize(1);
  Value sums = sumOfSquares(b, loc, x);
  return linalg::GenericOp::create(
             b, loc, y.getType(), ValueRange{y, sums},
             ValueRange{emptyLike(b, loc, y)},
             ArrayRef<AffineMap>{identityMap(ctx, 2),
                                 projectionMap(ctx, 2, {0}),
                                 identityMap(ctx, 2)},
             iterators(2), [&](OpBuilder &nb, Location nested, ValueRange args) {
               Value scale = inverseRMS(nb, nested, args[1], in, eps);
               linalg::YieldOp::create(
                   nb, nested,
                   arith::MulFOp::create(nb, nested, args[0], scale)
                       .getResult());
             })
      .getResult(0);
}
