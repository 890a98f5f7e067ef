//===- ModelSession.cpp - A loaded model, ready to generate ---------------===//

#include "llm/Serving/ModelSession.h"

#include "llm/Frontend/GgufConfig.h"
#include "llm/Frontend/LlamaConfig.h"
#include "llm/Frontend/LlamaGraphBuilder.h"
#include "llm/Transforms/Passes.h"
#include "llm/runtime/Generation.h"
#include "llm/runtime/PreparedCache.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <omp.h>


using namespace llm::serving;
namespace rt = llm::runtime;


rt::Expected<std::unique_ptr<ModelSession>>
ModelSession::open(const SessionOptions &options) {
  const std::string &model = options.model;
  if (model.empty())
    return rt::Error("no model: give a Hugging Face checkpoint directory or a "
                     ".gguf file");
  if (!llvm::sys::fs::exists(model))
    return rt::Error("model '" + model + "' does not exist");
  if (options.slots <= 0)
    return rt::Error("the number of parallel sequences must be positive, got " +
                     std::to_string(options.slots));
  if (options.contextSize < 0)
    return rt::Error("the context size must be >= 0 (0: the model's "
                     "max_position_embeddings), got " +
                     std::to_string(options.contextSize));
  if (options.threads < 0)
    return rt::Error("the number of threads must be >= 0 (0: all cores), got " +
                     std::to_string(options.threads));
  std::unique_ptr<ModelSession> session(new ModelSession());
  if (options.threads > 0)
    omp_set_num_threads(options.threads);
  session->threads_ = omp_get_max_threads();
  // A GGUF file holds the config, the tokenizer and the weights in one; the
  // directory around it keeps the caches.
  std::string home = model;
  if (!llvm::sys::fs::is_directory(model)) {
    if (!llvm::StringRef(model).ends_with(".gguf"))
      return rt::Error("'" + model +
                       "' is a file, not a model directory: pass the Hugging "
                       "Face checkpoint directory that holds config.json, or "
                       "a .gguf file");
    auto opened = rt::GgufFile::open(model);
    if (!opened.ok())
      return rt::Error(opened.message());
    session->gguf_ = std::move(*opened);
    llvm::SmallString<256> parent = llvm::sys::path::parent_path(model);
    home = parent.empty() ? "." : parent.str().str();
  }
  session->name_ =
      llvm::sys::path::filename(llvm::StringRef(model).rtrim('/')).str();
  const auto &gguf = session->gguf_;

  if (!gguf) {
    auto generation = rt::GenerationConfig::readDirectory(model);
    if (!generation)
      return rt::Error(generation.message());
    session->generationConfig_ = std::move(*generation);
    auto tokenizerConfig = rt::TokenizerConfig::loadFromDirectory(model);
    if (!tokenizerConfig.ok())
      return rt::Error(tokenizerConfig.message());
    session->tokenizerConfig_ = std::move(*tokenizerConfig);
  } else if (const rt::GgufValue *t = gguf->find("tokenizer.chat_template");
             t && t->string()) {
    session->tokenizerConfig_.chatTemplate = *t->string();
  }
  // The tokenizer, before any long step: a problem with it is found first.
  if (gguf && gguf->find("tokenizer.ggml.model")) {
    auto loaded = rt::Tokenizer::fromGguf(*gguf);
    if (!loaded.ok())
      return rt::Error(loaded.message());
    session->tokenizer_.emplace(std::move(*loaded));
  } else if (std::string path = gguf ? std::string()
                                     : rt::Tokenizer::findInDirectory(model);
             !path.empty()) {
    auto loaded = rt::Tokenizer::load(path);
    if (!loaded.ok())
      return rt::Error(loaded.message());
    session->tokenizer_.emplace(std::move(*loaded));
  }

  std::string cacheDirectory;
  if (!options.noCache) {
    if (!options.cacheDirectory.empty()) {
      if (std::error_code ec =
              llvm::sys::fs::create_directories(options.cacheDirectory))
        return rt::Error("cannot create the cache directory '" +
                         options.cacheDirectory + "': " + ec.message());
      cacheDirectory = options.cacheDirectory;
    } else if (auto dir = rt::preparedCacheDirectory(home); dir.ok()) {
      cacheDirectory = *dir;
    }
  }

  // The compiled module: given, or imported with @decode_batch.
  mlir::llm::CompileOptions compileOptions;
  compileOptions.cacheDirectory = cacheDirectory;
  llvm::Expected<std::unique_ptr<mlir::llm::CompiledModel>> compiled =
      llvm::createStringError(llvm::inconvertibleErrorCode(), "unset");
  if (!options.module.empty() && mlir::llm::CompiledModel::isSharedLibrary(options.module)) {
    compiled = mlir::llm::CompiledModel::loadSharedLibrary(options.module);
  } else if (!options.module.empty()) {
    compiled = mlir::llm::CompiledModel::loadFile(options.module, compileOptions);
  } else {
    auto config = gguf ? mlir::llm::llamaConfigFromGguf(*gguf)
                       : mlir::llm::LlamaConfig::readFile(model);
    if (!config)
      return rt::Error(llvm::toString(config.takeError()));
    auto context = mlir::llm::createExecutionContext();
    mlir::llm::LlamaModuleOptions moduleOptions;
    moduleOptions.batchedDecode = true;
    auto module = mlir::llm::buildLlamaModule(*context, *config, moduleOptions);
    if (options.lastLogitsOnly) {
      mlir::PassManager pm(context.get());
      pm.addPass(mlir::llm::createLLMPrefillLastLogitsPass());
      if (failed(pm.run(*module)))
        return rt::Error("llm-prefill-last-logits failed on the imported "
                         "module");
    }
    compiled = mlir::llm::CompiledModel::compile(
        std::move(context), std::move(module), compileOptions);
  }
  if (!compiled)
    return rt::Error(llvm::toString(compiled.takeError()));
  session->compiled_ = std::move(*compiled);
  const rt::ModelShape &shape = session->compiled_->shape();

  auto checkpoint = gguf ? rt::ggufCheckpoint(gguf) : rt::Checkpoint::open(model);
  if (!checkpoint.ok())
    return rt::Error(checkpoint.message());
  session->checkpoint_.emplace(std::move(*checkpoint));
  rt::LoadOptions loadOptions;
  loadOptions.progress = options.progress;
  loadOptions.cacheDirectory = cacheDirectory;
  auto runner = rt::ModelRunner::create(
      *session->checkpoint_, session->compiled_->abi(), shape,
      session->compiled_->entryPoints(), loadOptions);
  if (!runner.ok())
    return rt::Error(runner.message());
  session->runner_ = std::move(*runner);
  int64_t context =
      options.contextSize > 0 ? options.contextSize : shape.maxPositions;
  if (rt::Status s = session->runner_->allocateCache(context, options.slots);
      !s.ok())
    return rt::Error(s.message());
  if (options.warmup)
    if (rt::Status s = rt::warmUp(*session->runner_); !s.ok())
      return rt::Error(s.message());

  // End-of-sequence ids: config.json's, generation_config.json's, and the
  // tokenizer's end-of-turn token (tokenizer_config.json's eos_token).
  session->eosIds_ = shape.eosTokenIds;
  for (int64_t id : session->generationConfig_.eosTokenIds) {
    if (id >= shape.vocabSize)
      return rt::Error("generation_config.json: eos_token_id " +
                       std::to_string(id) + " is not in the vocabulary [0, " +
                       std::to_string(shape.vocabSize) + ")");
    if (!llvm::is_contained(session->eosIds_, id))
      session->eosIds_.push_back(id);
  }
  if (session->tokenizer_ && !session->tokenizerConfig_.eosToken.empty()) {
    int32_t id = session->tokenizer_->tokenId(session->tokenizerConfig_.eosToken);
    if (id >= 0 && id < shape.vocabSize &&
        !llvm::is_contained(session->eosIds_, id))
      session->eosIds_.push_back(id);
  }
  return std::move(session);
}

void ModelSession::useThreadsHere() const { omp_set_num_threads(threads_); }

rt::Expected<std::vector<int32_t>>
ModelSession::encode(const std::string &text, bool addSpecial,
                     const char *what) const {
  if (!tokenizer_)
    return rt::Error("the model has no tokenizer (tokenizer.model or "
                     "tokenizer.json)");
  auto ids = tokenizer_->encode(text, addSpecial, /*parseSpecial=*/true);
  if (!ids.ok())
    return ids;
  int64_t vocab = shape().vocabSize;
  for (int32_t id : *ids)
    if (id >= vocab)
      return rt::Error(std::string(what) + " has token " + std::to_string(id) +
                       " ('" + tokenizer_->piece(id) + "' from '" +
                       tokenizer_->path() +
                       "'), outside the model's vocabulary of " +
                       std::to_string(vocab) +
                       ": the tokenizer does not belong to this model");
  return ids;
}
