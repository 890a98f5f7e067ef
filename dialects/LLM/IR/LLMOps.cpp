//===- LLMOps.cpp - llm dialect operations and verifiers ------------------===//

#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::llm;

/// Two dimensions agree unless both are static and differ.
static bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string dimToString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Checks that all of `values` share one element type.
static LogicalResult verifySameElementType(Operation *op, ValueRange values) {
  Type expected = getElementTypeOrSelf(values.front().getType());
  for (Value v : values.drop_front())
    if (getElementTypeOrSelf(v.getType()) != expected)
      return op->emitOpError("requires all tensors to have element type ")
             << expected << ", but got " << v.getType();
  return success();
}

/// Checks that the weight `weight` is stored in the element type of
/// `activation`, or in a 16-bit float type that widens to it (f16 or bf16
/// weights with f32 activations: weights keep their checkpoint's precision
/// and are widened where they are read).
static LogicalResult verifyWeightElementType(Operation *op, Value weight,
                                             Value activation) {
  Type stored = getElementTypeOrSelf(weight.getType());
  Type compute = getElementTypeOrSelf(activation.getType());
  if (isWeightStorageOf(stored, compute))
    return success();
  return op->emitOpError("requires a weight of element type ")
         << compute << " (or f16/bf16 with f32 activations), but got "
         << weight.getType();
}

bool mlir::llm::isWeightStorageOf(Type stored, Type compute) {
  return stored == compute ||
         (compute.isF32() && (stored.isF16() || stored.isBF16()));
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult PairDotI16Op::verify() {
  int64_t pairs = getLhs().getType().getNumElements() / 2;
  if (getResult().getType().getNumElements() != pairs)
    return emitOpError("expects one int32 result lane per pair of int16 "
                       "input lanes (")
           << pairs << "), got " << getResult().getType();
  return success();
}

SmallVector<ParamOp> mlir::llm::stackedParameters(Value weight) {
  if (auto param = weight.getDefiningOp<ParamOp>())
    return {param};
  auto concat = weight.getDefiningOp<tensor::ConcatOp>();
  if (!concat || concat.getDim() != 0)
    return {};
  SmallVector<ParamOp> params;
  for (Value part : concat.getInputs()) {
    auto param = part.getDefiningOp<ParamOp>();
    if (!param)
      return {};
    params.push_back(param);
  }
  return params;
}

std::string mlir::llm::layerName(ArrayRef<ParamOp> paramsIn) {
  SmallVector<ParamOp> params(paramsIn.begin(), paramsIn.end());
  if (params.empty())
    return "";
  StringRef first = params.front().getName();
  if (params.size() == 1)
    return first.str();
  size_t common = first.size();
  for (ParamOp param : ArrayRef<ParamOp>(params).drop_front()) {
    StringRef name = param.getName();
    size_t i = 0;
    while (i < common && i < name.size() && name[i] == first[i])
      ++i;
    common = i;
  }
  // Back up to a component boundary.
  common = first.substr(0, common).rfind('.') + 1;
  std::string out = first.substr(0, common).str();
  for (auto [i, param] : llvm::enumerate(params)) {
    StringRef rest = param.getName().drop_front(common);
    rest.consume_back(".weight");
    out += (i ? "+" : "") + rest.str();
  }
  return out + ".weight";
}

std::string mlir::llm::weightLayerName(Value weight) {
  if (SmallVector<ParamOp> params = stackedParameters(weight); !params.empty())
    return layerName(params);
  Operation *def = weight.getDefiningOp();
  if (auto scaled = dyn_cast_or_null<ScaleColumnsOp>(def))
    return weightLayerName(scaled.getWeight());
  if (auto quantized = dyn_cast_or_null<QuantizeInt4Op>(def))
    return weightLayerName(quantized.getWeight());
  if (auto repacked = dyn_cast_or_null<RepackAwqOp>(def))
    return weightLayerName(repacked.getQweight());
  if (auto repacked = dyn_cast_or_null<RepackQ4_0Op>(def))
    return weightLayerName(repacked.getBlocks());
  return "";
}

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError("requires a non-empty parameter name");
  size_t placeholders = getName().count(kLayerPlaceholder);
  if (getLayer() && placeholders != 1)
    return emitOpError("with a layer operand needs exactly one '")
           << kLayerPlaceholder << "' in its name, got '" << getName() << "'";
  if (!getLayer() && placeholders != 0)
    return emitOpError("name '")
           << getName() << "' has a layer placeholder but no layer operand";
  if (ShardAttr shard = getShardAttr();
      shard && shard.getDim() >= getType().getRank())
    return emitOpError("of rank ")
           << getType().getRank() << " cannot be sharded along dim "
           << shard.getDim();
  return success();
}

