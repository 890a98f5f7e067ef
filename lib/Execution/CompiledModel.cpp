//===- CompiledModel.cpp - JIT-compiled llm module ------------------------===//

#include "llm/Execution/CompiledModel.h"
#include "llm/Execution/AllocationCounter.h"
#include "llm/runtime/WorkingMemory.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/PairDotTargets.h"
#include "llm/Conversion/Passes.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/InitAll.h"
#include "llm/Pipelines/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llm/Execution/CompileCache.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <dlfcn.h>

using namespace mlir;
using namespace mlir::llm;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::unique_ptr<MLIRContext> mlir::llm::createExecutionContext() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registerAllLLMDialects(registry);
  auto context = std::make_unique<MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

/// Collects error diagnostics into a string while alive.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext *context)
      : handler(context, [this](Diagnostic &diag) {
          if (diag.getSeverity() != DiagnosticSeverity::Error)
            return success();
          llvm::raw_string_ostream os(messages);
          os << "\n  " << diag.getLocation() << ": " << diag.str();
          return success();
        }) {}
  std::string messages;

private:
  ScopedDiagnosticHandler handler;
};

/// The compile options that change the code, as text for the cache key.
static std::string optionsText(const CompileOptions &options) {
  return "O" + std::to_string(options.optLevel) +
         (options.parallel ? " parallel" : " serial") +
         " int4-kernel=" +
         (options.int4Kernel.empty() ? "auto" : options.int4Kernel) +
         " no-post-ra-scheduler"; // configureCodeGeneration()
}

std::unique_ptr<CompiledModel>
CompiledModel::lookupCache(llvm::StringRef moduleText,
                           const CompileOptions &options,
                           std::optional<uint64_t> &key) {
  if (options.cacheDirectory.empty())
    return nullptr;
  key = compileCacheKey(moduleText, optionsText(options));
  if (options.refreshCache || options.jitDebug)
    return nullptr;
  return fromCache(options.cacheDirectory, *key);
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::loadFile(llvm::StringRef path, const CompileOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!buffer)
    return makeError("cannot read '" + path + "': " +
                     buffer.getError().message());
  // A module compiled before on this kind of CPU: its code, unparsed.
  std::optional<uint64_t> key;
  if (auto cached = lookupCache((*buffer)->getBuffer(), options, key))
    return cached;
  auto context = createExecutionContext();
  OwningOpRef<ModuleOp> module;
  {
    // Detached before the context moves into compile(), which may free it.
    DiagnosticCollector diagnostics(context.get());
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, context.get());
    if (!module)
      return makeError("cannot parse '" + path + "' as an MLIR module:" +
                       diagnostics.messages);
  }
  return compileWithKey(std::move(context), std::move(module), options, key);
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::compile(std::unique_ptr<MLIRContext> context,
                       OwningOpRef<ModuleOp> module,
                       const CompileOptions &options) {
  std::optional<uint64_t> key;
  if (!options.cacheDirectory.empty()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os, OpPrintingFlags().enableDebugInfo(false));
    if (auto cached = lookupCache(text, options, key)) {
      // The module is destroyed before its context.
      module = nullptr;
      return cached;
    }
  }
  return compileWithKey(std::move(context), std::move(module), options, key);
}

//===----------------------------------------------------------------------===//
// What the runtime needs of a module, kept with its cached code
//===----------------------------------------------------------------------===//

static llvm::json::Array int64Array(const std::vector<int64_t> &values) {
  llvm::json::Array array;
  for (int64_t v : values)
    array.push_back(v);
  return array;
}

static llvm::json::Value bufferJSON(const ::llm::runtime::BufferType &type) {
  return llvm::json::Object{{"element", type.elementType},
                            {"shape", int64Array(type.shape)}};
}

/// The integer fields of the model's shape (`Shape` is ModelShape, const or
/// not), by their config names.
template <typename Shape>
static auto shapeFields(Shape &shape)
    -> std::array<std::pair<decltype(&shape.vocabSize), const char *>, 6> {
  return {{{&shape.vocabSize, "vocab_size"},
           {&shape.numLayers, "num_hidden_layers"},
           {&shape.numKvHeads, "num_key_value_heads"},
           {&shape.headDim, "head_dim"},
           {&shape.maxPositions, "max_position_embeddings"},
           {&shape.bosTokenId, "bos_token_id"}}};
}

std::string CompiledModel::metadataJSON() const {
  llvm::json::Array tensors, prepared, activations;
  for (const auto &tensor : abi_.tensors)
    tensors.push_back(llvm::json::Object{
        {"name", tensor.name},
        {"type", bufferJSON(tensor.type)},
        {"shard", int64Array({tensor.shard.dim, tensor.shard.parts,
                              tensor.shard.ranks})}});
  for (const auto &type : abi_.prepared)
    prepared.push_back(bufferJSON(type));
  for (const auto &activation : shape_.activations) {
    llvm::json::Array sources;
    for (const std::string &source : activation.sources)
      sources.push_back(source);
    activations.push_back(llvm::json::Object{
        {"name", activation.name},
        {"features", activation.features},
        {"sources", std::move(sources)}});
  }
  llvm::json::Object object{
      {"tensors", std::move(tensors)},
      {"prepare", int64Array(abi_.prepareArguments)},
      {"prepared", std::move(prepared)},
      {"weights", int64Array(abi_.weights)},
      {"prepare_fingerprint", std::to_string(abi_.prepareFingerprint)},
      {"eos_token_ids", int64Array(shape_.eosTokenIds)},
      {"batched_decode", shape_.batchedDecode},
      {"tensor_parallel", shape_.tensorParallel},
      {"pipeline", int64Array({shape_.pipelineStages, shape_.pipelineStage})},
      {"activations", std::move(activations)}};
  for (auto [field, key] : shapeFields(shape_))
    object[key] = *field;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(object));
  return text;
}

