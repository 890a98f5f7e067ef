// The lowering of llm.matmul_int4 to linalg on tensors. The weights are never
// formed in float in memory. x is viewed as [s, groups, 2, g / 2] (zero
// padded when g does not divide the inputs; the two nibbles of a byte hold
// the two halves of a group); qweight is [groups, g / 2, out], scales and
// zeros [groups, out], and
//   y[s, n] = sum_{G, j, b} x[s, G, j, b] * (((q[G, b, n] >> 4 j) & 15)
//                                            * scale[G, n] - zero[G, n] * scale[G, n])
// over loops (s, G, j, b, n), the outputs n innermost (contiguous bytes).
// Dynamic rows (prompts) are split into blocks of 4 rows ([s / 4, 4, ...],
// rows that share each dequantized weight) and the remaining rows, each part
// writing its rows of y; a few static rows (decode) are one such product.

// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s --check-prefix=NOLLM

// NOLLM-NOT: llm.

// Blocks over (blocks, r, G, j, b, n).
// CHECK-DAG: #[[$BX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[$BQ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d4, d5)>
// CHECK-DAG: #[[$BGN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d5)>
// CHECK-DAG: #[[$BY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5)>
// Remaining rows over (s, G, j, b, n).
// CHECK-DAG: #[[$RX:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$RQ:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
// CHECK-DAG: #[[$RGN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4)>
// CHECK-DAG: #[[$RY:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d4)>

// 40 inputs in groups of 16: 3 groups, the input padded with 8 zeros to 48
// and viewed as [?, 3, 2, 8]. The rows are dynamic.
// CHECK-LABEL: func.func @matmul_int4_pad(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x40xf32>, %[[Q:[^:]*]]: tensor<3x8x24xi8>, %[[S:[^:]*]]: tensor<3x24xf32>, %[[Z:[^:]*]]: tensor<3x24xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x40xf32>
// CHECK: %[[PADV:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0] high[0, 8] {
// CHECK: tensor.yield %[[PADV]] : f32
// CHECK: } : tensor<?x40xf32> to tensor<?x48xf32>
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2, 3]] output_shape [%[[ROWS]], 3, 2, 8] : tensor<?x48xf32> into tensor<?x3x2x8xf32>
// Rows [0, 4 * (s / 4)) in blocks of 4, the rest [4 * (s / 4), s).
// CHECK: %[[N:.*]] = tensor.dim %[[XG]], %{{.*}} : tensor<?x3x2x8xf32>
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[BLOCKS:.*]] = arith.divui %[[N]], %[[C4]] : index
// CHECK: %[[BLOCKED:.*]] = arith.muli %[[BLOCKS]], %[[C4]] : index
// CHECK: %[[REST:.*]] = arith.subi %[[N]], %[[BLOCKED]] : index
// CHECK: %[[XB:.*]] = tensor.extract_slice %[[XG]][0, 0, 0, 0] [%[[BLOCKED]], 3, 2, 8] [1, 1, 1, 1]
// CHECK: %[[XBE:.*]] = tensor.expand_shape %[[XB]] {{\[}}[0, 1], [2], [3], [4]] output_shape [%[[BLOCKS]], 4, 3, 2, 8] : tensor<?x3x2x8xf32> into tensor<?x4x3x2x8xf32>
// CHECK: %[[B_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4x24xf32>)
// CHECK: %[[BY:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$BX]], #[[$BQ]], #[[$BGN]], #[[$BGN]], #[[$BY]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XBE]], %[[Q]], %[[S]], %[[Z]] : tensor<?x4x3x2x8xf32>, tensor<3x8x24xi8>, tensor<3x24xf32>, tensor<3x24xf32>) outs(%[[B_I]] : tensor<?x4x24xf32>)
// CHECK-NEXT: ^bb0(%[[XV:.*]]: f32, %[[BYTE:.*]]: i8, %[[SC:.*]]: f32, %[[ZP:.*]]: f32, %[[ACC:.*]]: f32):
// The nibble of half j of the group: (byte >> 4 j) & 15, as an unsigned
// value, dequantized as nibble * scale - zero * scale.
// CHECK-NEXT: %[[J:.*]] = linalg.index 3 : index
// CHECK-NEXT: %[[J8:.*]] = arith.index_cast %[[J]] : index to i8
// CHECK-NEXT: %[[FOUR:.*]] = arith.constant 4 : i8
// CHECK-NEXT: %[[SHIFT:.*]] = arith.muli %[[J8]], %[[FOUR]] : i8
// CHECK-NEXT: %[[SH:.*]] = arith.shrui %[[BYTE]], %[[SHIFT]] : i8
// CHECK-NEXT: %[[MASK:.*]] = arith.constant 15 : i8
// CHECK-NEXT: %[[NIB:.*]] = arith.andi %[[SH]], %[[MASK]] : i8
// CHECK-NEXT: %[[QF:.*]] = arith.uitofp %[[NIB]] : i8 to f32
// CHECK-NEXT: %[[QS:.*]] = arith.mulf %[[QF]], %[[SC]] : f32
// CHECK-NEXT: %[[ZS:.*]] = arith.mulf %[[ZP]], %[[SC]] : f32
// CHECK-NEXT: %[[W:.*]] = arith.subf %[[QS]], %[[ZS]] : f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[XV]], %[[W]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK-NEXT: } -> tensor<?x4x24xf32>
// CHECK: %[[BYC:.*]] = tensor.collapse_shape %[[BY]] {{\[}}[0, 1], [2]] : tensor<?x4x24xf32> into tensor<?x24xf32>
// CHECK: %[[Y_E:.*]] = tensor.empty(%[[N]]) : tensor<?x24xf32>
// CHECK: %[[Y1:.*]] = tensor.insert_slice %[[BYC]] into %[[Y_E]][0, 0]
// The remaining rows, one at a time.
// CHECK: %[[XR:.*]] = tensor.extract_slice %[[XG]][%[[BLOCKED]], 0, 0, 0] [%[[REST]], 3, 2, 8] [1, 1, 1, 1]
// CHECK: %[[R_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x24xf32>)
// CHECK: %[[RY:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RX]], #[[$RQ]], #[[$RGN]], #[[$RGN]], #[[$RY]]]
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XR]], %[[Q]], %[[S]], %[[Z]] : tensor<?x3x2x8xf32>, tensor<3x8x24xi8>, tensor<3x24xf32>, tensor<3x24xf32>) outs(%[[R_I]] : tensor<?x24xf32>)
// CHECK: linalg.index 2 : index
// CHECK: } -> tensor<?x24xf32>
// CHECK: %[[Y:.*]] = tensor.insert_slice %[[RY]] into %[[Y1]][%[[BLOCKED]], 0]
// CHECK: return %[[Y]] : tensor<?x24xf32>
func.func @matmul_int4_pad(%x: tensor<?x40xf32>, %q: tensor<3x8x24xi8>, %s: tensor<3x24xf32>, %z: tensor<3x24xf32>) -> tensor<?x24xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 16 : tensor<?x40xf32>, tensor<3x8x24xi8>, tensor<3x24xf32>, tensor<3x24xf32> -> tensor<?x24xf32>
  return %0 : tensor<?x24xf32>
}

