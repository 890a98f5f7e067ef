//===- llm-run.cpp - CPU inference with a compiled llm module -------------===//
//
//   llm-run [compiled.mlir] -m MODEL_DIR -p "PROMPT" -n N [sampling flags]
//
// Compiles the module (or imports MODEL_DIR/config.json when no module is
// given) for the host CPU, binds the checkpoint's weights by name, and
// generates text: the prompt in one prefill, then one token at a time. Flag
// names and defaults follow llama.cpp's CLI.
//
//===----------------------------------------------------------------------===//

#include "llm/Execution/CompiledModel.h"
#include "llm/Frontend/GgufConfig.h"
#include "llm/Frontend/LlamaConfig.h"
#include "llm/Frontend/LlamaGraphBuilder.h"
#include "llm/Transforms/Passes.h"
#include "llm/Support/ToolArguments.h"
#include "llm/Execution/AllocationCounter.h"
#include "llm/Distributed/RankGroup.h"
#include "mlir/Pass/PassManager.h"
#include "Chat.h"
#include "Prompt.h"

#include "llm/runtime/ChatTemplate.h"
#include "llm/runtime/Generation.h"
#include "llm/runtime/Gguf.h"
#include "llm/runtime/GenerationConfig.h"
#include "llm/runtime/PreparedCache.h"
#include "llm/runtime/ModelRunner.h"
#include "llm/runtime/Npy.h"
#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Sampler.h"
#include "llm/runtime/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <malloc.h>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>

// From the LLVM OpenMP runtime that the compiled code's parallel loops use.
extern "C" void omp_set_num_threads(int);

namespace cl = llvm::cl;
namespace rt = llm::runtime;
using Clock = std::chrono::steady_clock;