/// Whether the ABI and shape read back from metadata (a cache entry, or an
/// ahead-of-time artifact, which is not verified by the dialect) are
/// consistent: every index in range, every buffer of positive dimensions
/// and at most 2^40 elements, the shape's sizes positive. The runtime
/// sizes and indexes its buffers with them.
static bool validABI(const ::llm::runtime::ModuleABI &abi,
                     const ::llm::runtime::ModelShape &shape) {
  constexpr int64_t kMaxElements = int64_t(1) << 40;
  auto validType = [&](const ::llm::runtime::BufferType &type) {
    int64_t elements = 1;
    for (int64_t d : type.shape) {
      if (d <= 0 || d > kMaxElements)
        return false;
      elements *= d;
      if (elements > kMaxElements)
        return false;
    }
    return !type.elementType.empty();
  };
  auto tensors = static_cast<int64_t>(abi.tensors.size());
  auto buffers = tensors + static_cast<int64_t>(abi.prepared.size());
  for (const auto &tensor : abi.tensors)
    if (tensor.name.empty() || !validType(tensor.type))
      return false;
  for (const auto &type : abi.prepared)
    if (!validType(type))
      return false;
  for (int64_t index : abi.prepareArguments)
    if (index < 0 || index >= tensors)
      return false;
  for (int64_t index : abi.weights)
    if (index < 0 || index >= buffers)
      return false;
  for (auto [field, key] : shapeFields(shape))
    if (*field < 0 || (*field == 0 && field != &shape.bosTokenId))
      return false;
  for (int64_t id : shape.eosTokenIds)
    if (id < 0 || id >= shape.vocabSize)
      return false;
  return shape.bosTokenId < shape.vocabSize;
}

/// Reads what metadataJSON() wrote (an entry that passed its checksum, or
/// an artifact's metadata) and checks it (validABI).
static bool readMetadata(llvm::StringRef text, ::llm::runtime::ModuleABI &abi,
                         ::llm::runtime::ModelShape &shape) {
  auto parsed = llvm::json::parse(text);
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return false;
  }
  const llvm::json::Object *object = parsed->getAsObject();
  if (!object)
    return false;
  auto ints = [&](llvm::StringRef key, std::vector<int64_t> &out) {
    const llvm::json::Array *array = object->getArray(key);
    if (!array)
      return false;
    for (const llvm::json::Value &v : *array) {
      std::optional<int64_t> i = v.getAsInteger();
      if (!i)
        return false;
      out.push_back(*i);
    }
    return true;
  };
  auto buffer = [](const llvm::json::Value &v,
                   ::llm::runtime::BufferType &type) {
    const llvm::json::Object *o = v.getAsObject();
    const llvm::json::Array *shape = o ? o->getArray("shape") : nullptr;
    std::optional<llvm::StringRef> element =
        o ? o->getString("element") : std::nullopt;
    if (!shape || !element)
      return false;
    type.elementType = element->str();
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> i = d.getAsInteger();
      if (!i)
        return false;
      type.shape.push_back(*i);
    }
    return true;
  };
  const llvm::json::Array *tensors = object->getArray("tensors");
  const llvm::json::Array *prepared = object->getArray("prepared");
  const llvm::json::Array *activations = object->getArray("activations");
  std::optional<llvm::StringRef> fingerprint =
      object->getString("prepare_fingerprint");
  if (!tensors || !prepared || !activations || !fingerprint ||
      !ints("prepare", abi.prepareArguments) || !ints("weights", abi.weights) ||
      !ints("eos_token_ids", shape.eosTokenIds) ||
      fingerprint->getAsInteger(10, abi.prepareFingerprint))
    return false;
  for (const llvm::json::Value &v : *tensors) {
    const llvm::json::Object *o = v.getAsObject();
    std::optional<llvm::StringRef> name = o ? o->getString("name") : std::nullopt;
    const llvm::json::Value *type = o ? o->get("type") : nullptr;
    ::llm::runtime::TensorBinding binding;
    const llvm::json::Array *shard = o ? o->getArray("shard") : nullptr;
    if (!name || !type || !buffer(*type, binding.type) || !shard ||
        shard->size() != 3)
      return false;
    std::optional<int64_t> dim = (*shard)[0].getAsInteger(),
                           parts = (*shard)[1].getAsInteger(),
                           ranks = (*shard)[2].getAsInteger();
    if (!dim || !parts || !ranks || *dim < 0 ||
        *dim >= static_cast<int64_t>(binding.type.shape.size()) ||
        *parts < 1 || *ranks < *parts || *ranks % *parts != 0)
      return false;
    binding.shard = {*dim, *parts, *ranks};
    binding.name = name->str();
    abi.tensors.push_back(std::move(binding));
  }
  for (const llvm::json::Value &v : *prepared) {
    ::llm::runtime::BufferType type;
    if (!buffer(v, type))
      return false;
    abi.prepared.push_back(std::move(type));
  }
  for (const llvm::json::Value &v : *activations) {
    const llvm::json::Object *o = v.getAsObject();
    std::optional<llvm::StringRef> name = o ? o->getString("name") : std::nullopt;
    std::optional<int64_t> features =
        o ? o->getInteger("features") : std::nullopt;
    const llvm::json::Array *sources = o ? o->getArray("sources") : nullptr;
    if (!name || !features || !sources)
      return false;
    ::llm::runtime::ExposedActivation activation{name->str(), *features, {}};
    for (const llvm::json::Value &s : *sources) {
      std::optional<llvm::StringRef> source = s.getAsString();
      if (!source)
        return false;
      activation.sources.push_back(source->str());
    }
    shape.activations.push_back(std::move(activation));
  }
  for (auto [field, key] : shapeFields(shape)) {
    std::optional<int64_t> value = object->getInteger(key);
    if (!value)
      return false;
    *field = *value;
  }
  std::optional<int64_t> tensorParallel = object->getInteger("tensor_parallel");
  if (!tensorParallel || *tensorParallel < 1)
    return false;
  shape.tensorParallel = *tensorParallel;
  std::vector<int64_t> pipeline;
  if (!ints("pipeline", pipeline) || pipeline.size() != 2 ||
      pipeline[0] < 1 || pipeline[1] < 0 || pipeline[1] >= pipeline[0])
    return false;
  shape.pipelineStages = pipeline[0];
  shape.pipelineStage = pipeline[1];
  std::optional<bool> batched = object->getBoolean("batched_decode");
  if (!batched)
    return false;
  shape.batchedDecode = *batched;
  return validABI(abi, shape);
}

