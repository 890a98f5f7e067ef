//===- HoistWeightPrep.cpp - weight-only subgraphs into @prepare ----------===//
//
// Every value an entry point computes from checkpoint tensors alone (stacked
// projections, scaled columns, INT4 packs, AWQ repacks) is computed once, by
// `@prepare`, instead of on every call. The entry points take the prepared
// buffers and the checkpoint tensors they read directly as trailing
// arguments, and the module's `#llm.abi` records which is which.
//
// Each weight-only op whose results the graph reads is outlined with its
// weight-only operands into a private function `@prepare_<n>` returning the
// results the graph reads (a symmetric INT4 pack's zero points, which no
// layer reads, are never prepared); `@prepare` calls them in turn. The
// function boundaries bound the memory of preparation: each function's
// temporaries are freed when it returns, so preparing a model needs little
// more than its outputs. Identical
// subgraphs (the same weights prepared the same way for `@prefill` and
// `@decode`) are computed once, and subgraphs that differ only in which
// tensors they read (the same projection of every layer) share one
// function, so the code of @prepare does not grow with the model's depth.
//
// A decoder-layer function (private, called once per layer) first gives its
// weight-only computations to its calls, where the layer is a constant and
// each parameter names that layer's tensor; the entry points then hold every
// weight-only subgraph, and @prepare and the ABI are what they would be with
// every layer spelled out.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMHOISTWEIGHTPREPPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// Whether every result of `op` is a statically shaped tensor (a buffer the
/// runtime can hold).
bool hasBufferResults(Operation *op) {
  return op->getNumResults() > 0 &&
         llvm::all_of(op->getResultTypes(), [](Type type) {
           auto tensor = dyn_cast<RankedTensorType>(type);
           return tensor && tensor.hasStaticShape();
         });
}

/// Whether `op` computes from checkpoint tensors only, given that the ops
/// in `weightOnly` do: a parameter, or a pure op with static tensor results
/// over such values.
bool computesFromWeights(Operation *op,
                         const llvm::DenseSet<Operation *> &weightOnly) {
  if (isa<ParamOp>(op))
    return true;
  if (op->getNumOperands() == 0 || op->getNumRegions() != 0 ||
      !isMemoryEffectFree(op) || !hasBufferResults(op))
    return false;
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    Operation *def = operand.getDefiningOp();
    return def && weightOnly.contains(def);
  });
}

/// The layer a call passes to a parameter of its callee: a constant, or an
/// argument of the caller (itself a private function, whose own calls
/// resolve it in turn).
struct LayerAtCall {
  std::optional<int64_t> constant;
  Value argument;
};

/// Resolves the layer operand `layer` of a callee's parameter at `call`
/// (`mapping`: the callee's arguments to the call's operands).
FailureOr<LayerAtCall> resolveLayer(ParamOp param, Value layer,
                                    const IRMapping &mapping,
                                    func::CallOp call) {
  Value value = mapping.lookupOrNull(layer);
  if (!value)
    value = layer; // Defined in the callee: only a constant resolves.
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant))) {
    if (constant.isNegative())
      return call.emitOpError("passes the negative layer ")
             << constant.getSExtValue() << " to @" << call.getCallee();
    return LayerAtCall{constant.getSExtValue(), Value()};
  }
  auto argument = dyn_cast<BlockArgument>(value);
  auto caller = argument ? dyn_cast<func::FuncOp>(
                               argument.getOwner()->getParentOp())
                         : func::FuncOp();
  if (mapping.contains(layer) && caller && caller.isPrivate() &&
      argument.getOwner()->isEntryBlock())
    return LayerAtCall{std::nullopt, argument};
  return call.emitOpError("passes a layer that is not a constant to @")
         << call.getCallee() << ", whose parameter '" << param.getName()
         << "' needs one";
}

