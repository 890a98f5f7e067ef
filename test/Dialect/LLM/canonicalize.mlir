// Folders of the elementwise ops and removal of dead (Pure) llm ops.
// Canonicalization alone does not merge duplicate llm.param ops (they are not
// ConstantLike); CSE does, since they are Pure.

// RUN: llm-opt %s -canonicalize -split-input-file | FileCheck %s --check-prefixes=CHECK,CANON
// RUN: llm-opt %s -canonicalize -cse -split-input-file | FileCheck %s --check-prefixes=CHECK,CSE

// CHECK-LABEL: func.func @add_zero_rhs(
// CHECK-SAME: %[[X:[^:]*]]: tensor<7x64xf32>
// CHECK-NOT: arith.constant
// CHECK-NOT: llm.add
// CHECK: return %[[X]] : tensor<7x64xf32>
func.func @add_zero_rhs(%x: tensor<7x64xf32>) -> tensor<7x64xf32> {
  %zero = arith.constant dense<0.0> : tensor<7x64xf32>
  %0 = llm.add %x, %zero : tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// -----

// CHECK-LABEL: func.func @add_zero_lhs(
// CHECK-SAME: %[[X:[^:]*]]: tensor<7x64xf32>
// CHECK-NOT: arith.constant
// CHECK-NOT: llm.add
// CHECK: return %[[X]] : tensor<7x64xf32>
func.func @add_zero_lhs(%x: tensor<7x64xf32>) -> tensor<7x64xf32> {
  %zero = arith.constant dense<0.0> : tensor<7x64xf32>
  %0 = llm.add %zero, %x : tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// -----

// A negative-zero splat is an identity of addition too.
// CHECK-LABEL: func.func @add_negative_zero(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>
// CHECK-NOT: llm.add
// CHECK: return %[[X]] : tensor<4xf32>
func.func @add_negative_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant dense<-0.0> : tensor<4xf32>
  %0 = llm.add %x, %zero : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @add_zero_bf16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x8xbf16>
// CHECK-NOT: llm.add
// CHECK: return %[[X]] : tensor<2x8xbf16>
func.func @add_zero_bf16(%x: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  %zero = arith.constant dense<0.0> : tensor<2x8xbf16>
  %0 = llm.add %zero, %x : tensor<2x8xbf16>
  return %0 : tensor<2x8xbf16>
}

// -----

// CHECK-LABEL: func.func @add_one_no_fold(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK: %[[SUM:.*]] = llm.add %[[X]], %[[ONE]] : tensor<4xf32>
// CHECK: return %[[SUM]] : tensor<4xf32>
func.func @add_one_no_fold(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant dense<1.0> : tensor<4xf32>
  %0 = llm.add %x, %one : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Only splats fold: a constant that is zero in just some lanes stays.
// CHECK-LABEL: func.func @add_non_splat_no_fold(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2xf32>
// CHECK: %[[C:.*]] = arith.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[SUM:.*]] = llm.add %[[X]], %[[C]] : tensor<2xf32>
// CHECK: return %[[SUM]] : tensor<2xf32>
func.func @add_non_splat_no_fold(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %0 = llm.add %x, %c : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one_rhs(
// CHECK-SAME: %[[X:[^:]*]]: tensor<7x172xf32>
// CHECK-NOT: arith.constant
// CHECK-NOT: llm.mul
// CHECK: return %[[X]] : tensor<7x172xf32>
func.func @mul_one_rhs(%x: tensor<7x172xf32>) -> tensor<7x172xf32> {
  %one = arith.constant dense<1.0> : tensor<7x172xf32>
  %0 = llm.mul %x, %one : tensor<7x172xf32>
  return %0 : tensor<7x172xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one_lhs(
// CHECK-SAME: %[[X:[^:]*]]: tensor<7x172xf16>
// CHECK-NOT: arith.constant
// CHECK-NOT: llm.mul
// CHECK: return %[[X]] : tensor<7x172xf16>
func.func @mul_one_lhs(%x: tensor<7x172xf16>) -> tensor<7x172xf16> {
  %one = arith.constant dense<1.0> : tensor<7x172xf16>
  %0 = llm.mul %one, %x : tensor<7x172xf16>
  return %0 : tensor<7x172xf16>
}

// -----

// CHECK-LABEL: func.func @mul_two_no_fold(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>
// CHECK: %[[TWO:.*]] = arith.constant dense<2.000000e+00> : tensor<4xf32>
// CHECK: %[[PROD:.*]] = llm.mul %[[X]], %[[TWO]] : tensor<4xf32>
// CHECK: return %[[PROD]] : tensor<4xf32>
func.func @mul_two_no_fold(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = arith.constant dense<2.0> : tensor<4xf32>
  %0 = llm.mul %x, %two : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x * 0 is not x * 1, and is not folded to zero either (NaN and infinity).
// CHECK-LABEL: func.func @mul_zero_no_fold(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: %[[PROD:.*]] = llm.mul %[[X]], %[[ZERO]] : tensor<4xf32>
// CHECK: return %[[PROD]] : tensor<4xf32>
func.func @mul_zero_no_fold(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %0 = llm.mul %x, %zero : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Folds compose: (x * 1) + 0 becomes x.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>
// CHECK-NOT: llm.
// CHECK: return %[[X]] : tensor<4xf32>
func.func @chain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant dense<1.0> : tensor<4xf32>
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %0 = llm.mul %x, %one : tensor<4xf32>
  %1 = llm.add %zero, %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @duplicate_param(
// CANON: %[[W0:.*]] = llm.param "model.norm.weight" : tensor<64xf32>
// CANON: %[[W1:.*]] = llm.param "model.norm.weight" : tensor<64xf32>
// CANON: return %[[W0]], %[[W1]] : tensor<64xf32>, tensor<64xf32>
// CSE: %[[W:.*]] = llm.param "model.norm.weight" : tensor<64xf32>
// CSE-NOT: llm.param
// CSE: return %[[W]], %[[W]] : tensor<64xf32>, tensor<64xf32>
func.func @duplicate_param() -> (tensor<64xf32>, tensor<64xf32>) {
  %0 = llm.param "model.norm.weight" : tensor<64xf32>
  %1 = llm.param "model.norm.weight" : tensor<64xf32>
  return %0, %1 : tensor<64xf32>, tensor<64xf32>
}

// -----

// Parameters with different names are distinct values.
// CHECK-LABEL: func.func @distinct_params(
// CHECK: %[[Q:.*]] = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>
// CHECK: %[[O:.*]] = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<64x64xf32>
// CHECK: return %[[Q]], %[[O]]
func.func @distinct_params() -> (tensor<64x64xf32>, tensor<64x64xf32>) {
  %0 = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>
  %1 = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<64x64xf32>
  return %0, %1 : tensor<64x64xf32>, tensor<64x64xf32>
}

// -----

// Duplicate computations on a shared parameter collapse under CSE too.
// CHECK-LABEL: func.func @duplicate_matmul(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>
// CSE: %[[W:.*]] = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<172x64xf32>
// CSE: %[[M:.*]] = llm.matmul %[[X]], %[[W]] : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32>
// CSE-NOT: llm.matmul
// CSE: return %[[M]], %[[M]]
// CANON-COUNT-2: llm.param "model.layers.0.mlp.gate_proj.weight"
// CANON-COUNT-2: llm.matmul
func.func @duplicate_matmul(%x: tensor<?x64xf32>) -> (tensor<?x172xf32>, tensor<?x172xf32>) {
  %w0 = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<172x64xf32>
  %w1 = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<172x64xf32>
  %0 = llm.matmul %x, %w0 : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32>
  %1 = llm.matmul %x, %w1 : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32>
  return %0, %1 : tensor<?x172xf32>, tensor<?x172xf32>
}

// -----

// Every llm op is Pure: unused ones disappear.
// CHECK-LABEL: func.func @dead_ops(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>
// CHECK-NOT: llm.
// CHECK: return %[[X]] : tensor<?x64xf32>
func.func @dead_ops(%x: tensor<?x64xf32>, %tokens: tensor<?xi32>, %pos: index,
                    %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>) -> tensor<?x64xf32> {
  %table = llm.param "model.embed_tokens.weight" : tensor<512x64xf32>
  %emb = llm.embedding %table[%tokens] : tensor<512x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  %nw = llm.param "model.norm.weight" : tensor<64xf32>
  %n = llm.rms_norm %x, %nw eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>
  %kw = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<32x64xf32>
  %k = llm.matmul %n, %kw : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %q = llm.rope %x at %pos head_dim = 8 theta = 1.0e4 : tensor<?x64xf32>
  %kr = llm.rope %k at %pos head_dim = 8 theta = 1.0e4 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192> : tensor<?x32xf32>
  %o, %nk, %nv = llm.attention %q, %kr, %k cache(%kc, %vc) at %pos layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  %s = llm.silu %o : tensor<?x64xf32>
  %m = llm.mul %s, %emb : tensor<?x64xf32>
  %a = llm.add %m, %x : tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// -----

// An attention whose output is unused stays while its caches are live.
// CHECK-LABEL: func.func @live_cache(
// CHECK: %{{.*}}, %[[NK:.*]], %[[NV:.*]] = llm.attention
// CHECK: return %[[NK]], %[[NV]]
func.func @live_cache(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %pos: index,
                      %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>)
    -> (tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>) {
  %o, %nk, %nv = llm.attention %q, %k, %k cache(%kc, %vc) at %pos layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %nk, %nv : tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>
}

// -----

// A constant layer names one tensor and one cache layer: the parameter folds
// to the layer's own name and the attention to its constant layer (what
// inlining a decoder-layer function at a call leaves).
// CHECK-LABEL: func.func @constant_layer(
// CHECK-NOT: arith.constant
// CHECK: %[[W:.*]] = llm.param "model.layers.3.mlp.up_proj.weight" : tensor<8x4xf32>
// CHECK: llm.attention {{.*}} layer 3 heads = 1 kv_heads = 1 head_dim = 4
// CHECK: return %[[W]]
func.func @constant_layer(%q: tensor<1x4xf32>, %kc: tensor<4x1x8x4xf32>, %pos: index) -> (tensor<8x4xf32>, tensor<1x4xf32>) {
  %l = arith.constant 3 : index
  %w = llm.param "model.layers.{}.mlp.up_proj.weight"[%l] : tensor<8x4xf32>
  %o, %nk, %nv = llm.attention %q, %q, %q cache(%kc, %kc) at %pos layer %l heads = 1 kv_heads = 1 head_dim = 4 : tensor<1x4xf32>, tensor<1x4xf32>, tensor<4x1x8x4xf32>
  return %w, %o : tensor<8x4xf32>, tensor<1x4xf32>
}

// -----

// A constant layer outside the cache stays an operand (the verifier would
// reject it as an attribute).
// CHECK-LABEL: func.func @constant_layer_out_of_range(
// CHECK: llm.attention {{.*}} layer %{{.*}} heads = 1
func.func @constant_layer_out_of_range(%q: tensor<1x4xf32>, %kc: tensor<4x1x8x4xf32>, %pos: index) -> tensor<1x4xf32> {
  %l = arith.constant 4 : index
  %o, %nk, %nv = llm.attention %q, %q, %q cache(%kc, %kc) at %pos layer %l heads = 1 kv_heads = 1 head_dim = 4 : tensor<1x4xf32>, tensor<1x4xf32>, tensor<4x1x8x4xf32>
  return %o : tensor<1x4xf32>
}
