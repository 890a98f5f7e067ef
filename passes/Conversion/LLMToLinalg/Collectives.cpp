//===- Collectives.cpp - llm.all_reduce to MLIR's mpi dialect -------------===//
//
// A collective reads one buffer and writes another, which linalg cannot
// express: the tensor, flattened, is handed to bufferization as a read-only
// buffer, the sum lands in a fresh one (`mpi.allreduce` over the world
// communicator), and that buffer becomes the result tensor again.
//
//===----------------------------------------------------------------------===//

#include "PopulatePatterns.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::llm;

namespace {

struct AllReduceLowering : OpRewritePattern<AllReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AllReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    // One dimension: upstream's lowering counts the elements of a buffer
    // by its first dimension alone.
    Value flat = op.getInput();
    if (type.getRank() != 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < type.getRank(); ++d)
        all.push_back(d);
      flat = tensor::CollapseShapeOp::create(rewriter, loc, flat,
                                             ArrayRef<ReassociationIndices>{all});
    }
    auto flatType = cast<RankedTensorType>(flat.getType());
    auto bufferType =
        MemRefType::get(flatType.getShape(), flatType.getElementType());
    Value input = bufferization::ToBufferOp::create(rewriter, loc, bufferType,
                                                    flat, /*read_only=*/true);
    SmallVector<Value> dynamicSizes;
    if (flatType.isDynamicDim(0))
      dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, flat, 0));
    Value sum =
        memref::AllocOp::create(rewriter, loc, bufferType, dynamicSizes);
    Value world = mpi::CommWorldOp::create(
        rewriter, loc, mpi::CommType::get(rewriter.getContext()));
    mpi::AllReduceOp::create(rewriter, loc, /*retval=*/Type(), input, sum,
                             mpi::MPI_ReductionOpEnum::MPI_SUM, world);
    Value result = bufferization::ToTensorOp::create(
        rewriter, loc, flatType, sum, /*restrict=*/true, /*writable=*/true);
    if (type.getRank() != 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < type.getRank(); ++d)
        all.push_back(d);
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, type, result, ArrayRef<ReassociationIndices>{all},
          tensor::getMixedSizes(rewriter, loc, op.getInput()));
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateCollectivePatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllReduceLowering>(patterns.getContext());
}