/// Moves the weight-only computations of the private function `callee` to
/// its call sites: each call computes them from its own layer's tensors and
/// passes the results as new trailing arguments. Returns whether the
/// callers changed. Every call is checked before anything changes.
FailureOr<bool> sinkWeightOnlyOps(ModuleOp module, func::FuncOp callee) {
  llvm::DenseSet<Operation *> weightOnly;
  SmallVector<Operation *> ordered;
  callee.walk([&](Operation *op) {
    if (computesFromWeights(op, weightOnly)) {
      weightOnly.insert(op);
      ordered.push_back(op);
    }
  });
  // The weight-only values the rest of the function reads.
  SmallVector<Value> frontier;
  for (Operation *op : ordered)
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !weightOnly.contains(user);
          }))
        frontier.push_back(result);
  if (frontier.empty())
    return false;

  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(callee, module);
  if (!uses)
    return callee.emitOpError("has uses that cannot be listed");
  SmallVector<func::CallOp> calls;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return use.getUser()->emitOpError("refers to @")
             << callee.getSymName()
             << ", whose weights are prepared per call: only calls may";
    calls.push_back(call);
  }
  // Each call's layer for each parameter of a layer.
  SmallVector<DenseMap<Operation *, LayerAtCall>> layers(calls.size());
  for (auto [call, resolved] : llvm::zip(calls, layers)) {
    IRMapping mapping;
    mapping.map(callee.getArguments(), call.getOperands());
    for (Operation *op : ordered)
      if (auto param = dyn_cast<ParamOp>(op); param && param.getLayer()) {
        FailureOr<LayerAtCall> layer =
            resolveLayer(param, param.getLayer(), mapping, call);
        if (failed(layer))
          return failure();
        resolved[op] = *layer;
      }
  }

  OpBuilder b(module.getContext());
  for (auto [call, resolved] : llvm::zip(calls, layers)) {
    b.setInsertionPoint(call);
    IRMapping mapping;
    mapping.map(callee.getArguments(), call.getOperands());
    for (Operation *op : ordered) {
      auto param = dyn_cast<ParamOp>(op);
      if (!param || !param.getLayer()) {
        b.clone(*op, mapping);
        continue;
      }
      const LayerAtCall &layer = resolved.lookup(op);
      auto clone =
          layer.constant
              ? ParamOp::create(b, param.getLoc(), param.getType(),
                                b.getStringAttr(
                                    param.getNameForLayer(*layer.constant)),
                                Value(), param.getShardAttr())
              : ParamOp::create(b, param.getLoc(), param.getType(),
                                param.getNameAttr(), layer.argument,
                                param.getShardAttr());
      mapping.map(param.getResult(), clone.getResult());
    }
    // The call keeps its attributes; the new operands have none.
    SmallVector<Value> operands;
    for (Value value : frontier)
      operands.push_back(mapping.lookup(value));
    call->insertOperands(call->getNumOperands(), operands);
    if (ArrayAttr argAttrs = call.getArgAttrsAttr()) {
      SmallVector<Attribute> extended(argAttrs.begin(), argAttrs.end());
      extended.append(operands.size(), b.getDictionaryAttr({}));
      call.setArgAttrsAttr(b.getArrayAttr(extended));
    }
  }

  unsigned first = callee.getNumArguments();
  SmallVector<unsigned> positions(frontier.size(), first);
  SmallVector<Type> types;
  for (Value value : frontier)
    types.push_back(value.getType());
  SmallVector<DictionaryAttr> attrs(frontier.size(), DictionaryAttr());
  SmallVector<Location> locs(frontier.size(), callee.getLoc());
  if (failed(callee.insertArguments(positions, types, attrs, locs)))
    return failure();
  for (auto [i, value] : llvm::enumerate(frontier))
    value.replaceAllUsesWith(callee.getArgument(first + i));
  for (Operation *op : llvm::reverse(ordered))
    op->erase();
  return true;
}

/// Moves every weight-only computation of a private function (a
/// decoder-layer function) to its callers, repeatedly, so that the entry
/// points hold all of them and the weight-only ops' parameters name
/// concrete tensors.
LogicalResult sinkWeightOnlyOpsIntoCallers(ModuleOp module) {
  for (unsigned round = 0;; ++round) {
    bool changed = false;
    for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (!func.isPrivate() || func.isExternal())
        continue;
      FailureOr<bool> sunk = sinkWeightOnlyOps(module, func);
      if (failed(sunk))
        return failure();
      changed |= *sunk;
    }
    if (!changed)
      return success();
    if (round > 64)
      return module.emitError("llm-hoist-weight-prep: functions call each "
                              "other too deeply");
  }
}

