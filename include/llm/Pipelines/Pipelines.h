//===- Pipelines.h - named pass pipelines of the llm project ----*- C++ -*-===//

#ifndef LLM_PIPELINES_PIPELINES_H
#define LLM_PIPELINES_PIPELINES_H

#include "llm/Conversion/Passes.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::llm {

struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("Distribute loops over threads (OpenMP)"),
                        llvm::cl::init(true)};
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize linalg ops"),
                         llvm::cl::init(true)};
  Option<bool> fpContract{
      *this, "fp-contract",
      llvm::cl::desc("Let LLVM fuse multiplies and adds into FMAs"),
      llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Vectorizable polynomial exp instead of libm calls"),
      llvm::cl::init(true)};
  Option<std::string> int4Kernel{
      *this, "int4-kernel",
      llvm::cl::desc("INT4 matmul kernel: 'generic' (any CPU), "
                     "'x86-avx512' or 'x86-avx2' (int16 inputs, vpmaddwd; "
                     "the module records that it needs avx512bw or avx2), "
                     "'x86-avx512-vnni' (int8 inputs, vpdpbusd; avx512vnni)"),
      llvm::cl::init(ConvertLLMToLinalgPassOptions().int4Kernel)};
  Option<int64_t> promptChunkBytes{
      *this, "prompt-chunk-bytes",
      llvm::cl::desc("Weights per output chunk of a prompt's linear layer "
                     "(about half of a core's L2 cache; 0: no chunks; "
                     "convert-llm-to-linalg)"),
      llvm::cl::init(ConvertLLMToLinalgPassOptions().promptChunkBytes)};
  Option<int64_t> rowAtATimeMaxBytes{
      *this, "row-at-a-time-max-bytes",
      llvm::cl::desc("Decode's F32 matrix-vector products read one row at a "
                     "time up to rows of this many bytes, several rows at a "
                     "time beyond (llm-cpu-tile-and-vectorize)"),
      llvm::cl::init(LLMCPUTileAndVectorizePassOptions().rowAtATimeMaxBytes)};
  Option<int64_t> matrixVectorAccumulators{
      *this, "matrix-vector-accumulators",
      llvm::cl::desc("Vector accumulators of a matrix-vector product read one "
                     "row at a time (llm-cpu-tile-and-vectorize)"),
      llvm::cl::init(
          LLMCPUTileAndVectorizePassOptions().matrixVectorAccumulators)};
};

/// llm graph -> linalg -> tiled, vectorized, parallel loops -> bufferized ->
/// LLVM dialect. The result exports `@prefill` and `@decode` taking the token
/// ids, the position, the K/V caches and the parameters in the order of the
/// module's `llm.parameters` table, and returning the logits.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers `llm-cpu-pipeline` with the global pipeline registry.
void registerCPUPipeline();

struct LPUPipelineOptions : public PassPipelineOptions<LPUPipelineOptions> {
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("LPU target description (JSON); built-in groq-tsp-v1 "
                     "when empty"),
      llvm::cl::init("")};
  Option<int64_t> chips{*this, "chips",
                        llvm::cl::desc("Chips; 0 for the fewest that hold "
                                       "the model"),
                        llvm::cl::init(0)};
  Option<unsigned> weightBits{*this, "weight-bits",
                              llvm::cl::desc("Bits per linear-layer weight: "
                                             "16, 8 or 4"),
                              llvm::cl::init(16)};
  Option<int64_t> groupSize{*this, "group-size",
                            llvm::cl::desc("Group size of 4-bit weights"),
                            llvm::cl::init(128)};
  Option<int64_t> promptLength{*this, "prompt-length",
                               llvm::cl::desc("Prompt length of the prefill "
                                              "schedule; 0 for 128 (or the "
                                              "context, if shorter)"),
                               llvm::cl::init(0)};
  Option<int64_t> verifyTokens{
      *this, "verify-tokens",
      llvm::cl::desc("Also schedule a speculative-decoding verification of "
                     "this many tokens against the full context (0: none)"),
      llvm::cl::init(0)};
  Option<int64_t> context{*this, "context",
                          llvm::cl::desc("KV cache positions; 0 for "
                                         "max_position_embeddings"),
                          llvm::cl::init(0)};
  Option<int64_t> tensorParallel{
      *this, "tensor-parallel",
      llvm::cl::desc("Chips per pipeline stage; 0 to choose the fastest"),
      llvm::cl::init(0)};
};

/// llm graph -> lpu.program: placement over chips and verified static
/// schedules of a decode step and a prefill.
void buildLPUPipeline(OpPassManager &pm, const LPUPipelineOptions &options);

/// Registers `llm-lpu-pipeline` with the global pipeline registry.
void registerLPUPipeline();

} // namespace mlir::llm

#endif // LLM_PIPELINES_PIPELINES_H