/// The optimizer engineOptionsFor sets up. ExecutionEngineOptions only
/// refers to it (a function_ref): the caller keeps it alive until
/// ExecutionEngine::create returns.
using Optimizer = std::function<llvm::Error(llvm::Module *)>;

/// How the JIT and ahead-of-time compilation both generate code: the
/// optimizer for `machine` (set in `optimizer`), its code-generation level,
/// the object kept when `keepObject`; no perf jitdump files (they
/// accumulated under /tmp/.debug/jit, one per run) and no GDB registration
/// of every compiled object unless `options.jitDebug`.
static ExecutionEngineOptions engineOptionsFor(const CompileOptions &options,
                                               llvm::TargetMachine *machine,
                                               bool keepObject,
                                               Optimizer &optimizer) {
  ExecutionEngineOptions engineOptions;
  optimizer =
      makeOptimizingTransformer(options.optLevel, /*sizeLevel=*/0, machine);
  engineOptions.transformer = optimizer;
  engineOptions.enablePerfNotificationListener = options.jitDebug;
  engineOptions.enableGDBNotificationListener = options.jitDebug;
  engineOptions.enableObjectDump = keepObject;
  engineOptions.jitCodeGenOptLevel =
      options.optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default;
  return engineOptions;
}

/// LLVM code-generation settings of the project, applied once per process
/// before the first compilation. The post-RA list scheduler, which LLVM
/// runs for some CPUs (AMD Zen among them), is quadratic in the size of a
/// basic block: on the fully unrolled INT4 kernels it took two thirds of
/// the code generation time (stories110M INT4 for znver5: llc 7.7 s, 2.3 s
/// without it), for out-of-order cores that reorder the code themselves.
static void configureCodeGeneration() {
  static const bool configured = [] {
    auto &options =
        llvm::cl::getRegisteredOptions();
    // An explicit choice (a position > 0) overrides the target's default.
    if (llvm::cl::Option *postRA = options.lookup("post-RA-scheduler");
        postRA && postRA->getNumOccurrences() == 0)
      (void)postRA->addOccurrence(/*pos=*/1, "post-RA-scheduler", "false");
    return true;
  }();
  (void)configured;
}

/// The runtime functions compiled modules call.
static llvm::orc::SymbolMap runtimeSymbols(llvm::orc::MangleAndInterner interner) {
  auto *alloc = &_mlir_memref_to_llvm_alloc;
  auto *release = &_mlir_memref_to_llvm_free;
  const std::pair<llvm::StringRef, llvm::orc::ExecutorAddr> functions[] = {
      {kPrepareProgressSymbol,
       llvm::orc::ExecutorAddr::fromPtr(&::llm::runtime::llm_prepare_progress)},
      // The compiled code's buffers come from the runtime's working memory
      // (WorkingMemory.h).
      {"_mlir_memref_to_llvm_alloc", llvm::orc::ExecutorAddr::fromPtr(alloc)},
      {"_mlir_memref_to_llvm_aligned_alloc",
       llvm::orc::ExecutorAddr::fromPtr(&_mlir_memref_to_llvm_aligned_alloc)},
      {"_mlir_memref_to_llvm_free", llvm::orc::ExecutorAddr::fromPtr(release)},
      // Modules lowered before they called the generic functions call
      // malloc and free; theirs are working memory too (the runtime frees
      // the buffers a module returns as working memory).
      {"malloc", llvm::orc::ExecutorAddr::fromPtr(alloc)},
      {"free", llvm::orc::ExecutorAddr::fromPtr(release)},
      // Its copies are counted (AllocationCounter.h).
      {"memrefCopy",
       llvm::orc::ExecutorAddr::fromPtr(&mlir::llm::detail::countingMemrefCopy)},
  };
  llvm::orc::SymbolMap symbols;
  for (const auto &[name, address] : functions)
    symbols[interner(name)] = {address, llvm::JITSymbolFlags::Exported};
  return symbols;
}

