// A linear layer with `rms_norm_eps` (a norm folded in by llm-fuse-rms-norm)
// reads its raw input: the matmul, the sum of squares of each input row,
// and the output rows scaled by rsqrt(sum / in + eps). The normalized input
// is never formed.
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s

// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @matmul_rms(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>, %[[W:[^:]*]]: tensor<4x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: tensor<?x8x64xf32>, tensor<4x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: tensor<?x6x8xf32>, tensor<4x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: tensor<?x2x8xf32>, tensor<4x8xf32>)
// CHECK: %[[Y:.*]] = scf.if
// CHECK: linalg.generic
// CHECK-SAME: tensor<?x8xf32>, tensor<4x8xf32>)
// CHECK: %[[SS:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$ID]], #[[$ROW]]]
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[X]] : tensor<?x8xf32>)
// CHECK: arith.mulf %[[IN:.*]], %[[IN]] : f32
// CHECK: } -> tensor<?xf32>
// CHECK: %[[OUT:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]]
// CHECK-SAME: ins(%[[Y]], %[[SS]] : tensor<?x4xf32>, tensor<?xf32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[INV:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: %[[MEAN:.*]] = arith.mulf %[[S]], %[[INV]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[SUM:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[R:.*]] = math.rsqrt %[[SUM]] : f32
// CHECK: %[[P:.*]] = arith.mulf %[[V]], %[[R]] : f32
// CHECK: linalg.yield %[[P]] : f32
// CHECK: return %[[OUT]] : tensor<?x4xf32>
func.func @matmul_rms(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %0 = llm.matmul %x, %w {rms_norm_eps = 1.0e-05 : f64} : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// The INT4 layer applies the same row scaling to its output.
// CHECK-LABEL: func.func @matmul_int4_rms(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x32xf32>
// CHECK: arith.uitofp
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<1x32xf32>)
// CHECK: } -> tensor<1xf32>
// CHECK: math.rsqrt
// CHECK: return
func.func @matmul_int4_rms(%x: tensor<1x32xf32>, %q: tensor<1x1x4x4xi32>, %s: tensor<1x1x4xf16>, %z: tensor<1x1x4xi8>) -> tensor<1x4xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 {rms_norm_eps = 1.0e-05 : f64} : tensor<1x32xf32>, tensor<1x1x4x4xi32>, tensor<1x1x4xf16>, tensor<1x1x4xi8> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
