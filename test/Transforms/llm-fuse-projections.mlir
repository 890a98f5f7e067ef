// llm-fuse-projections: matmuls that read the same activation with plain
// parameter weights become one matmul over a stacked parameter, sliced back
// into the original results; others are left alone.
// RUN: llm-opt %s --llm-fuse-projections -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>
// CHECK-DAG: %[[WQ:.*]] = llm.param "l.q_proj.weight" : tensor<8x8xf32>
// CHECK-DAG: %[[WK:.*]] = llm.param "l.k_proj.weight" : tensor<4x8xf32>
// CHECK-DAG: %[[WV:.*]] = llm.param "l.v_proj.weight" : tensor<4x8xf32>
// CHECK: %[[W:.*]] = tensor.concat dim(0) %[[WQ]], %[[WK]], %[[WV]] : (tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<16x8xf32>
// CHECK: %[[Y:.*]] = llm.matmul %[[X]], %[[W]] : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[Y]], %c0
// CHECK: %[[Q:.*]] = tensor.extract_slice %[[Y]][0, 0] [%[[N]], 8] [1, 1] : tensor<?x16xf32> to tensor<?x8xf32>
// CHECK: %[[K:.*]] = tensor.extract_slice %[[Y]][0, 8] [%[[N]], 4] [1, 1] : tensor<?x16xf32> to tensor<?x4xf32>
// CHECK: %[[V:.*]] = tensor.extract_slice %[[Y]][0, 12] [%[[N]], 4] [1, 1] : tensor<?x16xf32> to tensor<?x4xf32>
// The other input's single matmul is not fused.
// CHECK: llm.matmul %[[Q]], %{{.*}} : tensor<?x8xf32>, tensor<8x8xf32>
// CHECK-NOT: tensor.concat
// CHECK: return %[[K]], %[[V]]
func.func @layer(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x8xf32>) {
  %wq = llm.param "l.q_proj.weight" : tensor<8x8xf32>
  %q = llm.matmul %x, %wq : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %wk = llm.param "l.k_proj.weight" : tensor<4x8xf32>
  %k = llm.matmul %x, %wk : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  %wv = llm.param "l.v_proj.weight" : tensor<4x8xf32>
  %v = llm.matmul %x, %wv : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  %wo = llm.param "l.o_proj.weight" : tensor<8x8xf32>
  %o = llm.matmul %q, %wo : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  return %k, %v, %o : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x8xf32>
}

// -----

// Gate and up (same input) fuse.
// CHECK-LABEL: func.func @mlp(
// CHECK: tensor.concat dim(0) %{{.*}}, %{{.*}} : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<12x4xf32>
// CHECK: llm.matmul %{{.*}} : tensor<1x4xf32>, tensor<12x4xf32> -> tensor<1x12xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [1, 6] [1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 6] [1, 6] [1, 1]
// CHECK: llm.silu
// CHECK: llm.mul
func.func @mlp(%x: tensor<1x4xf32>) -> tensor<1x6xf32> {
  %wg = llm.param "m.gate_proj.weight" : tensor<6x4xf32>
  %g = llm.matmul %x, %wg : tensor<1x4xf32>, tensor<6x4xf32> -> tensor<1x6xf32>
  %wu = llm.param "m.up_proj.weight" : tensor<6x4xf32>
  %u = llm.matmul %x, %wu : tensor<1x4xf32>, tensor<6x4xf32> -> tensor<1x6xf32>
  %s = llm.silu %g : tensor<1x6xf32>
  %y = llm.mul %s, %u : tensor<1x6xf32>
  return %y : tensor<1x6xf32>
}

// -----

// Weights of different precisions, or of different input sizes, are not
// stacked; nor is a weight that is no parameter.
// CHECK-LABEL: func.func @mixed(
// CHECK-NOT: tensor.concat
// CHECK: return
func.func @mixed(%x: tensor<1x4xf32>, %w: tensor<6x4xf32>) -> (tensor<1x6xf32>, tensor<1x6xf32>, tensor<1x6xf32>) {
  %wg = llm.param "m.gate_proj.weight" : tensor<6x4xbf16>
  %g = llm.matmul %x, %wg : tensor<1x4xf32>, tensor<6x4xbf16> -> tensor<1x6xf32>
  %wu = llm.param "m.up_proj.weight" : tensor<6x4xf32>
  %u = llm.matmul %x, %wu : tensor<1x4xf32>, tensor<6x4xf32> -> tensor<1x6xf32>
  %a = llm.matmul %x, %w : tensor<1x4xf32>, tensor<6x4xf32> -> tensor<1x6xf32>
  return %g, %u, %a : tensor<1x6xf32>, tensor<1x6xf32>, tensor<1x6xf32>
}
