//===- LLMAttrs.cpp - llm dialect attributes ------------------------------===//

#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>


using namespace mlir;
using namespace mlir::llm;

#define GET_ATTRDEF_CLASSES
#include "llm/Dialect/LLM/IR/LLMAttrs.cpp.inc"

void LLMDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "llm/Dialect/LLM/IR/LLMAttrs.cpp.inc"
      >();
}

LogicalResult
Llama3RopeScalingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              APFloat factorValue, APFloat lowValue,
                              APFloat highValue, int64_t originalMaxPosition) {
  double factor = factorValue.convertToDouble();
  double lowFreqFactor = lowValue.convertToDouble();
  double highFreqFactor = highValue.convertToDouble();
  if (!(factor > 0.0))
    return emitError() << "rope scaling factor must be positive, got "
                       << factor;
  if (!(lowFreqFactor > 0.0) || !(highFreqFactor > lowFreqFactor))
    return emitError() << "rope scaling needs 0 < low_freq_factor < "
                          "high_freq_factor, got "
                       << lowFreqFactor << " and " << highFreqFactor;
  if (originalMaxPosition <= 0)
    return emitError() << "rope scaling original_max_position must be "
                          "positive, got "
                       << originalMaxPosition;
  return success();
}

double Llama3RopeScalingAttr::scaleInverseFrequency(double invFreq) const {
  double original = static_cast<double>(getOriginalMaxPosition());
  double factor = getFactor().convertToDouble();
  double low = getLowFreqFactor().convertToDouble();
  double high = getHighFreqFactor().convertToDouble();
  double lowFreqWavelen = original / low;
  double highFreqWavelen = original / high;
  double wavelen = 2.0 * M_PI / invFreq;
  if (wavelen < highFreqWavelen)
    return invFreq;
  if (wavelen > lowFreqWavelen)
    return invFreq / factor;
  double smooth = (original / wavelen - low) / (high - low);
  return (1.0 - smooth) * invFreq / factor + smooth * invFreq;
}

LogicalResult
WeightTensorAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         StringRef name, RankedTensorType type,
                         ShardAttr shard) {
  if (name.empty())
    return emitError() << "a checkpoint tensor needs a name";
  if (!type || !type.hasStaticShape())
    return emitError() << "checkpoint tensor '" << name
                       << "' needs a static shape";
  if (shard && shard.getDim() >= type.getRank())
    return emitError() << "checkpoint tensor '" << name << "' of rank "
                       << type.getRank() << " cannot be sharded along dim "
                       << shard.getDim();
  return success();
}

//===----------------------------------------------------------------------===//
// ShardAttr
//===----------------------------------------------------------------------===//

LogicalResult ShardAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t dim, int64_t parts, int64_t ranks) {
  if (dim < 0)
    return emitError() << "a shard's dim must be non-negative, not " << dim;
  if (parts < 1 || ranks < parts || ranks % parts != 0)
    return emitError() << "a tensor cut into " << parts
                       << " parts cannot be shared evenly by " << ranks
                       << " ranks";
  return success();
}

//===----------------------------------------------------------------------===//
// ModuleABIAttr
//===----------------------------------------------------------------------===//

RankedTensorType ModuleABIAttr::getBufferType(int64_t index) const {
  int64_t raw = getTensors().size();
  return index < raw ? getTensors()[index].getType()
                     : getPrepared()[index - raw];
}

/// `keyword = [item, ...]`, each item parsed by `parseItem`.
static ParseResult parseList(AsmParser &parser, StringRef keyword,
                             function_ref<ParseResult()> parseItem) {
  if (parser.parseKeyword(keyword) || parser.parseEqual())
    return failure();
  return parser.parseCommaSeparatedList(AsmParser::Delimiter::Square,
                                        parseItem);
}

Attribute ModuleABIAttr::parse(AsmParser &parser, Type) {
  ModelConfigAttr config;
  SmallVector<WeightTensorAttr> tensors;
  SmallVector<int64_t> prepare, weights;
  SmallVector<RankedTensorType> prepared;
  SmallVector<ExposedActivationAttr> activations;
  RankedTensorType kvCache;
  auto parseIndex = [&](SmallVector<int64_t> &into) {
    return [&parser, &into]() -> ParseResult {
      int64_t value;
      if (parser.parseInteger(value))
        return failure();
      into.push_back(value);
      return success();
    };
  };
  if (parser.parseLess())
    return {};
  if (succeeded(parser.parseOptionalKeyword("config")) &&
      (parser.parseEqual() || parser.parseAttribute(config) ||
       parser.parseComma()))
    return {};
  if (parseList(parser, "tensors",
                [&]() -> ParseResult {
                  WeightTensorAttr tensor;
                  if (parser.parseAttribute(tensor))
                    return failure();
                  tensors.push_back(tensor);
                  return success();
                }) ||
      parser.parseComma() ||
      parseList(parser, "prepare", parseIndex(prepare)) ||
      parser.parseComma() ||
      parseList(parser, "prepared",
                [&]() -> ParseResult {
                  RankedTensorType type;
                  if (parser.parseType(type))
                    return failure();
                  prepared.push_back(type);
                  return success();
                }) ||
      parser.parseComma() ||
      parseList(parser, "weights", parseIndex(weights)))
    return {};
  while (succeeded(parser.parseOptionalComma())) {
    if (succeeded(parser.parseOptionalKeyword("kv_cache"))) {
      if (parser.parseEqual() || parser.parseType(kvCache))
        return {};
      continue;
    }
    if (parseList(parser, "activations", [&]() -> ParseResult {
          return parser.parseAttribute(activations.emplace_back());
        }))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), config, tensors, prepare, prepared,
                    weights, kvCache, activations);
}

