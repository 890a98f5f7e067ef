//===- LlamaGraphBuilder.cpp - LLaMA decoder graph in the llm dialect -----===//

#include "llm/Frontend/LlamaGraphBuilder.h"
#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::llm;

LayerParamNames LayerParamNames::withPrefix(StringRef prefixRef) {
  std::string prefix = prefixRef.str();
  return {prefix + "input_layernorm.weight",
          prefix + "self_attn.q_proj.weight",
          prefix + "self_attn.k_proj.weight",
          prefix + "self_attn.v_proj.weight",
          prefix + "self_attn.o_proj.weight",
          prefix + "post_attention_layernorm.weight",
          prefix + "mlp.gate_proj.weight",
          prefix + "mlp.up_proj.weight",
          prefix + "mlp.down_proj.weight"};
}

LayerParamNames LayerParamNames::forLayer(int64_t layer) {
  return withPrefix("model.layers." + std::to_string(layer) + ".");
}

LayerParamNames LayerParamNames::forAnyLayer() {
  return withPrefix(("model.layers." + ParamOp::kLayerPlaceholder + ".").str());
}

namespace {

/// Emits the decoder graph of one entry point (prefill or decode).
class DecoderEmitter {
public:
  DecoderEmitter(OpBuilder &builder, const LlamaConfig &config)
      : b(builder), config(config), loc(builder.getUnknownLoc()),
        f32(builder.getF32Type()), weightType(storageType(config)) {}