const char *CompiledModel::bindEntryPoints(
    llvm::function_ref<::llm::runtime::PackedFunction(llvm::StringRef)>
        lookup) {
  for (auto [slot, name] : {std::pair{&prefill_, "prefill"},
                            {&decode_, "decode"},
                            {&prepare_, "prepare"},
                            {&decodeBatch_, "decode_batch"}}) {
    if ((slot == &prepare_ && abi_.prepared.empty()) ||
        (slot == &decodeBatch_ && !shape_.batchedDecode))
      continue;
    *slot = lookup(name);
    if (!*slot)
      return name;
  }
  return nullptr;
}

/// A lookup of `engine`'s packed entry points for bindEntryPoints: the
/// message of its last failure goes to `error`.
static auto packedLookup(ExecutionEngine &engine, std::string &error) {
  return [&engine, &error](llvm::StringRef name)
             -> ::llm::runtime::PackedFunction {
    auto fn = engine.lookupPacked(name);
    if (fn)
      return *fn;
    error = llvm::toString(fn.takeError());
    return nullptr;
  };
}

std::unique_ptr<CompiledModel>
CompiledModel::fromCache(llvm::StringRef directory, uint64_t key) {
  std::optional<CachedCompilation> cached = readCompileCache(directory, key);
  if (!cached)
    return nullptr;
  auto model = std::unique_ptr<CompiledModel>(new CompiledModel());
  if (!readMetadata(cached->metadata, model->abi_, model->shape_))
    return nullptr;
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder) {
    llvm::consumeError(machineBuilder.takeError());
    return nullptr;
  }
  // Linked as ExecutionEngine links what it compiles.
  auto jit =
      llvm::orc::LLJITBuilder()
          .setJITTargetMachineBuilder(std::move(*machineBuilder))
          .setObjectLinkingLayerCreator([](llvm::orc::ExecutionSession &session) {
            return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                session, [](const llvm::MemoryBuffer &) {
                  return std::make_unique<llvm::SectionMemoryManager>();
                });
          })
          .create();
  if (!jit) {
    llvm::consumeError(jit.takeError());
    return nullptr;
  }
  llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process) {
    llvm::consumeError(process.takeError());
    return nullptr;
  }
  dylib.addGenerator(std::move(*process));
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  if (llvm::Error error = dylib.define(
          llvm::orc::absoluteSymbols(runtimeSymbols(interner)))) {
    llvm::consumeError(std::move(error));
    return nullptr;
  }
  if (llvm::Error error = (*jit)->addObjectFile(std::move(cached->object))) {
    llvm::consumeError(std::move(error));
    return nullptr;
  }
  auto lookup = [&](llvm::StringRef name) -> ::llm::runtime::PackedFunction {
    auto symbol = (*jit)->lookup(("_mlir_" + name).str());
    if (!symbol) {
      llvm::consumeError(symbol.takeError());
      return nullptr;
    }
    return symbol->toPtr<::llm::runtime::PackedFunction>();
  };
  if (model->bindEntryPoints(lookup))
    return nullptr;
  model->jit_ = std::move(*jit);
  model->fromCache_ = true;
  return model;
}

/// The runtime's description of a buffer of `type`.
static ::llm::runtime::BufferType bufferType(RankedTensorType type) {
  std::string element;
  llvm::raw_string_ostream os(element);
  type.getElementType().print(os);
  return {element, std::vector<int64_t>(type.getShape().begin(),
                                       type.getShape().end())};
}

/// The runtime's copy of the module's ABI (verified by the dialect), and a
/// fingerprint of what its @prepare computes.
static llvm::Expected<::llm::runtime::ModuleABI> runtimeABI(ModuleOp module) {
  auto abi = module->getAttrOfType<ModuleABIAttr>(kModuleABIAttrName);
  if (!abi)
    return makeError("the module has no llm.abi attribute: lower it with "
                     "--llm-cpu-pipeline");
  ::llm::runtime::ModuleABI result;
  for (WeightTensorAttr tensor : abi.getTensors()) {
    // Every buffer the runtime binds is sized from these types: their
    // element counts are bounded.
    if (tensor.getType().getNumElements() > (int64_t(1) << 40))
      return makeError("checkpoint tensor '" + tensor.getName() +
                       "' of the module's ABI has more than 2^40 elements");
    ::llm::runtime::Shard shard;
    if (ShardAttr attr = tensor.getShard())
      shard = {attr.getDim(), attr.getParts(), attr.getRanks()};
    result.tensors.push_back(
        {tensor.getName().str(), bufferType(tensor.getType()), shard});
  }
  llvm::append_range(result.prepareArguments, abi.getPrepare());
  for (RankedTensorType type : abi.getPrepared()) {
    if (type.getNumElements() > (int64_t(1) << 40))
      return makeError("a prepared buffer of the module's ABI has more than "
                       "2^40 elements");
    result.prepared.push_back(bufferType(type));
  }
  llvm::append_range(result.weights, abi.getWeights());
  // What @prepare computes: its IR and that of the functions it calls, as
  // lowered here, and the compiler that lowered it.
  std::string text = "llm-compiler/LLVM " LLVM_VERSION_STRING "\n";
  llvm::raw_string_ostream os(text);
  for (Operation &op : module.getBody()->getOperations()) {
    auto symbol = dyn_cast<SymbolOpInterface>(op);
    if (symbol && symbol.getName().starts_with("prepare"))
      op.print(os, OpPrintingFlags().useLocalScope());
  }
  result.prepareFingerprint = llvm::xxh3_64bits(text);
  return result;
}