std::string ParamOp::getNameForLayer(int64_t layer) {
  StringRef name = getName();
  size_t at = name.find(kLayerPlaceholder);
  if (at == StringRef::npos)
    return name.str();
  return (name.take_front(at) + llvm::Twine(layer) +
          name.drop_front(at + kLayerPlaceholder.size()))
      .str();
}

OpFoldResult ParamOp::fold(FoldAdaptor adaptor) {
  // A constant layer names one tensor: the plain parameter (in place).
  auto layer = llvm::dyn_cast_if_present<IntegerAttr>(adaptor.getLayer());
  if (!layer || layer.getValue().isNegative())
    return {};
  setName(getNameForLayer(layer.getInt()));
  getLayerMutable().clear();
  return getResult();
}

//===----------------------------------------------------------------------===//
// Weight transforms
//===----------------------------------------------------------------------===//

LogicalResult ScaleColumnsOp::verify() {
  auto weight = getWeight().getType();
  if (getScale().getType().getDimSize(0) != weight.getDimSize(1))
    return emitOpError("scales the ")
           << weight.getDimSize(1) << " columns of " << weight << " by "
           << getScale().getType();
  if (getResult().getType().getShape() != weight.getShape())
    return emitOpError("result ")
           << getResult().getType() << " must have the shape of " << weight;
  return success();
}

/// Checks the (qweight, scales, zeros) types of an INT4 pack of an
/// `[out, in]` matrix in groups of `groupSize` (`zeros` null: a symmetric
/// pack, which has none).
static LogicalResult verifyInt4Results(Operation *op, int64_t out, int64_t in,
                                       int64_t groupSize, Type qweight,
                                       Type scales, Type zeros) {
  if (!isInt4GroupSize(groupSize))
    return op->emitOpError("group_size must be a positive multiple of 8 up "
                           "to ")
           << kMaxInt4GroupSize << ", not " << groupSize;
  int64_t groups = (in + groupSize - 1) / groupSize;
  Type expected = int4QweightType(op->getContext(), out, groups, groupSize);
  if (qweight != expected)
    return op->emitOpError("packs a [")
           << out << ", " << in << "] matrix into " << expected << ", not "
           << qweight;
  auto groupType = int4ParamsType(op->getContext(), out, groups);
  if (scales != groupType)
    return op->emitOpError("scales of a [")
           << out << ", " << in << "] matrix are " << groupType << ", not "
           << scales;
  auto zerosType = int4ZerosType(op->getContext(), out, groups);
  if (zeros && zeros != zerosType)
    return op->emitOpError("zero points of a [")
           << out << ", " << in << "] matrix are " << zerosType << ", not "
           << zeros;
  return success();
}

void QuantizeInt4Op::build(OpBuilder &b, OperationState &state, Value weight,
                           int64_t groupSize, bool symmetric) {
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t out = type.getDimSize(0), in = type.getDimSize(1);
  int64_t groups = (in + groupSize - 1) / groupSize;
  build(b, state, int4QweightType(b.getContext(), out, groups, groupSize),
        int4ParamsType(b.getContext(), out, groups),
        int4ZerosType(b.getContext(), out, groups), weight, groupSize,
        symmetric);
}

LogicalResult QuantizeInt4Op::verify() {
  auto weight = getWeight().getType();
  return verifyInt4Results(*this, weight.getDimSize(0), weight.getDimSize(1),
                           getGroupSize(), getQweight().getType(),
                           getScales().getType(), getZeros().getType());
}

