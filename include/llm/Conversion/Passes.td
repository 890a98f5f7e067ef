//===- Passes.td - llm dialect conversion passes -----------*- tablegen -*-===//

#ifndef LLM_CONVERSION_PASSES_TD
#define LLM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLLMToLinalgPass : Pass<"convert-llm-to-linalg"> {
  let summary = "Lower llm graph ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every llm op except `llm.param` into linalg.generic ops over
    tensors (plus tensor reshapes and slices for the KV cache), the weight
    transforms of `@prepare` (scaled columns, INT4 quantization, AWQ
    repacking) included. Parameters that remain are those of modules whose
    weights were not hoisted (`llm-hoist-weight-prep`).
  }];
  let options = [
    Option<"int4Kernel", "int4-kernel", "std::string", /*default=*/"\"generic\"",
           "llm.matmul_int4 kernel: 'generic' (float dot products, any "
           "target), 'x86-avx512' or 'x86-avx2' (int16 inputs and vpmaddwd "
           "on 512- or 256-bit vectors; the module then runs only on CPUs "
           "with AVX-512BW, or AVX2), 'x86-avx512-vnni' (int8 inputs and "
           "vpdpbusd on 512-bit vectors; AVX512-VNNI)">,
    Option<"promptChunkBytes", "prompt-chunk-bytes", "int64_t",
           /*default=*/"512 * 1024",
           "A prompt's linear layer computes its smaller row blocks in "
           "chunks of its outputs whose weights take at most this many bytes "
           "(a multiple of 16 outputs, at least 4 chunks), so that each "
           "chunk's weights stay in cache for all of them; about half of a "
           "core's L2 cache (the default: Zen 4's 1 MiB). 0: no chunks">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::mpi::MPIDialect"
  ];
}

def LLMLowerMPIPass : Pass<"llm-lower-mpi", "mlir::ModuleOp"> {
  let summary = "Lower MLIR's mpi dialect to calls of Open MPI's C API";
  let description = [{
    Applies upstream's MPI-to-LLVM patterns for Open MPI's ABI (the module's
    `dlti.map` says `"MPI:Implementation" = "OpenMPI"`): `mpi.allreduce`
    becomes `MPI_Allreduce` on `ompi_mpi_comm_world`, `ompi_mpi_float` and
    `ompi_mpi_op_sum`, which the JIT resolves from the process's libmpi.
    A module without mpi ops is left as it is.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::DLTIDialect"];
}

def LLMTileForLPUPass : Pass<"llm-tile-lpu", "mlir::ModuleOp"> {
  let summary = "Tile, place and statically schedule the model on LPU chips";
  let description = [{
    Plans the `@decode` graph of an llm module for a statically scheduled
    streaming accelerator described by a target description (`target`, the
    built-in first-generation Groq chip when empty) and replaces the module's
    functions with an `lpu.program`:

    - every weight matrix is cut into stripes of the matrix units' width and
      every KV cache into KV heads; the stripes are laid out in graph order
      over `chips` chips (the fewest that hold the model when 0), as pipeline
      stages of `tensor-parallel` chips that split every matrix of the stage
      between them (the fastest of 1, 2, 4, ... up to a node when 0), and
      each shard is spread over all SRAM slices of its chip;
    - matrix multiplies run on the matrix units, normalization, RoPE,
      SiLU and residual adds on the vector units, attention on both;
    - a list scheduler gives every operation its start cycle on its units
      and inserts the chip-to-chip transfers, with durations from the cost
      model; one schedule for a decode step at `context` cached positions,
      one for a prefill of `prompt-length` tokens.

    A model that does not fit the chips is an error that says how many it
    needs.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "LPU target description (JSON); the built-in groq-tsp-v1 when empty">,
    Option<"chips", "chips", "int64_t", /*default=*/"0",
           "Chips to use; 0 for the fewest that hold the model">,
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"16",
           "Bits per weight of the linear layers: 16, 8 or 4">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Quantization group size of 4-bit weights">,
    Option<"promptLength", "prompt-length", "int64_t", /*default=*/"0",
           "Prompt length of the prefill schedule; 0 for 128 (or the "
           "context, if shorter)">,
    Option<"context", "context", "int64_t", /*default=*/"0",
           "Positions of the KV cache; 0 for max_position_embeddings">,
    Option<"verifyTokens", "verify-tokens", "int64_t", /*default=*/"0",
           "Also schedule a speculative-decoding verification: this many "
           "tokens in one pass against the full context (0: none)">,
    Option<"tensorParallel", "tensor-parallel", "int64_t", /*default=*/"0",
           "Chips per pipeline stage; 0 to choose the fastest">,
  ];
  let dependentDialects = ["::mlir::llm::lpu::LPUDialect"];
}

#endif // LLM_CONVERSION_PASSES_TD