/// An error unless `module` carries its model's config.
static llvm::Error requireModelConfig(ModuleOp module) {
  if (getModelConfig(module))
    return llvm::Error::success();
  return makeError("the module has no model config (#llm.config): it was "
                   "not produced by llm-translate --import-llama-*");
}

/// Lowers `module` to the LLVM dialect for a CPU with `features` (unless it
/// is lowered already) with `options`' INT4 kernel, and checks that the
/// kernels it was lowered with need no feature that CPU lacks (`cpu` names
/// it in the message).
static llvm::Error lowerForCPU(ModuleOp module,
                               const llvm::StringMap<bool> &features,
                               const CompileOptions &options,
                               llvm::StringRef cpu,
                               DiagnosticCollector &diagnostics) {
  // Lowered: nothing but LLVM ops and the OpenMP ops that LLVM IR
  // translation turns into runtime calls.
  bool lowered = true;
  module->walk([&](Operation *op) {
    if (op != module.getOperation() &&
        !isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect()))
      lowered = false;
  });
  if (lowered && !options.int4Kernel.empty())
    return makeError("an INT4 kernel ('" + options.int4Kernel +
                     "') applies to a module not yet lowered; this one was "
                     "lowered to LLVM already, with the kernel its "
                     "--llm-cpu-pipeline chose");
  if (!lowered) {
    PassManager pm(module.getContext());
    CPUPipelineOptions pipelineOptions;
    pipelineOptions.parallel = options.parallel;
    if (!options.int4Kernel.empty()) {
      if (!isInt4KernelName(options.int4Kernel))
        return makeError("unknown INT4 kernel '" + options.int4Kernel +
                         "' (expected " + int4KernelChoices() + ")");
      pipelineOptions.int4Kernel = options.int4Kernel;
    } else {
      // The fastest INT4 kernel of the CPU compiled for.
      for (const PairDotTarget &target : kPairDotTargets)
        if (features.lookup(target.cpuFeature)) {
          pipelineOptions.int4Kernel = target.kernel.str();
          break;
        }
    }
    buildCPUPipeline(pm, pipelineOptions);
    if (failed(pm.run(module)))
      return makeError("lowering the module to LLVM failed:" +
                       diagnostics.messages);
  }
  // Kernels compiled for CPU features the CPU lacks would stop the process
  // with an illegal instruction.
  if (auto needed = module->getAttrOfType<ArrayAttr>("llm.cpu_features")) {
    for (Attribute item : needed) {
      auto feature = llvm::dyn_cast<StringAttr>(item);
      if (!feature)
        return makeError("malformed llm.cpu_features attribute");
      if (!features.lookup(feature.getValue()))
        return makeError("the module needs the CPU feature '" +
                         feature.getValue().str() + "', which " + cpu +
                         " lacks; compile it with "
                         "--llm-cpu-pipeline=int4-kernel=generic");
    }
  }
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::describe(ModuleOp module) {
  // Its callers checked it first (requireModelConfig).
  ModelConfigAttr config = getModelConfig(module);
  assert(config && "describe() of a module without its model config");
  auto model = std::unique_ptr<CompiledModel>(new CompiledModel());
  auto abi = runtimeABI(module);
  if (!abi)
    return abi.takeError();
  model->abi_ = std::move(*abi);
  ::llm::runtime::ModelShape &shape = model->shape_;
  shape.vocabSize = config.getVocabSize();
  std::tie(shape.pipelineStages, shape.pipelineStage) =
      getPipelineStage(module);
  shape.numLayers = stageLayers(config.getNumHiddenLayers(),
                                shape.pipelineStages, shape.pipelineStage)
                        .count;
  shape.tensorParallel = getTensorParallelRanks(module);
  shape.numKvHeads =
      kvHeadsPerRank(config.getNumKeyValueHeads(), shape.tensorParallel);
  shape.headDim = config.getHeadDim();
  shape.maxPositions = config.getMaxPositionEmbeddings();
  shape.bosTokenId = config.getBosTokenId();
  llvm::append_range(shape.eosTokenIds, config.getEosTokenIds());
  shape.batchedDecode = static_cast<bool>(module.lookupSymbol(kDecodeBatchName));
  // The runtime allocates the caches in one layout (kvCacheShape), of f32
  // or 16-bit floats (llm-kv-cache-type): a module lowered for another
  // would misread them.
  auto abiAttr = module->getAttrOfType<ModuleABIAttr>(kModuleABIAttrName);
  RankedTensorType kvCache = abiAttr.getKvCache();
  SmallVector<int64_t> expected =
      kvCacheShape(shape.numLayers, ShapedType::kDynamic, shape.numKvHeads,
                   shape.headDim);
  if (!kvCache)
    return makeError("the module's #llm.abi records no KV cache type: it was "
                     "lowered by an older llm-opt, for another KV cache "
                     "layout; lower it again with --llm-cpu-pipeline");
  Type cacheElement = kvCache.getElementType();
  if (kvCache.getShape() != ArrayRef<int64_t>(expected) ||
      !(cacheElement.isF32() || cacheElement.isF16() ||
        cacheElement.isBF16())) {
    std::string got;
    llvm::raw_string_ostream os(got);
    os << kvCache;
    return makeError("the module's KV caches are " + got +
                     ", not the [layers, kv_heads, context, head_dim] f32, "
                     "f16 or bf16 caches this runtime allocates; lower it "
                     "again with --llm-cpu-pipeline");
  }
  shape.kvCacheElementBytes = cacheElement.getIntOrFloatBitWidth() / 8;
  for (ExposedActivationAttr exposed : abiAttr.getActivations()) {
    ::llm::runtime::ExposedActivation activation{exposed.getName().str(),
                                                 exposed.getFeatures(), {}};
    for (StringAttr source : exposed.getSources())
      activation.sources.push_back(source.str());
    shape.activations.push_back(std::move(activation));
  }
  return std::move(model);
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::compileWithKey(std::unique_ptr<MLIRContext> contextArg,
                              OwningOpRef<ModuleOp> moduleArg,
                              const CompileOptions &options,
                              std::optional<uint64_t> cacheKey) {
  // Locals are destroyed in reverse order: the module before its context.
  std::unique_ptr<MLIRContext> context = std::move(contextArg);
  OwningOpRef<ModuleOp> module = std::move(moduleArg);
  DiagnosticCollector diagnostics(context.get());
  if (llvm::Error error = requireModelConfig(*module))
    return std::move(error);
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  if (llvm::Error error = lowerForCPU(*module, host, options,
                                      "this machine", diagnostics))
    return std::move(error);
  auto described = describe(*module);
  if (!described)
    return described.takeError();
  std::unique_ptr<CompiledModel> model = std::move(*described);

  // JIT for the host CPU.
  configureCodeGeneration();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder)
    return machineBuilder.takeError();
  auto targetMachine = machineBuilder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  // Keep the object code for the compile cache.
  Optimizer optimizer;
  ExecutionEngineOptions engineOptions =
      engineOptionsFor(options, targetMachine->get(),
                       /*keepObject=*/cacheKey.has_value(), optimizer);
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return makeError("JIT compilation failed: " +
                     llvm::toString(engine.takeError()) + diagnostics.messages);
  model->engine_ = std::move(*engine);
  model->engine_->registerSymbols(runtimeSymbols);
  std::string lookupError;
  if (const char *missing = model->bindEntryPoints(
          packedLookup(*model->engine_, lookupError))) {
    if (llvm::StringRef(missing) == "prepare")
      return makeError("the module lists prepared weights but has no "
                       "@prepare entry point: " + lookupError);
    return makeError(llvm::Twine("the module has no @") + missing +
                     " entry point: " + lookupError);
  }
  if (cacheKey) {
    // The code compiled (at the lookups above), with what the runtime
    // needs of the module. Failing to cache is not failing to compile.
    llvm::SmallString<128> temporary;
    if (!llvm::sys::fs::createTemporaryFile("llm-compiled", "o", temporary)) {
      model->engine_->dumpToObjectFile(temporary);
      if (auto object = llvm::MemoryBuffer::getFile(temporary))
        llvm::consumeError(writeCompileCache(options.cacheDirectory, *cacheKey,
                                             model->metadataJSON(),
                                             (*object)->getBuffer()));
      llvm::sys::fs::remove(temporary);
    }
  }
  model->context_ = std::move(context);
  return std::move(model);
}
CompiledModel::~CompiledModel() {
  // The code goes last: nothing of it runs after this.
  engine_.reset();
  jit_.reset();
  if (library_)
    ::dlclose(library_);
}