  /// Emits `func.func @name` processing `seqLen` tokens (dynamic if
  /// ShapedType::kDynamic) of one sequence; with `batched`, one token of
  /// each of a dynamic number of sequences (`@decode_batch`).
  func::FuncOp emit(StringRef name, int64_t seqLen, bool batched = false);

private:
  /// A checkpoint tensor, in the precision the checkpoint stores it.
  Value param(StringRef name, ArrayRef<int64_t> shape) {
    return param(name, RankedTensorType::get(shape, weightType));
  }
  /// A checkpoint tensor of type `type`; inside a layer function, a name
  /// with the layer placeholder names the tensor of the layer it runs.
  Value param(StringRef name, RankedTensorType type) {
    bool perLayer = name.contains(ParamOp::kLayerPlaceholder);
    return ParamOp::create(b, loc, type, b.getStringAttr(name),
                           perLayer ? layerIndex : Value());
  }
  /// The decoder-layer function for layers whose checkpoint stores the
  /// linear layers `q4_0` as GGUF Q4_0 blocks (usually one for the whole
  /// model), made on first use.
  func::FuncOp layerFunction(StringRef entry, int64_t seqLen,
                             TypeRange positionTypes,
                             RankedTensorType cacheType,
                             const std::set<std::string> &q4_0);
  /// Where the rows of a layer sit: at `start`, `start + 1`... of one
  /// sequence, or (a batched decode step) each at `positions[b]` of cache
  /// slot `slots[b]`.
  struct RowPositions {
    Value start;
    Value slots, positions;
    bool batched() const { return static_cast<bool>(slots); }
  };
  /// Emits the body of one decoder layer: `hidden` in, `hidden` out, the
  /// caches threaded through.
  Value emitLayer(Value hidden, const RowPositions &at, Value &keyCache,
                  Value &valueCache, Value layer);
  Type storageType(const LlamaConfig &config) {
    switch (config.weightDType) {
    case WeightDType::F16:
      return b.getF16Type();
    case WeightDType::BF16:
      return b.getBF16Type();
    case WeightDType::F32:
      break;
    }
    return b.getF32Type();
  }
  Value matmul(Value input, StringRef weightName, int64_t outFeatures,
               int64_t inFeatures) {
    auto inputType = llvm::cast<RankedTensorType>(input.getType());
    auto resultType =
        RankedTensorType::get({inputType.getDimSize(0), outFeatures}, f32);
    if (config.awq && weightName.ends_with("_proj.weight"))
      return awqMatmul(input, resultType, weightName.drop_back(7),
                       outFeatures, inFeatures);
    // In a layer function, the names carry the placeholder and the layer's
    // own Q4_0 set applies.
    if ((q4_0Layers ? *q4_0Layers : config.q4_0Weights).count(weightName.str()))
      return q4_0Matmul(input, resultType, weightName, outFeatures, inFeatures);
    Value weight = param(weightName, {outFeatures, inFeatures});
    return MatmulOp::create(b, loc, resultType, input, weight);
  }
  /// A linear layer a GGUF file stores as Q4_0 blocks: `<layer>.q4_0`, the
  /// raw bytes, repacked by `llm.repack_q4_0` for the INT4 kernels.
  Value q4_0Matmul(Value input, RankedTensorType resultType, StringRef weightName,
                   int64_t outFeatures, int64_t inFeatures) {
    std::string layer = weightName.ends_with(".weight")
                            ? weightName.drop_back(strlen(".weight")).str()
                            : weightName.str();
    int64_t blockBytes = inFeatures / RepackQ4_0Op::kBlockValues * RepackQ4_0Op::kBlockBytes;
    Value blocks = param(
        layer + ".q4_0",
        RankedTensorType::get({outFeatures, blockBytes}, b.getI8Type()));
    auto repacked = RepackQ4_0Op::create(b, loc, blocks);
    return MatmulInt4Op::create(b, loc, resultType, input, repacked.getPacked(),
                                repacked.getScales(), /*zeros=*/Value(),
                                /*input_scale=*/Value(), RepackQ4_0Op::kBlockValues);
  }
  /// A linear layer of a pre-quantized AWQ checkpoint: its tensors
  /// `<layer>.qweight/.qzeros/.scales`, repacked by `llm.repack_awq`.
  Value awqMatmul(Value input, RankedTensorType resultType, StringRef layer,
                  int64_t outFeatures, int64_t inFeatures) {
    int64_t g = config.awq->groupSize;
    int64_t groups = inFeatures / g;
    auto tensor = [&](StringRef suffix, ArrayRef<int64_t> shape, Type type) {
      return param((layer + suffix).str(), RankedTensorType::get(shape, type));
    };
    Value qweight =
        tensor(".qweight", {inFeatures, outFeatures / 8}, b.getI32Type());
    Value qzeros = tensor(".qzeros", {groups, outFeatures / 8}, b.getI32Type());
    // Scales are f16 in AutoAWQ's files, but any float tensor binds as f32
    // (converted exactly when it is 16-bit).
    Value scales = tensor(".scales", {groups, outFeatures}, f32);
    auto repacked = RepackAwqOp::create(b, loc, qweight, qzeros, scales, g);
    return MatmulInt4Op::create(b, loc, resultType, input,
                                repacked.getPacked(), repacked.getScales(),
                                repacked.getZeros(), /*input_scale=*/Value(),
                                g);
  }
  /// `input + bias[name]` when `enabled` (a projection with a bias).
  Value biasAdd(Value input, StringRef weightName, bool enabled) {
    if (!enabled)
      return input;
    auto type = llvm::cast<RankedTensorType>(input.getType());
    std::string name = weightName.drop_back(strlen("weight")).str() + "bias";
    Value bias = param(name, {type.getDimSize(1)});
    return BiasAddOp::create(b, loc, input, bias);
  }
  Value rmsNorm(Value input, StringRef weightName) {
    Value weight = param(weightName, {config.hiddenSize});
    return RMSNormOp::create(b, loc, input, weight,
                             b.getF64FloatAttr(config.rmsNormEps));
  }
  Llama3RopeScalingAttr ropeScaling() {
    if (const auto &s = config.ropeScaling)
      return Llama3RopeScalingAttr::get(b.getContext(), s->factor,
                                        s->lowFreqFactor, s->highFreqFactor,
                                        s->originalMaxPosition);
    return {};
  }
  Value rope(Value input, Value position) {
    return RopeOp::create(b, loc, input, position,
                          b.getI64IntegerAttr(config.headDim),
                          b.getF64FloatAttr(config.ropeTheta), ropeScaling());
  }

