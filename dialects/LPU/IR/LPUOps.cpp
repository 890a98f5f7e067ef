//===- LPUOps.cpp - lpu dialect operation verifiers -----------------------===//
//
// Verifiers of single operations. The checks that span a whole schedule or
// program (unit overlap, SRAM capacity, data arrival) are in
// ScheduleVerifier.cpp.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LPU/IR/LPUOps.h"

using namespace mlir;
using namespace mlir::llm::lpu;

#define GET_OP_CLASSES
#include "llm/Dialect/LPU/IR/LPUOps.cpp.inc"

int64_t PlaceOp::getPayloadBytes() {
  int64_t elements = 1;
  for (int64_t size : getSizes())
    elements *= size;
  return (elements * getBits() + 7) / 8;
}

LogicalResult PlaceOp::verify() {
  if (getOffsets().size() != getSizes().size())
    return emitOpError("has ") << getOffsets().size() << " offsets but "
                               << getSizes().size() << " sizes";
  if (llvm::any_of(getOffsets(), [](int64_t v) { return v < 0; }))
    return emitOpError("offsets must be non-negative");
  if (llvm::any_of(getSizes(), [](int64_t v) { return v <= 0; }))
    return emitOpError("sizes must be positive");
  if (getBits() != 4 && getBits() != 8 && getBits() != 16)
    return emitOpError("bits must be 4, 8 or 16, not ") << getBits();
  // I64Attr getters are unsigned: read the signed values.
  if (getChipAttr().getInt() < 0 || getFirstSliceAttr().getInt() < 0 ||
      getNumSlicesAttr().getInt() <= 0 || getBytesPerSliceAttr().getInt() < 0)
    return emitOpError("needs a non-negative chip and first slice, and at "
                       "least one slice");
  if (getReservedBytes() < getPayloadBytes())
    return emitOpError("reserves ")
           << getReservedBytes() << " bytes (" << getNumSlices() << " x "
           << getBytesPerSlice() << ") for a shard of " << getPayloadBytes()
           << " bytes";
  return success();
}

LogicalResult InstructionsOp::verify() {
  // I64Attr getters are unsigned: read the signed values.
  if (getChipAttr().getInt() < 0 || getOperationsAttr().getInt() < 0 ||
      getBytesAttr().getInt() < 0 || getFirstSliceAttr().getInt() < 0 ||
      getNumSlicesAttr().getInt() <= 0 || getBytesPerSliceAttr().getInt() < 0)
    return emitOpError("needs a non-negative chip, operation count, bytes and "
                       "first slice, and at least one slice");
  if (getReservedBytes() < static_cast<int64_t>(getBytes()))
    return emitOpError("reserves ")
           << getReservedBytes() << " bytes (" << getNumSlices() << " x "
           << getBytesPerSlice() << ") for " << getBytes()
           << " bytes of instructions";
  return success();
}

/// Resolves `name` to an lpu.place of the enclosing program on `chip`.
static FailureOr<PlaceOp> lookupPlacement(Operation *op,
                                          FlatSymbolRefAttr name,
                                          int64_t chip) {
  auto program = op->getParentOfType<ProgramOp>();
  auto place = program ? SymbolTable::lookupNearestSymbolFrom<PlaceOp>(
                             program, name)
                       : PlaceOp();
  if (!place)
    return op->emitOpError("refers to ")
           << name << ", which is not an lpu.place of the program";
  if (place.getChip() != chip)
    return op->emitOpError("runs on chip ")
           << chip << " but " << name << " is resident on chip "
           << place.getChip();
  return place;
}

LogicalResult MatmulOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  if (getResult().getType().getRank() != 2)
    return emitOpError("expects [tokens, features] activations");
  int64_t inner = 0;
  int64_t tokens = getResult().getType().getDimSize(0);
  for (Value input : getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getRank() != 2)
      return emitOpError("expects [tokens, features] activations");
    if (type.getDimSize(0) != tokens)
      return emitOpError("inputs and result disagree on the token count");
    inner += type.getDimSize(1);
  }
  FailureOr<PlaceOp> place = lookupPlacement(*this, getWeightsAttr(), getChip());
  if (failed(place))
    return failure();
  ArrayRef<int64_t> sizes = place->getSizes();
  if (sizes.size() != 2)
    return emitOpError("weights must be a 2-D shard");
  if (sizes[1] != inner || sizes[0] != getResult().getType().getDimSize(1))
    return emitOpError("multiplies [")
           << tokens << ", " << inner << "] by a weight shard of ["
           << sizes[0] << ", " << sizes[1] << "] giving "
           << getResult().getType();
  if (!getMxm() || getMxm()->empty())
    return emitOpError("must occupy at least one matrix unit");
  if (getLatencyCycles() < 0)
    return emitOpError("needs a non-negative latency");
  return success();
}