//===----------------------------------------------------------------------===//
// Ahead-of-time artifacts
//===----------------------------------------------------------------------===//

/// The enabled features of `info`'s CPU and feature string, by name.
static llvm::StringMap<bool> enabledFeatures(const llvm::MCSubtargetInfo &info) {
  llvm::StringMap<bool> features;
  for (const llvm::SubtargetFeatureKV &kv : info.getAllProcessorFeatures())
    if (info.getFeatureBits().test(kv.Value))
      features[kv.Key] = true;
  return features;
}

llvm::Expected<TargetDescription>
mlir::llm::describeTarget(llvm::StringRef cpu, llvm::StringRef features) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  TargetDescription target;
  target.triple = llvm::sys::getProcessTriple();
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(target.triple), error);
  if (!llvmTarget)
    return makeError("no code generator for " + target.triple + ": " + error);
  if (cpu.empty() || cpu == "native") {
    // This machine, as the JIT sees it.
    target.cpu = llvm::sys::getHostCPUName().str();
    target.featureString = hostCPUFeatureString();
  } else {
    target.cpu = cpu.str();
  }
  // A throwaway machine to check the names against the target's tables.
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      llvm::Triple(target.triple), "", "", llvm::TargetOptions(),
      llvm::Reloc::PIC_));
  const llvm::MCSubtargetInfo *info =
      machine ? machine->getMCSubtargetInfo() : nullptr;
  if (!info)
    return makeError("cannot create a code generator for " + target.triple);
  if (!info->isCPUStringValid(target.cpu))
    return makeError("unknown CPU '" + target.cpu + "' for " + target.triple +
                     " (llc-22 -mcpu=help lists them)");
  llvm::SmallVector<llvm::StringRef> requested;
  features.split(requested, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef feature : requested) {
    llvm::StringRef name = feature.trim();
    if (!name.consume_front("+") && !name.consume_front("-"))
      return makeError("CPU feature '" + feature +
                       "' must start with + or -");
    if (!llvm::any_of(info->getAllProcessorFeatures(),
                      [&](const llvm::SubtargetFeatureKV &kv) {
                        return name == kv.Key;
                      }))
      return makeError("unknown CPU feature '" + name + "' for " +
                       target.triple + " (llc-22 -mattr=help lists them)");
    target.featureString += (target.featureString.empty() ? "" : ",") +
                            feature.trim().str();
  }
  return target;
}