class WeightPrepHoister {
public:
  WeightPrepHoister(ModuleOp module) : module(module), b(module.getContext()) {}

  LogicalResult run();

private:
  /// Whether `op` computes from checkpoint tensors only.
  bool isWeightOnly(Operation *op) const { return weightOnly.contains(op); }
  void classify(func::FuncOp func);
  /// The index of checkpoint tensor `param` in the ABI's `tensors`.
  FailureOr<int64_t> tensorIndex(ParamOp param);
  /// A key that is equal for ops computing the same thing from the same
  /// tensors.
  std::string structuralKey(Operation *op);
  /// A key that is equal for ops computing the same thing from any tensors
  /// of the same types: `params` are named by their position in it.
  std::string shapeKey(Operation *op, ArrayRef<ParamOp> params);
  /// The results of `op` the graph reads (the others, a symmetric pack's
  /// zero points, are never prepared).
  SmallVector<unsigned> readResults(Operation *op) const;
  /// The outlined function computing the read results of `result`'s op,
  /// made on first use; the index of `result` among the prepared buffers.
  FailureOr<int64_t> prepare(OpResult result);

  ModuleOp module;
  OpBuilder b;
  llvm::DenseSet<Operation *> weightOnly;
  llvm::MapVector<StringRef, RankedTensorType> tensors;
  /// The shard of each sharded checkpoint tensor (llm-shard).
  llvm::DenseMap<StringRef, ShardAttr> shards;
  /// Outlined functions by structural key: the function, its arguments
  /// (tensor indices) and the first prepared buffer it returns.
  struct Outlined {
    func::FuncOp func;
    SmallVector<int64_t> arguments;
    int64_t firstBuffer;
    /// The op's results it returns, in order.
    SmallVector<unsigned> results;
  };
  llvm::StringMap<Outlined> outlined;
  /// Outlined functions by shape key: the layers of a model share them.
  llvm::StringMap<func::FuncOp> functions;
  SmallVector<Outlined *> order;
  SmallVector<RankedTensorType> prepared;
};

void WeightPrepHoister::classify(func::FuncOp func) {
  func.walk([&](Operation *op) {
    if (computesFromWeights(op, weightOnly))
      weightOnly.insert(op);
  });
}

FailureOr<int64_t> WeightPrepHoister::tensorIndex(ParamOp param) {
  if (param.getLayer())
    return param.emitOpError("parameter '")
           << param.getName()
           << "' of a layer not known here: only a private function called "
              "with constant layers may read per-layer parameters";
  auto [it, inserted] =
      tensors.insert({param.getName(), param.getType()});
  if (!inserted && it->second != param.getType())
    return param.emitOpError("parameter '")
           << param.getName() << "' is used with types " << it->second
           << " and " << param.getType();
  auto [shard, first] = shards.insert({param.getName(), param.getShardAttr()});
  if (!first && shard->second != param.getShardAttr())
    return param.emitOpError("parameter '")
           << param.getName() << "' is read as two different shards";
  return static_cast<int64_t>(it - tensors.begin());
}

/// A key of the computation of `op`'s results: the ops (names, attributes,
/// result types) of its weight-only operands, down to the parameters, which
/// `leafKey` names.
static std::string
computationKey(Operation *op, function_ref<std::string(ParamOp)> leafKey) {
  if (auto param = dyn_cast<ParamOp>(op))
    return leafKey(param);
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op->getName() << op->getAttrDictionary();
  for (Type type : op->getResultTypes())
    os << ":" << type;
  os << "(";
  for (Value operand : op->getOperands()) {
    auto result = cast<OpResult>(operand);
    os << computationKey(result.getOwner(), leafKey) << "#"
       << result.getResultNumber() << ",";
  }
  os << ")";
  return key;
}

