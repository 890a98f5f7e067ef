// llm-fuse-rms-norm: an RMS norm whose users are all matmuls over float
// parameter weights is folded into them. Each matmul reads the norm's input
// with `rms_norm_eps` (the normalization applied to its output rows) over
// llm.scale_columns(W, g), W's columns scaled by the norm's weight g (W a
// parameter, or parameters stacked by tensor.concat). Norms with other
// users, or whose weight is not a parameter, are left alone.
// RUN: llm-opt %s --llm-fuse-rms-norm -split-input-file | FileCheck %s
// RUN: llm-opt %s --llm-fuse-rms-norm -split-input-file | llm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @attention_input(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>
// CHECK-NOT: llm.rms_norm
// CHECK: %[[G:.*]] = llm.param "l.input_layernorm.weight" : tensor<8xbf16>
// CHECK: %[[S:.*]] = tensor.concat dim(0)
// CHECK: %[[W:.*]] = llm.scale_columns %[[S]], %[[G]] : tensor<12x8xf32>, tensor<8xbf16> -> tensor<12x8xf32>
// CHECK: %[[Y:.*]] = llm.matmul %[[X]], %[[W]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x8xf32>, tensor<12x8xf32> -> tensor<?x12xf32>
// CHECK: %[[WO:.*]] = llm.param "l.o_proj.weight" : tensor<8x8xbf16>
// CHECK: %[[W2:.*]] = llm.scale_columns %[[WO]], %[[G]] : tensor<8x8xbf16>, tensor<8xbf16> -> tensor<8x8xf32>
// CHECK: %[[Z:.*]] = llm.matmul %[[X]], %[[W2]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
// CHECK: return %[[Y]], %[[Z]]
func.func @attention_input(%x: tensor<?x8xf32>) -> (tensor<?x12xf32>, tensor<?x8xf32>) {
  %g = llm.param "l.input_layernorm.weight" : tensor<8xbf16>
  %n = llm.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xbf16>
  %wq = llm.param "l.q_proj.weight" : tensor<8x8xf32>
  %wk = llm.param "l.k_proj.weight" : tensor<4x8xf32>
  %w = tensor.concat dim(0) %wq, %wk : (tensor<8x8xf32>, tensor<4x8xf32>) -> tensor<12x8xf32>
  %y = llm.matmul %n, %w : tensor<?x8xf32>, tensor<12x8xf32> -> tensor<?x12xf32>
  %wo = llm.param "l.o_proj.weight" : tensor<8x8xbf16>
  %z = llm.matmul %n, %wo : tensor<?x8xf32>, tensor<8x8xbf16> -> tensor<?x8xf32>
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

// An INT4-quantized user: nothing is folded into a pack.
// CHECK-LABEL: func.func @quantized_user(
// CHECK: llm.rms_norm
// CHECK: llm.matmul_int4
// CHECK-NOT: rms_norm_eps
func.func @quantized_user(%x: tensor<1x32xf32>) -> tensor<1x4xf32> {
  %g = llm.param "n.weight" : tensor<32xf32>
  %n = llm.rms_norm %x, %g eps = 1.0e-05 : tensor<1x32xf32>, tensor<32xf32>
  %w = llm.param "p.weight" : tensor<4x32xf32>
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<4x32xf32> -> tensor<1x1x4x4xi32>, tensor<1x1x4xf16>, tensor<1x1x4xi8>
  %y = llm.matmul_int4 %n, %q, %s, %z group_size = 32 : tensor<1x32xf32>, tensor<1x1x4x4xi32>, tensor<1x1x4xf16>, tensor<1x1x4xi8> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
