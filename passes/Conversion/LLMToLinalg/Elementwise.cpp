//===- Elementwise.cpp - llm.silu/add/mul/embedding to linalg -------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

namespace {

/// Lowers an elementwise op to a linalg.generic whose body `compute` builds
/// the scalar result from the scalar operands; `operandMap` says how an
/// operand is indexed (all of the result's dimensions by default, fewer for
/// one that is broadcast).
template <typename OpTy>
struct ElementwiseLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  virtual Value compute(OpBuilder &b, Location loc, ValueRange args) const = 0;
  virtual AffineMap operandMap(MLIRContext *ctx, unsigned operand, unsigned rank) const {
    return identityMap(ctx, rank);
  }

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value result = op->getResult(0);
    unsigned rank = llvm::cast<RankedTensorType>(result.getType()).getRank();
    SmallVector<AffineMap> maps;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      maps.push_back(operandMap(op.getContext(), i, rank));
    maps.push_back(identityMap(op.getContext(), rank));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, result.getType(), op->getOperands(),
        emptyLike(rewriter, loc, op->getOperand(0)), maps, iterators(rank),
        [&](OpBuilder &b, Location nested, ValueRange args) {
          linalg::YieldOp::create(b, nested,
                                  compute(b, nested, args.drop_back()));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct SiLULowering : ElementwiseLowering<SiLUOp> {
  using ElementwiseLowering::ElementwiseLowering;
  // x * sigmoid(x) = x / (1 + exp(-x)).
  Value compute(OpBuilder &b, Location loc, ValueRange args) const override {
    Value x = args[0];
    Value one = arith::ConstantOp::create(b, loc,
                                          b.getFloatAttr(x.getType(), 1.0));
    Value expNeg = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x,
                                 arith::AddFOp::create(b, loc, one, expNeg));
  }
};

struct AddLowering : ElementwiseLowering<AddOp> {
  using ElementwiseLowering::ElementwiseLowering;
  Value compute(OpBuilder &b, Location loc, ValueRange args) const override {
    return arith::AddFOp::create(b, loc, args[0], args[1]);
  }
};

struct MulLowering : ElementwiseLowering<MulOp> {
  using ElementwiseLowering::ElementwiseLowering;
  Value compute(OpBuilder &b, Location loc, ValueRange args) const override {
    return arith::MulFOp::create(b, loc, args[0], args[1]);
  }
};

/// result[..., f] = input[..., f] + bias[f]: the bias broadcast over the
/// leading dimensions, widened to the input's type.
struct BiasAddLowering : ElementwiseLowering<BiasAddOp> {
  using ElementwiseLowering::ElementwiseLowering;
  AffineMap operandMap(MLIRContext *ctx, unsigned operand, unsigned rank) const override {
    return operand == 1 ? projectionMap(ctx, rank, {rank - 1}) : identityMap(ctx, rank);
  }
  Value compute(OpBuilder &b, Location loc, ValueRange args) const override {
    return arith::AddFOp::create(b, loc, args[0], convertFloat(b, loc, args[1], args[0].getType()));
  }
};

/// result[s, d] = table[ids[s], d], a gather inside a linalg.generic.
struct EmbeddingLowering : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto resultType = op.getResult().getType();
    Value table = op.getTable();
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, op.getIds(), 0));
    Value init = emptyTensor(rewriter, loc, resultType.getShape(),
                             resultType.getElementType(), dynamicSizes);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{op.getIds()}, ValueRange{init},
        ArrayRef<AffineMap>{projectionMap(ctx, 2, {0}), identityMap(ctx, 2)},
        iterators(2), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value row = arith::IndexCastOp::create(b, nested, b.getIndexType(),
                                                 args[0]);
          Value column = linalg::IndexOp::create(b, nested, 1);
          Value value = tensor::ExtractOp::create(b, nested, table,
                                                  ValueRange{row, column});
          linalg::YieldOp::create(
              b, nested,
              convertFloat(b, nested, value, resultType.getElementType()));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateElementwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<SiLULowering, AddLowering, MulLowering, BiasAddLowering,
               EmbeddingLowering>(
      patterns.getContext());
}
