//===- LLMDialect.cpp - llm dialect registration --------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::llm;

#include "llm/Dialect/LLM/IR/LLMOpsDialect.cpp.inc"

namespace {
/// Every llm op is pure and refers to nothing outside its operands: a
/// decoder-layer function inlines into its callers as it is.
struct LLMInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void LLMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "llm/Dialect/LLM/IR/LLMOps.cpp.inc"
      >();
  addInterfaces<LLMInlinerInterface>();
  registerAttributes();
}

/// Verifies a model's #llm.config against the module's entry points: the
/// KV caches (`kvCacheShape`, with a leading
/// dimension of slots for @decode_batch's pools) and logits
/// (`[tokens, vocab]`) of the entry points, while they are still tensors
/// or memrefs, have the sizes it gives. A config that disagrees with the
/// code would make the runtime size buffers wrongly.
static LogicalResult verifyConfigAgainstEntryPoints(Operation *op,
                                                    ModelConfigAttr config) {
  auto module = cast<ModuleOp>(op);
  // A tensor-parallel module holds its rank's KV heads, a pipeline stage
  // its layers.
  auto [stages, stage] = getPipelineStage(module);
  SmallVector<int64_t> cacheShape = kvCacheShape(
      stageLayers(config.getNumHiddenLayers(), stages, stage).count,
      ShapedType::kDynamic,
      kvHeadsPerRank(config.getNumKeyValueHeads(),
                     getTensorParallelRanks(module)),
      config.getHeadDim());
  for (StringRef name : kEntryPointNames) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func)
      continue;
    FunctionType type = func.getFunctionType();
    auto shapeOf = [](Type t) -> std::optional<ArrayRef<int64_t>> {
      if (auto shaped = dyn_cast<ShapedType>(t); shaped && shaped.hasRank())
        return shaped.getShape();
      return std::nullopt;
    };
    // The caches and logits are the arguments and result the importer
    // names (`llm.name`), wherever later passes moved them.
    for (unsigned arg = 0; arg < type.getNumInputs(); ++arg) {
      auto argName = func.getArgAttrOfType<StringAttr>(arg, "llm.name");
      if (!argName || !isKVCacheName(argName.getValue()))
        continue;
      std::optional<ArrayRef<int64_t>> shape = shapeOf(type.getInput(arg));
      if (!shape)
        continue;
      // A pool of slots has one leading dimension more.
      size_t rank = name == kDecodeBatchName ? 5 : 4;
      bool matches = shape->size() == rank;
      for (unsigned d = 0; matches && d < 4; ++d)
        matches = ShapedType::isDynamic(cacheShape[d]) ||
                  (*shape)[rank - 4 + d] == cacheShape[d];
      if (!matches) {
        InFlightDiagnostic error =
            op->emitError("#llm.config gives KV caches of [");
        error << (rank == 5 ? "slots, " : "");
        for (unsigned d = 0; d < 4; ++d) {
          if (d)
            error << ", ";
          if (ShapedType::isDynamic(cacheShape[d]))
            error << "context";
          else
            error << cacheShape[d];
        }
        return error << "] but @" << name << " takes " << type.getInput(arg);
      }
    }
    for (unsigned result = 0; result < type.getNumResults(); ++result) {
      auto resultName =
          func.getResultAttrOfType<StringAttr>(result, "llm.name");
      if (!resultName || resultName.getValue() != "logits")
        continue;
      std::optional<ArrayRef<int64_t>> shape = shapeOf(type.getResult(result));
      if (shape &&
          (shape->size() != 2 || (*shape)[1] != config.getVocabSize()))
        return op->emitError("#llm.config gives a vocabulary of ")
               << config.getVocabSize() << " but @" << name
               << " returns logits of type " << type.getResult(result);
    }
  }
  return success();
}

/// Verifies `llm.config` (the #llm.config of a module not yet hoisted).
static LogicalResult verifyConfig(Operation *op, NamedAttribute attr) {
  auto config = dyn_cast<ModelConfigAttr>(attr.getValue());
  if (!isa<ModuleOp>(op) || !config)
    return op->emitError("'llm.config' must be a #llm.config on a module");
  if (op->hasAttr(kModuleABIAttrName))
    return op->emitError("a module has its config either as 'llm.config' or "
                         "in its #llm.abi, not both");
  return verifyConfigAgainstEntryPoints(op, config);
}

/// Whether `actual` (a tensor, or the memref it became) has the shape and
/// element type of `expected`.
static bool sameShapeAndType(Type actual, RankedTensorType expected) {
  auto shaped = dyn_cast<ShapedType>(actual);
  return shaped && shaped.hasRank() &&
         shaped.getShape() == expected.getShape() &&
         shaped.getElementType() == expected.getElementType();
}

