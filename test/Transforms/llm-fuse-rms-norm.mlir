// llm-fuse-rms-norm: an RMS norm whose users are all matmuls over float
// parameter weights is folded into them. Each matmul reads the norm's input
// with `rms_norm_eps` (the normalization applied to its output rows) over
// the parameter "<W>*<g>", W's columns scaled by the norm's weight g
// (`scaling_columns_by`, stacked weights keep their parts). Norms with other
// users, or whose weight is not a parameter, are left alone.
// RUN: llm-opt %s --llm-fuse-rms-norm -split-input-file | FileCheck %s
// RUN: llm-opt %s --llm-fuse-rms-norm -split-input-file | llm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @attention_input(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>
// CHECK-NOT: llm.rms_norm
// CHECK-NOT: "l.input_layernorm.weight" :
// CHECK: %[[W:.*]] = llm.param "l.q_proj+k_proj.weight*l.input_layernorm.weight" stacking <["l.q_proj.weight", "l.k_proj.weight"]> scaling_columns_by "l.input_layernorm.weight" : tensor<12x8xf32>
// CHECK: %[[Y:.*]] = llm.matmul %[[X]], %[[W]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x8xf32>, tensor<12x8xf32> -> tensor<?x12xf32>
// CHECK: %[[W2:.*]] = llm.param "l.o_proj.weight*l.input_layernorm.weight" scaling_columns_by "l.input_layernorm.weight" : tensor<8x8xf32>
// CHECK: %[[Z:.*]] = llm.matmul %[[X]], %[[W2]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
// CHECK: return %[[Y]], %[[Z]]
func.func @attention_input(%x: tensor<?x8xf32>) -> (tensor<?x12xf32>, tensor<?x8xf32>) {
  %g = llm.param "l.input_layernorm.weight" : tensor<8xf32>
  %n = llm.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %w = llm.param "l.q_proj+k_proj.weight" stacking <["l.q_proj.weight", "l.k_proj.weight"]> : tensor<12x8xf32>
  %y = llm.matmul %n, %w : tensor<?x8xf32>, tensor<12x8xf32> -> tensor<?x12xf32>
  %wo = llm.param "l.o_proj.weight" : tensor<8x8xf32>
  %z = llm.matmul %n, %wo : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  return %y, %z : tensor<?x12xf32>, tensor<?x8xf32>
}

// -----

// The norm also feeds a residual add: it must stay, so nothing is folded.
// CHECK-LABEL: func.func @other_user(
// CHECK: llm.rms_norm
// CHECK: llm.matmul %{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<4x8xf32>
// CHECK-NOT: rms_norm_eps
func.func @other_user(%x: tensor<1x8xf32>) -> (tensor<1x4xf32>, tensor<1x8xf32>) {
  %g = llm.param "n.weight" : tensor<8xf32>
  %n = llm.rms_norm %x, %g eps = 1.0e-05 : tensor<1x8xf32>, tensor<8xf32>
  %w = llm.param "p.weight" : tensor<4x8xf32>
  %y = llm.matmul %n, %w : tensor<1x8xf32>, tensor<4x8xf32> -> tensor<1x4xf32>
  %r = llm.add %n, %x : tensor<1x8xf32>
  return %y, %r : tensor<1x4xf32>, tensor<1x8xf32>
}

// -----

// An INT4-quantized user: the pack was made from W, so nothing is folded.
// CHECK-LABEL: func.func @quantized_user(
// CHECK: llm.rms_norm
// CHECK: llm.matmul_int4
// CHECK-NOT: rms_norm_eps
func.func @quantized_user(%x: tensor<1x32xf32>) -> tensor<1x4xf32> {
  %g = llm.param "n.weight" : tensor<32xf32>
  %n = llm.rms_norm %x, %g eps = 1.0e-05 : tensor<1x32xf32>, tensor<32xf32>
  %q = llm.param "p.weight.int4.qweight" from <"p.weight", "qweight", group_size = 32, symmetric = false> : tensor<1x1x4x4xi32>
  %s = llm.param "p.weight.int4.scales" from <"p.weight", "scales", group_size = 32, symmetric = false> : tensor<1x4xf32>
  %z = llm.param "p.weight.int4.zeros" from <"p.weight", "zeros", group_size = 32, symmetric = false> : tensor<1x4xf32>
  %y = llm.matmul_int4 %n, %q, %s, %z group_size = 32 : tensor<1x32xf32>, tensor<1x1x4x4xi32>, tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
