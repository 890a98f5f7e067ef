//===- FuseProjections.cpp - one matmul for projections of one input ------===//
//
// The linear layers of a block that read the same activation with checkpoint
// weights of one precision become one matmul over their weights stacked by
// `tensor.concat` (a weight transform, computed by @prepare), followed by a
// slice of each original result.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrites.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMFUSEPROJECTIONSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

/// A checkpoint weight of `matmul` that stacking can take (a float
/// parameter, in its stored precision), or null.
static ParamOp plainWeight(MatmulOp matmul) {
  auto param = matmul.getWeight().getDefiningOp<ParamOp>();
  if (!param || matmul.getRmsNormEpsAttr() ||
      !isWeightStorageOf(param.getType().getElementType(),
                         Float32Type::get(matmul.getContext())))
    return {};
  return param;
}

FailureOr<MatmulOp> mlir::llm::fuseProjections(RewriterBase &rewriter,
                                               ArrayRef<MatmulOp> group) {
  if (group.size() < 2)
    return failure();
  MatmulOp first = group.front();
  Value input = first.getInput();
  SmallVector<Value> weights;
  for (MatmulOp m : group) {
    ParamOp weight = plainWeight(m);
    if (!weight || m.getInput() != input ||
        weight.getType().getElementType() !=
            cast<RankedTensorType>(first.getWeight().getType())
                .getElementType() ||
        weight.getType().getDimSize(1) !=
            cast<RankedTensorType>(first.getWeight().getType()).getDimSize(1))
      return failure();
    weights.push_back(weight.getResult());
  }
  // Parameters are leaves: the later layers' weights move up to the first
  // layer, where the stacked weight is formed.
  for (Value weight : weights)
    if (first->isBeforeInBlock(weight.getDefiningOp()))
      rewriter.moveOpBefore(weight.getDefiningOp(), first);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(first);
  Location loc = first.getLoc();
  Value stacked = tensor::ConcatOp::create(rewriter, loc, /*dim=*/0, weights);
  auto stackedType = cast<RankedTensorType>(stacked.getType());
  auto inputType = cast<RankedTensorType>(input.getType());
  auto fusedType =
      RankedTensorType::get({inputType.getDimSize(0), stackedType.getDimSize(0)},
                            first.getType().getElementType());
  auto fused = MatmulOp::create(rewriter, loc, fusedType, input, stacked);
  OpFoldResult tokens =
      inputType.isDynamicDim(0)
          ? OpFoldResult(
                tensor::DimOp::create(rewriter, loc, fused.getResult(), 0)
                    .getResult())
          : OpFoldResult(rewriter.getIndexAttr(inputType.getDimSize(0)));
  int64_t offset = 0;
  SmallVector<Value> slices;
  for (MatmulOp m : group) {
    int64_t width = m.getType().getDimSize(1);
    slices.push_back(tensor::ExtractSliceOp::create(
        rewriter, m.getLoc(), m.getType(), fused.getResult(),
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                               rewriter.getIndexAttr(offset)},
        ArrayRef<OpFoldResult>{tokens, rewriter.getIndexAttr(width)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                               rewriter.getIndexAttr(1)}));
    offset += width;
  }
  for (auto [m, slice] : llvm::zip(group, slices))
    rewriter.replaceOp(m, slice);
  return fused;
}

namespace {
struct LLMFuseProjectionsPass
    : llm::impl::LLMFuseProjectionsPassBase<LLMFuseProjectionsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](Block *block) {
      // Matmuls of this block by input, weight element type and input size
      // (stacked rows share one storage type), in order.
      llvm::MapVector<std::tuple<Value, Type, int64_t>, SmallVector<MatmulOp>>
          byInput;
      for (auto matmul : block->getOps<MatmulOp>())
        if (ParamOp weight = plainWeight(matmul))
          byInput[{matmul.getInput(), weight.getType().getElementType(),
                   weight.getType().getDimSize(1)}]
              .push_back(matmul);
      for (auto &entry : byInput)
        (void)fuseProjections(rewriter, entry.second);
    });
    eraseDeadWeightOps(getOperation());
  }
};
} // namespace
