//===- Passes.td - llm dialect transformation passes -------*- tablegen -*-===//

#ifndef LLM_TRANSFORMS_PASSES_TD
#define LLM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LLMGraphSummaryPass : Pass<"llm-graph-summary", "mlir::ModuleOp"> {
  let summary = "Print a summary of an llm model graph";
  let description = [{
    Prints, for every entry point of the module (a public function nothing
    in the module calls), the number of decoder layers, the count of each llm
    op, and the parameters it binds (count, elements and bytes), counting
    each call of a function (a decoder-layer function) as the ops of its
    body for the layer it is given. The IR is left unchanged.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the summary ('-' for stdout)">,
  ];
}

def LLMQuantizeInt4Pass : Pass<"llm-quantize-int4", "mlir::ModuleOp"> {
  let summary = "Group-wise INT4 weights for the linear layers";
  let description = [{
    Rewrites every `llm.matmul` whose weight is a checkpoint tensor (or
    tensors stacked by `llm-fuse-projections`) into `llm.matmul_int4` over
    the `llm.quantize_int4` of that weight (round to nearest, per group of
    `group-size` inputs; the last group of a row is shorter when the size
    does not divide the inputs), which `@prepare` computes once and the
    runtime caches. The LM head stays in float unless `lm-head` is set; matmuls whose
    weight name contains one of `exclude` are kept too. With
    `activation-aware`, every rewritten layer also binds a per-input-channel
    scale `s` (the tensor `<layer>.awq_scale`): it quantizes
    `llm.scale_columns(W, s)` and the layer divides its input by `s` (AWQ).

    A weight with an RMS norm folded in by `llm-fuse-rms-norm` (`W * g`,
    read unnormalized with `rms_norm_eps`) is unfolded: the quantized layer
    reads `rms_norm(x, g)` again (one norm per input and gain) and the pack
    quantizes the checkpoint's own `W`, exactly as without the fusion.
    Rounding `W * g` would fold each column's gain into the groups' ranges,
    which measurably loses accuracy; the normalized activation that folding
    saves is small next to a quantized layer's weights. So any combination
    of the fusion passes followed by this one quantizes the same matrices.
  }];
  let options = [
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Inputs per quantization group (a multiple of 8)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "Zero point fixed at 8 instead of fitted per group">,
    Option<"lmHead", "lm-head", "bool", /*default=*/"false",
           "Quantize the LM head too">,
    Option<"activationAware", "activation-aware", "bool", /*default=*/"false",
           "Scale each layer's input channels before quantizing, by the "
           "vector `<weight>.awq_scale` the runtime binds (made by "
           "python/awq_search.py from calibration activations)">,
    ListOption<"exclude", "exclude", "std::string",
               "Keep in float the weights whose name contains one of these">,
  ];
}

