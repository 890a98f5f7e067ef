//===- PipelineStage.cpp - one pipeline stage of an llm module ------------===//
//
// Cuts the imported model into consecutive groups of layers, one per rank:
// the module becomes the program of one stage. Its entry points keep their
// signatures (but only the stage's KV-cache layers): stage 0 embeds the
// tokens, each stage runs its layers' calls and sends the hidden state on,
// the last stage computes the logits and sends them back to stage 0.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Sharding.h"

#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Transforms/KVCaches.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::llm;

namespace {

/// The callee argument that is the layer index of the attention in `callee`
/// (a decoder-layer function), or -1.
int layerArgument(func::FuncOp callee) {
  int index = -1;
  callee.walk([&](Operation *op) {
    Value layer;
    if (auto attention = dyn_cast<AttentionOp>(op))
      layer = attention.getLayerIndex();
    else if (auto batched = dyn_cast<BatchedAttentionOp>(op))
      layer = batched.getLayer();
    if (auto arg = dyn_cast_if_present<BlockArgument>(layer))
      if (arg.getOwner() == &callee.getBody().front())
        index = static_cast<int>(arg.getArgNumber());
  });
  return index;
}

/// The global layer a call of a decoder-layer function runs, if it is one.
std::optional<int64_t> calledLayer(func::CallOp call, ModuleOp module) {
  auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
  if (!callee || callee.isExternal())
    return std::nullopt;
  int arg = layerArgument(callee);
  if (arg < 0)
    return std::nullopt;
  APInt value;
  if (!matchPattern(call.getOperand(arg), m_ConstantInt(&value)))
    return std::nullopt;
  return value.getSExtValue();
}

} // namespace

LogicalResult mlir::llm::partitionPipelineStage(ModuleOp module,
                                                int64_t stages,
                                                int64_t stage) {
  ModelConfigAttr config = getModelConfig(module);
  int64_t layers = config.getNumHiddenLayers();
  if (stages > layers)
    return module.emitError("llm-shard: ")
           << layers << " layers cannot be split into " << stages
           << " pipeline stages";
  if (stage < 0 || stage >= stages)
    return module.emitError("llm-shard: stage ")
           << stage << " is not one of the " << stages << " pipeline stages";
  StageLayers mine = stageLayers(layers, stages, stage);
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);

  // The KV caches hold the stage's layers.
  auto localType = [&](Type type) -> Type {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.getRank() < 4 || tensor.getRank() > 5)
      return type;
    int64_t rank = tensor.getRank();
    ArrayRef<int64_t> shape = tensor.getShape();
    if (shape[rank - 1] != config.getHeadDim() ||
        shape[rank - kKVCacheLayersFromEnd] != layers)
      return type;
    SmallVector<int64_t> local(shape);
    local[rank - kKVCacheLayersFromEnd] = mine.count;
    return tensor.clone(local);
  };
  retypeKVCaches(module, localType);

  for (StringRef name : kEntryPointNames) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func)
      continue;
    SmallVector<func::CallOp> kept;
    SmallVector<func::CallOp> dropped;
    func.walk([&](func::CallOp call) {
      std::optional<int64_t> layer = calledLayer(call, module);
      if (!layer)
        return;
      if (*layer >= mine.first && *layer < mine.first + mine.count)
        kept.push_back(call);
      else
        dropped.push_back(call);
    });
    if (kept.size() != static_cast<size_t>(mine.count))
      return func.emitError("llm-shard: @")
             << name << " does not call the decoder layer of each of layers "
             << mine.first << " to " << mine.first + mine.count - 1;
    // A layer not on this stage passes its inputs through (its hidden
    // state and caches), then is gone.
    for (func::CallOp call : dropped) {
      // Result 0 is the hidden state (operand 0); the others, the caches,
      // are the operands of their types, in order.
      call.getResult(0).replaceAllUsesWith(call.getOperand(0));
      unsigned next = 1;
      for (OpResult result : call.getResults().drop_front()) {
        while (next < call.getNumOperands() &&
               call.getOperand(next).getType() != result.getType())
          ++next;
        if (next == call.getNumOperands())
          return call.emitError("llm-shard: no operand passes through "
                                "result ")
                 << result.getResultNumber() << " of a decoder layer";
        result.replaceAllUsesWith(call.getOperand(next++));
      }
      call.erase();
    }
    // The tokens give the rows of the hidden state and of the logits.
    Value tokens = func.getArgument(0);
    func::CallOp firstCall = kept.front(), lastCall = kept.back();
    auto sizesLike = [&](Type type, Location loc) {
      SmallVector<Value> sizes;
      auto tensor = cast<RankedTensorType>(type);
      for (int64_t d = 0; d < tensor.getRank(); ++d)
        if (tensor.isDynamicDim(d))
          sizes.push_back(tensor::DimOp::create(b, loc, tokens, 0));
      return sizes;
    };
    Location loc = func.getLoc();
    if (stage > 0) {
      // The hidden state comes from the previous stage.
      Value hidden = firstCall.getOperand(0);
      b.setInsertionPoint(firstCall);
      auto received =
          RecvOp::create(b, loc, hidden.getType(), stage - 1,
                         sizesLike(hidden.getType(), loc));
      firstCall.setOperand(0, received);
    }
    if (stage + 1 < stages) {
      b.setInsertionPointAfter(lastCall);
      SendOp::create(b, loc, lastCall.getResult(0), stage + 1);
    }
    // The logits: computed by the last stage, returned by stage 0.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
      auto resultName = func.getResultAttrOfType<StringAttr>(i, "llm.name");
      if (!resultName || resultName.getValue() != "logits")
        continue;
      Value logits = ret.getOperand(i);
      b.setInsertionPoint(ret);
      if (stages == 1)
        continue;
      if (stage + 1 == stages) {
        SendOp::create(b, loc, logits, 0);
      } else if (stage == 0) {
        ret.setOperand(i, RecvOp::create(b, loc, logits.getType(),
                                         stages - 1,
                                         sizesLike(logits.getType(), loc)));
      } else {
        auto type = cast<RankedTensorType>(logits.getType());
        Value zero = arith::ConstantOp::create(
            b, loc, b.getFloatAttr(type.getElementType(), 0.0));
        ret.setOperand(i, tensor::SplatOp::create(b, loc, type, zero,
                                                  sizesLike(type, loc)));
      }
    }
    // What only the other stages use (the embedding after stage 0, the
    // final norm and LM head before the last) is dead now.
    IRRewriter rewriter(ctx);
    (void)runRegionDCE(rewriter, func.getBody());
  }
  // Attention indexes the stage's cache layers: global layer - first.
  module.walk([&](Operation *op) {
    auto shift = [&](Value layer) -> Value {
      b.setInsertionPoint(op);
      Value first = arith::ConstantIndexOp::create(b, op->getLoc(), mine.first);
      return arith::SubIOp::create(b, op->getLoc(), layer, first);
    };
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      if (Value layer = attention.getLayerIndex())
        attention.getLayerIndexMutable().assign(shift(layer));
      else if (std::optional<uint64_t> index = attention.getLayer())
        attention.setLayer(static_cast<int64_t>(*index) - mine.first);
    } else if (auto batched = dyn_cast<BatchedAttentionOp>(op)) {
      batched.getLayerMutable().assign(shift(batched.getLayer()));
    }
  });

  module->setAttr(kPipelineStagesAttrName,
                  b.getI64IntegerAttr(stages));
  module->setAttr(kPipelineStageAttrName, b.getI64IntegerAttr(stage));
  return success();
}