std::string WeightPrepHoister::structuralKey(Operation *op) {
  return computationKey(op, [](ParamOp param) {
    std::string key;
    llvm::raw_string_ostream os(key);
    os << "param " << param.getName() << ":" << param.getType();
    return key;
  });
}

std::string WeightPrepHoister::shapeKey(Operation *op,
                                        ArrayRef<ParamOp> params) {
  return computationKey(op, [&](ParamOp param) {
    std::string key;
    llvm::raw_string_ostream os(key);
    os << "arg" << (llvm::find(params, param) - params.begin()) << ":"
       << param.getType();
    return key;
  });
}

SmallVector<unsigned> WeightPrepHoister::readResults(Operation *op) const {
  SmallVector<unsigned> read;
  for (OpResult result : op->getResults())
    if (llvm::any_of(result.getUsers(),
                     [&](Operation *user) { return !isWeightOnly(user); }))
      read.push_back(result.getResultNumber());
  return read;
}

FailureOr<int64_t> WeightPrepHoister::prepare(OpResult result) {
  Operation *root = result.getOwner();
  SmallVector<unsigned> reads = readResults(root);
  std::string readKey = " -> results";
  for (unsigned number : reads)
    readKey += " " + std::to_string(number);
  auto bufferOf = [&](const Outlined &entry) {
    return entry.firstBuffer +
           (llvm::find(entry.results, result.getResultNumber()) -
            entry.results.begin());
  };
  std::string key = structuralKey(root) + readKey;
  auto known = outlined.find(key);
  if (known != outlined.end())
    return bufferOf(known->second);

  // The weight-only ops `root` needs, operands first.
  llvm::SetVector<Operation *> slice;
  std::function<void(Operation *)> collect = [&](Operation *op) {
    if (slice.contains(op))
      return;
    // Parameters are the leaves (a layer operand is checked by tensorIndex).
    if (!isa<ParamOp>(op))
      for (Value operand : op->getOperands())
        collect(operand.getDefiningOp());
    slice.insert(op);
  };
  collect(root);

  SmallVector<int64_t> arguments;
  SmallVector<Type> argumentTypes;
  SmallVector<ParamOp> params;
  for (Operation *op : slice)
    if (auto param = dyn_cast<ParamOp>(op)) {
      FailureOr<int64_t> index = tensorIndex(param);
      if (failed(index))
        return failure();
      arguments.push_back(*index);
      argumentTypes.push_back(param.getType());
      params.push_back(param);
    }

  // The same computation on other tensors of the same types (another
  // layer's) calls the same function.
  SmallVector<Type> resultTypes;
  for (unsigned number : reads)
    resultTypes.push_back(root->getResult(number).getType());
  func::FuncOp &func = functions[shapeKey(root, params) + readKey];
  if (!func) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    func = func::FuncOp::create(
        b, root->getLoc(), ("prepare_" + llvm::Twine(functions.size() - 1)).str(),
        b.getFunctionType(argumentTypes, resultTypes));
    func.setPrivate();
    Block *body = func.addEntryBlock();
    b.setInsertionPointToStart(body);
    IRMapping mapping;
    for (auto [param, argument] : llvm::zip(params, body->getArguments()))
      mapping.map(param.getResult(), argument);
    for (Operation *op : slice)
      if (!isa<ParamOp>(op))
        b.clone(*op, mapping);
    SmallVector<Value> results;
    for (unsigned number : reads)
      results.push_back(mapping.lookup(root->getResult(number)));
    func::ReturnOp::create(b, root->getLoc(), results);
  }

  // The position among prepared buffers (buffer indices count the
  // checkpoint tensors first, which are not all known yet).
  auto first = static_cast<int64_t>(prepared.size());
  for (Type type : resultTypes)
    prepared.push_back(cast<RankedTensorType>(type));
  Outlined &entry = outlined[key] = {func, std::move(arguments), first,
                                     std::move(reads)};
  order.push_back(&entry);
  return bufferOf(entry);
}

