// llm-cpu-pipeline distributes ops with enough work over threads: the
// scf.forall of llm-cpu-tile-and-vectorize becomes an OpenMP worksharing
// loop (omp.parallel / omp.wsloop / omp.loop_nest with LLVM dialect bodies),
// which LLVM IR translation outlines behind __kmpc_fork_call. With
// parallel=false the same code is a plain loop. A decode step ending in an LM
// head large enough to be split (512 x 256 = 131072 multiply-adds).

// The LM head is tiled several rows at a time (row-at-a-time-max-bytes=0;
// by default its rows of 1 KiB would be read one at a time, which
// llm-cpu-tile-and-vectorize.mlir checks).
// RUN: llm-opt %s --llm-cpu-pipeline=row-at-a-time-max-bytes=0 -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=ONLY-LLVM < %t.mlir
// RUN: llm-translate --mlir-to-llvmir %t.mlir | FileCheck %s --check-prefix=LLVMIR
// RUN: llm-opt %s "--llm-cpu-pipeline=parallel=false row-at-a-time-max-bytes=0" -o %t.serial.mlir
// RUN: FileCheck %s --check-prefix=SERIAL < %t.serial.mlir
// RUN: FileCheck %s --check-prefix=ONLY-LLVM < %t.serial.mlir
// RUN: llm-translate --mlir-to-llvmir %t.serial.mlir | FileCheck %s --check-prefix=SERIAL-LLVMIR
// Threads without vectorization: still a worksharing loop, of scalar code.
// RUN: llm-opt %s "--llm-cpu-pipeline=vectorize=false row-at-a-time-max-bytes=0" | FileCheck %s --check-prefix=THREADS-ONLY
// Without FMA contraction no float operation carries `contract`.
// RUN: llm-opt %s "--llm-cpu-pipeline=fp-contract=false row-at-a-time-max-bytes=0" | FileCheck %s --check-prefix=NO-CONTRACT

// NO-CONTRACT-LABEL: llvm.func @decode(
// NO-CONTRACT: llvm.fmul %{{[^ ]*}}, %{{[^ ]*}} : vector<64xf32>
// NO-CONTRACT: "llvm.intr.vector.reduce.fadd"(%{{.*}}, %{{.*}}) <{fastmathFlags = #llvm.fastmath<reassoc>}>
// NO-CONTRACT-NOT: contract

// THREADS-ONLY-LABEL: llvm.func @decode(
// THREADS-ONLY: omp.parallel {
// THREADS-ONLY-NEXT: omp.wsloop {
// THREADS-ONLY-NOT: vector<
// THREADS-ONLY: omp.yield