  OpBuilder &b;
  const LlamaConfig &config;
  Location loc;
  Type f32;
  /// The element type of the checkpoint's weights.
  Type weightType;
  /// While a layer function is emitted: its layer argument, and the names
  /// (with the layer placeholder) of its Q4_0 linear layers.
  Value layerIndex;
  const std::set<std::string> *q4_0Layers = nullptr;
  /// Layer functions by entry point and Q4_0 layers.
  std::map<std::pair<std::string, std::set<std::string>>, func::FuncOp>
      layerFunctions;
};

Value DecoderEmitter::emitLayer(Value hidden, const RowPositions &at,
                                Value &keyCache, Value &valueCache,
                                Value layer) {
  int64_t d = config.hiddenSize;
  LayerParamNames names = LayerParamNames::forAnyLayer();
  // Self-attention block.
  Value normed = rmsNorm(hidden, names.inputNorm);
  Value q = biasAdd(matmul(normed, names.qProj, config.queryFeatures(), d),
                    names.qProj, config.qkvBias);
  Value k = biasAdd(matmul(normed, names.kProj, config.keyValueFeatures(), d),
                    names.kProj, config.qkvBias);
  Value v = biasAdd(matmul(normed, names.vProj, config.keyValueFeatures(), d),
                    names.vProj, config.qkvBias);
  Value attended;
  if (at.batched()) {
    // Each row at its own position: the rotary embedding is part of the
    // batched attention.
    auto attention = BatchedAttentionOp::create(
        b, loc, TypeRange{q.getType(), keyCache.getType(), valueCache.getType()},
        q, k, v, keyCache, valueCache, at.slots, at.positions, layer,
        b.getI64IntegerAttr(config.numAttentionHeads),
        b.getI64IntegerAttr(config.numKeyValueHeads),
        b.getI64IntegerAttr(config.headDim), /*scale=*/FloatAttr(),
        b.getF64FloatAttr(config.ropeTheta), ropeScaling());
    attended = attention.getOutput();
    keyCache = attention.getNewKeyCache();
    valueCache = attention.getNewValueCache();
  } else {
    q = rope(q, at.start);
    k = rope(k, at.start);
    auto attention = AttentionOp::create(
        b, loc,
        TypeRange{q.getType(), keyCache.getType(), valueCache.getType()}, q,
        k, v, keyCache, valueCache, at.start, layer, /*layer=*/IntegerAttr(),
        b.getI64IntegerAttr(config.numAttentionHeads),
        b.getI64IntegerAttr(config.numKeyValueHeads),
        b.getI64IntegerAttr(config.headDim), /*scale=*/FloatAttr(),
        /*rope_theta=*/FloatAttr(), /*rope_scaling=*/Llama3RopeScalingAttr());
    attended = attention.getOutput();
    keyCache = attention.getNewKeyCache();
    valueCache = attention.getNewValueCache();
  }
  Value attnOut = biasAdd(
      matmul(attended, names.oProj, d, config.queryFeatures()),
      names.oProj, config.outputBias);
  hidden = AddOp::create(b, loc, hidden, attnOut);
  // SwiGLU feed-forward block.
  normed = rmsNorm(hidden, names.postNorm);
  Value gate = matmul(normed, names.gateProj, config.intermediateSize, d);
  Value up = matmul(normed, names.upProj, config.intermediateSize, d);
  Value act = MulOp::create(b, loc, SiLUOp::create(b, loc, gate), up);
  Value down = matmul(act, names.downProj, d, config.intermediateSize);
  return AddOp::create(b, loc, hidden, down);
}

func::FuncOp
DecoderEmitter::layerFunction(StringRef entry, int64_t seqLen,
                              TypeRange positionTypes,
                              RankedTensorType cacheType,
                              const std::set<std::string> &q4_0) {
  func::FuncOp &func = layerFunctions[{entry.str(), q4_0}];
  if (func)
    return func;
  auto hiddenType = RankedTensorType::get({seqLen, config.hiddenSize}, f32);
  // (hidden, positions..., key cache, value cache, layer).
  SmallVector<Type> inputs = {hiddenType};
  llvm::append_range(inputs, positionTypes);
  inputs.append({cacheType, cacheType, b.getIndexType()});
  auto funcType =
      b.getFunctionType(inputs, {hiddenType, cacheType, cacheType});
  // Layers stored differently (a GGUF file mixing Q4_0 and float layers)
  // get functions of their own: @prefill_layer, @prefill_layer_1...
  int64_t variant = -1;
  for (auto &[key, f] : layerFunctions)
    variant += key.first == entry;
  std::string name = (entry + "_layer").str();
  if (variant > 0)
    name += "_" + std::to_string(variant);
  OpBuilder::InsertionGuard guard(b);
  func = func::FuncOp::create(b, loc, name, funcType);
  func.setPrivate();
  // The caches are named as the entry points' are: updated in place, they
  // stop being results once bufferized (llm-drop-returned-arguments).
  func.setResultAttr(1, "llm.name", b.getStringAttr(kKeyCacheName));
  func.setResultAttr(2, "llm.name", b.getStringAttr(kValueCacheName));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  unsigned caches = 1 + positionTypes.size();
  layerIndex = body->getArgument(caches + 2);
  q4_0Layers = &q4_0;
  RowPositions at;
  if (positionTypes.size() == 2)
    at = {Value(), body->getArgument(1), body->getArgument(2)};
  else
    at.start = body->getArgument(1);
  Value keyCache = body->getArgument(caches),
        valueCache = body->getArgument(caches + 1);
  Value hidden =
      emitLayer(body->getArgument(0), at, keyCache, valueCache, layerIndex);
  func::ReturnOp::create(b, loc, ValueRange{hidden, keyCache, valueCache});
  layerIndex = Value();
  q4_0Layers = nullptr;
  return func;
}

func::FuncOp DecoderEmitter::emit(StringRef name, int64_t seqLen,
                                  bool batched) {
  int64_t d = config.hiddenSize;
  // One sequence's caches (kvCacheShape); a batch's pools have a leading
  // dimension of slots.
  SmallVector<int64_t> cacheShape =
      kvCacheShape(config.numHiddenLayers, ShapedType::kDynamic,
                   config.numKeyValueHeads, config.headDim);
  if (batched)
    cacheShape.insert(cacheShape.begin(), ShapedType::kDynamic);
  auto cacheType = RankedTensorType::get(cacheShape, f32);
  auto tokensType = RankedTensorType::get({seqLen}, b.getI32Type());
  auto logitsType = RankedTensorType::get({seqLen, config.vocabSize}, f32);
  // The rows' places: a start position, or each row's slot and position.
  auto rowsType = RankedTensorType::get({seqLen}, b.getI64Type());
  SmallVector<Type> positionTypes;
  SmallVector<StringRef> positionNames;
  if (batched) {
    positionTypes = {rowsType, rowsType};
    positionNames = {"slots", "positions"};
  } else {
    positionTypes = {b.getIndexType()};
    positionNames = {"position"};
  }
  SmallVector<Type> inputs = {tokensType};
  llvm::append_range(inputs, positionTypes);
  inputs.append({cacheType, cacheType});
  auto funcType =
      b.getFunctionType(inputs, {logitsType, cacheType, cacheType});
  auto func = func::FuncOp::create(b, loc, name, funcType);
  unsigned caches = 1 + positionTypes.size();
  func.setArgAttr(0, "llm.name", b.getStringAttr("tokens"));
  for (auto [i, argName] : llvm::enumerate(positionNames))
    func.setArgAttr(1 + i, "llm.name", b.getStringAttr(argName));
  func.setArgAttr(caches, "llm.name", b.getStringAttr(kKeyCacheName));
  func.setArgAttr(caches + 1, "llm.name", b.getStringAttr(kValueCacheName));
  func.setResultAttr(0, "llm.name", b.getStringAttr("logits"));
  func.setResultAttr(1, "llm.name", b.getStringAttr(kKeyCacheName));
  func.setResultAttr(2, "llm.name", b.getStringAttr(kValueCacheName));

  OpBuilder::InsertionGuard guard(b);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokens = entry->getArgument(0);
  SmallVector<Value> positionArgs(
      entry->getArguments().slice(1, positionTypes.size()));
  Value keyCache = entry->getArgument(caches),
        valueCache = entry->getArgument(caches + 1);

  Value embedTable = param("model.embed_tokens.weight", {config.vocabSize, d});
  Value hidden = EmbeddingOp::create(
      b, loc, RankedTensorType::get({seqLen, d}, f32), embedTable, tokens);

  // One call per decoder layer, to the layer function (emitted once after
  // this entry point), so that the IR does not grow with depth.
  LayerParamNames any = LayerParamNames::forAnyLayer();
  for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer) {
    LayerParamNames names = LayerParamNames::forLayer(layer);
    std::set<std::string> q4_0;
    for (auto [concrete, templated] :
         llvm::zip(names.linearLayers(), any.linearLayers()))
      if (config.q4_0Weights.count(*concrete))
        q4_0.insert(*templated);
    func::FuncOp layerFunc;
    {
      OpBuilder::InsertionGuard layerGuard(b);
      b.setInsertionPointAfter(func);
      layerFunc = layerFunction(name, seqLen, positionTypes, cacheType, q4_0);
    }
    Value index = arith::ConstantIndexOp::create(b, loc, layer);
    SmallVector<Value> operands = {hidden};
    llvm::append_range(operands, positionArgs);
    operands.append({keyCache, valueCache, index});
    auto call = func::CallOp::create(b, loc, layerFunc, operands);
    hidden = call.getResult(0);
    keyCache = call.getResult(1);
    valueCache = call.getResult(2);
  }

