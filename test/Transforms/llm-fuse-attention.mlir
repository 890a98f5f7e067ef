// llm-fuse-attention: the rotary embeddings of an attention's query and key
// (llm.rope used only there, at the attention's position and head size,
// same theta and scaling) fold into the attention, which then reads the
// unrotated query and key with rope_theta (and rope_scaling). Others stay.
// RUN: llm-opt %s --llm-fuse-attention -split-input-file | FileCheck %s
// RUN: llm-opt %s --llm-fuse-attention -split-input-file | llm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @block(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x16xf32>, %[[K:[^:]*]]: tensor<?x8xf32>, %[[V:[^:]*]]: tensor<?x8xf32>
// CHECK-NOT: llm.rope
// CHECK: llm.attention %[[Q]], %[[K]], %[[V]] cache({{.*}}) at %{{.*}} layer 0 heads = 4 kv_heads = 2 head_dim = 4 {rope_scaling = #llm.rope_llama3<factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 32>, rope_theta = 5.000000e+05 : f64}
func.func @block(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %kc: tensor<1x?x2x4xf32>, %vc: tensor<1x?x2x4xf32>, %pos: index) -> tensor<?x16xf32> {
  %rq = llm.rope %q at %pos head_dim = 4 theta = 5.0e+05 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 32> : tensor<?x16xf32>
  %rk = llm.rope %k at %pos head_dim = 4 theta = 5.0e+05 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 32> : tensor<?x8xf32>
  %o, %nk, %nv = llm.attention %rq, %rk, %v cache(%kc, %vc) at %pos layer 0 heads = 4 kv_heads = 2 head_dim = 4 : tensor<?x16xf32>, tensor<?x8xf32>, tensor<1x?x2x4xf32>
  return %o : tensor<?x16xf32>
}

// -----

// The rotated key is also returned: the ropes stay.
// CHECK-LABEL: func.func @shared_key(
// CHECK: llm.rope
// CHECK: llm.rope
// CHECK: llm.attention
// CHECK-NOT: rope_theta
func.func @shared_key(%q: tensor<1x16xf32>, %k: tensor<1x8xf32>, %v: tensor<1x8xf32>, %kc: tensor<1x?x2x4xf32>, %vc: tensor<1x?x2x4xf32>, %pos: index) -> (tensor<1x16xf32>, tensor<1x8xf32>) {
  %rq = llm.rope %q at %pos head_dim = 4 theta = 1.0e+04 : tensor<1x16xf32>
  %rk = llm.rope %k at %pos head_dim = 4 theta = 1.0e+04 : tensor<1x8xf32>
  %o, %nk, %nv = llm.attention %rq, %rk, %v cache(%kc, %vc) at %pos layer 0 heads = 4 kv_heads = 2 head_dim = 4 : tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x?x2x4xf32>
  return %o, %rk : tensor<1x16xf32>, tensor<1x8xf32>
}

// -----

// Different thetas for query and key: not one rotation, nothing folds.
// CHECK-LABEL: func.func @mismatch(
// CHECK: llm.rope
// CHECK: llm.rope
// CHECK-NOT: rope_theta
func.func @mismatch(%q: tensor<1x16xf32>, %k: tensor<1x8xf32>, %v: tensor<1x8xf32>, %kc: tensor<1x?x2x4xf32>, %vc: tensor<1x?x2x4xf32>, %pos: index) -> tensor<1x16xf32> {
  %rq = llm.rope %q at %pos head_dim = 4 theta = 1.0e+04 : tensor<1x16xf32>
  %rk = llm.rope %k at %pos head_dim = 4 theta = 5.0e+05 : tensor<1x8xf32>
  %o, %nk, %nv = llm.attention %rq, %rk, %v cache(%kc, %vc) at %pos layer 0 heads = 4 kv_heads = 2 head_dim = 4 : tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x?x2x4xf32>
  return %o : tensor<1x16xf32>
}
