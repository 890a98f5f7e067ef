//===- ExposeActivations.cpp - linear-layer inputs as @prefill results ----===//

#include "llm/Transforms/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llm/Transforms/LayerFunctions.h"
#include "mlir/IR/Builders.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMEXPOSEACTIVATIONSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {
struct LLMExposeActivationsPass
    : llm::impl::LLMExposeActivationsPassBase<LLMExposeActivationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto prefill = module.lookupSymbol<func::FuncOp>("prefill");
    if (!prefill || prefill.isExternal()) {
      mlir::emitError(module.getLoc())
          << "llm-expose-activations: the module has no @prefill function";
      return signalPassFailure();
    }
    // Each layer's activations are results of their own: the decoder-layer
    // functions are inlined first, their parameters then naming the
    // layer's own tensors (a calibration module is compiled once).
    OpPassManager spellOut(ModuleOp::getOperationName());
    addSpellOutLayersPasses(spellOut);
    if (failed(runPipeline(spellOut, module)) ||
        failed(verifyLayersSpelledOut(module, "llm-expose-activations")))
      return signalPassFailure();
    Builder b(&getContext());
    SmallVector<Value> values;
    SmallVector<Attribute> table;
    prefill.walk([&](MatmulOp matmul) {
      Value weight = matmul.getWeight();
      if (auto folded = weight.getDefiningOp<ScaleColumnsOp>())
        weight = folded.getWeight();
      SmallVector<ParamOp> params = stackedParameters(weight);
      if (params.empty())
        return;
      values.push_back(matmul.getInput());
      // The checkpoint tensors the weight is made of, so that tools (the
      // activation-aware search) need not parse stacked names.
      SmallVector<StringAttr> sources;
      for (ParamOp param : params)
        sources.push_back(param.getNameAttr());
      table.push_back(ExposedActivationAttr::get(
          b.getContext(), layerName(params),
          matmul.getInput().getType().getDimSize(1), sources));
    });
    if (values.empty())
      return;
    auto ret = cast<func::ReturnOp>(prefill.getBody().front().getTerminator());
    unsigned first = ret.getNumOperands();
    SmallVector<DictionaryAttr> resultAttrs;
    for (unsigned i = 0; i < first; ++i)
      resultAttrs.push_back(prefill.getResultAttrDict(i));
    ret->insertOperands(first, values);
    SmallVector<Type> results(prefill.getResultTypes());
    for (auto [value, entry] : llvm::zip(values, table)) {
      results.push_back(value.getType());
      StringRef name = cast<ExposedActivationAttr>(entry).getName();
      resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          "llm.name", b.getStringAttr("activation:" + name))));
    }
    prefill.setFunctionType(
        b.getFunctionType(prefill.getArgumentTypes(), results));
    prefill.setAllResultAttrs(resultAttrs);
    module->setAttr(kExposedActivationsAttrName, b.getArrayAttr(table));
  }
};
} // namespace