/// A code generator for `target`, position-independent (for a shared
/// library).
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
targetMachine(const TargetDescription &target, unsigned optLevel) {
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(target.triple), error);
  if (!llvmTarget)
    return makeError(error);
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      llvm::Triple(target.triple), target.cpu, target.featureString,
      llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
      optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                    : llvm::CodeGenOptLevel::Default));
  if (!machine)
    return makeError("cannot create a code generator for " + target.triple);
  return std::move(machine);
}

llvm::Error CompiledModel::compileToObject(std::unique_ptr<MLIRContext> contextArg,
                                           OwningOpRef<ModuleOp> moduleArg,
                                           const TargetDescription &target,
                                           const CompileOptions &options,
                                           llvm::StringRef objectPath) {
  std::unique_ptr<MLIRContext> context = std::move(contextArg);
  OwningOpRef<ModuleOp> module = std::move(moduleArg);
  DiagnosticCollector diagnostics(context.get());
  configureCodeGeneration();
  auto codegen = targetMachine(target, options.optLevel);
  if (!codegen)
    return codegen.takeError();
  llvm::StringMap<bool> features =
      enabledFeatures(*(*codegen)->getMCSubtargetInfo());
  if (llvm::Error error = requireModelConfig(*module))
    return error;
  if (llvm::Error error = lowerForCPU(*module, features, options,
                                      "CPU '" + target.cpu + "'", diagnostics))
    return error;
  auto described = describe(*module);
  if (!described)
    return described.takeError();

  // What llm-run checks before calling anything: the runtime ABI, the
  // features the code may use, and the module's ABI and shape.
  // The ISA features host detection reports (the target's tuning flags,
  // which no CPU reports, are left out): llm-run requires each of them.
  llvm::json::Array featureNames;
  std::vector<std::string> sorted;
  llvm::StringMap<bool> detectable = llvm::sys::getHostCPUFeatures();
  for (const auto &feature : features)
    if (detectable.contains(feature.first()))
      sorted.push_back(feature.first().str());
  std::sort(sorted.begin(), sorted.end());
  for (const std::string &name : sorted)
    featureNames.push_back(name);
  auto moduleMetadata = llvm::json::parse((*described)->metadataJSON());
  if (!moduleMetadata)
    return moduleMetadata.takeError();
  llvm::json::Object metadata{
      {"runtime_abi", kRuntimeABIVersion},
      {"compiler", "llm-compiler/LLVM " LLVM_VERSION_STRING},
      {"triple", target.triple},
      {"cpu", target.cpu},
      {"features", std::move(featureNames)},
      {"module", std::move(*moduleMetadata)}};
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(metadata));
  text.push_back('\0');
  {
    OpBuilder b(context.get());
    b.setInsertionPointToEnd(module->getBody());
    LLVM::GlobalOp::create(
        b, module->getLoc(),
        LLVM::LLVMArrayType::get(b.getIntegerType(8), text.size()),
        /*isConstant=*/true, LLVM::Linkage::External, kArtifactMetadataSymbol,
        b.getStringAttr(text));
  }

  // Compiled as the JIT compiles (the same packed entry points), for the
  // target's CPU; the code is linked here but never run. The optimizer
  // runs inside ExecutionEngine::create, which owns the machine meanwhile.
  CompileOptions quiet = options;
  quiet.jitDebug = false;
  Optimizer optimizer;
  ExecutionEngineOptions engineOptions = engineOptionsFor(
      quiet, codegen->get(), /*keepObject=*/true, optimizer);
  auto engine =
      ExecutionEngine::create(*module, engineOptions, std::move(*codegen));
  if (!engine)
    return makeError("code generation failed: " +
                     llvm::toString(engine.takeError()) + diagnostics.messages);
  (*engine)->registerSymbols(runtimeSymbols);
  // Bound in the description, which is discarded with the engine.
  std::string lookupError;
  if (const char *missing = (*described)->bindEntryPoints(
          packedLookup(**engine, lookupError)))
    return makeError(llvm::Twine("the module has no @") + missing +
                     " entry point: " + lookupError);
  (*engine)->dumpToObjectFile(objectPath);
  // dumpToObjectFile only prints its failures: check what it wrote.
  auto written = llvm::object::ObjectFile::createObjectFile(objectPath);
  if (!written) {
    llvm::consumeError(written.takeError());
    return makeError("cannot write the object file '" + objectPath + "'");
  }
  return llvm::Error::success();
}