/// Verifies `llm.abi` (a #llm.abi on a module) against the functions it
/// describes while they are still functions of tensors or memrefs: @prepare
/// takes the listed checkpoint tensors and returns the prepared buffers, and
/// the trailing arguments of @prefill and @decode are the listed weights.
static LogicalResult verifyABI(Operation *op, NamedAttribute attr) {
  auto module = dyn_cast<ModuleOp>(op);
  auto abi = dyn_cast<ModuleABIAttr>(attr.getValue());
  if (!module || !abi)
    return op->emitError("'llm.abi' must be a #llm.abi on a module");
  if (ModelConfigAttr config = abi.getConfig())
    if (failed(verifyConfigAgainstEntryPoints(op, config)))
      return failure();
  if (!abi.getPrepared().empty() && !module.lookupSymbol("prepare"))
    return op->emitError("'llm.abi' lists prepared buffers but the module "
                         "has no @prepare");
  if (auto prepare = module.lookupSymbol<func::FuncOp>("prepare")) {
    FunctionType type = prepare.getFunctionType();
    if (type.getNumInputs() != abi.getPrepare().size() ||
        type.getNumResults() != abi.getPrepared().size())
      return op->emitError("'llm.abi' gives @prepare ")
             << abi.getPrepare().size() << " arguments and "
             << abi.getPrepared().size() << " results, but it has type "
             << type;
    for (auto [i, index] : llvm::enumerate(abi.getPrepare()))
      if (!sameShapeAndType(type.getInput(i),
                            abi.getTensors()[index].getType()))
        return op->emitError("'llm.abi': argument ")
               << i << " of @prepare is " << type.getInput(i) << ", not "
               << abi.getTensors()[index];
    for (auto [i, expected] : llvm::enumerate(abi.getPrepared()))
      if (!sameShapeAndType(type.getResult(i), expected))
        return op->emitError("'llm.abi': result ")
               << i << " of @prepare is " << type.getResult(i) << ", not "
               << expected;
  }
  for (StringRef name : kEntryPointNames) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func)
      continue;
    FunctionType type = func.getFunctionType();
    size_t count = abi.getWeights().size();
    if (type.getNumInputs() < count)
      return op->emitError("'llm.abi' gives @")
             << name << " " << count << " weight arguments, but it takes "
             << type.getNumInputs() << " arguments in all";
    size_t first = type.getNumInputs() - count;
    for (auto [i, index] : llvm::enumerate(abi.getWeights()))
      if (!sameShapeAndType(type.getInput(first + i),
                            abi.getBufferType(index)))
        return op->emitError("'llm.abi': weight argument ")
               << i << " of @" << name << " is " << type.getInput(first + i)
               << ", but buffer " << index << " is "
               << abi.getBufferType(index);
  }
  return success();
}

std::pair<int64_t, int64_t> mlir::llm::getPipelineStage(Operation *module) {
  auto stages = module->getAttrOfType<IntegerAttr>(kPipelineStagesAttrName);
  auto stage = module->getAttrOfType<IntegerAttr>(kPipelineStageAttrName);
  if (!stages || !stage || stages.getInt() < 1 || stage.getInt() < 0 ||
      stage.getInt() >= stages.getInt())
    return {1, 0};
  return {stages.getInt(), stage.getInt()};
}

int64_t mlir::llm::getTensorParallelRanks(Operation *module) {
  auto ranks = module->getAttrOfType<IntegerAttr>(kTensorParallelAttrName);
  return ranks && ranks.getInt() > 0 ? ranks.getInt() : 1;
}

LogicalResult LLMDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  if (attr.getName() == kPipelineStagesAttrName ||
      attr.getName() == kPipelineStageAttrName) {
    auto value = dyn_cast<IntegerAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !value || value.getInt() < 0)
      return op->emitError("'")
             << attr.getName() << "' must be a non-negative integer on a "
                                  "module";
    auto [stages, stage] = getPipelineStage(op);
    if (op->hasAttr(kPipelineStagesAttrName) &&
        op->hasAttr(kPipelineStageAttrName) && stages == 1 &&
        op->getAttrOfType<IntegerAttr>(kPipelineStagesAttrName).getInt() != 1)
      return op->emitError("'llm.pipeline_stage' must be below "
                           "'llm.pipeline_stages'");
    return success();
  }
  if (attr.getName() == kTensorParallelAttrName) {
    auto ranks = dyn_cast<IntegerAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !ranks || ranks.getInt() < 1)
      return op->emitError("'llm.tensor_parallel' must be a positive "
                           "integer on a module");
    return success();
  }
  if (attr.getName() == kModelConfigAttrName)
    return verifyConfig(op, attr);
  if (attr.getName() == kExposedActivationsAttrName) {
    auto list = dyn_cast<ArrayAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !list ||
        !llvm::all_of(list, llvm::IsaPred<ExposedActivationAttr>))
      return op->emitError("'llm.activations' must be an array of "
                           "#llm.activation on a module");
    return success();
  }
  if (attr.getName() == kModuleABIAttrName)
    return verifyABI(op, attr);
  return success();
}