// CHECK: module @lm_head attributes {llm.abi = #llm.abi<config = #llm.config<vocab_size = 512, hidden_size = 256, {{.*}}>, tensors = [#llm.tensor<"model.embed_tokens.weight" : tensor<512x256xf32>>, #llm.tensor<"model.norm.weight" : tensor<256xf32>>, #llm.tensor<"lm_head.weight" : tensor<512x256xf32>>], prepare = [], prepared = [], weights = [0, 1, 2]>} {
// CHECK-LABEL: llvm.func @decode(
// CHECK-SAME: -> (!llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> {llm.name = "logits"})
// CHECK-DAG: %[[C0:.*]] = llvm.mlir.constant(0 : index) : i64
// CHECK-DAG: %[[C16:.*]] = llvm.mlir.constant(16 : index) : i64
// CHECK-DAG: %[[C512:.*]] = llvm.mlir.constant(512 : index) : i64
// The 512 logits in 32 chunks of 16, one chunk per iteration of the
// worksharing loop.
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop {
// CHECK-NEXT: omp.loop_nest (%{{.*}}) : i64 = (%[[C0]]) to (%[[C512]]) step (%[[C16]]) {
// The thread's tiles: 8 rows of 64 weights at a time, multiplied as vectors
// and summed horizontally.
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<64xf32>
// CHECK: llvm.fmul %{{.*}}, %{{.*}} {fastmathFlags = #llvm.fastmath<contract>} : vector<64xf32>
// CHECK: "llvm.intr.vector.reduce.fadd"(%{{.*}}, %{{.*}}) <{fastmathFlags = #llvm.fastmath<contract, reassoc>}> : (f32, vector<64xf32>) -> f32
// CHECK-COUNT-7: "llvm.intr.vector.reduce.fadd"(%{{.*}}, %{{.*}}) <{fastmathFlags = #llvm.fastmath<contract, reassoc>}> : (f32, vector<64xf32>) -> f32
// CHECK: omp.yield
// CHECK: omp.terminator
// CHECK: llvm.return %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>

// Nothing but LLVM dialect operations (and the OpenMP operations around
// them, which LLVM IR translation lowers) is left.
// ONLY-LLVM-NOT: linalg.
// ONLY-LLVM-NOT: tensor.
// ONLY-LLVM-NOT: memref.
// ONLY-LLVM-NOT: scf.
// ONLY-LLVM-NOT: {{^ *(%[^ ]+ = )?"?(linalg|tensor|memref|scf|llm|vector|arith|math|func|cf|affine|bufferization|builtin|ub|index)\.}}
// ONLY-LLVM: llvm.func @decode(
// ONLY-LLVM-NOT: {{^ *(%[^ ]+ = )?"?(linalg|tensor|memref|scf|llm|vector|arith|math|func|cf|affine|bufferization|builtin|ub|index)\.}}

// LLVMIR-LABEL: define { ptr, ptr, i64, [2 x i64], [2 x i64] } @decode(
// LLVMIR: call void (ptr, i32, ptr, ...) @__kmpc_fork_call(ptr @{{.*}}, i32 {{[0-9]+}}, ptr @decode..omp_par,
// LLVMIR: ret { ptr, ptr, i64, [2 x i64], [2 x i64] }
// LLVMIR-LABEL: define internal void @decode..omp_par(
// The outlined body: a static schedule around the vector code (the loop body
// blocks are laid out after the scheduling calls, hence DAG).
// LLVMIR-DAG: call void @__kmpc_for_static_init_8u(
// LLVMIR-DAG: call void @__kmpc_for_static_fini(
// LLVMIR-DAG: fmul contract <64 x float>
// LLVMIR-DAG: call reassoc contract float @llvm.vector.reduce.fadd.v64f32(
// LLVMIR: declare {{.*}} @__kmpc_fork_call(

// SERIAL-NOT: omp.
// SERIAL-LABEL: llvm.func @decode(
// SERIAL-NOT: omp.
// SERIAL: llvm.fmul %{{.*}}, %{{.*}} {fastmathFlags = #llvm.fastmath<contract>} : vector<64xf32>
// SERIAL: "llvm.intr.vector.reduce.fadd"(%{{.*}}, %{{.*}}) <{fastmathFlags = #llvm.fastmath<contract, reassoc>}> : (f32, vector<64xf32>) -> f32
// SERIAL-NOT: omp.
// SERIAL: llvm.return
// SERIAL-NOT: omp.

// SERIAL-LLVMIR-NOT: __kmpc
// SERIAL-LLVMIR: define { ptr, ptr, i64, [2 x i64], [2 x i64] } @decode(
// SERIAL-LLVMIR-NOT: __kmpc
// SERIAL-LLVMIR-NOT: omp_par

module @lm_head attributes {llm.config = #llm.config<vocab_size = 512, hidden_size = 256, intermediate_size = 512, num_hidden_layers = 1, num_attention_heads = 4, num_key_value_heads = 4, head_dim = 64, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
  func.func @decode(%tokens: tensor<1xi32> {llm.name = "tokens"}) -> (tensor<1x512xf32> {llm.name = "logits"}) {
    %embed = llm.param "model.embed_tokens.weight" : tensor<512x256xf32>
    %x = llm.embedding %embed[%tokens] : tensor<512x256xf32>, tensor<1xi32> -> tensor<1x256xf32>
    %norm = llm.param "model.norm.weight" : tensor<256xf32>
    %h = llm.rms_norm %x, %norm eps = 1.0e-5 : tensor<1x256xf32>, tensor<256xf32>
    %head = llm.param "lm_head.weight" : tensor<512x256xf32>
    %logits = llm.matmul %h, %head : tensor<1x256xf32>, tensor<512x256xf32> -> tensor<1x512xf32>
    return %logits : tensor<1x512xf32>
  }
}
