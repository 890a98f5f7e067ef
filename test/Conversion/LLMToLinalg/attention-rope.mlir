// The attention block with its rotary embeddings lowers as the llm.rope
// lowering of the query and of the key (cos/sin tables of the positions,
// halves rotated) followed by the attention lowering on the rotated values:
// the rotated key is what is written to the cache.
// RUN: llm-opt %s --convert-llm-to-linalg | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg | FileCheck %s --check-prefix=NOLLM
// NOLLM-NOT: llm.

// CHECK-LABEL: func.func @attention_rope(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x16xf32>, %[[K:[^:]*]]: tensor<?x8xf32>
// The query's rotation: tables, then the rotated halves.
// CHECK: math.cos
// CHECK: math.sin
// CHECK: tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 4, 2, 2] : tensor<?x16xf32> into tensor<?x4x2x2xf32>
// CHECK: %[[RQ:.*]] = tensor.collapse_shape %{{.*}} : tensor<?x4x2x2xf32> into tensor<?x16xf32>
// The key's.
// CHECK: math.cos
// CHECK: math.sin
// CHECK: tensor.expand_shape %[[K]] {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 2, 2, 2] : tensor<?x8xf32> into tensor<?x2x2x2xf32>
// CHECK: %[[RK:.*]] = tensor.collapse_shape %{{.*}} : tensor<?x2x2x2xf32> into tensor<?x8xf32>
// The attention reads them: the rotated key goes to the cache.
// CHECK: tensor.expand_shape %[[RK]]
// CHECK: tensor.insert_slice
// CHECK: tensor.expand_shape %[[RQ]]
func.func @attention_rope(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %kc: tensor<1x?x2x4xf32>, %vc: tensor<1x?x2x4xf32>, %pos: index) -> (tensor<?x16xf32>, tensor<1x?x2x4xf32>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 0 heads = 4 kv_heads = 2 head_dim = 4 {rope_theta = 1.0e+04 : f64} : tensor<?x16xf32>, tensor<?x8xf32>, tensor<1x?x2x4xf32>
  return %o, %nk : tensor<?x16xf32>, tensor<1x?x2x4xf32>
}
