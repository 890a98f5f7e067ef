//===- llm.cpp - C API of the runtime -------------------------------------===//

#include "llm-c/llm.h"
#include "llm/Serving/ModelSession.h"
#include "llm/runtime/Generation.h"
#include "llm/runtime/Sampler.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace rt = llm::runtime;
using llm::serving::ModelSession;

struct llm_model {
  std::unique_ptr<ModelSession> session;
};

namespace {
thread_local std::string lastError;

/// Records `message` as the thread's last error; returns `result`.
template <typename T> T failWith(const std::string &message, T result) {
  lastError = message;
  return result;
}

/// Whether `pointer` is non-null; else records an error naming `what`.
bool given(const void *pointer, const char *what) {
  if (pointer)
    return true;
  lastError = std::string(what) + " is NULL";
  return false;
}
} // namespace

extern "C" {

int32_t llm_api_version(void) { return LLM_C_API_VERSION; }

const char *llm_last_error(void) { return lastError.c_str(); }

llm_model *llm_model_open(const char *model, const char *module,
                          int64_t context_size, int64_t slots, int32_t threads,
                          const char *cache_dir, int32_t no_cache) {
  if (!given(model, "the model path"))
    return nullptr;
  llm::serving::SessionOptions options;
  options.threads = threads;
  options.model = model;
  options.module = module ? module : "";
  options.contextSize = context_size;
  options.slots = slots;
  options.cacheDirectory = cache_dir ? cache_dir : "";
  options.noCache = no_cache != 0;
  auto session = ModelSession::open(options);
  if (!session.ok())
    return failWith(session.message(), nullptr);
  lastError.clear();
  return new llm_model{std::move(*session)};
}

void llm_model_close(llm_model *model) { delete model; }

int64_t llm_vocab_size(const llm_model *model) {
  return given(model, "the model") ? model->session->shape().vocabSize : -1;
}
int64_t llm_context_size(const llm_model *model) {
  return given(model, "the model") ? model->session->contextSize() : -1;
}
int64_t llm_slots(const llm_model *model) {
  return given(model, "the model") ? model->session->runner().slots() : -1;
}
int32_t llm_has_batched_decode(const llm_model *model) {
  return given(model, "the model") ? model->session->shape().batchedDecode : -1;
}
int64_t llm_bos_id(const llm_model *model) {
  return given(model, "the model") ? model->session->shape().bosTokenId : -1;
}
int64_t llm_eos_ids(const llm_model *model, int64_t *ids, int64_t capacity) {
  if (!given(model, "the model"))
    return -1;
  const std::vector<int64_t> &eos = model->session->eosIds();
  for (int64_t i = 0; ids && i < capacity && i < (int64_t)eos.size(); ++i)
    ids[i] = eos[i];
  return static_cast<int64_t>(eos.size());
}

int64_t llm_tokenize(const llm_model *model, const char *text,
                     int32_t add_special, int32_t *ids, int64_t capacity) {
  if (!given(model, "the model") || !given(text, "the text"))
    return -1;
  auto encoded = model->session->encode(text, add_special != 0, "the text");
  if (!encoded.ok())
    return failWith(encoded.message(), int64_t(-1));
  for (int64_t i = 0; ids && i < capacity && i < (int64_t)encoded->size(); ++i)
    ids[i] = (*encoded)[i];
  return static_cast<int64_t>(encoded->size());
}

char *llm_detokenize(const llm_model *model, const int32_t *ids,
                     int64_t count) {
  if (!given(model, "the model") || (count > 0 && !given(ids, "the ids")))
    return nullptr;
  // Bounded before anything is allocated from it.
  if (count < 0 || count > (int64_t(1) << 26))
    return failWith("cannot detokenize " + std::to_string(count) + " ids",
                    nullptr);
  const rt::Tokenizer *tokenizer = model->session->tokenizer();
  if (!tokenizer)
    return failWith(std::string("the model has no tokenizer"), nullptr);
  auto text = tokenizer->decode(std::vector<int32_t>(ids, ids + count));
  if (!text.ok())
    return failWith(text.message(), nullptr);
  char *out = static_cast<char *>(std::malloc(text->size() + 1));
  if (!out)
    return failWith(std::string("out of memory"), nullptr);
  std::memcpy(out, text->c_str(), text->size() + 1);
  return out;
}

void llm_free(void *pointer) { std::free(pointer); }

int32_t llm_prefill(llm_model *model, int64_t slot, int64_t position,
                    const int32_t *ids, int64_t count, int32_t last_only,
                    float *logits) {
  if (!given(model, "the model") || !given(ids, "the ids") ||
      !given(logits, "the logits buffer"))
    return -1;
  if (count <= 0)
    return failWith(std::string("no tokens to prefill"), -1);
  if (count > model->session->contextSize())
    return failWith(std::to_string(count) + " tokens exceed the context size " +
                        std::to_string(model->session->contextSize()),
                    -1);
  model->session->useThreadsHere();
  auto result = model->session->runner().forward(
      std::vector<int32_t>(ids, ids + count), position, slot);
  if (!result.ok())
    return failWith(result.message(), -1);
  size_t vocab = model->session->shape().vocabSize;
  if (!last_only && result->size() != static_cast<size_t>(count) * vocab)
    return failWith(std::string("the module returns only the last position's "
                                "logits (llm-prefill-last-logits): ask for "
                                "the last ones"),
                    -1);
  size_t first = last_only ? result->size() - vocab : 0;
  std::memcpy(logits, result->data() + first,
              (result->size() - first) * sizeof(float));
  return 0;
}

int32_t llm_decode_batch(llm_model *model, int64_t count, const int32_t *ids,
                         const int64_t *slots, const int64_t *positions,
                         float *logits) {
  if (!given(model, "the model") || !given(ids, "the ids") ||
      !given(slots, "the slots") || !given(positions, "the positions") ||
      !given(logits, "the logits buffer"))
    return -1;
  if (count <= 0)
    return failWith(std::string("no sequences to decode"), -1);
  if (count > model->session->runner().slots())
    return failWith(std::to_string(count) + " sequences exceed the pool of " +
                        std::to_string(model->session->runner().slots()) +
                        " slots",
                    -1);
  model->session->useThreadsHere();
  auto result = model->session->runner().forwardBatch(
      std::vector<int32_t>(ids, ids + count),
      std::vector<int64_t>(slots, slots + count),
      std::vector<int64_t>(positions, positions + count));
  if (!result.ok())
    return failWith(result.message(), -1);
  std::memcpy(logits, result->data(), result->size() * sizeof(float));
  return 0;
}

llm_sampling llm_default_sampling(void) {
  rt::SamplerParams d;
  return {d.temp, d.top_k, d.top_p, d.min_p, d.repeat_penalty,
          d.repeat_last_n, -1};
}

int64_t llm_generate(llm_model *model, int64_t slot, const int32_t *prompt,
                     int64_t prompt_count, int64_t max_tokens,
                     const llm_sampling *sampling, int32_t ignore_eos,
                     int32_t *out, int64_t capacity) {
  if (!given(model, "the model") || !given(prompt, "the prompt") ||
      !given(sampling, "the sampling settings"))
    return -1;
  if (prompt_count <= 0)
    return failWith(std::string("the prompt is empty"), int64_t(-1));
  if (max_tokens < 0)
    return failWith("max_tokens must be >= 0, got " +
                        std::to_string(max_tokens),
                    int64_t(-1));
  int64_t context = model->session->contextSize();
  if (prompt_count > context || max_tokens > context - prompt_count)
    return failWith("the prompt (" + std::to_string(prompt_count) +
                        " tokens) plus " + std::to_string(max_tokens) +
                        " new tokens exceeds the context size " +
                        std::to_string(context),
                    int64_t(-1));
  if (sampling->seed < -1 || sampling->seed > 0xFFFFFFFFLL)
    return failWith("the seed must be -1 or in [0, 4294967295], got " +
                        std::to_string(sampling->seed),
                    int64_t(-1));
  rt::SamplerParams params;
  params.temp = sampling->temperature;
  params.top_k = sampling->top_k;
  params.top_p = sampling->top_p;
  params.min_p = sampling->min_p;
  params.repeat_penalty = sampling->repeat_penalty;
  params.repeat_last_n = sampling->repeat_last_n;
  params.seed = sampling->seed == -1 ? rt::kRandomSeed
                                     : static_cast<uint32_t>(sampling->seed);
  auto sampler = rt::Sampler::create(params);
  if (!sampler.ok())
    return failWith(sampler.message(), int64_t(-1));
  model->session->useThreadsHere();
  std::vector<int32_t> tokens(prompt, prompt + prompt_count);
  for (int32_t id : tokens)
    sampler->accept(id);
  rt::GenerateOptions options;
  options.maxTokens = max_tokens;
  options.eosIds = model->session->eosIds();
  options.ignoreEos = ignore_eos != 0;
  auto result = rt::generate(model->session->runner(), *sampler, nullptr,
                             tokens, /*position=*/0, options, {}, {}, slot);
  if (!result.ok())
    return failWith(result.message(), int64_t(-1));
  for (int64_t i = 0; out && i < capacity && i < (int64_t)result->generated.size(); ++i)
    out[i] = result->generated[i];
  return static_cast<int64_t>(result->generated.size());
}

} // extern "C"