void RepackAwqOp::build(OpBuilder &b, OperationState &state, Value qweight,
                        Value qzeros, Value awqScales, int64_t groupSize) {
  auto type = cast<RankedTensorType>(qweight.getType());
  int64_t in = type.getDimSize(0), out = type.getDimSize(1) * 8;
  int64_t groups = (in + groupSize - 1) / groupSize;
  build(b, state, int4QweightType(b.getContext(), out, groups, groupSize),
        int4ParamsType(b.getContext(), out, groups),
        int4ZerosType(b.getContext(), out, groups), qweight, qzeros,
        awqScales, groupSize);
}

LogicalResult RepackAwqOp::verify() {
  auto qweight = getQweight().getType();
  int64_t in = qweight.getDimSize(0), out = qweight.getDimSize(1) * 8;
  int64_t g = getGroupSize();
  if (g <= 0 || in % g)
    return emitOpError("an AWQ layer has whole groups: ")
           << in << " inputs are not a multiple of group_size " << g;
  int64_t groups = in / g;
  if (getQzeros().getType().getShape() != ArrayRef<int64_t>{groups, out / 8})
    return emitOpError("qzeros of an AWQ layer with qweight ")
           << qweight << " must be [" << groups << ", " << out / 8
           << "], not " << getQzeros().getType();
  if (getAwqScales().getType().getShape() != ArrayRef<int64_t>{groups, out})
    return emitOpError("scales of an AWQ layer with qweight ")
           << qweight << " must be [" << groups << ", " << out << "], not "
           << getAwqScales().getType();
  return verifyInt4Results(*this, out, in, g, getPacked().getType(),
                           getScales().getType(), getZeros().getType());
}

void RepackQ4_0Op::build(OpBuilder &b, OperationState &state, Value blocks) {
  auto type = cast<RankedTensorType>(blocks.getType());
  int64_t out = type.getDimSize(0), groups = type.getDimSize(1) / kBlockBytes;
  auto groupType = int4ParamsType(b.getContext(), out, groups);
  build(b, state, int4QweightType(b.getContext(), out, groups, kBlockValues),
        groupType, blocks);
}

LogicalResult RepackQ4_0Op::verify() {
  auto blocks = getBlocks().getType();
  if (blocks.isDynamicDim(0) || blocks.isDynamicDim(1) ||
      blocks.getDimSize(1) % kBlockBytes != 0)
    return emitOpError("blocks must be [out, in / 32 * 18] bytes, not ") << blocks;
  int64_t out = blocks.getDimSize(0);
  int64_t in = blocks.getDimSize(1) / kBlockBytes * kBlockValues;
  return verifyInt4Results(*this, out, in, kBlockValues, getPacked().getType(),
                           getScales().getType(), /*zeros=*/Type());
}

//===----------------------------------------------------------------------===//
// MatmulInt4Op
//===----------------------------------------------------------------------===//

