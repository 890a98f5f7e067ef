//===- PrefillLastLogits.cpp - @prefill returns its last logits -----------===//
//
// Slices the last row of @prefill's logits and moves the slice up through
// the row-wise ops that compute them, so that the final norm and the LM
// head run on that row only.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMPREFILLLASTLOGITSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// The operand of a row-wise op whose rows are its result's rows (the
/// others, weights, are whole for every row); null for other ops.
OpOperand *rowOperand(Operation *op) {
  return llvm::TypeSwitch<Operation *, OpOperand *>(op)
      .Case([](MatmulOp m) { return &m.getInputMutable(); })
      .Case([](MatmulInt4Op m) { return &m.getInputMutable(); })
      .Case([](RMSNormOp n) { return &n.getInputMutable(); })
      .Case([](BiasAddOp b) { return &b.getInputMutable(); })
      .Default([](Operation *) { return nullptr; });
}

/// slice(rows of op(x, w)) -> op(slice(rows of x), w), for a row-wise op
/// whose only user is the slice, and a slice of whole rows.
struct SwapRowSliceWithRowWiseOp : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rewriter) const override {
    Operation *producer = slice.getSource().getDefiningOp();
    OpOperand *rows = producer ? rowOperand(producer) : nullptr;
    if (!rows || !producer->hasOneUse() || producer->getNumResults() != 1)
      return rewriter.notifyMatchFailure(slice, "not a row-wise producer");
    auto sourceType = slice.getSourceType();
    if (sourceType.getRank() != 2 || !slice.hasUnitStride() ||
        !isZeroInteger(slice.getMixedOffsets()[1]) ||
        slice.getStaticSizes()[1] != sourceType.getDimSize(1) ||
        ShapedType::isDynamic(sourceType.getDimSize(1)))
      return rewriter.notifyMatchFailure(slice, "not a slice of whole rows");
    Location loc = slice.getLoc();
    Value input = rows->get();
    auto inputType = cast<RankedTensorType>(input.getType());
    SmallVector<OpFoldResult> offsets = {slice.getMixedOffsets()[0],
                                         rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        slice.getMixedSizes()[0],
        tensor::getMixedSize(rewriter, loc, input, 1)};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    auto slicedType = RankedTensorType::get(
        {slice.getType().getDimSize(0), inputType.getDimSize(1)},
        inputType.getElementType());
    Value slicedInput = tensor::ExtractSliceOp::create(
        rewriter, loc, slicedType, input, offsets, sizes, strides);
    IRMapping mapping;
    mapping.map(input, slicedInput);
    Operation *clone = rewriter.clone(*producer, mapping);
    clone->getResult(0).setType(slice.getType());
    rewriter.replaceOp(slice, clone->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

struct LLMPrefillLastLogitsPass
    : llm::impl::LLMPrefillLastLogitsPassBase<LLMPrefillLastLogitsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto prefill = module.lookupSymbol<func::FuncOp>(kPrefillName);
    if (!prefill || prefill.isExternal()) {
      mlir::emitError(module.getLoc())
          << "llm-prefill-last-logits: the module has no @prefill function";
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(prefill.getBody().front().getTerminator());
    std::optional<unsigned> index;
    for (unsigned i = 0; i < prefill.getNumResults(); ++i)
      if (auto name = prefill.getResultAttrOfType<StringAttr>(i, "llm.name");
          name && name.getValue() == "logits")
        index = i;
    if (!index) {
      prefill.emitError("llm-prefill-last-logits: @prefill returns no "
                        "'logits'");
      return signalPassFailure();
    }
    Value logits = ret.getOperand(*index);
    auto type = dyn_cast<RankedTensorType>(logits.getType());
    if (!type || type.getRank() != 2 ||
        ShapedType::isDynamic(type.getDimSize(1))) {
      prefill.emitError("llm-prefill-last-logits: the logits are not a "
                        "[tokens, vocab] tensor: ")
          << logits.getType();
      return signalPassFailure();
    }
    if (type.getDimSize(0) == 1)
      return; // Already one row.
    // The row count, read where the row-wise chain starts (a dim of the
    // logits themselves would be a second use that keeps the chain whole).
    Value first = logits;
    while (Operation *producer = first.getDefiningOp()) {
      OpOperand *rows = rowOperand(producer);
      if (!rows)
        break;
      first = rows->get();
    }
    OpBuilder b(ret);
    Location loc = ret.getLoc();
    Value rows = tensor::DimOp::create(b, loc, first, 0);
    Value last = arith::SubIOp::create(
        b, loc, rows, arith::ConstantIndexOp::create(b, loc, 1));
    auto lastType = RankedTensorType::get({1, type.getDimSize(1)},
                                          type.getElementType());
    Value lastRow = tensor::ExtractSliceOp::create(
        b, loc, lastType, logits,
        ArrayRef<OpFoldResult>{last, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1),
                               b.getIndexAttr(type.getDimSize(1))},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    ret.setOperand(*index, lastRow);
    SmallVector<Type> results(prefill.getResultTypes());
    results[*index] = lastType;
    prefill.setFunctionType(
        FunctionType::get(&getContext(), prefill.getArgumentTypes(), results));
    RewritePatternSet patterns(&getContext());
    patterns.add<SwapRowSliceWithRowWiseOp>(&getContext());
    if (failed(applyPatternsGreedily(prefill, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
