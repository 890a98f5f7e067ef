//===- llm-translate.cpp - the mlir-translate of the llm project ----------===//
//
// Translations into the llm dialect (Hugging Face configs and presets) and out
// of it (LLVM IR, accelerator exports), with mlir-translate's conventions.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Frontend/LlamaConfig.h"
#include "llm/Frontend/LlamaGraphBuilder.h"
#include "llm/InitAll.h"
#include "llm/Target/LPU/Export.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llm/Support/AtomicOutput.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

static llvm::cl::opt<std::string>
    presetName("llama-preset-name",
               llvm::cl::desc("Preset imported by --import-llama-preset"),
               llvm::cl::value_desc("name"), llvm::cl::Hidden);

static llvm::cl::opt<std::string>
    ggufPath("gguf-path", llvm::cl::desc("File imported by --import-gguf"),
             llvm::cl::value_desc("file"), llvm::cl::Hidden);

static llvm::cl::opt<std::string> weightDType(
    "weight-dtype",
    llvm::cl::desc("Element type of the imported module's weights: f32, f16 "
                   "or bf16 (default: the config's torch_dtype, f32 for "
                   "presets)"),
    llvm::cl::value_desc("type"));

static llvm::cl::opt<bool> batchedDecode(
    "batched-decode",
    llvm::cl::desc("Also import @decode_batch: one decode step of several "
                   "sequences, each in its own slot of a KV-cache pool (for "
                   "llm-server and the Python package)"));

/// Builds the module of `config`, or reports `error` at the file's location.
static OwningOpRef<Operation *>
importConfig(llvm::Expected<llm::LlamaConfig> config, Location loc,
             MLIRContext *context) {
  if (!config) {
    emitError(loc) << llvm::toString(config.takeError());
    return nullptr;
  }
  if (!weightDType.empty()) {
    std::optional<llm::WeightDType> dtype = llm::parseWeightDType(weightDType);
    if (!dtype) {
      emitError(loc) << "--weight-dtype: unknown type '" << weightDType
                     << "' (expected f32, f16 or bf16)";
      return nullptr;
    }
    config->weightDType = *dtype;
  }
  return OwningOpRef<Operation *>(
      llm::buildLlamaModule(*context, *config, {batchedDecode})
          .release()
          .getOperation());
}

static void registerLLMTranslations() {
  static TranslateToMLIRRegistration importLlamaConfig(
      "import-llama-config",
      "import a Hugging Face LLaMA config.json (or checkpoint directory)",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        Location loc =
            FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
        return importConfig(
            llm::LlamaConfig::parseJSON(buffer->getBuffer(),
                                        buffer->getBufferIdentifier()),
            loc, context);
      },
      [](DialectRegistry &registry) { llm::registerAllLLMDialects(registry); });

  // The GGUF file is mapped, not read through the source manager: only its
  // metadata is needed, and the file may be tens of gigabytes.
  static TranslateToMLIRRegistration importGguf(
      "import-gguf", "import a GGUF model file (llama.cpp's format; its metadata)",
      [](llvm::SourceMgr &, MLIRContext *context) {
        return importConfig(llm::LlamaConfig::readGguf(ggufPath),
                            FileLineColLoc::get(context, ggufPath, 0, 0), context);
      },
      [](DialectRegistry &registry) { llm::registerAllLLMDialects(registry); });

  // The registry keeps a StringRef to the description: it must outlive it.
  static const std::string presetDescription =
      "import a named LLaMA preset (" +
      llvm::join(llm::LlamaConfig::presetNames(), ", ") + ")";
  static TranslateToMLIRRegistration importLlamaPreset(
      "import-llama-preset", presetDescription,
      [](llvm::SourceMgr &, MLIRContext *context) {
        return importConfig(llm::LlamaConfig::preset(presetName),
                            UnknownLoc::get(context), context);
      },
      [](DialectRegistry &registry) { llm::registerAllLLMDialects(registry); });
}

