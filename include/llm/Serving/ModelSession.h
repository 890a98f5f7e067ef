//===- ModelSession.h - A loaded model, ready to generate -------*- C++ -*-===//
//
// Everything a front end that serves a model needs, opened once: the model
// (a Hugging Face checkpoint directory or a GGUF file), its compiled module
// (given, or imported from the model's config and compiled for this CPU,
// with @decode_batch), the weights bound and prepared, a KV-cache pool of
// `slots` sequences, the tokenizer, the end-of-sequence ids and the chat
// template. llm-server and the C API (llm_c.h) are built on it.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_SERVING_MODELSESSION_H
#define LLM_SERVING_MODELSESSION_H

#include "llm/Execution/CompiledModel.h"
#include "llm/runtime/ChatTemplate.h"
#include "llm/runtime/Gguf.h"
#include "llm/runtime/GenerationConfig.h"
#include "llm/runtime/ModelRunner.h"
#include "llm/runtime/Tokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llm::serving {

struct SessionOptions {
  /// A Hugging Face checkpoint directory, or a .gguf file.
  std::string model;
  /// The compiled module (.mlir, or llm-compile's shared library); empty:
  /// import the model's config with @decode_batch and compile it.
  std::string module;
  /// Where compiled code and prepared weights are cached; empty: the
  /// model's default (preparedCacheDirectory). Unused with `noCache`.
  std::string cacheDirectory;
  bool noCache = false;
  /// Positions per sequence (0: the model's max_position_embeddings).
  int64_t contextSize = 0;
  /// Sequences the KV-cache pool holds.
  int64_t slots = 1;
  /// Progress of weight preparation on stderr.
  bool progress = false;
  /// OpenMP threads of the model's code (0: all cores).
  int threads = 0;
  /// When the module is imported: @prefill returns its last position's
  /// logits only (llm-prefill-last-logits), as generation needs.
  bool lastLogitsOnly = false;
  /// Run the model once after loading (llm::runtime::warmUp, in slot 0), so
  /// that the first request does not pay for starting the threads and
  /// faulting in the code and buffers.
  bool warmup = false;
};

class ModelSession {
public:
  /// Opens, compiles (or loads) and binds the model; every problem is one
  /// error message naming it.
  static ::llm::runtime::Expected<std::unique_ptr<ModelSession>>
  open(const SessionOptions &options);

  ::llm::runtime::ModelRunner &runner() { return *runner_; }
  const ::llm::runtime::ModelShape &shape() const { return runner_->shape(); }
  /// Null when the model has no tokenizer.
  const ::llm::runtime::Tokenizer *tokenizer() const {
    return tokenizer_ ? &*tokenizer_ : nullptr;
  }
  /// config.json's, generation_config.json's and the tokenizer's end-of-turn
  /// token.
  const std::vector<int64_t> &eosIds() const { return eosIds_; }
  const ::llm::runtime::GenerationConfig &generationConfig() const {
    return generationConfig_;
  }
  const ::llm::runtime::TokenizerConfig &tokenizerConfig() const {
    return tokenizerConfig_;
  }
  /// The model's name: its directory's or file's.
  const std::string &name() const { return name_; }
  int64_t contextSize() const { return runner_->contextSize(); }
  bool fromCache() const { return compiled_->fromCache(); }
  /// Makes the calling thread run the model's code on the session's
  /// threads: OpenMP's thread count is a setting of each calling thread, so
  /// a thread other than the one that opened the session calls this before
  /// running the model.
  void useThreadsHere() const;

  /// `text` tokenized with the special tokens written in it parsed (and,
  /// with `addSpecial`, what the tokenizer puts before a sequence), checked
  /// against the vocabulary: an id past it is an error naming `what`.
  ::llm::runtime::Expected<std::vector<int32_t>>
  encode(const std::string &text, bool addSpecial,
         const char *what = "the prompt") const;

private:
  ModelSession() = default;

  std::shared_ptr<::llm::runtime::GgufFile> gguf_;
  std::unique_ptr<mlir::llm::CompiledModel> compiled_;
  std::optional<::llm::runtime::Checkpoint> checkpoint_;
  std::unique_ptr<::llm::runtime::ModelRunner> runner_;
  std::optional<::llm::runtime::Tokenizer> tokenizer_;
  ::llm::runtime::GenerationConfig generationConfig_;
  ::llm::runtime::TokenizerConfig tokenizerConfig_;
  std::vector<int64_t> eosIds_;
  std::string name_;
  int threads_ = 1;
};

} // namespace llm::serving

#endif // LLM_SERVING_MODELSESSION_H