// -----

// 64 inputs in groups of 32: no padding, the input is only viewed as
// [3, 2, 2, 16]. Three static rows (fewer than a block) are one product over
// (s, G, j, b, n), with no tensor.dim and no split.
// CHECK-LABEL: func.func @matmul_int4_nopad(
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x64xf32>, %[[Q:[^:]*]]: tensor<2x16x8xi8>, %[[S:[^:]*]]: tensor<2x8xf32>, %[[Z:[^:]*]]: tensor<2x8xf32>
// CHECK-NOT: tensor.pad
// CHECK-NOT: tensor.dim
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2, 3]] output_shape [3, 2, 2, 16] : tensor<3x64xf32> into tensor<3x2x2x16xf32>
// CHECK: %[[Y_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x8xf32>)
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XG]], %[[Q]], %[[S]], %[[Z]] : tensor<3x2x2x16xf32>, tensor<2x16x8xi8>, tensor<2x8xf32>, tensor<2x8xf32>) outs(%[[Y_I]] : tensor<3x8xf32>)
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: } -> tensor<3x8xf32>
// CHECK-NOT: tensor.insert_slice
// CHECK: return %[[Y]] : tensor<3x8xf32>
func.func @matmul_int4_nopad(%x: tensor<3x64xf32>, %q: tensor<2x16x8xi8>, %s: tensor<2x8xf32>, %z: tensor<2x8xf32>) -> tensor<3x8xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<3x64xf32>, tensor<2x16x8xi8>, tensor<2x8xf32>, tensor<2x8xf32> -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

// f16: the nibbles convert to the input's float type; one group of 100
// inputs padded to 128 when the group is larger than the input.
// CHECK-LABEL: func.func @matmul_int4_f16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x100xf16>
// CHECK: %[[PADV:.*]] = arith.constant 0.000000e+00 : f16
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0] high[0, 28]
// CHECK: } : tensor<1x100xf16> to tensor<1x128xf16>
// CHECK: tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2, 3]] output_shape [1, 1, 2, 64] : tensor<1x128xf16> into tensor<1x1x2x64xf16>
// CHECK: arith.uitofp %{{.*}} : i8 to f16
// CHECK: } -> tensor<1x4xf16>
func.func @matmul_int4_f16(%x: tensor<1x100xf16>, %q: tensor<1x64x4xi8>, %s: tensor<1x4xf16>, %z: tensor<1x4xf16>) -> tensor<1x4xf16> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 128 : tensor<1x100xf16>, tensor<1x64x4xi8>, tensor<1x4xf16>, tensor<1x4xf16> -> tensor<1x4xf16>
  return %0 : tensor<1x4xf16>
}