  hidden = rmsNorm(hidden, "model.norm.weight");
  Value logits = matmul(hidden,
                        config.tieWordEmbeddings ? "model.embed_tokens.weight"
                                                 : "lm_head.weight",
                        config.vocabSize, d);
  func::ReturnOp::create(b, loc, ValueRange{logits, keyCache, valueCache});
  return func;
}

ModelConfigAttr configAttr(Builder &b, const LlamaConfig &c) {
  Llama3RopeScalingAttr ropeScaling;
  if (const auto &r = c.ropeScaling)
    ropeScaling = Llama3RopeScalingAttr::get(b.getContext(), r->factor,
                                             r->lowFreqFactor,
                                             r->highFreqFactor,
                                             r->originalMaxPosition);
  std::optional<int64_t> awqGroupSize;
  if (c.awq)
    awqGroupSize = c.awq->groupSize;
  return ModelConfigAttr::get(
      b.getContext(), c.name, c.vocabSize, c.hiddenSize, c.intermediateSize,
      c.numHiddenLayers, c.numAttentionHeads, c.numKeyValueHeads, c.headDim,
      c.maxPositionEmbeddings, APFloat(c.rmsNormEps), APFloat(c.ropeTheta),
      c.tieWordEmbeddings, c.bosTokenId, c.eosTokenIds, ropeScaling,
      awqGroupSize);
}

} // namespace

OwningOpRef<ModuleOp>
mlir::llm::buildLlamaModule(MLIRContext &context, const LlamaConfig &config,
                            const LlamaModuleOptions &options) {
  context.loadDialect<LLMDialect, arith::ArithDialect, func::FuncDialect>();
  OpBuilder b(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  if (!config.name.empty())
    module->setSymName(config.name);
  module->getOperation()->setAttr(kModelConfigAttrName, configAttr(b, config));
  b.setInsertionPointToEnd(module->getBody());
  DecoderEmitter emitter(b, config);
  emitter.emit("prefill", ShapedType::kDynamic);
  emitter.emit("decode", 1);
  if (options.batchedDecode)
    emitter.emit("decode_batch", ShapedType::kDynamic, /*batched=*/true);
  return module;
}