LogicalResult AttentionOp::verify() {
  if (getInputs().size() < 3)
    return emitOpError("needs the queries, keys and values as inputs");
  if (getFirstKvHeadAttr().getInt() < 0 || getKvHeadsAttr().getInt() <= 0)
    return emitOpError("needs a non-negative first KV head and at least one");
  FailureOr<PlaceOp> cache = lookupPlacement(*this, getCacheAttr(), getChip());
  if (failed(cache))
    return failure();
  ArrayRef<int64_t> offsets = cache->getOffsets(), sizes = cache->getSizes();
  if (sizes.size() != 4 || sizes[0] != 2)
    return emitOpError("cache must be a [2, context, kv_heads, head_dim] shard");
  int64_t first = getFirstKvHeadAttr().getInt();
  if (first < offsets[2] || first + getKvHeadsAttr().getInt() >
                                offsets[2] + sizes[2])
    return emitOpError("attends KV heads [")
           << first << ", " << first + getKvHeadsAttr().getInt()
           << ") but its cache shard holds [" << offsets[2] << ", "
           << offsets[2] + sizes[2] << ")";
  if (!getMxm() || getMxm()->empty() || !getVxm() || getVxm()->empty())
    return emitOpError("must occupy matrix and vector units");
  return success();
}

LogicalResult VectorOp::verify() {
  static constexpr llvm::StringLiteral kinds[] = {
      "embedding", "rms_norm", "rope", "silu", "silu_mul", "add", "mul",
      "bias_add", "select"};
  if (!llvm::is_contained(kinds, getKind()))
    return emitOpError("unknown vector work '") << getKind() << "'";
  if (getKind() == "embedding" ? !getInputs().empty() : getInputs().empty())
    return emitOpError(getKind() == "embedding"
                           ? "embedding takes no activation inputs"
                           : "needs at least one input");
  if (auto weights = getWeightsAttr())
    if (failed(lookupPlacement(*this, weights, getChip())))
      return failure();
  if (!getVxm() || getVxm()->empty())
    return emitOpError("must occupy at least one vector unit");
  return success();
}

LogicalResult TransferOp::verify() {
  if (getTo() == getChip())
    return emitOpError("sends chip ") << getChip() << " data to itself";
  if (!getLinks() || getLinks()->empty())
    return emitOpError("must occupy at least one chip-to-chip link");
  // That start + duration + latency does not overflow is the schedule's
  // check (ScheduleOp::verifyRegions), shared by every scheduled op.
  if (getLatencyCycles() < 0)
    return emitOpError("needs a non-negative latency");
  if (getStreamed() && !getInput().getDefiningOp<MatmulOp>())
    return emitOpError("streams only the result of an lpu.matmul");
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  if (in.getRank() != 2 || out.getRank() != 2 ||
      in.getElementType() != out.getElementType() ||
      in.getDimSize(0) != out.getDimSize(0))
    return emitOpError("sends [tokens, features] activations: ")
           << in << " cannot arrive as " << out;
  int64_t first = getColumns() ? static_cast<int64_t>(*getColumns()) : 0;
  if (!getColumns() && in != out)
    return emitOpError("without columns sends its whole input, ")
           << in << ", not " << out;
  if (getColumnsAttr() && (getColumnsAttr().getInt() < 0 ||
                           out.getDimSize(1) > in.getDimSize(1) ||
                           first > in.getDimSize(1) - out.getDimSize(1)))
    return emitOpError("sends columns [")
           << getColumnsAttr().getInt() << ", "
           << uint64_t(getColumnsAttr().getInt()) + uint64_t(out.getDimSize(1))
           << ") of " << in;
  return success();
}