LogicalResult WeightPrepHoister::run() {
  if (module->hasAttr(kModuleABIAttrName))
    return success(); // Already hoisted.
  if (module.lookupSymbol("prepare"))
    return module.emitError("llm-hoist-weight-prep: the module already has "
                            "a @prepare symbol");
  // Decoder-layer functions compute nothing from weights once their
  // callers do it for them; the entry points then take every weight.
  if (failed(sinkWeightOnlyOpsIntoCallers(module)))
    return failure();
  SmallVector<func::FuncOp> entries;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal() && !func.isPrivate())
      entries.push_back(func);
  for (func::FuncOp func : entries)
    classify(func);

  /// A buffer an entry reads: a checkpoint tensor (index into `tensors`) or
  /// a prepared buffer (index into `prepared`).
  struct Buffer {
    bool isPrepared;
    int64_t index;
    bool operator==(const Buffer &other) const {
      return isPrepared == other.isPrepared && index == other.index;
    }
  };
  // Per entry: the weight-only values the graph reads, with their buffers.
  SmallVector<SmallVector<std::pair<Value, Buffer>>> frontiers;
  for (func::FuncOp func : entries) {
    SmallVector<std::pair<Value, Buffer>> &frontier = frontiers.emplace_back();
    WalkResult walk = func.walk([&](Operation *op) {
      if (!isWeightOnly(op))
        return WalkResult::advance();
      for (OpResult result : op->getResults()) {
        bool read = llvm::any_of(result.getUsers(), [&](Operation *user) {
          return !isWeightOnly(user);
        });
        if (!read)
          continue;
        Buffer buffer;
        if (auto param = dyn_cast<ParamOp>(op)) {
          FailureOr<int64_t> index = tensorIndex(param);
          if (failed(index))
            return WalkResult::interrupt();
          buffer = {false, *index};
        } else {
          FailureOr<int64_t> index = prepare(result);
          if (failed(index))
            return WalkResult::interrupt();
          buffer = {true, *index};
        }
        frontier.push_back({result, buffer});
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
  }

  // Buffer indices: checkpoint tensors, then prepared buffers.
  auto raw = static_cast<int64_t>(tensors.size());
  auto indexOf = [&](const Buffer &buffer) {
    return buffer.isPrepared ? raw + buffer.index : buffer.index;
  };
  // Every entry takes every weight, so that all share one convention.
  llvm::SetVector<int64_t> weights;
  for (auto &frontier : frontiers)
    for (auto &[value, buffer] : frontier)
      weights.insert(indexOf(buffer));

  llvm::DenseMap<int64_t, unsigned> positionOf;
  for (auto [position, index] : llvm::enumerate(weights))
    positionOf[index] = position;

  for (auto [func, frontier] : llvm::zip(entries, frontiers)) {
    unsigned first = func.getNumArguments();
    SmallVector<unsigned> positions(weights.size(), first);
    SmallVector<Type> types;
    SmallVector<DictionaryAttr> attrs;
    SmallVector<Location> locs(weights.size(), func.getLoc());
    for (int64_t index : weights) {
      types.push_back(index < raw ? Type(tensors.begin()[index].second)
                                  : Type(prepared[index - raw]));
      attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          bufferization::BufferizationDialect::kWritableAttrName,
          b.getBoolAttr(false))));
    }
    if (failed(func.insertArguments(positions, types, attrs, locs)))
      return failure();
    for (auto &[value, buffer] : frontier)
      value.replaceAllUsesWith(
          func.getArgument(first + positionOf.lookup(indexOf(buffer))));
    // The weight-only ops are dead now; users go first.
    SmallVector<Operation *> dead;
    func.walk([&](Operation *op) {
      if (isWeightOnly(op))
        dead.push_back(op);
    });
    for (Operation *op : llvm::reverse(dead))
      op->erase();
  }

  // @prepare: the checkpoint tensors the outlined functions read, in
  // order, and every prepared buffer.
  SmallVector<int64_t> prepareArgs;
  llvm::DenseMap<int64_t, unsigned> argumentOf;
  for (Outlined *entry : order)
    for (int64_t index : entry->arguments)
      if (argumentOf.try_emplace(index, prepareArgs.size()).second)
        prepareArgs.push_back(index);
  if (!order.empty()) {
    SmallVector<Type> argumentTypes;
    for (int64_t index : prepareArgs)
      argumentTypes.push_back(tensors.begin()[index].second);
    SmallVector<Type> resultTypes(prepared.begin(), prepared.end());
    b.setInsertionPointToEnd(module.getBody());
    auto prepareFunc = func::FuncOp::create(
        b, module.getLoc(), "prepare",
        b.getFunctionType(argumentTypes, resultTypes));
    Block *body = prepareFunc.addEntryBlock();
    for (unsigned i = 0; i < prepareFunc.getNumArguments(); ++i)
      prepareFunc.setArgAttr(
          i, bufferization::BufferizationDialect::kWritableAttrName,
          b.getBoolAttr(false));
    // @prepare reports its progress to the runtime after each call: the
    // elements prepared so far and in all.
    Type i64 = b.getI64Type();
    b.setInsertionPointToEnd(module.getBody());
    auto progress = func::FuncOp::create(b, module.getLoc(),
                                         kPrepareProgressSymbol,
                                         b.getFunctionType({i64, i64}, {}));
    progress.setPrivate();
    auto elements = [](Outlined *entry) {
      int64_t count = 0;
      for (Type type : entry->func.getResultTypes())
        count += cast<RankedTensorType>(type).getNumElements();
      return count;
    };
    int64_t total = 0, done = 0;
    for (Outlined *entry : order)
      total += elements(entry);
    b.setInsertionPointToStart(body);
    Value totalValue = arith::ConstantIntOp::create(b, module.getLoc(), i64, total);
    SmallVector<Value> results;
    for (Outlined *entry : order) {
      SmallVector<Value> operands;
      for (int64_t index : entry->arguments)
        operands.push_back(body->getArgument(argumentOf.lookup(index)));
      llvm::append_range(
          results,
          func::CallOp::create(b, module.getLoc(), entry->func, operands)
              .getResults());
      done += elements(entry);
      Value doneValue =
          arith::ConstantIntOp::create(b, module.getLoc(), i64, done);
      func::CallOp::create(b, module.getLoc(), progress,
                           ValueRange{doneValue, totalValue});
    }
    func::ReturnOp::create(b, module.getLoc(), results);
  }

  SmallVector<WeightTensorAttr> tensorAttrs;
  for (auto &[name, type] : tensors)
    tensorAttrs.push_back(WeightTensorAttr::get(b.getContext(), name, type,
                                                shards.lookup(name)));
  // The model's config and the activations @prefill exposes become part of
  // the ABI.
  ModelConfigAttr config = getModelConfig(module);
  module->removeAttr(kModelConfigAttrName);
  SmallVector<ExposedActivationAttr> activations;
  if (auto exposed =
          module->getAttrOfType<ArrayAttr>(kExposedActivationsAttrName))
    for (Attribute entry : exposed)
      activations.push_back(cast<ExposedActivationAttr>(entry));
  module->removeAttr(kExposedActivationsAttrName);
  // One sequence's K/V cache type, as @prefill and @decode take it.
  RankedTensorType kvCache;
  for (StringRef name : {kPrefillName, kDecodeName})
    if (auto func = module.lookupSymbol<func::FuncOp>(name))
      for (unsigned i = 0; i < func.getNumArguments() && !kvCache; ++i)
        if (auto argName = func.getArgAttrOfType<StringAttr>(i, "llm.name");
            argName && isKVCacheName(argName.getValue()))
          kvCache = dyn_cast<RankedTensorType>(func.getArgumentTypes()[i]);
  module->setAttr(kModuleABIAttrName,
                  ModuleABIAttr::get(b.getContext(), config, tensorAttrs,
                                     prepareArgs, prepared,
                                     weights.getArrayRef(), kvCache,
                                     activations));
  return success();
}

struct LLMHoistWeightPrepPass
    : llm::impl::LLMHoistWeightPrepPassBase<LLMHoistWeightPrepPass> {
  void runOnOperation() override {
    if (failed(WeightPrepHoister(getOperation()).run()))
      signalPassFailure();
  }
};
} // namespace