def LLMHoistWeightPrepPass : Pass<"llm-hoist-weight-prep", "mlir::ModuleOp"> {
  let summary = "Move weight-only computation into @prepare and set the ABI";
  let description = [{
    Finds every value the functions compute from `llm.param` leaves alone
    (the weight transforms: stacked projections, scaled columns, INT4
    quantization, AWQ repacking) and computes it once in
    `@prepare(checkpoint tensors) -> prepared buffers` instead. Each such
    subgraph is outlined into a private `@prepare_<n>` (computed once when
    `@prefill` and `@decode` both read it; one function for the subgraphs
    that differ only in the tensors they read, such as every layer's same
    projection), which `@prepare` calls in turn:
    the function boundaries free each one's temporaries before the next
    runs. The entry points then take, after their own arguments, every
    weight buffer (a checkpoint tensor read as it is, or a prepared buffer),
    all in one order, and the module's `llm.abi` (`#llm.abi`) records the
    checkpoint tensors with their types, `@prepare`'s arguments and results,
    and that order. After each call `@prepare` reports its progress (the
    elements prepared so far and in all) to the runtime function
    `llm_prepare_progress(i64, i64)`. A module that already has `llm.abi`
    is left as it is.

    Private functions (the decoder-layer functions, whose parameters name
    the called layer's tensors: `llm.param "model.layers.{}..."[%layer]`)
    first give their weight-only computations to their calls: each call
    computes them from its layer's tensors (its constant layer names them)
    and passes the results as new arguments, repeatedly through nested
    calls. Every call is checked before anything changes; a layer that is
    not a constant at an entry point's call is an error.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::llm::LLMDialect"];
}

def LLMFuseProjectionsPass : Pass<"llm-fuse-projections", "mlir::ModuleOp"> {
  let summary = "One matmul for the linear layers that share an input";
  let description = [{
    Replaces the `llm.matmul` ops that read the same activation with
    parameter weights of the same input size (a layer's q, k and v
    projections; its gate and up projections) by one matmul over their
    weights stacked by `tensor.concat` (a weight transform, computed once by
    `@prepare`) followed by `tensor.extract_slice` of each original result. Every output is computed exactly as before; the model
    runs fewer, larger kernels. Run it before `llm-quantize-int4` to
    quantize the stacked weights.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def LLMFuseRMSNormPass : Pass<"llm-fuse-rms-norm", "mlir::ModuleOp"> {
  let summary = "Fold RMS norms into the matmuls that read them";
  let description = [{
    `matmul(rms_norm(x, g), W)` equals `rsqrt(mean(x^2) + eps) *
    matmul(x, W * g)` (each column of `W` scaled by `g`). For every
    `llm.rms_norm` whose weight is a parameter and whose users are all
    `llm.matmul` ops reading it with float parameter weights (plain or
    stacked by `llm-fuse-projections`), each matmul becomes one over `x` with
    `rms_norm_eps` over `llm.scale_columns(W, g)` (a weight transform,
    computed once by `@prepare`), and the norm is removed: the
    normalized activation is never formed, and the norm's weight costs
    nothing at run time. Run it after `llm-fuse-projections`; a later
    `llm-quantize-int4` unfolds the norm of the layers it quantizes, so that
    their packs round the checkpoint's own `W`.
  }];
}

def LLMFuseAttentionPass : Pass<"llm-fuse-attention", "mlir::ModuleOp"> {
  let summary = "The attention block as one op: rotary embeddings folded in";
  let description = [{
    An `llm.attention` whose query and key are each the result of an
    `llm.rope` (used only there) at the attention's position and head size,
    with the same theta and scaling, reads the unrotated query and key
    instead and carries `rope_theta` (and `rope_scaling`): rotation, cache
    update, scores, softmax and the weighted sum of values are one op. The
    CPU lowering rotates first, exactly as before (outputs unchanged); the
    LPU schedule rotates each KV-head shard's query and key on the chip that
    holds the shard's cache.
  }];
}

def LLMExposeActivationsPass
    : Pass<"llm-expose-activations", "mlir::ModuleOp"> {
  let summary = "Return the inputs of the linear layers from @prefill";
  let description = [{
    For calibration (activation-aware quantization): `@prefill` also
    returns the input of every `llm.matmul` whose weight is a parameter, in
    graph order, and the module records them as `llm.activations` (an array
    of `#llm.activation`: the weight's name, the features and the checkpoint
    tensors of the weight), which `llm-hoist-weight-prep` moves into the
    module's `#llm.abi`. `llm-run
    --activations-out DIR` writes them as `.npy` files. `@decode` is left
    as it is.
  }];
}

def LLMKVCacheTypePass : Pass<"llm-kv-cache-type", "mlir::ModuleOp"> {
  let summary = "Stores the KV caches in f16 or bf16";
  let description = [{
    Gives the K and V caches (the entry points' `key_cache` and
    `value_cache` arguments, a batch's pools, and every value of their
    types) the element type `type`: `f16` (as llama.cpp keeps its cache by
    default) or `bf16`, for a model whose activations are f32; `f32` leaves
    them as they are. The lowering of `llm.attention` rounds the new keys
    and values to that type as it appends them and widens each row it reads
    back, so the scores, the softmax and the weighted sum stay f32 while a
    decode step reads, and a context holds, half the cache bytes. The
    compiled module records the type (`#llm.abi`'s `kv_cache`) and the
    runtime allocates its caches in it.

    Runs on the graph as imported or any time before `convert-llm-to-linalg`.
  }];
  let options = [
    Option<"type", "type", "std::string", /*default=*/"\"f16\"",
           "The caches' element type: f32, f16 or bf16">,
  ];
}

def LLMShardPass : Pass<"llm-shard", "mlir::ModuleOp"> {
  let summary = "Partitions the model for tensor-parallel ranks (Megatron)";
  let description = [{
    Rewrites the module into the program every rank of a tensor-parallel
    group of `tensor-parallel` processes runs (SPMD: one module, the rank
    chosen at run time by the weights each binds):

    - attention by heads: the query, key and value projections split by
      their output rows (`llm.param ... shard <dim = 0>`), each rank holding
      `num_heads / N` query heads and `num_kv_heads / N` KV heads (a KV head
      shared by `N / num_kv_heads` ranks when there are fewer KV heads than
      ranks) and only those heads' KV cache; the output projection split by
      its input columns (`dim = 1`), its partial products summed over the
      ranks (`llm.all_reduce`);
    - the MLP the same way: gate and up projections by rows, the down
      projection by columns, then `llm.all_reduce`;
    - embeddings and norms replicated; the LM head (a checkpoint's own
      `lm_head.weight`) split by vocabulary rows with `vocab-parallel`, its
      logits gathered (`llm.all_gather`), else replicated; tied to the
      embeddings it stays whole.

    With `pipeline-parallel=P`, the module is instead the program of one
    pipeline stage (`stage`, which is its rank): the stage's consecutive
    layers (the earlier stages one fewer when P does not divide them), and
    only their KV caches. Stage 0 embeds the tokens, every stage sends its
    hidden state to the next (`llm.send`, `llm.recv`), the last one applies
    the final norm and LM head and sends the logits back to stage 0, which
    returns them (stages in between return zeros).

    Runs on the graph as imported (after `llm-prefill-last-logits`, before
    fusion and quantization, which then work on each rank's part). Every
    head count and the MLP width must divide evenly. A module is split one
    way: tensor- or pipeline-parallel.
  }];
  let options = [
    Option<"tensorParallel", "tensor-parallel", "int64_t", /*default=*/"1",
           "Ranks the model is partitioned over">,
    Option<"vocabParallel", "vocab-parallel", "bool", /*default=*/"true",
           "Split the LM head by vocabulary (tensor parallel)">,
    Option<"pipelineParallel", "pipeline-parallel", "int64_t",
           /*default=*/"1", "Pipeline stages (one rank each)">,
    Option<"stage", "stage", "int64_t", /*default=*/"0",
           "The pipeline stage this module is (0 .. pipeline-parallel - 1)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LLMPrefillLastLogitsPass
    : Pass<"llm-prefill-last-logits", "mlir::ModuleOp"> {
  let summary = "@prefill returns the logits of its last position only";
  let description = [{
    Generation samples from the last position of a prompt: this pass makes
    `@prefill` return `[1, vocab]` logits, of its last row, instead of
    `[tokens, vocab]`. The row slice moves up through the row-wise ops that
    compute the logits (`llm.matmul`, `llm.matmul_int4`, `llm.rms_norm`,
    `llm.bias_add`), so the final norm and the LM head run on one row
    instead of every row of the prompt. The runtime reads either form
    (`llm-run --logits-out` needs every row: llm-run does not apply this
    pass then).
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def LLMDropReturnedArgumentsPass
    : Pass<"llm-drop-returned-arguments", "mlir::ModuleOp"> {
  let summary = "Drop results that return an argument's buffer (the KV caches)";
  let description = [{
    After bufferization, the updated KV caches of `@prefill`/`@decode` are the
    caller's own buffers, written in place and returned unchanged. This pass
    removes such memref results from public functions that nothing in the
    module calls (the runtime, which owns the caches, is their only caller),
    so each entry point returns only its logits. Private functions that only
    calls use (the decoder-layer functions) lose their KV cache results of
    that kind too, callees before callers, each call then using the buffer it
    passed. Public functions with callers and non-memref results are left
    alone. A cache result that is not its argument (the cache was copied
    instead of updated in place) is an error.
  }];
}

def LLMApproximateMathPass : Pass<"llm-approximate-math"> {
  let summary = "Polynomial approximations of math functions (exp)";
  let description = [{
    Replaces `math.exp` (scalar or vector, f32) with MLIR's polynomial
    approximation: a range reduction by powers of two and a polynomial, all
    in arithmetic ops that vectorize. LLVM otherwise lowers a vector
    `math.exp` to one call of the C library's `expf` per lane, which makes
    SiLU and the attention softmax the slowest loops of a decode step.
    The approximation is accurate to a few units in the last place.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::math::MathDialect"];
}

def LLMLowerPairDotPass : Pass<"llm-lower-pair-dot"> {
  let summary = "Lower llm.pair_dot_i16 and llm.quad_dot_u8i8 to x86 intrinsics";
  let description = [{
    Rewrites every `llm.pair_dot_i16` into a call of
    `llvm.x86.avx512.pmaddw.d.512` (512-bit vectors) or
    `llvm.x86.avx2.pmadd.wd` (256-bit), and every `llm.quad_dot_u8i8` into
    one of `llvm.x86.avx512.vpdpbusd.512`. Runs after bufferization (the call
    has no declared memory effects, which buffer deallocation rejects) and
    before the vector dialect is lowered to LLVM. The module then runs only
    on CPUs with that instruction: the pass records `llm.cpu_features`
    (`avx512bw`, `avx512vnni`, `avx2`) on the module, which `llm-run` checks
    against the host.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LLMMergeParallelRegionsPass : Pass<"llm-merge-parallel-regions"> {
  let summary = "One OpenMP thread team for consecutive parallel loops";
  let description = [{
    Merges consecutive `omp.parallel` regions of a block (as
    `convert-scf-to-openmp` makes one per parallel loop) into one, so that
    a decoder layer forks and joins its thread team once instead of once
    per op. The worksharing loops follow each other in the merged region,
    each ending in its implicit barrier. Between them:

    - allocations move before the merged region, deallocations after it;
    - ops that touch no memory are computed by every thread;
    - the rest (a norm, a rotary embedding, a cache update, a collective)
      runs where it ran before, on the team's primary thread
      (`omp.masked`), followed by an `omp.barrier` that holds the team
      until it is done.

    A region with clauses, or a gap with a call, nested parallelism, an
    allocation sized by a value computed in the group, or a value computed
    on the primary thread that other threads need, ends a group.

    Adjacent worksharing loops that are independent (neither writes a
    buffer the other reads or writes; distinct allocations are distinct
    buffers, arguments may alias each other) meet once, after the last of
    them: the others are marked `nowait`.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

def LLMAllowFPContractionPass : Pass<"llm-allow-fp-contraction"> {
  let summary = "Allow floating-point multiply-add contraction (FMA)";
  let description = [{
    Adds the `contract` fast-math flag to every LLVM dialect operation that
    carries fast-math flags, as `-ffp-contract=fast` does for C: LLVM may then
    fuse a multiply and the add that consumes it into one fused multiply-add,
    rounding once instead of twice. The vectorized kernels multiply and
    accumulate with separate `arith.mulf`/`arith.addf` (and reductions), so
    without this flag the CPU executes them as two instructions. No other
    fast-math assumption (NaNs, infinities, reassociation) is made.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LLMFuseElementwisePass : Pass<"llm-fuse-elementwise"> {
  let summary = "Elementwise fusion that never recomputes per reduction step";
  let description = [{
    Upstream linalg elementwise fusion (with its reshape propagation and
    folding patterns), except that a producer is never fused into a
    consumer with reduction loops: fusing an RMS norm into the matmul that
    reads it would recompute the normalization once per weight element. A
    producer is fused only into its single user, as upstream.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def LLMCPUTileAndVectorizePass
    : Pass<"llm-cpu-tile-and-vectorize", "mlir::func::FuncOp"> {
  let summary = "Tile linalg ops for threads and vector registers, and vectorize";
  let description = [{
    For every linalg op on tensors: distributes its largest parallel loop over
    threads with `scf.forall` (when the op has enough work), tiles the rest to
    register-sized tiles with `scf.for` (the innermost parallel loop by
    `rows` for contractions or `lanes` for elementwise ops, reductions by up to
    `reduction-tile`, other loops and dynamic extents by 1; each the largest
    divisor of the loop's extent not above that size, so that every tile is
    full), and vectorizes each tile without masks. Reductions over contiguous memory (the matmuls' `k`)
    become vector multiply-adds followed by one horizontal reduction per tile.

    A matrix-vector product with weights narrower than its result (decode's
    projections of 16-bit weights), or as wide with rows of at most
    `row-at-a-time-max-bytes`, is first split (`linalg::splitReduction`)
    into `matrix-vector-accumulators` x `lanes` per-lane partial sums and
    their sum, tiled one output row at a time with the partial sums fused
    in: each row is read front to back into `matrix-vector-accumulators`
    vector accumulators, summed once at its end. Four accumulators stream
    F32 rows of 2048-4096 weights from memory faster than eight (one thread,
    bench/matvec_stream.py).

    A contraction over a block of a prompt's rows (a small static loop the
    weights do not depend on, as convert-llm-to-linalg writes a prompt's
    linear layers) is tiled into the block's rows times the outputs whose
    accumulators fit in 24 vector registers, and each tile's reduction is
    split into `lanes` partial sums, accumulated over the whole reduction and
    summed once. The register-tile loops over the weights run outside those
    over a prompt's rows (weight-stationary), so that each tile of weights
    serves every row while in cache.

    An outer-product contraction whose innermost (vector) loop is a static
    block of rows the weights do not depend on (convert-llm-to-linalg's
    transposed 64-row blocks of F32 prompts: loops (b, n, k, r)) keeps the
    block whole in vectors, times the outputs whose accumulators fill 24
    vector registers, with the reduction innermost one step at a time: each
    weight is broadcast once for all the rows, and nothing is summed across
    lanes. Outputs that do not make a whole tile are first split off
    (`linalg::splitOp`) into a tile of their own.

    A transpose (an op without reductions whose input walks innermost
    another loop than its output) is tiled `lanes` x `lanes`: each tile is
    read a vector at a time where the input is contiguous and transposed in
    registers (`vector.transpose`), instead of gathering each output vector
    element by element.

    The fill that initializes a distributed op's destination moves into its
    `scf.forall`, so that each thread initializes its own chunk; a fill or
    empty tensor shared by several ops (CSE merges identical ones across
    layers) is first copied for each, so that none of them has to copy a
    shared buffer before writing in place.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "Vector width of elementwise tiles">,
    Option<"rows", "rows", "int64_t", /*default=*/"8",
           "Output elements computed together by a contraction tile">,
    Option<"reductionTile", "reduction-tile", "int64_t", /*default=*/"64",
           "Largest tile of a reduction loop">,
    Option<"parallelChunks", "parallel-chunks", "int64_t", /*default=*/"32",
           "Chunks the distributed loop is split into (0: no scf.forall)">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           /*default=*/"65536",
           "Smallest static iteration count worth distributing">,
    Option<"vectorize", "vectorize", "bool", /*default=*/"true",
           "Tile for registers and vectorize (false: only distribute over "
           "threads)">,
    Option<"rowAtATimeMaxBytes", "row-at-a-time-max-bytes", "int64_t",
           /*default=*/"16384",
           "Longest row of a matrix-vector product with weights as wide as "
           "its result that is read one row at a time (longer rows are read "
           "several at a time)">,
    Option<"matrixVectorAccumulators", "matrix-vector-accumulators",
           "int64_t", /*default=*/"4",
           "Vector accumulators of a matrix-vector product read one row at "
           "a time (independent chains of multiply-adds per row)">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect"
  ];
}

#endif // LLM_TRANSFORMS_PASSES_TD
