//===- Collectives.cpp - llm collectives and transfers to the mpi dialect -===//
//
// A collective reads one buffer and writes another, which linalg cannot
// express: the tensor, flattened, is handed to bufferization as a read-only
// buffer, the sum lands in a fresh one (`mpi.allreduce` over the world
// communicator), and that buffer becomes the result tensor again. A send
// reads a buffer the same way; a receive fills a new one.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;

namespace {

/// Every dimension of `type` as one.
ReassociationIndices allDims(RankedTensorType type) {
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return all;
}

/// `tensor` as a one-dimensional read-only buffer: upstream's lowering of
/// the mpi ops counts the elements of a buffer by its first dimension.
Value flatBuffer(PatternRewriter &rewriter, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getRank() != 1)
    tensor = tensor::CollapseShapeOp::create(
        rewriter, loc, tensor, ArrayRef<ReassociationIndices>{allDims(type)});
  auto flat = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      rewriter, loc, MemRefType::get(flat.getShape(), flat.getElementType()),
      tensor, /*read_only=*/true);
}

/// A new one-dimensional buffer for a tensor of `type` whose sizes are
/// `sizes`.
Value newFlatBuffer(PatternRewriter &rewriter, Location loc,
                    RankedTensorType type, ArrayRef<OpFoldResult> sizes) {
  int64_t elements = type.getNumElements();
  SmallVector<Value> dynamicSizes;
  if (!type.hasStaticShape()) {
    Value count = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (OpFoldResult size : sizes)
      count = arith::MulIOp::create(
          rewriter, loc, count,
          getValueOrCreateConstantIndexOp(rewriter, loc, size));
    dynamicSizes.push_back(count);
    elements = ShapedType::kDynamic;
  }
  return memref::AllocOp::create(
      rewriter, loc, MemRefType::get({elements}, type.getElementType()),
      dynamicSizes);
}

/// The one-dimensional `buffer` as a tensor of `type` and `sizes`.
Value tensorOf(PatternRewriter &rewriter, Location loc, Value buffer,
               RankedTensorType type, ArrayRef<OpFoldResult> sizes) {
  auto bufferType = cast<MemRefType>(buffer.getType());
  Value flat = bufferization::ToTensorOp::create(
      rewriter, loc,
      RankedTensorType::get(bufferType.getShape(), type.getElementType()),
      buffer, /*restrict=*/true, /*writable=*/true);
  if (type.getRank() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(
      rewriter, loc, type, flat, ArrayRef<ReassociationIndices>{allDims(type)},
      sizes);
}

Value world(PatternRewriter &rewriter, Location loc) {
  return mpi::CommWorldOp::create(rewriter, loc,
                                  mpi::CommType::get(rewriter.getContext()));
}

Value i32(PatternRewriter &rewriter, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(rewriter, loc, rewriter.getI32Type(),
                                      value);
}

struct AllReduceLowering : OpRewritePattern<AllReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AllReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getInput());
    Value input = flatBuffer(rewriter, loc, op.getInput());
    Value sum = newFlatBuffer(rewriter, loc, type, sizes);
    mpi::AllReduceOp::create(rewriter, loc, /*retval=*/Type(), input, sum,
                             mpi::MPI_ReductionOpEnum::MPI_SUM,
                             world(rewriter, loc));
    rewriter.replaceOp(op, tensorOf(rewriter, loc, sum, type, sizes));
    return success();
  }
};

/// Each rank's part placed at its offset in a zero tensor, summed over the
/// ranks (`llm.all_reduce`): the parts do not overlap, so the sum is their
/// concatenation.
struct AllGatherLowering : OpRewritePattern<AllGatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AllGatherOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto partType = cast<RankedTensorType>(op.getInput().getType());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getInput());
    SmallVector<OpFoldResult> wholeSizes = sizes;
    wholeSizes[op.getDim()] = rewriter.getIndexAttr(type.getDimSize(op.getDim()));
    Value empty = tensor::EmptyOp::create(rewriter, loc, wholeSizes,
                                          type.getElementType());
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getFloatAttr(type.getElementType(), 0.0));
    Value zeros =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    auto rank = mpi::CommRankOp::create(rewriter, loc, /*retval=*/Type(),
                                        rewriter.getI32Type(),
                                        world(rewriter, loc));
    Value rankIndex = arith::IndexCastOp::create(
        rewriter, loc, rewriter.getIndexType(), rank.getRank());
    Value offset = arith::MulIOp::create(
        rewriter, loc, rankIndex,
        arith::ConstantIndexOp::create(rewriter, loc,
                                       partType.getDimSize(op.getDim())));
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
    offsets[op.getDim()] = offset;
    Value placed = tensor::InsertSliceOp::create(
        rewriter, loc, op.getInput(), zeros, offsets, sizes,
        SmallVector<OpFoldResult>(type.getRank(), rewriter.getIndexAttr(1)));
    rewriter.replaceOpWithNewOp<AllReduceOp>(op, placed.getType(), placed);
    return success();
  }
};

struct SendLowering : OpRewritePattern<SendOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SendOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value buffer = flatBuffer(rewriter, loc, op.getInput());
    mpi::SendOp::create(rewriter, loc, /*retval=*/Type(), buffer,
                        i32(rewriter, loc, 0),
                        i32(rewriter, loc, op.getDest()),
                        world(rewriter, loc));
    rewriter.eraseOp(op);
    return success();
  }
};

struct RecvLowering : OpRewritePattern<RecvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RecvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes =
        getMixedValues(type.getShape(), op.getDynamicSizes(), rewriter);
    Value buffer = newFlatBuffer(rewriter, loc, type, sizes);
    mpi::RecvOp::create(rewriter, loc, /*retval=*/Type(), buffer,
                        i32(rewriter, loc, 0),
                        i32(rewriter, loc, op.getSource()),
                        world(rewriter, loc));
    rewriter.replaceOp(op, tensorOf(rewriter, loc, buffer, type, sizes));
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateCollectivePatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllReduceLowering, AllGatherLowering, SendLowering,
               RecvLowering>(
      patterns.getContext());
}