static cl::OptionCategory category("llm-run options");
static cl::opt<std::string> modulePath(
    cl::Positional,
    cl::desc("[compiled.mlir] ('{rank}' in the path stands for the mpirun "
             "rank: one module per pipeline stage)"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> modelDir("model", cl::desc("Hugging Face checkpoint directory"),
                                     cl::value_desc("dir"), cl::cat(category));
static cl::alias modelDirShort("m", cl::desc("Alias for --model"), cl::aliasopt(modelDir), cl::NotHidden);
static cl::opt<std::string> prompt("prompt", cl::desc("Prompt text"),
                                   cl::init(""), cl::cat(category));
static cl::alias promptShort("p", cl::desc("Alias for --prompt"), cl::aliasopt(prompt), cl::NotHidden);
static cl::opt<std::string> promptIds("prompt-ids",
                                      cl::desc("Comma-separated prompt token ids (no tokenizer needed)"),
                                      cl::init(""), cl::cat(category));
static cl::opt<int> nPredict("n-predict", cl::desc("Tokens to generate (-1: until EOS or the context is full; default -1)"),
                             cl::init(-1), cl::cat(category));
static cl::alias nPredictShort("n", cl::desc("Alias for --n-predict"), cl::aliasopt(nPredict), cl::NotHidden);
static cl::opt<int> ctxSize("ctx-size", cl::desc("Context size (0: the model's max_position_embeddings; default 0)"),
                            cl::init(0), cl::cat(category));
static cl::alias ctxSizeShort("c", cl::desc("Alias for --ctx-size"), cl::aliasopt(ctxSize), cl::NotHidden);
// LLVM itself registers an option named "threads"; ours is spelled
// --num-threads internally and --threads is rewritten to it in main().
static cl::opt<int> threads("num-threads", cl::desc("Threads (default: all cores); also --threads"),
                            cl::init(0), cl::cat(category));
static cl::alias threadsShort("t", cl::desc("Alias for --num-threads"), cl::aliasopt(threads), cl::NotHidden);
static cl::opt<float> temp("temp", cl::desc("Temperature (0: greedy; default 0.8)"),
                           cl::init(0.8f), cl::cat(category));
static cl::opt<int> topK("top-k", cl::desc("Top-k sampling (<= 0: off; default 40)"),
                         cl::init(40), cl::cat(category));
static cl::opt<float> topP("top-p", cl::desc("Top-p sampling (1: off; default 0.95)"),
                           cl::init(0.95f), cl::cat(category));
static cl::opt<float> minP("min-p", cl::desc("Min-p sampling (0: off; default 0.05)"),
                           cl::init(0.05f), cl::cat(category));
static cl::opt<float> repeatPenalty("repeat-penalty", cl::desc("Repetition penalty (1: off; default 1)"),
                                    cl::init(1.0f), cl::cat(category));
static cl::opt<int> repeatLastN("repeat-last-n", cl::desc("Tokens the penalty looks back at (-1: context; default 64)"),
                                cl::init(64), cl::cat(category));
static cl::opt<long long> seed("seed", cl::desc("RNG seed (-1: random; default -1)"),
                               cl::init(-1), cl::cat(category));
static cl::alias seedShort("s", cl::desc("Alias for --seed"), cl::aliasopt(seed), cl::NotHidden);
static cl::opt<bool> jsonOutput("json", cl::desc("Print one JSON object instead of streaming text"),
                                cl::cat(category));
static cl::opt<std::string> logitsOut("logits-out", cl::desc("Write the prompt's logits [n_prompt, vocab] as float32 .npy"),
                                      cl::value_desc("file.npy"), cl::init(""), cl::cat(category));
static cl::opt<bool> noWarmup(
    "no-warmup",
    cl::desc("Skip the warm-up run (a 2-token prefill and a decode step) "
             "before the prompt, as llama.cpp's --no-warmup: the first "
             "prompt then also pays for starting the threads and faulting "
             "in the code and buffers"),
    cl::cat(category));
static cl::opt<bool> noDisplayPrompt("no-display-prompt", cl::desc("Do not echo the prompt"),
                                     cl::cat(category));
static cl::opt<std::string> activationsOut(
    "activations-out",
    cl::desc("Write the prompt's linear-layer inputs (modules built with "
             "--llm-expose-activations) as DIR/<weight>.npy"),
    cl::value_desc("dir"), cl::init(""), cl::cat(category));
static cl::opt<std::string> extraWeights(
    "extra-weights",
    cl::desc("More tensors (a .safetensors file or directory), e.g. the "
             "activation-aware scales of python/awq_search.py"),
    cl::value_desc("path"), cl::init(""), cl::cat(category));
static cl::list<std::string> stopStrings(
    "stop",
    cl::desc("Stop when the generated text contains STRING (repeatable; the "
             "string is not printed)"),
    cl::value_desc("string"), cl::cat(category));
static cl::opt<bool> conversation(
    "conversation",
    cl::desc("Chat: read user messages from stdin, one per line, and answer each with the "
             "model's chat template (tokenizer_config.json); the KV cache keeps the "
             "conversation. Also -cnv and --chat"),
    cl::cat(category));
static cl::alias conversationShort("cnv", cl::desc("Alias for --conversation"),
                                   cl::aliasopt(conversation), cl::NotHidden);
static cl::alias conversationChat("chat", cl::desc("Alias for --conversation"),
                                  cl::aliasopt(conversation), cl::NotHidden);
static cl::opt<std::string> systemPrompt("system",
                                         cl::desc("The system message of a conversation"),
                                         cl::value_desc("text"), cl::init(""), cl::cat(category));
static cl::opt<std::string> chatTemplateFile(
    "chat-template-file",
    cl::desc("A Jinja chat template to use instead of tokenizer_config.json's"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<bool> ignoreEos("ignore-eos", cl::desc("Keep generating after an end-of-sequence token"),
                               cl::cat(category));
static cl::opt<bool> quantizeOnly("prepare-only",
                                  cl::desc("Run the module's @prepare (INT4 packs, stacked weights) "
                                           "and cache its outputs, then exit"),
                                  cl::cat(category));
static cl::alias quantizeOnlyOld("quantize-only", cl::desc("Alias for --prepare-only"),
                                 cl::aliasopt(quantizeOnly));
static cl::opt<std::string> cacheDir("cache-dir",
                                     cl::desc("Where compiled code and prepared weights are cached (default: "
                                              "MODEL_DIR/.llm-cache if writable, else "
                                              "~/.cache/llm-compiler)"),
                                     cl::value_desc("dir"), cl::init(""), cl::cat(category));
static cl::opt<bool> noCache("no-cache", cl::desc("Neither read nor write cached compiled code or prepared weights"),
                             cl::cat(category));
static cl::opt<bool> useMmap(
    "mmap",
    cl::desc("Read the weights where they lie in the mapped checkpoint and cache "
             "files (shared, no copy) instead of copying them into memory on huge "
             "pages (faster to stream; the default when they fit in half of the "
             "memory)"),
    cl::cat(category));
static cl::opt<bool> noMmap("no-mmap",
                            cl::desc("Copy the weights into memory on huge pages (the "
                                     "default when they fit in half of the memory)"),
                            cl::cat(category));

static cl::opt<std::string> splitMode(
    "split-mode",
    cl::desc("How mpirun's ranks share the model: 'row' (tensor parallel: "
             "every layer's heads and MLP split over the ranks; default) or "
             "'layer' (pipeline: consecutive layers per rank)"),
    cl::init("row"), cl::cat(category));
static cl::alias splitModeShort("sm", cl::desc("Alias for --split-mode"),
                                cl::aliasopt(splitMode), cl::NotHidden);
static cl::opt<std::string> cacheTypeK(
    "cache-type-k",
    cl::desc("KV cache element type when compiling a checkpoint: f32 "
             "(default), f16 or bf16 (llm-kv-cache-type; K and V alike)"),
    cl::init("f32"), cl::cat(category));
static cl::alias cacheTypeKShort("ctk", cl::desc("Alias for --cache-type-k"),
                                 cl::aliasopt(cacheTypeK), cl::NotHidden);
static cl::opt<std::string> cacheTypeV(
    "cache-type-v", cl::desc("The V cache's element type: as --cache-type-k"),
    cl::init("f32"), cl::cat(category));
static cl::alias cacheTypeVShort("ctv", cl::desc("Alias for --cache-type-v"),
                                 cl::aliasopt(cacheTypeV), cl::NotHidden);
static cl::opt<std::string> int4Kernel(
    "int4-kernel",
    cl::desc("The INT4 layers' kernel when compiling a checkpoint or a module "
             "not yet lowered (llm-cpu-pipeline's int4-kernel): "
             "x86-avx512-vnni (int8 inputs), x86-avx512 or x86-avx2 (int16 "
             "inputs, within 2^-16 of float ones) or generic (float); "
             "default: the first of these the CPU has"),
    cl::value_desc("name"), cl::init(""), cl::cat(category));
static cl::opt<bool> jitDebug("jit-debug",
                              cl::desc("Compile even when cached, and register the code with GDB and "
                                       "perf (jitdump files under $JITDUMPDIR or ~/.debug/jit, "
                                       "for 'perf inject --jit')"),
                              cl::cat(category));

/// The ranks of an mpirun job (a group of one otherwise), and whether they
/// have agreed that every rank loaded its part.
static llm::distributed::RankGroup *ranks = nullptr;
static bool ranksAgreed = false;

static int fail(const llvm::Twine &message) {
  std::string text = message.str();
  if (ranks && ranks->distributed() && !ranksAgreed) {
    // Every rank reports how its setup went; rank 0 shows why it failed,
    // once, and every rank stops.
    ranksAgreed = true;
    rt::Status all = ranks->agree(rt::Error(text));
    if (ranks->rank() == 0)
      llvm::errs() << "llm-run: error: " << all.message() << "\n";
    ranks->finish();
    return 1;
  }
  llvm::errs() << "llm-run: error: " << text << "\n";
  return 1;
}

/// Rank 0 releases the other ranks whenever it leaves main.
struct ReleaseRanksOnExit {
  ~ReleaseRanksOnExit() {
    if (ranks && ranks->distributed()) {
      ranks->release();
      ranks->finish();
    }
  }
};

/// Prints `message` on stderr if it lives longer than a second: one line
/// saying what a slow step is doing, and nothing for a quick one.
class SlowStepNotice {
public:
  explicit SlowStepNotice(std::string message)
      : waiter([this, message = std::move(message)] {
          std::unique_lock<std::mutex> lock(mutex);
          if (!done.wait_for(lock, std::chrono::seconds(1),
                             [this] { return finished; }))
            llvm::errs() << "llm-run: " << message << "\n";
        }) {}
  ~SlowStepNotice() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      finished = true;
    }
    done.notify_one();
    waiter.join();
  }

private:
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  std::thread waiter;
};

static double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Under mpirun: one rank of a tensor-parallel group.
  auto group = llm::distributed::RankGroup::join(&argc, &argv);
  if (!group.ok())
    return fail(group.message());
  ranks = *group;
  // Every decode step allocates and frees the same intermediate buffers
  // (the logits alone are vocab * 4 bytes): keep freed memory in the heap
  // for the next step instead of unmapping it and faulting it back in.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::vector<std::string> args = llm::spellThreadsOption(argc, argv);
  std::vector<const char *> cargs;
  for (const std::string &arg : args)
    cargs.push_back(arg.c_str());
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "llm-run (llm compiler) " LLM_VERSION "\n  built with LLVM/MLIR "
       << LLVM_VERSION_STRING << "\n";
  });
  if (std::string unknown = llm::unknownOption(args); !unknown.empty())
    return fail("unknown option '" + unknown + "' (see llm-run --help)");
  cl::ParseCommandLineOptions(static_cast<int>(cargs.size()), cargs.data(),
                              "llm CPU inference\n");

  if (modelDir.empty())
    return fail("no model: pass -m MODEL_DIR (a Hugging Face checkpoint directory)");
  if (splitMode != "row" && splitMode != "layer")
    return fail("--split-mode must be 'row' (tensor parallel) or 'layer' "
                "(pipeline), not '" + splitMode + "'");
  for (const std::string &type :
       {std::string(cacheTypeK), std::string(cacheTypeV)})
    if (type != "f32" && type != "f16" && type != "bf16")
      return fail("the KV cache type must be f32, f16 or bf16, not '" + type +
                  "'");
  // One element type for both caches: the one given (-ctk or -ctv); both
  // given, they must agree.
  bool cacheTypeGiven = cacheTypeK.getNumOccurrences() ||
                        cacheTypeV.getNumOccurrences();
  if (cacheTypeK.getNumOccurrences() && cacheTypeV.getNumOccurrences() &&
      cacheTypeK != cacheTypeV)
    return fail("the K and V caches share one element type: --cache-type-k " +
                cacheTypeK.getValue() + " and --cache-type-v " +
                cacheTypeV.getValue() + " differ");
  std::string kvCacheType =
      cacheTypeK.getNumOccurrences() ? cacheTypeK : cacheTypeV;
  if (!modulePath.empty() && cacheTypeGiven)
    return fail("a compiled module fixes its KV cache type: compile it with "
                "llm-opt --llm-kv-cache-type=type=" + kvCacheType +
                " instead of passing --cache-type-k/-v to llm-run");
  if (prompt.getNumOccurrences() && promptIds.getNumOccurrences())
    return fail("give the prompt either as text (-p) or as token ids "
                "(--prompt-ids), not both");
  if (conversation) {
    if (prompt.getNumOccurrences() || promptIds.getNumOccurrences())
      return fail("--conversation reads the user's messages from stdin: give no -p or "
                  "--prompt-ids (--system sets the system message)");
    if (!logitsOut.empty() || !activationsOut.empty())
      return fail("--logits-out and --activations-out need a single prompt, not "
                  "--conversation");
  } else if (systemPrompt.getNumOccurrences() || chatTemplateFile.getNumOccurrences()) {
    return fail("--system and --chat-template-file apply to --conversation (-cnv)");
  }
  if (useMmap && noMmap)
    return fail("--mmap and --no-mmap contradict each other: give one");
  if (!llvm::sys::fs::exists(modelDir))
    return fail("model directory '" + modelDir + "' does not exist");
  // A GGUF file holds the config, the tokenizer and the weights in one; the
  // directory around it keeps the caches.
  std::shared_ptr<rt::GgufFile> gguf;
  std::string modelHome = modelDir;
  if (!llvm::sys::fs::is_directory(modelDir)) {
    if (!llvm::StringRef(modelDir).ends_with(".gguf"))
      return fail("'" + modelDir +
                  "' is a file, not a model directory: pass the Hugging Face "
                  "checkpoint directory that holds config.json, or a .gguf file");
    auto opened = rt::GgufFile::open(modelDir);
    if (!opened.ok())
      return fail(opened.message());
    gguf = std::move(*opened);
    llvm::SmallString<256> parent = llvm::sys::path::parent_path(modelDir);
    modelHome = parent.empty() ? "." : parent.str().str();
  }

  // The checkpoint's generation_config.json supplies the defaults of the
  // flags not given.
  auto generationConfig = gguf ? rt::Expected<rt::GenerationConfig>(rt::GenerationConfig{})
                               : rt::GenerationConfig::readDirectory(modelDir);
  if (!generationConfig)
    return fail(generationConfig.message());
  // The tokenizer, before any long step: a problem with it is found first.
  std::optional<rt::Tokenizer> tokenizer;
  std::string tokenizerPath = gguf ? std::string() : rt::Tokenizer::findInDirectory(modelDir);
  if (gguf && gguf->find("tokenizer.ggml.model")) {
    auto loaded = rt::Tokenizer::fromGguf(*gguf);
    if (!loaded.ok())
      return fail(loaded.message());
    tokenizer.emplace(std::move(*loaded));
  } else if (!tokenizerPath.empty()) {
    auto loaded = rt::Tokenizer::load(tokenizerPath);
    if (!loaded.ok())
      return fail(loaded.message());
    tokenizer.emplace(std::move(*loaded));
  }

  rt::SamplerParams samplerParams;
  samplerParams.temp = temp;
  samplerParams.top_k = topK;
  samplerParams.top_p = topP;
  samplerParams.min_p = minP;
  samplerParams.repeat_penalty = repeatPenalty;
  samplerParams.repeat_last_n = repeatLastN;
  if (!temp.getNumOccurrences()) {
    if (generationConfig->doSample == false)
      samplerParams.temp = 0.0f;
    else if (generationConfig->temperature)
      samplerParams.temp = *generationConfig->temperature;
  }
  if (!topK.getNumOccurrences() && generationConfig->topK)
    samplerParams.top_k = *generationConfig->topK;
  if (!topP.getNumOccurrences() && generationConfig->topP)
    samplerParams.top_p = *generationConfig->topP;
  if (!repeatPenalty.getNumOccurrences() &&
      generationConfig->repetitionPenalty)
    samplerParams.repeat_penalty = *generationConfig->repetitionPenalty;
  for (const std::string &stop : stopStrings)
    if (stop.empty())
      return fail("--stop needs a non-empty string");
  if (seed < -1 || seed > 0xFFFFFFFFLL)
    return fail("--seed must be -1 or in [0, 4294967295], got " +
                llvm::Twine(seed));
  samplerParams.seed = seed == -1 ? rt::kRandomSeed : static_cast<uint32_t>(seed);
  if (rt::Status s = samplerParams.validate(); !s.ok())
    return fail(s.message());
  if (threads < 0)
    return fail("--threads must be >= 0 (0: all cores), got " +
                llvm::Twine(threads));
  if (ctxSize < 0)
    return fail("--ctx-size must be >= 0 (0: the model's "
                "max_position_embeddings), got " +
                llvm::Twine(ctxSize));
  if (nPredict < -1)
    return fail("--n-predict must be -1 or >= 0, got " + llvm::Twine(nPredict));
  if (threads > 0)
    omp_set_num_threads(threads);

  // Where compiled code and prepared weights are cached.
  std::string cacheDirectory;
  if (!noCache) {
    if (!cacheDir.empty()) {
      if (std::error_code ec = llvm::sys::fs::create_directories(cacheDir))
        return fail("cannot create the cache directory '" + cacheDir + "': " + ec.message());
      cacheDirectory = cacheDir;
    } else {
      // No usable cache (a shipped .llm-cache that is a symbolic link or
      // another user's, a read-only model directory and no writable home):
      // run uncached, and say so once.
      auto dir = rt::preparedCacheDirectory(modelHome);
      if (dir.ok())
        cacheDirectory = *dir;
      else
        llvm::errs() << "llm-run: warning: " << dir.message()
                     << "; compiled code and prepared weights are not cached\n";
    }
  }

  // The compiled module: given, or imported from the checkpoint's config.
  auto startCompile = Clock::now();
  mlir::llm::CompileOptions compileOptions;
  compileOptions.cacheDirectory = cacheDirectory;
  compileOptions.jitDebug = jitDebug;
  compileOptions.int4Kernel = int4Kernel;
  llvm::Expected<std::unique_ptr<mlir::llm::CompiledModel>> model =
      llvm::createStringError(llvm::inconvertibleErrorCode(), "unset");
  std::optional<SlowStepNotice> compiling;
  // Each pipeline stage's module: '{rank}' in the path is this rank.
  if (size_t at = modulePath.find("{rank}"); at != std::string::npos)
    modulePath = modulePath.substr(0, at) + std::to_string(ranks->rank()) +
                 modulePath.substr(at + 6);
  // An ahead-of-time artifact (llm-compile's shared library) is loaded,
  // not compiled.
  bool artifact = modulePath != "-" &&
                  mlir::llm::CompiledModel::isSharedLibrary(modulePath);
  if (!artifact && ranks->rank() == 0)
    compiling.emplace(
        "compiling the module for this CPU" +
        (cacheDirectory.empty()
             ? std::string(" (not cached: compiled again on every run)")
             : " (once: the code is cached in " + cacheDirectory + ")"));
  if (artifact) {
    model = mlir::llm::CompiledModel::loadSharedLibrary(modulePath);
  } else if (!modulePath.empty()) {
    model = mlir::llm::CompiledModel::loadFile(modulePath, compileOptions);
  } else {
    auto config = gguf ? mlir::llm::llamaConfigFromGguf(*gguf)
                       : mlir::llm::LlamaConfig::readFile(modelDir);
    if (!config)
      return fail(llvm::toString(config.takeError()));
    auto context = mlir::llm::createExecutionContext();
    auto module = mlir::llm::buildLlamaModule(*context, *config);
    // Generation samples from the last position: its prompt pass computes
    // the final norm and the LM head for that row only, unless every
    // position's logits are asked for.
    mlir::PassManager pm(context.get());
    if (logitsOut.empty())
      pm.addPass(mlir::llm::createLLMPrefillLastLogitsPass());
    if (kvCacheType != "f32")
      pm.addPass(mlir::llm::createLLMKVCacheTypePass({kvCacheType}));
    // Across mpirun's ranks: each runs its part of every layer, or its
    // stage of the layers.
    if (ranks->distributed()) {
      mlir::llm::LLMShardPassOptions shard;
      if (splitMode == "layer") {
        shard.pipelineParallel = ranks->size();
        shard.stage = ranks->rank();
      } else {
        shard.tensorParallel = ranks->size();
      }
      pm.addPass(mlir::llm::createLLMShardPass(shard));
    }
    if (failed(pm.run(*module)))
      return fail(ranks->distributed()
                      ? "the model cannot be split over " +
                            llvm::Twine(ranks->size()) + " ranks (llm-shard)"
                      : llvm::Twine("preparing the imported module failed"));
    model = mlir::llm::CompiledModel::compile(std::move(context),
                                              std::move(module), compileOptions);
  }
  compiling.reset();
  if (!model)
    return fail(llvm::toString(model.takeError()));
  double compileMs = millis(Clock::now() - startCompile);
  const rt::ModelShape &shape = (*model)->shape();
  if (shape.pipelineStages > 1 &&
      (shape.pipelineStages != ranks->size() ||
       shape.pipelineStage != ranks->rank()))
    return fail("the module is stage " + llvm::Twine(shape.pipelineStage) +
                " of " + llvm::Twine(shape.pipelineStages) +
                " pipeline stages, but this is rank " +
                llvm::Twine(ranks->rank()) + " of " +
                llvm::Twine(ranks->size()) +
                " (give each rank its stage's module: stage{rank}.mlir, or let "
                "llm-run import the model: -m MODEL_DIR --split-mode layer)");
  if (shape.pipelineStages == 1 && shape.tensorParallel != ranks->size())
    return fail("the module is partitioned for " +
                llvm::Twine(shape.tensorParallel) + " rank(s) (llm-shard) but " +
                (ranks->distributed() ? "mpirun started " +
                                            llvm::Twine(ranks->size())
                                      : llvm::Twine("this is one process")) +
                "; run it with mpirun -np " + llvm::Twine(shape.tensorParallel));

  // Weights, bound by name.
  auto checkpoint = gguf ? rt::ggufCheckpoint(gguf) : rt::Checkpoint::open(modelDir);
  if (!checkpoint.ok())
    return fail(checkpoint.message());
  // Layers the module does not have are ignored: say so (a config that
  // undercounts the checkpoint's layers is a likely mistake).
  {
    int64_t layers = 0;
    for (const std::string &name : checkpoint->names()) {
      llvm::StringRef rest(name);
      int64_t index;
      if (rest.consume_front("model.layers.") &&
          !rest.consumeInteger(10, index) && rest.starts_with("."))
        layers = std::max(layers, index + 1);
    }
    if (layers > shape.numLayers && shape.pipelineStages == 1)
      llvm::errs() << "llm-run: warning: the checkpoint has " << layers
                   << " layers but the model has " << shape.numLayers
                   << " (num_hidden_layers); the weights of the others are "
                      "ignored\n";
  }
  rt::LoadOptions loadOptions;
  std::optional<rt::Checkpoint> extra;
  if (!extraWeights.empty()) {
    auto opened = rt::Checkpoint::open(extraWeights);
    if (!opened.ok())
      return fail(opened.message());
    extra.emplace(std::move(*opened));
    loadOptions.extra = &*extra;
  }
  loadOptions.progress = !jsonOutput || quantizeOnly;
  loadOptions.progressBar = ::isatty(STDERR_FILENO);
  bool derives = !(*model)->abi().prepared.empty();
  loadOptions.cacheDirectory = cacheDirectory;
  loadOptions.rank = ranks->rank();
  loadOptions.residentWeights = !useMmap;
  // One progress report, rank 0's.
  loadOptions.progress = loadOptions.progress && ranks->rank() == 0;
  auto startLoad = Clock::now();
  auto runner = rt::ModelRunner::create(*checkpoint, (*model)->abi(), shape,
                                        (*model)->entryPoints(), loadOptions);
  if (!runner.ok())
    return fail(runner.message());
  if (ranks->distributed()) {
    // Every rank has its part: the others follow rank 0's calls.
    ranksAgreed = true;
    if (rt::Status all = ranks->agree(rt::Status()); !all.ok()) {
      if (ranks->rank() == 0)
        llvm::errs() << "llm-run: error: " << all.message() << "\n";
      ranks->finish();
      return 1;
    }
    if (ranks->rank() != 0) {
      rt::Status followed = ranks->follow(**runner);
      ranks->finish();
      return followed.ok() ? 0 : 1;
    }
    ranks->lead(**runner);
  }
  ReleaseRanksOnExit releaseRanks;
  double loadMs = millis(Clock::now() - startLoad);
  if (quantizeOnly) {
    if (!derives)
      return fail("--prepare-only: the module prepares no weights (run "
                  "--llm-quantize-int4 or a fusion before --llm-cpu-pipeline)");
    llvm::outs() << "prepared weights ready in "
                 << llvm::format("%.1f", millis(Clock::now() - startLoad)) << " ms"
                 << (loadOptions.cacheDirectory.empty()
                         ? std::string(" (not cached)")
                         : " (cached in " + loadOptions.cacheDirectory + ")")
                 << "\n";
    return 0;
  }

  // The prompt.
  // End-of-sequence ids: config.json's, generation_config.json's, and the
  // tokenizer's end-of-turn token (tokenizer_config.json's eos_token, e.g.
  // Llama-3's <|eot_id|>).
  std::vector<int64_t> eosIds = shape.eosTokenIds;
  for (int64_t id : generationConfig->eosTokenIds) {
    if (id >= shape.vocabSize)
      return fail("generation_config.json: eos_token_id " + llvm::Twine(id) +
                  " is not in the vocabulary [0, " +
                  llvm::Twine(shape.vocabSize) + ")");
    if (!llvm::is_contained(eosIds, id))
      eosIds.push_back(id);
  }
  auto tokenizerConfig = gguf ? rt::Expected<rt::TokenizerConfig>(rt::TokenizerConfig{})
                              : rt::TokenizerConfig::loadFromDirectory(modelDir);
  if (!tokenizerConfig.ok())
    return fail(tokenizerConfig.message());
  if (gguf)
    if (const rt::GgufValue *t = gguf->find("tokenizer.chat_template"); t && t->string())
      tokenizerConfig->chatTemplate = *t->string();
  if (tokenizer && !tokenizerConfig->eosToken.empty()) {
    int32_t id = tokenizer->tokenId(tokenizerConfig->eosToken);
    if (id >= 0 && id < shape.vocabSize && !llvm::is_contained(eosIds, id))
      eosIds.push_back(id);
  }
  int64_t context = ctxSize > 0 ? ctxSize : shape.maxPositions;

  if (conversation) {
    if (!tokenizer)
      return fail("--conversation needs a tokenizer: '" + modelDir +
                  "' has neither tokenizer.model nor tokenizer.json");
    std::string source;
    if (!chatTemplateFile.empty()) {
      auto buffer = llvm::MemoryBuffer::getFile(chatTemplateFile, /*IsText=*/true);
      if (!buffer)
        return fail("cannot read the chat template '" + chatTemplateFile +
                    "': " + buffer.getError().message());
      source = (*buffer)->getBuffer().str();
    } else if (tokenizerConfig->chatTemplate) {
      source = *tokenizerConfig->chatTemplate;
    } else {
      return fail("--conversation: the model has no chat template ('" + modelDir +
                  "/tokenizer_config.json' has no chat_template); give one with "
                  "--chat-template-file");
    }
    auto chatTemplate = rt::ChatTemplate::parse(source);
    if (!chatTemplate.ok())
      return fail(chatTemplate.message());
    if (rt::Status s = (*runner)->allocateCache(context); !s.ok())
      return fail(s.message());
    if (!noWarmup)
      if (rt::Status s = rt::warmUp(**runner); !s.ok())
        return fail(s.message());
    llm::run::ChatOptions chat;
    chat.systemPrompt = systemPrompt;
    chat.bosToken = tokenizerConfig->bosToken.empty() && tokenizer->bosId() >= 0
                        ? tokenizer->piece(tokenizer->bosId())
                        : tokenizerConfig->bosToken;
    chat.eosToken = tokenizerConfig->eosToken.empty() && tokenizer->eosId() >= 0
                        ? tokenizer->piece(tokenizer->eosId())
                        : tokenizerConfig->eosToken;
    chat.sampling = samplerParams;
    chat.generation.eosIds = eosIds;
    chat.generation.ignoreEos = ignoreEos;
    chat.generation.stopStrings = stopStrings;
    chat.maxReplyTokens = nPredict;
    if (!nPredict.getNumOccurrences() && generationConfig->maxNewTokens)
      chat.maxReplyTokens = *generationConfig->maxNewTokens;
    chat.json = jsonOutput;
    return llm::run::runChat(**runner, *tokenizer, *chatTemplate, chat, stdin);
  }

  std::vector<int32_t> tokens;
  if (promptIds.getNumOccurrences() && llvm::StringRef(promptIds).trim().empty())
    return fail("--prompt-ids is empty: give comma-separated token ids");
  if (!promptIds.empty()) {
    for (llvm::StringRef piece : llvm::split(promptIds, ',')) {
      long long id;
      if (piece.trim().getAsInteger(10, id) || id < 0 || id >= shape.vocabSize)
        return fail("--prompt-ids: '" + piece + "' is not a token id in [0, " +
                    llvm::Twine(shape.vocabSize) + ")");
      tokens.push_back(static_cast<int32_t>(id));
    }
  } else {
    if (!tokenizer)
      return fail("no tokenizer: '" + modelDir +
                  "' has neither tokenizer.model nor tokenizer.json (pass "
                  "--prompt-ids to give token ids)");
    // Special tokens written in the prompt ("<|eot_id|>") are parsed, and the
    // tokenizer adds what it adds before a sequence (LLaMA's BOS; nothing for
    // Qwen2), as llama.cpp and Hugging Face do.
    auto encoded = llm::run::encodeForModel(*tokenizer, prompt, /*addSpecial=*/true,
                                            shape.vocabSize, "the prompt");
    if (!encoded.ok())
      return fail(encoded.message());
    tokens.insert(tokens.end(), encoded->begin(), encoded->end());
  }
  if (tokens.empty())
    return fail("the prompt is empty");

  int64_t nPrompt = static_cast<int64_t>(tokens.size());
  if (nPrompt > context)
    return fail("the prompt has " + llvm::Twine(nPrompt) +
                " tokens but the context holds " + llvm::Twine(context) +
                " (raise -c/--ctx-size)");
  if (nPredict >= 0 && nPrompt + nPredict > context)
    return fail("the prompt (" + llvm::Twine(nPrompt) + " tokens) plus -n " +
                llvm::Twine(nPredict) + " exceeds the context size " +
                llvm::Twine(context) + " (raise -c/--ctx-size or lower -n)");
  if (rt::Status s = (*runner)->allocateCache(context); !s.ok())
    return fail(s.message());
  double warmupMs = 0;
  if (!noWarmup) {
    auto startWarmup = Clock::now();
    if (rt::Status s = rt::warmUp(**runner); !s.ok())
      return fail(s.message());
    warmupMs = millis(Clock::now() - startWarmup);
  }

  auto sampler = rt::Sampler::create(samplerParams);
  if (!sampler.ok())
    return fail(sampler.message());
  for (int32_t id : tokens)
    sampler->accept(id);

  std::optional<rt::StreamDecoder> stream;
  if (tokenizer)
    stream.emplace(*tokenizer);
  if (!jsonOutput && !noDisplayPrompt) {
    if (tokenizer && promptIds.empty())
      llvm::outs() << prompt;
    llvm::outs().flush();
  }
  if (stream)
    for (int32_t id : tokens)
      if (auto ignored = stream->push(id); !ignored.ok())
        return fail(ignored.message());

  // Prefill (writing the prompt's logits and activations when asked), then
  // decode one token at a time.
  // What the compiled code allocates and copies per decode step: the totals
  // after the prompt pass and at the end.
  mlir::llm::AllocationCounts afterPrefill;
  auto onPrefill = [&](const std::vector<float> &logits) -> rt::Status {
    afterPrefill = mlir::llm::allocationCounts();
    if (!logitsOut.empty() &&
        logits.size() != static_cast<size_t>(nPrompt * shape.vocabSize))
      return rt::Error("--logits-out: the module returns only the last "
                       "position's logits (compiled with "
                       "--llm-prefill-last-logits); compile it without");
    if (!logitsOut.empty())
      if (rt::Status s = rt::writeNpyF32(logitsOut, logits.data(), static_cast<size_t>(nPrompt),
                                         static_cast<size_t>(shape.vocabSize));
          !s.ok())
        return s;
    if (activationsOut.empty())
      return rt::Status::success();
    if (shape.activations.empty())
      return rt::Error("--activations-out: the module exposes no activations "
                       "(run --llm-expose-activations before --llm-cpu-pipeline)");
    if (nPrompt < 2)
      return rt::Error("--activations-out needs a prompt of at least 2 tokens "
                       "(activations come from the prefill)");
    if (std::error_code ec = llvm::sys::fs::create_directories(activationsOut))
      return rt::Error("cannot create '" + activationsOut + "': " + ec.message());
    const auto &values = (*runner)->lastActivations();
    // DIR/activations.json lists each layer's weight, width and the
    // checkpoint tensors it is made of.
    llvm::json::Array index;
    for (size_t i = 0; i < values.size(); ++i) {
      const rt::ExposedActivation &layer = shape.activations[i];
      if (rt::Status s = rt::writeNpyF32(activationsOut + "/" + layer.name + ".npy",
                                         values[i].data(), static_cast<size_t>(nPrompt),
                                         static_cast<size_t>(layer.features));
          !s.ok())
        return s;
      llvm::json::Array sources;
      for (const std::string &source : layer.sources)
        sources.push_back(source);
      index.push_back(llvm::json::Object{{"name", layer.name},
                                         {"features", layer.features},
                                         {"sources", std::move(sources)}});
    }
    std::error_code ec;
    llvm::raw_fd_ostream indexFile(activationsOut + "/activations.json", ec);
    if (ec)
      return rt::Error("cannot write '" + activationsOut + "/activations.json': " + ec.message());
    indexFile << llvm::json::Value(std::move(index)) << "\n";
    return rt::Status::success();
  };
  rt::GenerateOptions generation;
  generation.eosIds = eosIds;
  generation.ignoreEos = ignoreEos;
  generation.stopStrings = stopStrings;
  // Without -n, generation_config.json's max_new_tokens, within the context.
  int64_t limit = nPredict >= 0 ? nPredict : context - nPrompt;
  if (!nPredict.getNumOccurrences() && generationConfig->maxNewTokens)
    limit = std::min(limit, *generationConfig->maxNewTokens);
  generation.maxTokens = limit;
  auto result = rt::generate(
      **runner, *sampler, stream ? &*stream : nullptr, tokens, 0, generation,
      [&](const std::string &text) {
        if (!jsonOutput) {
          llvm::outs() << text;
          llvm::outs().flush();
        }
      },
      onPrefill);
  if (!result.ok())
    return fail(result.message());
  const std::vector<int32_t> &generated = result->generated;
  const std::string &generatedText = result->text;
  const std::string &stoppedBy = result->stoppedBy;
  // With -n -1 the context is full when the generation limit was reached
  // without an end-of-sequence token (a prompt that fills the context leaves
  // room for none).
  bool contextFull = nPredict < 0 && limit == context - nPrompt && stoppedBy.empty() &&
                     static_cast<int64_t>(generated.size()) == limit && !result->endedByEos;

  mlir::llm::AllocationCounts decodeCounts =
      mlir::llm::allocationCounts() - afterPrefill;
  double prefillMs = result->prefillMs;
  double ttftMs = result->firstTokenMs;
  size_t decodeSteps = generated.empty() ? 0 : generated.size() - 1;
  double decodeMs = result->decodeMs;
  double promptTps = nPrompt / (prefillMs / 1000.0);
  double genTps = decodeSteps && decodeMs > 0 ? decodeSteps / (decodeMs / 1000.0) : 0.0;

  if (jsonOutput) {
    llvm::json::Object timings{{"compile_ms", compileMs},
                               {"compile_cached", (*model)->fromCache()},
                               {"load_ms", loadMs},
                               {"warmup_ms", warmupMs},
                               {"prompt_tokens", nPrompt},
                               {"prompt_ms", prefillMs},
                               {"prompt_tokens_per_s", promptTps},
                               {"generated_tokens", static_cast<int64_t>(generated.size())},
                               {"generation_ms", decodeMs},
                               {"generation_tokens_per_s",
                                decodeSteps ? llvm::json::Value(genTps)
                                            : llvm::json::Value(nullptr)},
                               {"time_to_first_token_ms", ttftMs}};
    // Per decode step, of the JIT-compiled code (an ahead-of-time artifact
    // calls the C library directly: not counted).
    if (decodeSteps && !artifact) {
      double steps = static_cast<double>(decodeSteps);
      timings["decode_step"] = llvm::json::Object{
          {"allocations", decodeCounts.allocations / steps},
          {"allocated_bytes", decodeCounts.allocatedBytes / steps},
          {"copies", decodeCounts.copies / steps},
          {"copied_bytes", decodeCounts.copiedBytes / steps}};
    }
    llvm::json::Array promptArray, generatedArray;
    for (int32_t id : tokens)
      promptArray.push_back(id);
    for (int32_t id : generated)
      generatedArray.push_back(id);
    llvm::json::Object result{{"prompt_ids", std::move(promptArray)},
                              {"generated_ids", std::move(generatedArray)},
                              {"text", generatedText},
                              {"seed", static_cast<int64_t>(sampler->seed())},
                              {"sampling",
                               llvm::json::Object{
                                   {"temperature", samplerParams.temp},
                                   {"top_k", samplerParams.top_k},
                                   {"top_p", samplerParams.top_p},
                                   {"min_p", samplerParams.min_p},
                                   {"repeat_penalty",
                                    samplerParams.repeat_penalty}}},
                              {"context_size", context},
                              {"stopped_at_context_limit", contextFull},
                              {"stopped_by_string",
                               stoppedBy.empty() ? llvm::json::Value(nullptr)
                                                 : llvm::json::Value(stoppedBy)},
                              {"timings", std::move(timings)}};
    llvm::outs() << llvm::json::Value(std::move(result)) << "\n";
  } else {
    llvm::outs() << "\n";
    llvm::outs().flush();
    if (contextFull)
      llvm::errs() << "llm-run: stopped: the context of " << context
                   << " tokens is full\n";
    // The first token comes from the prompt pass: a generation speed needs
    // at least one decode step.
    std::string generation =
        decodeSteps ? llvm::formatv("generation {0} tokens, {1:F2} tokens/s",
                                    generated.size(), genTps)
                          .str()
                    : llvm::formatv("generation {0} token{1} (from the prompt "
                                    "pass: no decode step to time)",
                                    generated.size(),
                                    generated.size() == 1 ? "" : "s")
                          .str();
    llvm::errs() << llvm::format(
        "llm-run: compile %.1f ms%s | prompt %lld tokens, %.2f tokens/s | "
        "%s | time to first token %.1f ms\n",
        compileMs, (*model)->fromCache() ? " (cached)" : "",
        static_cast<long long>(nPrompt), promptTps, generation.c_str(),
        ttftMs);
  }
  return 0;
}