LogicalResult MatmulInt4Op::verify() {
  auto input = getInput().getType();
  auto qweight = getQweight().getType();
  auto scales = getScales().getType();
  // Without zero points (all 8), the checks of the zeros are those of the
  // scales.
  auto zeros = getZeros() ? getZeros().getType() : scales;
  auto result = getResult().getType();
  if (failed(verifySameElementType(*this, {getInput(), getResult()})))
    return failure();
  int64_t g = getGroupSize();
  if (!qweight.hasStaticShape() || !scales.hasStaticShape() ||
      !zeros.hasStaticShape())
    return emitOpError("needs static qweight, scales and zeros shapes");
  if (!isInt4GroupSize(g))
    return emitOpError("group_size must be a positive multiple of 8 up to 8192, not ")
           << g;
  if (qweight.getRank() != 4 || qweight.getDimSize(2) != g / kInt4NibblesPerWord)
    return emitOpError("qweight must be [out / tile, groups, ")
           << g / kInt4NibblesPerWord << ", tile] words for group_size " << g
           << ", not " << qweight;
  int64_t tiles = qweight.getDimSize(0), groups = qweight.getDimSize(1),
          tile = qweight.getDimSize(3), out = tiles * tile;
  SmallVector<int64_t, 3> paramsShape{tiles, groups, tile};
  if (scales.getShape() != ArrayRef(paramsShape) ||
      zeros.getShape() != ArrayRef(paramsShape))
    return emitOpError("scales and zeros must be [")
           << tiles << ", " << groups << ", " << tile
           << "] like qweight's tiles and groups, not " << scales << " and "
           << zeros;
  int64_t in = input.getDimSize(1);
  if (!ShapedType::isDynamic(in) && (in + g - 1) / g != groups)
    return emitOpError("input features ")
           << in << " make " << (in + g - 1) / g << " groups of " << g
           << " but qweight has " << groups;
  if (ShapedType::isDynamic(in))
    return emitOpError("needs a static number of input features");
  if (Value scale = getInputScale()) {
    auto type = cast<RankedTensorType>(scale.getType());
    if (type.getDimSize(0) != in || type.getElementType() != input.getElementType())
      return emitOpError("input_scale must be a ")
             << in << "-element vector of the input's element type, not "
             << type;
  }
  if (!dimsCompatible(result.getDimSize(1), out))
    return emitOpError("result features ")
           << dimToString(result.getDimSize(1))
           << " do not match the weight's out_features " << out;
  if (!dimsCompatible(result.getDimSize(0), input.getDimSize(0)))
    return emitOpError("result rows ")
           << dimToString(result.getDimSize(0)) << " do not match input rows "
           << dimToString(input.getDimSize(0));
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  auto table = getTable().getType();
  auto ids = getIds().getType();
  auto result = getResult().getType();
  if (failed(verifyWeightElementType(*this, getTable(), getResult())))
    return failure();
  if (!dimsCompatible(table.getDimSize(1), result.getDimSize(1)))
    return emitOpError("result hidden size ")
           << dimToString(result.getDimSize(1))
           << " does not match the table's hidden size "
           << dimToString(table.getDimSize(1));
  if (!dimsCompatible(ids.getDimSize(0), result.getDimSize(0)))
    return emitOpError("result has ")
           << dimToString(result.getDimSize(0)) << " rows but there are "
           << dimToString(ids.getDimSize(0)) << " token ids";
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  auto input = getInput().getType();
  auto weight = getWeight().getType();
  if (failed(verifyWeightElementType(*this, getWeight(), getInput())))
    return failure();
  if (input.getRank() < 1)
    return emitOpError("requires an input of rank >= 1");
  int64_t hidden = input.getDimSize(input.getRank() - 1);
  if (!dimsCompatible(hidden, weight.getDimSize(0)))
    return emitOpError("weight size ")
           << dimToString(weight.getDimSize(0))
           << " does not match the normalized dimension "
           << dimToString(hidden);
  if (!(getEps().convertToDouble() > 0.0))
    return emitOpError("requires a positive eps");
  return success();
}

//===----------------------------------------------------------------------===//
// BiasAddOp
//===----------------------------------------------------------------------===//