/// The metadata an ahead-of-time artifact exports (kArtifactMetadataSymbol),
/// read from the file as an ELF object: nothing of it is loaded or run.
static llvm::Expected<std::string> readArtifactMetadata(llvm::StringRef path) {
  auto file = llvm::object::ObjectFile::createObjectFile(path);
  if (!file)
    return makeError("'" + path + "' is not a shared library: " +
                     llvm::toString(file.takeError()));
  auto *elf =
      llvm::dyn_cast<llvm::object::ELFObjectFileBase>(file->getBinary());
  if (!elf)
    return makeError("'" + path + "' is not an ELF shared library");
  for (const llvm::object::ELFSymbolRef &symbol :
       elf->getDynamicSymbolIterators()) {
    llvm::Expected<llvm::StringRef> name = symbol.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name != kArtifactMetadataSymbol)
      continue;
    llvm::Expected<llvm::object::section_iterator> section =
        symbol.getSection();
    llvm::Expected<uint64_t> address = symbol.getAddress();
    if (!section || !address || *section == elf->section_end() ||
        symbol.getELFType() != llvm::ELF::STT_OBJECT) {
      if (!section)
        llvm::consumeError(section.takeError());
      if (!address)
        llvm::consumeError(address.takeError());
      break;
    }
    llvm::Expected<llvm::StringRef> contents = (*section)->getContents();
    if (!contents) {
      llvm::consumeError(contents.takeError());
      break;
    }
    uint64_t offset = *address - (*section)->getAddress();
    uint64_t size = symbol.getSize();
    constexpr uint64_t kMaxMetadata = uint64_t(1) << 30;
    if (*address < (*section)->getAddress() || size == 0 ||
        size > kMaxMetadata || offset > contents->size() ||
        size > contents->size() - offset)
      break;
    // A C string: up to its terminator.
    llvm::StringRef text = contents->substr(offset, size);
    return text.take_until([](char c) { return c == '\0'; }).str();
  }
  return makeError("'" + path + "' is not a compiled model: it has no " +
                   llvm::Twine(kArtifactMetadataSymbol) +
                   " (build one with llm-compile)");
}

bool CompiledModel::isSharedLibrary(llvm::StringRef path) {
  if (path.empty())
    return false;
  char magic[4] = {};
  bool elf = false;
  if (std::FILE *file = std::fopen(path.str().c_str(), "rb")) {
    elf = std::fread(magic, 1, 4, file) == 4 &&
          std::memcmp(magic, "\x7f" "ELF", 4) == 0;
    std::fclose(file);
  }
  return elf;
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::loadSharedLibrary(llvm::StringRef pathArg) {
  // dlopen searches the library path for a name without a slash: the
  // artifact is named by its absolute path.
  llvm::SmallString<256> path(pathArg);
  if (std::error_code ec = llvm::sys::fs::make_absolute(path))
    return makeError("cannot resolve '" + pathArg + "': " + ec.message());
  auto refuse = [&](const llvm::Twine &why) {
    return makeError("'" + pathArg + "' " + why);
  };
  // Everything is checked from the file before any of its code is loaded.
  llvm::Expected<std::string> text = readArtifactMetadata(path);
  if (!text)
    return text.takeError();
  auto parsed = llvm::json::parse(*text);
  const llvm::json::Object *metadata = parsed ? parsed->getAsObject() : nullptr;
  if (!metadata) {
    if (!parsed)
      llvm::consumeError(parsed.takeError());
    return refuse("has malformed metadata");
  }
  std::optional<int64_t> abiVersion = metadata->getInteger("runtime_abi");
  if (abiVersion != kRuntimeABIVersion)
    return refuse("was built for runtime ABI " +
                  (abiVersion ? llvm::Twine(*abiVersion) : llvm::Twine("?")) +
                  ", this llm-run has ABI " + llvm::Twine(kRuntimeABIVersion) +
                  ": compile it again with this llm-compile");
  std::optional<llvm::StringRef> triple = metadata->getString("triple");
  if (!triple || *triple != llvm::sys::getProcessTriple())
    return refuse("was built for " + (triple ? *triple : "another target") +
                  ", not " + llvm::sys::getProcessTriple());
  // Every ISA feature the code may use must be present here; one this
  // machine does not report is missing.
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  const llvm::json::Array *features = metadata->getArray("features");
  if (!features)
    return refuse("has malformed metadata (no features)");
  std::vector<std::string> missing;
  for (const llvm::json::Value &feature : *features) {
    std::optional<llvm::StringRef> name = feature.getAsString();
    if (!name)
      return refuse("has malformed metadata (features)");
    if (!host.lookup(*name))
      missing.push_back(name->str());
  }
  if (!missing.empty())
    return refuse("was compiled for CPU '" +
                  metadata->getString("cpu").value_or("?") +
                  "' and uses features this machine lacks: " +
                  llvm::join(missing, ", ") +
                  "; build it for this machine with llm-compile (or with "
                  "--mcpu for an older CPU)");
  auto model = std::unique_ptr<CompiledModel>(new CompiledModel());
  const llvm::json::Value *module = metadata->get("module");
  std::string moduleText;
  if (module)
    llvm::raw_string_ostream(moduleText) << *module;
  if (!module || !readMetadata(moduleText, model->abi_, model->shape_))
    return refuse("has malformed metadata (module ABI)");

  void *library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return refuse(llvm::Twine("cannot be loaded: ") + ::dlerror());
  model->library_ = library;
  auto entry = [&](llvm::StringRef name) {
    return reinterpret_cast<::llm::runtime::PackedFunction>(
        ::dlsym(library, ("_mlir_" + name).str().c_str()));
  };
  if (model->bindEntryPoints(entry))
    return refuse("lacks an entry point (@prefill, @decode, @prepare or "
                  "@decode_batch)");
  model->fromCache_ = true;
  return std::move(model);
}
