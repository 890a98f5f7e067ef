/*===- llm.h - C API of the runtime ---------------------------------------===*\
|*                                                                            *|
|* A small C ABI over a loaded model (llm::serving::ModelSession), for the    *|
|* Python package (ctypes) and other languages: open a model with its         *|
|* compiled module, tokenize and detokenize, prefill a sequence's slot, run   *|
|* one decode step of a batch of sequences, and generate with sampler         *|
|* settings. Logits are written into caller-owned float32 buffers (a numpy    *|
|* array's memory), row-major [rows, vocab].                                  *|
|*                                                                            *|
|* Every function that can fail returns a negative value or NULL and leaves   *|
|* the message in llm_last_error() (per thread). A model may be used from one *|
|* thread at a time.                                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef LLM_C_LLM_H
#define LLM_C_LLM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this C API; bumped when a signature changes. */
#define LLM_C_API_VERSION 1
int32_t llm_api_version(void);

typedef struct llm_model llm_model;

/* The message of the last failure on this thread ("" if none). */
const char *llm_last_error(void);

/* Opens `model` (a Hugging Face checkpoint directory or a .gguf file) with
 * `module` (a compiled .mlir or llm-compile's shared library; NULL or "":
 * import the model's config with @decode_batch and compile it), a KV-cache
 * pool of `slots` sequences of `context_size` positions (0: the model's
 * max_position_embeddings), and `threads` OpenMP threads (0: all cores).
 * `cache_dir` NULL or "": the model's default cache; `no_cache`: none. */
llm_model *llm_model_open(const char *model, const char *module,
                          int64_t context_size, int64_t slots, int32_t threads,
                          const char *cache_dir, int32_t no_cache);
void llm_model_close(llm_model *model);

int64_t llm_vocab_size(const llm_model *model);
int64_t llm_context_size(const llm_model *model);
int64_t llm_slots(const llm_model *model);
/* Whether the module has @decode_batch (llm_decode_batch works). */
int32_t llm_has_batched_decode(const llm_model *model);
int64_t llm_bos_id(const llm_model *model);
/* Writes up to `capacity` end-of-sequence ids; returns how many there are. */
int64_t llm_eos_ids(const llm_model *model, int64_t *ids, int64_t capacity);

/* Tokenizes UTF-8 `text` (special tokens written in it are parsed; with
 * `add_special`, what the tokenizer puts first, LLaMA's BOS). Writes up to
 * `capacity` ids and returns how many the text has (more than `capacity`:
 * call again with a larger buffer), or -1. */
int64_t llm_tokenize(const llm_model *model, const char *text,
                     int32_t add_special, int32_t *ids, int64_t capacity);
/* The text of `ids` (special tokens skipped), NUL-terminated, to be freed
 * with llm_free; NULL on failure. */
char *llm_detokenize(const llm_model *model, const int32_t *ids, int64_t count);
void llm_free(void *pointer);

/* Runs `count` tokens of the sequence in `slot` at positions
 * [position, position + count) (the slot holds [0, position) already).
 * Writes the logits of every position to `logits` ([count, vocab]) or, with
 * `last_only`, of the last one ([vocab]). Returns 0, or -1. */
int32_t llm_prefill(llm_model *model, int64_t slot, int64_t position,
                    const int32_t *ids, int64_t count, int32_t last_only,
                    float *logits);

/* One decode step of `count` sequences: token b at `positions[b]` of slot
 * `slots[b]` (distinct). Writes [count, vocab] logits. Returns 0, or -1. */
int32_t llm_decode_batch(llm_model *model, int64_t count, const int32_t *ids,
                         const int64_t *slots, const int64_t *positions,
                         float *logits);

/* Sampler settings, as llm-run's flags (temperature 0: greedy; top_k <= 0,
 * top_p 1, min_p 0, repeat_penalty 1: off; seed -1: random). */
typedef struct llm_sampling {
  float temperature;
  int32_t top_k;
  float top_p;
  float min_p;
  float repeat_penalty;
  int32_t repeat_last_n;
  int64_t seed;
} llm_sampling;
/* llama.cpp's defaults: 0.8, 40, 0.95, 0.05, 1, 64, -1. */
llm_sampling llm_default_sampling(void);

/* Prefills `prompt` into `slot` from position 0, then samples up to
 * `max_tokens` tokens until an end-of-sequence id (unless `ignore_eos`).
 * Writes up to `capacity` generated ids to `out` and returns how many were
 * generated, or -1. */
int64_t llm_generate(llm_model *model, int64_t slot, const int32_t *prompt,
                     int64_t prompt_count, int64_t max_tokens,
                     const llm_sampling *sampling, int32_t ignore_eos,
                     int32_t *out, int64_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* LLM_C_LLM_H */