LogicalResult BiasAddOp::verify() {
  auto input = getInput().getType();
  auto bias = getBias().getType();
  if (failed(verifyWeightElementType(*this, getBias(), getInput())))
    return failure();
  if (input.getRank() < 1)
    return emitOpError("requires an input of rank >= 1");
  int64_t features = input.getDimSize(input.getRank() - 1);
  if (!dimsCompatible(features, bias.getDimSize(0)))
    return emitOpError("bias size ")
           << dimToString(bias.getDimSize(0)) << " does not match the "
           << dimToString(features) << " features of the input";
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto input = getInput().getType();
  auto weight = getWeight().getType();
  auto result = getResult().getType();
  if (failed(verifySameElementType(*this, {getInput(), getResult()})) ||
      failed(verifyWeightElementType(*this, getWeight(), getInput())))
    return failure();
  if (!dimsCompatible(input.getDimSize(1), weight.getDimSize(1)))
    return emitOpError("input features ")
           << dimToString(input.getDimSize(1))
           << " do not match the weight's in_features "
           << dimToString(weight.getDimSize(1))
           << " (weight layout is [out_features, in_features])";
  if (!dimsCompatible(result.getDimSize(1), weight.getDimSize(0)))
    return emitOpError("result features ")
           << dimToString(result.getDimSize(1))
           << " do not match the weight's out_features "
           << dimToString(weight.getDimSize(0));
  if (!dimsCompatible(result.getDimSize(0), input.getDimSize(0)))
    return emitOpError("result rows ")
           << dimToString(result.getDimSize(0)) << " do not match input rows "
           << dimToString(input.getDimSize(0));
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  int64_t headDim = getHeadDim();
  if (headDim % 2 != 0)
    return emitOpError("requires an even head_dim, got ") << headDim;
  int64_t features = getInput().getType().getDimSize(1);
  if (!ShapedType::isDynamic(features) && features % headDim != 0)
    return emitOpError("feature size ")
           << features << " is not a multiple of head_dim " << headDim;
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError("requires a positive theta");
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp and BatchedAttentionOp
//===----------------------------------------------------------------------===//

/// What llm.attention and llm.batched_attention share: heads, rotary
/// embedding, scale, element types, and the feature sizes of the query,
/// key and value rows and of the cache's kv_heads and head_dim
/// (kvCacheShape).
template <typename Op>
static LogicalResult verifyAttentionCommon(Op op, RankedTensorType cache) {
  int64_t heads = op.getNumHeads(), kvHeads = op.getNumKvHeads();
  int64_t headDim = op.getHeadDim();
  if (op.getRopeScalingAttr() && !op.getRopeThetaAttr())
    return op.emitOpError("rope_scaling needs rope_theta");
  if (auto theta = op.getRopeTheta()) {
    if (!(theta->convertToDouble() > 0.0))
      return op.emitOpError("requires a positive rope_theta");
    if (headDim % 2 != 0)
      return op.emitOpError("rotary embeddings need an even head_dim, got ")
             << headDim;
  }
  if (heads % kvHeads != 0)
    return op.emitOpError("num_heads (")
           << heads << ") must be a multiple of num_kv_heads (" << kvHeads
           << ")";
  if (failed(verifySameElementType(
          op, {op.getQuery(), op.getKey(), op.getOutput()})))
    return failure();
  // The caches hold the activations' type, or a 16-bit float that widens to
  // it (f16/bf16 caches of f32 keys and values: half the bytes a step
  // reads, as `llm-kv-cache-type` makes them).
  if (!isWeightStorageOf(cache.getElementType(),
                         op.getQuery().getType().getElementType()))
    return op.emitOpError("requires KV caches of element type ")
           << op.getQuery().getType().getElementType()
           << " (or f16/bf16 with f32 activations), but got " << cache;
  auto query = op.getQuery().getType();
  auto key = op.getKey().getType();
  if (!dimsCompatible(query.getDimSize(1), heads * headDim))
    return op.emitOpError("query features ")
           << dimToString(query.getDimSize(1)) << " != num_heads * head_dim = "
           << heads * headDim;
  if (!dimsCompatible(key.getDimSize(1), kvHeads * headDim))
    return op.emitOpError("key/value features ")
           << dimToString(key.getDimSize(1))
           << " != num_kv_heads * head_dim = " << kvHeads * headDim;
  if (!dimsCompatible(query.getDimSize(0), key.getDimSize(0)))
    return op.emitOpError("query rows ")
           << dimToString(query.getDimSize(0)) << " != key/value rows "
           << dimToString(key.getDimSize(0));
  int64_t rank = cache.getRank();
  if (!dimsCompatible(cache.getDimSize(rank - kKVCacheHeadsFromEnd),
                      kvHeads) ||
      !dimsCompatible(cache.getDimSize(rank - 1), headDim))
    return op.emitOpError("KV cache must be [")
           << (rank == 5 ? "slots, " : "") << "layers, " << kvHeads
           << ", context, " << headDim << "], got " << cache;
  if (auto scale = op.getScale(); scale && !(scale->convertToDouble() > 0.0))
    return op.emitOpError("requires a positive scale");
  return success();
}

LogicalResult BatchedAttentionOp::verify() {
  if (failed(verifyAttentionCommon(*this, getKeyCache().getType())))
    return failure();
  int64_t rows = getQuery().getType().getDimSize(0);
  int64_t slots = getSlots().getType().getDimSize(0);
  if (!dimsCompatible(rows, slots))
    return emitOpError("query rows ")
           << dimToString(rows) << " != slots and positions "
           << dimToString(slots);
  return success();
}


double AttentionOp::getEffectiveScale() {
  if (auto scale = getScale())
    return scale->convertToDouble();
  return 1.0 / std::sqrt(static_cast<double>(getHeadDim()));
}

OpFoldResult AttentionOp::getCacheLayer() {
  if (Value index = getLayerIndex())
    return index;
  return getLayerAttr();
}

LogicalResult AttentionOp::fold(FoldAdaptor adaptor,
                                SmallVectorImpl<OpFoldResult> &results) {
  // A constant layer index becomes the attribute (in place).
  auto layer =
      llvm::dyn_cast_if_present<IntegerAttr>(adaptor.getLayerIndex());
  int64_t layers = getKeyCache().getType().getDimSize(0);
  if (!layer || layer.getValue().isNegative() ||
      (!ShapedType::isDynamic(layers) && layer.getInt() >= layers))
    return failure();
  setLayer(layer.getInt());
  getLayerIndexMutable().clear();
  return success();
}

/// `layer 3` (a constant) or `layer %l` (an index value).
static ParseResult
parseLayerRef(OpAsmParser &parser,
              std::optional<OpAsmParser::UnresolvedOperand> &index,
              IntegerAttr &layer) {
  OpAsmParser::UnresolvedOperand operand;
  OptionalParseResult parsed = parser.parseOptionalOperand(operand);
  if (parsed.has_value()) {
    if (failed(*parsed))
      return failure();
    index = operand;
    return success();
  }
  int64_t value = 0;
  if (parser.parseInteger(value))
    return failure();
  layer = parser.getBuilder().getI64IntegerAttr(value);
  return success();
}

static void printLayerRef(OpAsmPrinter &printer, Operation *, Value index,
                          IntegerAttr layer) {
  if (index)
    printer << index;
  else
    printer << layer.getInt();
}

LogicalResult AttentionOp::verify() {
  if (static_cast<bool>(getLayerIndex()) == static_cast<bool>(getLayerAttr()))
    return emitOpError("needs either a constant layer or a layer index");
  auto cache = getKeyCache().getType();
  if (failed(verifyAttentionCommon(*this, cache)))
    return failure();
  int64_t layers = cache.getDimSize(0);
  if (!ShapedType::isDynamic(layers) && getLayer() &&
      static_cast<int64_t>(*getLayer()) >= layers)
    return emitOpError("layer ")
           << *getLayer() << " is out of range for a KV cache of " << layers
           << " layers";
  return success();
}

#define GET_OP_CLASSES
#include "llm/Dialect/LLM/IR/LLMOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Point-to-point transfers
//===----------------------------------------------------------------------===//

LogicalResult RecvOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (getDynamicSizes().size() != static_cast<size_t>(type.getNumDynamicDims()))
    return emitOpError("has ")
           << getDynamicSizes().size() << " sizes for the "
           << type.getNumDynamicDims() << " dynamic dimensions of " << type;
  return success();
}

LogicalResult AllGatherOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  int64_t dim = getDim();
  if (dim >= input.getRank() || input.getRank() != result.getRank())
    return emitOpError("gathers dim ")
           << dim << " of " << input << " into " << result;
  for (int64_t d = 0; d < input.getRank(); ++d) {
    int64_t want = input.getDimSize(d);
    if (d == dim)
      want = ShapedType::isDynamic(want) ? want : want * getRanks();
    if (want != result.getDimSize(d))
      return emitOpError("result ")
             << result << " is not " << getRanks() << " parts " << input
             << " along dim " << dim;
  }
  if (ShapedType::isDynamic(input.getDimSize(dim)))
    return emitOpError("gathers a dynamic dimension");
  return success();
}