void ModuleABIAttr::print(AsmPrinter &printer) const {
  printer << "<";
  if (ModelConfigAttr config = getConfig())
    printer << "config = " << config << ", ";
  printer << "tensors = [";
  llvm::interleaveComma(getTensors(), printer);
  printer << "], prepare = [";
  llvm::interleaveComma(getPrepare(), printer);
  printer << "], prepared = [";
  llvm::interleaveComma(getPrepared(), printer);
  printer << "], weights = [";
  llvm::interleaveComma(getWeights(), printer);
  printer << "]";
  if (RankedTensorType kvCache = getKvCache())
    printer << ", kv_cache = " << kvCache;
  if (!getActivations().empty()) {
    printer << ", activations = [";
    llvm::interleaveComma(getActivations(), printer);
    printer << "]";
  }
  printer << ">";
}

LogicalResult
ModuleABIAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      ModelConfigAttr, ArrayRef<WeightTensorAttr> tensors,
                      ArrayRef<int64_t> prepare,
                      ArrayRef<RankedTensorType> prepared,
                      ArrayRef<int64_t> weights, RankedTensorType kvCache,
                      ArrayRef<ExposedActivationAttr> activations) {
  llvm::StringSet<> names;
  for (WeightTensorAttr tensor : tensors) {
    if (!tensor)
      return emitError() << "malformed checkpoint tensor in #llm.abi";
    if (!names.insert(tensor.getName()).second)
      return emitError() << "#llm.abi lists checkpoint tensor '"
                         << tensor.getName() << "' twice";
  }
  auto raw = static_cast<int64_t>(tensors.size());
  for (int64_t index : prepare)
    if (index < 0 || index >= raw)
      return emitError() << "#llm.abi: @prepare argument " << index
                         << " is not one of the " << raw
                         << " checkpoint tensors";
  for (RankedTensorType type : prepared)
    if (!type || !type.hasStaticShape())
      return emitError() << "#llm.abi: prepared buffers need static shapes";
  if (kvCache && (kvCache.getRank() != 4 ||
                  !isa<FloatType>(kvCache.getElementType())))
    return emitError() << "#llm.abi: the KV cache type must be a 4-D float "
                          "tensor ([layers, kv_heads, context, head_dim]), got "
                       << kvCache;
  int64_t buffers = raw + static_cast<int64_t>(prepared.size());
  for (int64_t index : weights)
    if (index < 0 || index >= buffers)
      return emitError() << "#llm.abi: weight argument " << index
                         << " is not one of the " << buffers
                         << " buffers (checkpoint tensors, then prepared)";
  return success();
}

LogicalResult ExposedActivationAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, StringRef name,
    int64_t features, ArrayRef<StringAttr> sources) {
  if (name.empty() || sources.empty())
    return emitError() << "an exposed activation needs a name and the "
                          "checkpoint tensors of its weight";
  if (features <= 0)
    return emitError() << "exposed activation '" << name
                       << "' needs a positive number of features";
  return success();
}

LogicalResult ModelConfigAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, StringRef,
    int64_t vocabSize, int64_t hiddenSize, int64_t intermediateSize,
    int64_t numHiddenLayers, int64_t numAttentionHeads,
    int64_t numKeyValueHeads, int64_t headDim, int64_t maxPositionEmbeddings,
    APFloat rmsNormEps, APFloat ropeTheta, bool, int64_t bosTokenId,
    ArrayRef<int64_t> eosTokenIds, Llama3RopeScalingAttr,
    std::optional<int64_t> awqGroupSize) {
  // The bounds the importer enforces.
  struct Field {
    const char *name;
    int64_t value, limit;
  } fields[] = {{"vocab_size", vocabSize, int64_t(1) << 24},
                {"hidden_size", hiddenSize, int64_t(1) << 20},
                {"intermediate_size", intermediateSize, int64_t(1) << 20},
                {"num_hidden_layers", numHiddenLayers, 4096},
                {"num_attention_heads", numAttentionHeads, 4096},
                {"num_key_value_heads", numKeyValueHeads, 4096},
                {"head_dim", headDim, 4096},
                {"max_position_embeddings", maxPositionEmbeddings,
                 int64_t(1) << 24}};
  for (const Field &field : fields)
    if (field.value <= 0 || field.value > field.limit)
      return emitError() << "#llm.config field '" << field.name
                         << "' must be in [1, " << field.limit << "], not "
                         << field.value;
  if (numAttentionHeads % numKeyValueHeads != 0)
    return emitError() << "#llm.config: " << numAttentionHeads
                       << " attention heads cannot share " << numKeyValueHeads
                       << " key/value heads evenly";
  if (!(rmsNormEps.convertToDouble() > 0) || !(ropeTheta.convertToDouble() > 0))
    return emitError() << "#llm.config: rms_norm_eps and rope_theta must be "
                          "positive";
  SmallVector<int64_t> ids{bosTokenId};
  llvm::append_range(ids, eosTokenIds);
  for (int64_t id : ids)
    if (id < 0 || id >= vocabSize)
      return emitError() << "#llm.config: token id " << id
                         << " is not in the vocabulary [0, " << vocabSize
                         << ")";
  if (awqGroupSize && *awqGroupSize <= 0)
    return emitError() << "#llm.config: awq_group_size must be positive";
  return success();
}

ModelConfigAttr mlir::llm::getModelConfig(Operation *module) {
  if (auto abi = module->getAttrOfType<ModuleABIAttr>(kModuleABIAttrName))
    if (ModelConfigAttr config = abi.getConfig())
      return config;
  return module->getAttrOfType<ModelConfigAttr>(kModelConfigAttrName);
}
