//===- LLMDialect.cpp - llm dialect registration --------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::llm;

#include "llm/Dialect/LLM/IR/LLMOpsDialect.cpp.inc"

void LLMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "llm/Dialect/LLM/IR/LLMOps.cpp.inc"
      >();
  registerAttributes();
}

/// Verifies `llm.config` (a dictionary on a module): its sizes are positive
/// integers within the bounds the importer enforces, its token ids lie in
/// the vocabulary, and the KV caches (`[layers, context, kv_heads,
/// head_dim]`, arguments 2 and 3) and logits (`[tokens, vocab]`, result 0)
/// of @prefill and @decode, while they are still tensors or memrefs, have
/// the sizes it gives. A config that disagrees with the code would make the
/// runtime size buffers wrongly.
static LogicalResult verifyConfig(Operation *op, NamedAttribute attr) {
  auto module = dyn_cast<ModuleOp>(op);
  auto config = dyn_cast<DictionaryAttr>(attr.getValue());
  if (!module || !config)
    return op->emitError("'llm.config' must be a dictionary on a module");
  struct Field {
    const char *name;
    int64_t limit;
    int64_t value = 0;
  } fields[] = {{"vocab_size", int64_t(1) << 24},
                {"num_hidden_layers", 4096},
                {"num_key_value_heads", 4096},
                {"head_dim", 4096},
                {"max_position_embeddings", int64_t(1) << 24}};
  // Each field present is checked (hand-written test modules carry only
  // some; the runtime requires the ones it reads).
  for (Field &field : fields) {
    Attribute present = config.get(field.name);
    if (!present) {
      field.value = ShapedType::kDynamic;
      continue;
    }
    auto value = dyn_cast<IntegerAttr>(present);
    if (!value)
      return op->emitError("'llm.config' field '")
             << field.name << "' must be an integer";
    field.value = value.getValue().getSExtValue();
    if (field.value <= 0 || field.value > field.limit)
      return op->emitError("'llm.config' field '")
             << field.name << "' must be in [1, " << field.limit << "], not "
             << field.value;
  }
  int64_t vocab = fields[0].value;
  SmallVector<Attribute> ids;
  if (Attribute bos = config.get("bos_token_id"))
    ids.push_back(bos);
  if (auto eos = config.get("eos_token_ids")) {
    auto list = dyn_cast<ArrayAttr>(eos);
    if (!list)
      return op->emitError("'llm.config' field 'eos_token_ids' must be an "
                           "array of integers");
    llvm::append_range(ids, list.getValue());
  }
  for (Attribute id : ids) {
    auto value = dyn_cast<IntegerAttr>(id);
    if (!value || value.getValue().getSExtValue() < 0 ||
        (!ShapedType::isDynamic(vocab) &&
         value.getValue().getSExtValue() >= vocab))
      return op->emitError("'llm.config' token ids must be integers in the "
                           "vocabulary [0, ")
             << (ShapedType::isDynamic(vocab) ? std::string("vocab_size")
                                              : std::to_string(vocab))
             << "), not " << id;
  }
  SmallVector<int64_t> cacheShape = {fields[1].value, ShapedType::kDynamic,
                                     fields[2].value, fields[3].value};
  for (StringRef name : {"prefill", "decode"}) {
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
    auto named = [](DictionaryAttr attrs, StringRef what) {
      auto name = attrs ? attrs.getAs<StringAttr>("llm.name") : StringAttr();
      return name && name.getValue() == what;
    };
    for (unsigned arg = 0; arg < type.getNumInputs(); ++arg) {
      DictionaryAttr attrs = func.getArgAttrDict(arg);
      if (!named(attrs, "key_cache") && !named(attrs, "value_cache"))
        continue;
      std::optional<ArrayRef<int64_t>> shape = shapeOf(type.getInput(arg));
      if (!shape)
        continue;
      bool matches = shape->size() == 4;
      for (unsigned d = 0; matches && d < 4; ++d)
        matches = ShapedType::isDynamic(cacheShape[d]) ||
                  (*shape)[d] == cacheShape[d];
      if (!matches)
        return op->emitError("'llm.config' gives KV caches of [")
               << fields[1].value << ", context, " << fields[2].value << ", "
               << fields[3].value << "] but @" << name << " takes "
               << type.getInput(arg);
    }
    for (unsigned result = 0; result < type.getNumResults(); ++result) {
      if (!named(func.getResultAttrDict(result), "logits"))
        continue;
      std::optional<ArrayRef<int64_t>> shape = shapeOf(type.getResult(result));
      if (shape && !ShapedType::isDynamic(vocab) &&
          (shape->size() != 2 || (*shape)[1] != vocab))
        return op->emitError("'llm.config' gives a vocabulary of ")
               << vocab << " but @" << name << " returns logits of type "
               << type.getResult(result);
    }
  }
  return success();
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
  for (StringRef name : {"prefill", "decode"}) {
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

LogicalResult LLMDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  if (attr.getName() == "llm.config")
    return verifyConfig(op, attr);
  if (attr.getName() == "llm.abi")
    return verifyABI(op, attr);
  return success();
}
