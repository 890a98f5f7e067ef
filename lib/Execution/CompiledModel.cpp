//===- CompiledModel.cpp - JIT-compiled llm module ------------------------===//

#include "llm/Execution/CompiledModel.h"
#include "llm/Dialect/LLM/IR/PairDotTargets.h"
#include "llm/Conversion/Passes.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/InitAll.h"
#include "llm/Pipelines/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

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

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::loadFile(llvm::StringRef path, const CompileOptions &options) {
  auto context = createExecutionContext();
  OwningOpRef<ModuleOp> module;
  {
    // Detached before the context moves into compile(), which may free it.
    DiagnosticCollector diagnostics(context.get());
    llvm::SourceMgr sourceMgr;
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path);
    if (!buffer)
      return makeError("cannot read '" + path + "': " +
                       buffer.getError().message());
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, context.get());
    if (!module)
      return makeError("cannot parse '" + path + "' as an MLIR module:" +
                       diagnostics.messages);
  }
  return compile(std::move(context), std::move(module), options);
}

/// The strings of `list` appended to `out`; false if one is not a string.
static bool appendNames(ArrayAttr list, std::vector<std::string> &out) {
  for (Attribute item : list) {
    auto text = llvm::dyn_cast<StringAttr>(item);
    if (!text)
      return false;
    out.push_back(text.str());
  }
  return true;
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
    result.tensors.push_back({tensor.getName().str(),
                              bufferType(tensor.getType())});
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

static llvm::Expected<int64_t> configInt(DictionaryAttr config,
                                         llvm::StringRef key) {
  auto value = config.getAs<IntegerAttr>(key);
  if (!value)
    return makeError("the module's llm.config lacks '" + key + "'");
  return value.getInt();
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::compile(std::unique_ptr<MLIRContext> contextArg,
                       OwningOpRef<ModuleOp> moduleArg,
                       const CompileOptions &options) {
  // Locals are destroyed in reverse order: the module before its context.
  std::unique_ptr<MLIRContext> context = std::move(contextArg);
  OwningOpRef<ModuleOp> module = std::move(moduleArg);
  DiagnosticCollector diagnostics(context.get());
  auto config = (*module)->getAttrOfType<DictionaryAttr>("llm.config");
  if (!config)
    return makeError("the module has no llm.config attribute: it was not "
                     "produced by llm-translate --import-llama-*");

  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();

  // Lower unless the module is already entirely in the LLVM dialect.
  bool lowered = true;
  module->walk([&](Operation *op) {
    if (op != module->getOperation() && !isa<LLVM::LLVMDialect>(op->getDialect()))
      lowered = false;
  });
  if (!lowered) {
    PassManager pm(context.get());
    CPUPipelineOptions pipelineOptions;
    pipelineOptions.parallel = options.parallel;
    // Compiled here for this machine: its fastest INT4 decode kernel.
    for (const PairDotTarget &target : kPairDotTargets)
      if (host.lookup(target.cpuFeature)) {
        pipelineOptions.int4Kernel = target.kernel.str();
        break;
      }
    buildCPUPipeline(pm, pipelineOptions);
    if (failed(pm.run(*module)))
      return makeError("lowering the module to LLVM failed:" +
                       diagnostics.messages);
  }

  // Kernels compiled for CPU features this host lacks would stop the
  // process with an illegal instruction.
  if (auto features = (*module)->getAttrOfType<ArrayAttr>("llm.cpu_features")) {
    for (Attribute item : features) {
      auto feature = llvm::dyn_cast<StringAttr>(item);
      if (!feature)
        return makeError("malformed llm.cpu_features attribute");
      if (!host.lookup(feature.getValue()))
        return makeError("the module needs the CPU feature '" +
                         feature.getValue().str() +
                         "', which this machine lacks; compile it with "
                         "--llm-cpu-pipeline=int4-kernel=generic");
    }
  }

  auto model = std::unique_ptr<CompiledModel>(new CompiledModel());
  auto abi = runtimeABI(*module);
  if (!abi)
    return abi.takeError();
  model->abi_ = std::move(*abi);
  ::llm::runtime::ModelShape &shape = model->shape_;
  for (auto [field, key] :
       {std::pair{&shape.vocabSize, "vocab_size"},
        {&shape.numLayers, "num_hidden_layers"},
        {&shape.numKvHeads, "num_key_value_heads"},
        {&shape.headDim, "head_dim"},
        {&shape.maxPositions, "max_position_embeddings"},
        {&shape.bosTokenId, "bos_token_id"}}) {
    auto value = configInt(config, key);
    if (!value)
      return value.takeError();
    *field = *value;
  }
  if (auto exposed = (*module)->getAttrOfType<ArrayAttr>("llm.activations")) {
    for (Attribute entry : exposed) {
      auto dict = llvm::dyn_cast<DictionaryAttr>(entry);
      auto name = dict ? dict.getAs<StringAttr>("name") : StringAttr();
      auto features = dict ? dict.getAs<IntegerAttr>("features") : IntegerAttr();
      auto sources = dict ? dict.getAs<ArrayAttr>("sources") : ArrayAttr();
      if (!name || !features || !sources)
        return makeError("malformed entry in llm.activations");
      ::llm::runtime::ExposedActivation activation{name.str(),
                                                   features.getInt(), {}};
      if (!appendNames(sources, activation.sources))
        return makeError("malformed entry in llm.activations");
      shape.activations.push_back(std::move(activation));
    }
  }
  if (auto eos = config.getAs<ArrayAttr>("eos_token_ids"))
    for (Attribute id : eos) {
      auto value = llvm::dyn_cast<IntegerAttr>(id);
      if (!value)
        return makeError("the module's llm.config has an eos_token_ids entry "
                         "that is not an integer");
      shape.eosTokenIds.push_back(value.getInt());
    }

  // JIT for the host CPU.
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder)
    return machineBuilder.takeError();
  auto targetMachine = machineBuilder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = makeOptimizingTransformer(
      options.optLevel, /*sizeLevel=*/0, targetMachine->get());
  // No perf jitdump files (they accumulated under /tmp/.debug/jit, one per
  // run) and no GDB registration of every compiled object.
  engineOptions.enablePerfNotificationListener = false;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.jitCodeGenOptLevel =
      options.optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return makeError("JIT compilation failed: " +
                     llvm::toString(engine.takeError()) + diagnostics.messages);
  model->engine_ = std::move(*engine);
  // The runtime functions the module calls.
  model->engine_->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner(kPrepareProgressSymbol)] = {
        llvm::orc::ExecutorAddr::fromPtr(&::llm::runtime::llm_prepare_progress),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  for (auto [slot, name] : {std::pair{&model->prefill_, "prefill"},
                            {&model->decode_, "decode"}}) {
    auto fn = model->engine_->lookupPacked(name);
    if (!fn)
      return makeError(llvm::Twine("the module has no @") + name +
                       " entry point: " + llvm::toString(fn.takeError()));
    *slot = *fn;
  }
  if (!model->abi_.prepared.empty()) {
    auto fn = model->engine_->lookupPacked("prepare");
    if (!fn)
      return makeError("the module lists prepared weights but has no "
                       "@prepare entry point: " +
                       llvm::toString(fn.takeError()));
    model->prepare_ = *fn;
  }
  model->context_ = std::move(context);
  return std::move(model);
}
