//===- Collectives.cpp - llm.all_reduce to MLIR's mpi dialect -------------===//
//
// A collective reads one buffer and writes another, which linalg cannot
// express: the tensor is handed to bufferization as a read-only buffer, the
// sum lands in a fresh one (`mpi.allreduce` over the world communicator),
// and that buffer becomes the result tensor again.
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
    auto bufferType = MemRefType::get(type.getShape(), type.getElementType());
    Value input = bufferization::ToBufferOp::create(
        rewriter, loc, bufferType, op.getInput(), /*read_only=*/true);
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(
            tensor::DimOp::create(rewriter, loc, op.getInput(), d));
    Value sum =
        memref::AllocOp::create(rewriter, loc, bufferType, dynamicSizes);
    Value world = mpi::CommWorldOp::create(
        rewriter, loc, mpi::CommType::get(rewriter.getContext()));
    mpi::AllReduceOp::create(rewriter, loc, /*retval=*/Type(), input, sum,
                             mpi::MPI_ReductionOpEnum::MPI_SUM, world);
    rewriter.replaceOpWithNewOp<bufferization::ToTensorOp>(
        op, type, sum, /*restrict=*/true, /*writable=*/true);
    return success();
  }
};

} // namespace

void mlir::llm::detail::populateCollectivePatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllReduceLowering>(patterns.getContext());
}
