//===- QuantizeInt4.cpp - group-wise INT4 linear layers -------------------===//
//
// Rewrites float linear layers to llm.matmul_int4 over llm.quantize_int4 of
// their checkpoint weights. The IR never holds weights: the quantization is
// an op on the parameters, which llm-hoist-weight-prep moves into @prepare.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrites.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMQUANTIZEINT4PASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

FailureOr<MatmulInt4Op> mlir::llm::quantizeMatmulInt4(
    RewriterBase &rewriter, MatmulOp matmul, const Int4Options &options,
    llvm::DenseMap<std::pair<Value, Value>, Value> &normCache) {
  if (!isInt4GroupSize(options.groupSize))
    return failure();
  MLIRContext *ctx = matmul.getContext();
  Type f32 = Float32Type::get(ctx);
  // Scales and zero points are f32: only layers with f32 activations are
  // rewritten.
  if (!matmul.getType().getElementType().isF32())
    return failure();
  Value weight = matmul.getWeight();
  Value input = matmul.getInput();
  FloatAttr normEps = matmul.getRmsNormEpsAttr();
  // A weight with an RMS norm folded in (llm-fuse-rms-norm: `W * g` over
  // the unnormalized input) is unfolded: the layer reads rms_norm(x, g)
  // again and the pack quantizes the checkpoint's own `W`. Rounding `W * g`
  // instead would spread each column's gain into the groups' ranges
  // (measurably worse), while the normalized activation that folding saves
  // is tiny next to a layer's weights.
  Value gain;
  if (auto folded = weight.getDefiningOp<ScaleColumnsOp>()) {
    if (!normEps || !folded.getScale().getDefiningOp<ParamOp>())
      return failure();
    gain = folded.getScale();
    weight = folded.getWeight();
  } else if (normEps) {
    return failure();
  }
  SmallVector<ParamOp> params = stackedParameters(weight);
  if (params.empty() ||
      !isWeightStorageOf(cast<RankedTensorType>(weight.getType())
                             .getElementType(),
                         f32))
    return failure();

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(matmul);
  Location loc = matmul.getLoc();
  if (gain) {
    // One norm per input and gain (the q/k/v or gate/up layers that shared
    // a folded norm share it again).
    Value &normed = normCache[{input, gain}];
    if (!normed) {
      // Right after the later of its operands: before every layer that
      // reads the same input.
      OpBuilder::InsertionGuard normGuard(rewriter);
      Operation *inputDef = input.getDefiningOp();
      Operation *gainDef = gain.getDefiningOp();
      Operation *after = inputDef;
      if (gainDef && (!after || after->isBeforeInBlock(gainDef)))
        after = gainDef;
      if (after)
        rewriter.setInsertionPointAfter(after);
      else
        rewriter.setInsertionPointToStart(cast<BlockArgument>(input).getOwner());
      normed = RMSNormOp::create(rewriter, loc, input, gain, normEps)
                   .getResult();
    }
    input = normed;
    normEps = FloatAttr();
  }
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t in = weightType.getDimSize(1);
  Value inputScale;
  Value quantized = weight;
  if (options.activationAware) {
    // The scale vector is a tensor of its own, bound by name (made by
    // python/awq_search.py for this layer).
    // In a decoder-layer function it is the called layer's tensor, as its
    // weights are.
    inputScale = ParamOp::create(rewriter, loc, RankedTensorType::get({in}, f32),
                                 rewriter.getStringAttr(layerName(params) +
                                                        ".awq_scale"),
                                 params.front().getLayer())
                     .getResult();
    quantized = ScaleColumnsOp::create(
        rewriter, loc, RankedTensorType::get(weightType.getShape(), f32),
        weight, inputScale);
  }
  auto pack = QuantizeInt4Op::create(rewriter, loc, quantized,
                                     options.groupSize, options.symmetric);
  // A symmetric pack's zero points are all 8: the layer reads none.
  auto int4 = MatmulInt4Op::create(
      rewriter, loc, matmul.getType(), input, pack.getQweight(),
      pack.getScales(), options.symmetric ? Value() : pack.getZeros(),
      inputScale,
      rewriter.getI64IntegerAttr(options.groupSize), normEps);
  rewriter.replaceOp(matmul, int4.getResult());
  return int4;
}

void mlir::llm::eraseDeadWeightOps(Operation *root) {
  // Post-order erases users before their operands' producers.
  SmallVector<Operation *> candidates;
  root->walk([&](Operation *op) {
    if (isa<ParamOp, ScaleColumnsOp, QuantizeInt4Op, RepackAwqOp, RepackQ4_0Op,
            tensor::ConcatOp>(op))
      candidates.push_back(op);
  });
  for (Operation *op : llvm::reverse(candidates))
    if (op->use_empty())
      op->erase();
}

namespace {
struct QuantizeInt4Pattern : OpRewritePattern<MatmulOp> {
  QuantizeInt4Pattern(MLIRContext *ctx, Int4Options options,
                      std::function<bool(MatmulOp)> select)
      : OpRewritePattern(ctx), options(options), select(std::move(select)) {}

  LogicalResult matchAndRewrite(MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    if (select && !select(matmul))
      return failure();
    return quantizeMatmulInt4(rewriter, matmul, options, *norms);
  }

  Int4Options options;
  std::function<bool(MatmulOp)> select;
  /// Norms recreated for unfolded layers, shared by the rewrites.
  std::shared_ptr<llvm::DenseMap<std::pair<Value, Value>, Value>> norms =
      std::make_shared<llvm::DenseMap<std::pair<Value, Value>, Value>>();
};
} // namespace

void mlir::llm::populateQuantizeInt4Patterns(
    RewritePatternSet &patterns, const Int4Options &options,
    std::function<bool(MatmulOp)> select) {
  patterns.add<QuantizeInt4Pattern>(patterns.getContext(), options,
                                    std::move(select));
}

namespace {
struct LLMQuantizeInt4Pass
    : llm::impl::LLMQuantizeInt4PassBase<LLMQuantizeInt4Pass> {
  using Base::Base;

  /// Whether the layer `name` should be quantized.
  bool selected(StringRef name, bool isLMHead) const {
    if (isLMHead && !lmHead)
      return false;
    for (const std::string &pattern : exclude)
      if (name.contains(pattern))
        return false;
    return true;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!isInt4GroupSize(groupSize)) {
      mlir::emitError(module.getLoc())
          << "llm-quantize-int4: group-size must be a positive multiple of 8 "
             "up to 8192, not "
          << static_cast<int64_t>(groupSize);
      return signalPassFailure();
    }
    Int4Options options{groupSize, symmetric, activationAware};
    RewritePatternSet patterns(&getContext());
    populateQuantizeInt4Patterns(patterns, options, [this](MatmulOp matmul) {
      // The LM head is the matmul whose result a function returns (the
      // logits), gathered first when it is split by vocabulary
      // (llm-shard).
      std::function<bool(Value)> returned = [&](Value value) {
        return llvm::any_of(value.getUsers(), [&](Operation *user) {
          if (auto gather = dyn_cast<AllGatherOp>(user))
            return returned(gather.getResult());
          return isa<func::ReturnOp>(user);
        });
      };
      bool isLMHead = returned(matmul.getResult());
      return selected(weightLayerName(matmul.getWeight()), isLMHead);
    });
    walkAndApplyPatterns(module, std::move(patterns));
    eraseDeadWeightOps(module);
  }
};
} // namespace
