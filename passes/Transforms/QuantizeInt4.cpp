//===- QuantizeInt4.cpp - group-wise INT4 linear layers -------------------===//
//
// Rewrites float linear layers to llm.matmul_int4 over derived parameters.
// The IR never holds weights: the derived parameters say how the runtime
// computes them from the checkpoint tensor.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMQUANTIZEINT4PASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {
struct LLMQuantizeInt4Pass
    : llm::impl::LLMQuantizeInt4PassBase<LLMQuantizeInt4Pass> {
  using Base::Base;

  /// Whether the weight `name` of a matmul should be quantized.
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
    MLIRContext *ctx = &getContext();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    // Norms recreated for folded weights, by (input, gain, eps); matmuls are
    // visited in program order, so the first user's norm dominates the rest.
    llvm::DenseMap<std::tuple<Value, Attribute, Attribute>, Value> unfolded;
    for (MatmulOp matmul : matmuls) {
      auto param = matmul.getWeight().getDefiningOp<ParamOp>();
      if (!param || param.getDerivedAttr())
        continue;
      // The LM head is the matmul whose result a function returns (the
      // logits).
      bool isLMHead = llvm::any_of(matmul->getUsers(), [](Operation *user) {
        return isa<func::ReturnOp>(user);
      });
      if (!selected(param.getName(), isLMHead))
        continue;

      auto weight = cast<RankedTensorType>(param.getType());
      // Scales and zero points are f32: only layers with f32 activations
      // (and f32, f16 or bf16 weights) are rewritten.
      Type f32 = Float32Type::get(ctx);
      if (!matmul.getType().getElementType().isF32() ||
          !isWeightStorageOf(weight.getElementType(), f32))
        continue;
      int64_t out = weight.getDimSize(0), in = weight.getDimSize(1);
      int64_t groups = (in + groupSize - 1) / groupSize;
      OpBuilder b(param);
      // A weight with an RMS norm folded in (llm-fuse-rms-norm: `W * g`
      // over the unnormalized input) is unfolded: the layer reads
      // rms_norm(x, g) again and the pack quantizes the checkpoint's own
      // `W`. Rounding `W * g` instead would spread each column's gain into
      // the groups' ranges (measurably worse), while the normalized
      // activation that folding saves is tiny next to a layer's weights.
      Value input = matmul.getInput();
      FloatAttr normEps = matmul.getRmsNormEpsAttr();
      if (std::optional<StringRef> gainName = param.getColumnScale()) {
        if (!normEps) {
          param.emitError("a column-scaled weight is read by a matmul "
                          "without rms_norm_eps; it is no folded norm");
          return signalPassFailure();
        }
        // One norm per input and gain (the q/k/v or gate/up layers that
        // shared a folded norm share it again).
        Value &normed = unfolded[{input, b.getStringAttr(*gainName), normEps}];
        if (!normed) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(matmul);
          Value gain = ParamOp::create(b, param.getLoc(),
                                       RankedTensorType::get({in}, f32),
                                       b.getStringAttr(*gainName))
                           .getResult();
          normed = RMSNormOp::create(b, matmul.getLoc(), input, gain, normEps)
                       .getResult();
        }
        input = normed;
        normEps = FloatAttr();
      }
      std::string scaleName =
          activationAware ? (param.getBaseName() + ".awq_scale").str() : "";
      StringRef inputScale = scaleName;
      Value scale;
      if (activationAware)
        scale = ParamOp::create(b, param.getLoc(),
                                RankedTensorType::get({in}, f32),
                                b.getStringAttr(scaleName))
                    .getResult();
      // A stacked weight (llm-fuse-projections) is quantized as a whole;
      // the packs say what it is made of.
      ArrayRef<StringAttr> stackedSources;
      if (ConcatAttr stacked = param.getStackedAttr())
        stackedSources = stacked.getSources();
      auto derived = [&](StringRef part, RankedTensorType type) {
        // Named after the matrix it packs (the same pack, unfolded or not).
        std::string name = (param.getBaseName() +
                            (activationAware ? ".awq4." : ".int4.") + part)
                               .str();
        return ParamOp::create(b, param.getLoc(), type, name,
                               Int4PackAttr::get(ctx, param.getBaseName(), part,
                                                 groupSize, symmetric, "rtn",
                                                 inputScale, /*columnScale=*/"",
                                                 stackedSources),
                               ConcatAttr(), StringAttr())
            .getResult();
      };
      Value qweight =
          derived("qweight", int4QweightType(ctx, out, groups, groupSize));
      auto groupType =
          RankedTensorType::get({groups, out}, Float32Type::get(ctx));
      Value scales = derived("scales", groupType);
      Value zeros = derived("zeros", groupType);

      b.setInsertionPoint(matmul);
      auto quantized = MatmulInt4Op::create(
          b, matmul.getLoc(), matmul.getType(), input, qweight, scales, zeros,
          scale, groupSize, normEps);
      matmul.replaceAllUsesWith(quantized.getResult());
      matmul.erase();
      if (param->use_empty())
        param.erase();
    }
  }
};
} // namespace