/// mlir-translate selects a translation with a bare flag and reads the
/// positional input file. The import flags take their argument directly
/// (`--import-llama-config DIR`, `--import-llama-preset NAME`), so rewrite
/// them into that form: a checkpoint directory becomes its config.json, and a
/// preset, which reads no file, gets an empty input.
static std::vector<std::string> normalizeArguments(int argc, char **argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::vector<std::string> out;
  bool emptyInput = false;
  for (size_t i = 0; i < args.size(); ++i) {
    llvm::StringRef arg = args[i];
    llvm::StringRef flag = arg.ltrim('-');
    if (i == 0 || !arg.starts_with("-") ||
        !(flag.starts_with("import-llama-config") ||
          flag.starts_with("import-llama-preset") || flag.starts_with("import-gguf"))) {
      // A checkpoint directory given apart from its flag
      // (`--import-llama-config --batched-decode DIR`) is its config.json too.
      llvm::SmallString<256> config(arg);
      llvm::sys::path::append(config, "config.json");
      if (i > 0 && !arg.starts_with("-") && llvm::sys::fs::is_directory(arg) &&
          llvm::sys::fs::is_regular_file(config))
        out.push_back(std::string(config));
      else
        out.push_back(args[i]);
      continue;
    }
    auto [name, value] = flag.split('=');
    std::string operand;
    if (flag.contains('='))
      operand = value.str();
    else if (i + 1 < args.size() && !llvm::StringRef(args[i + 1]).starts_with("-"))
      operand = args[++i];
    out.push_back("--" + name.str());
    if (operand.empty())
      continue;
    if (name == "import-llama-preset") {
      out.push_back("--llama-preset-name=" + operand);
      emptyInput = true;
      continue;
    }
    if (name == "import-gguf") {
      out.push_back("--gguf-path=" + operand);
      emptyInput = true;
      continue;
    }
    llvm::SmallString<256> path(operand);
    if (llvm::sys::fs::is_directory(path))
      llvm::sys::path::append(path, "config.json");
    // A config is a regular file of sane size: reading a FIFO would block
    // and a device such as /dev/zero would never end.
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(path, status)) {
      if (status.type() != llvm::sys::fs::file_type::regular_file) {
        llvm::errs() << "llm-translate: error: '" << path
                     << "' is not a regular file\n";
        std::exit(1);
      }
      if (status.getSize() > (uint64_t(16) << 20)) {
        llvm::errs() << "llm-translate: error: '" << path << "' is "
                     << status.getSize()
                     << " bytes, more than a config.json may be (16 MiB)\n";
        std::exit(1);
      }
    }
    out.push_back(std::string(path));
  }
  if (emptyInput)
    out.push_back("/dev/null");
  return out;
}

/// mlir-translate's translations, with `--mlir-to-llvmir` parsing modules
/// that carry the llm dialect's attributes (a lowered module keeps its
/// `#llm.abi`, which LLVM IR does not need).
static void registerUpstreamTranslations() {
  registerFromLLVMIRTranslation();
  registerFromSPIRVTranslation();
  registerIRDLToCppTranslation();
  registerFromWasmTranslation();
  registerToCppTranslation();
  registerToSPIRVTranslation();
  smt::registerExportSMTLIBTranslation();
  static TranslateFromMLIRRegistration toLLVMIR(
      "mlir-to-llvmir", "Translate MLIR to LLVMIR",
      [](Operation *op, raw_ostream &output) {
        llvm::LLVMContext llvmContext;
        auto llvmModule = translateModuleToLLVMIR(op, llvmContext);
        if (!llvmModule)
          return failure();
        llvmModule->print(output, nullptr);
        return success();
      },
      [](DialectRegistry &registry) {
        registry.insert<DLTIDialect, func::FuncDialect>();
        registerAllToLLVMIRTranslations(registry);
        llm::registerAllLLMDialects(registry);
      });
}

int main(int argc, char **argv) {
  registerUpstreamTranslations();
  registerLLMTranslations();
  llm::lpu::registerLPUTranslations();
  // `-o` is written only when the run succeeds (see AtomicOutput.h).
  return llm::runWithAtomicOutput(
      "llm-translate", normalizeArguments(argc, argv),
      [](std::vector<std::string> &args) {
        std::vector<char *> cargs;
        for (std::string &arg : args)
          cargs.push_back(arg.data());
        cargs.push_back(nullptr);
        return failed(mlirTranslateMain(static_cast<int>(args.size()),
                                        cargs.data(), "llm translation driver"))
                   ? 1
                   : 0;
      });
}
