// The lowering of llm.matmul_int4 to linalg on tensors. The weights are never
// formed in float in memory. x is viewed as [s, groups, 2, g / 2] (zero
// padded when g does not divide the inputs; the low and high nibbles of a
// byte hold the two halves of a group); qweight is [groups, g / 2, out],
// scales and zeros [groups, out]. Each byte is read once and both nibbles
// are used: x_lo = x[s, G, 0, :] and x_hi = x[s, G, 1, :] are strided views.
//
// Prompts (dynamic rows): blocks of 4 rows ([s / 4, 4, ...], rows that share
// each dequantized weight) and the remaining rows, each part writing its rows
// of y, over loops (rows..., G, b, n):
//   y += x_lo * ((q & 15) * scale - zero * scale)
//      + x_hi * ((q >> 4) * scale - zero * scale)
// A few static rows (decode): per-group dot products of the raw nibbles
// (lo, hi over (s, G, b, n)), the input sums per group, then
//   y[s, n] = sum_G scale * (lo + hi) - zero * scale * xsum.

// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s --check-prefix=NOLLM

// NOLLM-NOT: llm.

// Blocks over (blocks, r, G, b, n).
// CHECK-DAG: #[[$BX:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$BQ:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4)>
// CHECK-DAG: #[[$BGN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d4)>
// CHECK-DAG: #[[$BY:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>
// Remaining rows over (s, G, b, n).
// CHECK-DAG: #[[$RX:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$RQ:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$RGN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[$RY:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>

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
// CHECK: %[[XLO:.*]] = tensor.extract_slice %[[XBE]][0, 0, 0, 0, 0] [%{{.*}}, 4, 3, 1, 8] [1, 1, 1, 1, 1] : tensor<?x4x3x2x8xf32> to tensor<?x4x3x8xf32>
// CHECK: %[[XHI:.*]] = tensor.extract_slice %[[XBE]][0, 0, 0, 1, 0] [%{{.*}}, 4, 3, 1, 8] [1, 1, 1, 1, 1] : tensor<?x4x3x2x8xf32> to tensor<?x4x3x8xf32>
// CHECK: %[[BY:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$BX]], #[[$BX]], #[[$BQ]], #[[$BGN]], #[[$BGN]], #[[$BY]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XLO]], %[[XHI]], %[[Q]], %[[S]], %[[Z]] : tensor<?x4x3x8xf32>, tensor<?x4x3x8xf32>, tensor<3x8x24xi8>, tensor<3x24xf32>, tensor<3x24xf32>) outs(%[[B_I]] : tensor<?x4x24xf32>)
// CHECK-NEXT: ^bb0(%[[XL:.*]]: f32, %[[XH:.*]]: f32, %[[BYTE:.*]]: i8, %[[SC:.*]]: f32, %[[ZP:.*]]: f32, %[[ACC:.*]]: f32):
// Both nibbles of the byte, unsigned, dequantized as nibble * scale -
// zero * scale; the pair of products meets the accumulator once.
// CHECK-NEXT: %[[ZS:.*]] = arith.mulf %[[ZP]], %[[SC]] : f32
// CHECK-NEXT: %[[MASK:.*]] = arith.constant 15 : i8
// CHECK-NEXT: %[[LO:.*]] = arith.andi %[[BYTE]], %[[MASK]] : i8
// CHECK-NEXT: %[[LOF:.*]] = arith.uitofp %[[LO]] : i8 to f32
// CHECK-NEXT: %[[LOS:.*]] = arith.mulf %[[LOF]], %[[SC]] : f32
// CHECK-NEXT: %[[WLO:.*]] = arith.subf %[[LOS]], %[[ZS]] : f32
// CHECK-NEXT: %[[PLO:.*]] = arith.mulf %[[XL]], %[[WLO]] : f32
// CHECK-NEXT: %[[FOUR:.*]] = arith.constant 4 : i8
// CHECK-NEXT: %[[HI:.*]] = arith.shrui %[[BYTE]], %[[FOUR]] : i8
// CHECK-NEXT: %[[HIF:.*]] = arith.uitofp %[[HI]] : i8 to f32
// CHECK-NEXT: %[[HIS:.*]] = arith.mulf %[[HIF]], %[[SC]] : f32
// CHECK-NEXT: %[[WHI:.*]] = arith.subf %[[HIS]], %[[ZS]] : f32
// CHECK-NEXT: %[[PHI:.*]] = arith.mulf %[[XH]], %[[WHI]] : f32
// CHECK-NEXT: %[[PAIR:.*]] = arith.addf %[[PLO]], %[[PHI]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[PAIR]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK-NEXT: } -> tensor<?x4x24xf32>
// CHECK: %[[BYC:.*]] = tensor.collapse_shape %[[BY]] {{\[}}[0, 1], [2]] : tensor<?x4x24xf32> into tensor<?x24xf32>
// CHECK: %[[Y_E:.*]] = tensor.empty(%[[N]]) : tensor<?x24xf32>
// CHECK: %[[Y1:.*]] = tensor.insert_slice %[[BYC]] into %[[Y_E]][0, 0]
// The remaining rows, one at a time.
// CHECK: %[[XR:.*]] = tensor.extract_slice %[[XG]][%[[BLOCKED]], 0, 0, 0] [%[[REST]], 3, 2, 8] [1, 1, 1, 1]
// CHECK: %[[R_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x24xf32>)
// CHECK: %[[RLO:.*]] = tensor.extract_slice %[[XR]][0, 0, 0, 0] [%[[REST]], 3, 1, 8] [1, 1, 1, 1] : tensor<?x3x2x8xf32> to tensor<?x3x8xf32>
// CHECK: %[[RHI:.*]] = tensor.extract_slice %[[XR]][0, 0, 1, 0] [%[[REST]], 3, 1, 8] [1, 1, 1, 1] : tensor<?x3x2x8xf32> to tensor<?x3x8xf32>
// CHECK: %[[RY:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RX]], #[[$RX]], #[[$RQ]], #[[$RGN]], #[[$RGN]], #[[$RY]]]
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[RLO]], %[[RHI]], %[[Q]], %[[S]], %[[Z]] : tensor<?x3x8xf32>, tensor<?x3x8xf32>, tensor<3x8x24xi8>, tensor<3x24xf32>, tensor<3x24xf32>) outs(%[[R_I]] : tensor<?x24xf32>)
// CHECK: arith.shrui
// CHECK: } -> tensor<?x24xf32>
// CHECK: %[[Y:.*]] = tensor.insert_slice %[[RY]] into %[[Y1]][%[[BLOCKED]], 0]
// CHECK: return %[[Y]] : tensor<?x24xf32>
func.func @matmul_int4_pad(%x: tensor<?x40xf32>, %q: tensor<3x8x24xi8>, %s: tensor<3x24xf32>, %z: tensor<3x24xf32>) -> tensor<?x24xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 16 : tensor<?x40xf32>, tensor<3x8x24xi8>, tensor<3x24xf32>, tensor<3x24xf32> -> tensor<?x24xf32>
  return %0 : tensor<?x24xf32>
}

// -----

// 64 inputs in groups of 32: no padding, the input is only viewed as
// [3, 2, 2, 16]. Three static rows (fewer than a block: decode) take the
// per-group dot products, with no tensor.dim and no split.
// CHECK-DAG: #[[$DX:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$DQ:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$DD:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$E3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$EXS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$EGN:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$EY:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul_int4_nopad(
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x64xf32>, %[[Q:[^:]*]]: tensor<2x16x8xi8>, %[[S:[^:]*]]: tensor<2x8xf32>, %[[Z:[^:]*]]: tensor<2x8xf32>
// CHECK-NOT: tensor.pad
// CHECK-NOT: tensor.dim
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2, 3]] output_shape [3, 2, 2, 16] : tensor<3x64xf32> into tensor<3x2x2x16xf32>
// CHECK: %[[XLO:.*]] = tensor.extract_slice %[[XG]][0, 0, 0, 0] [3, 2, 1, 16] [1, 1, 1, 1] : tensor<3x2x2x16xf32> to tensor<3x2x16xf32>
// CHECK: %[[XHI:.*]] = tensor.extract_slice %[[XG]][0, 0, 1, 0] [3, 2, 1, 16] [1, 1, 1, 1] : tensor<3x2x2x16xf32> to tensor<3x2x16xf32>
// CHECK: %[[LO_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x2x8xf32>)
// CHECK: %[[HI_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x2x8xf32>)
// lo[s, G, n] += x_lo * (q & 15) and hi[s, G, n] += x_hi * (q >> 4): no
// scale, no zero point in the inner loop.
// CHECK: %[[DOTS:.*]]:2 = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$DX]], #[[$DX]], #[[$DQ]], #[[$DD]], #[[$DD]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XLO]], %[[XHI]], %[[Q]] : tensor<3x2x16xf32>, tensor<3x2x16xf32>, tensor<2x16x8xi8>) outs(%[[LO_I]], %[[HI_I]] : tensor<3x2x8xf32>, tensor<3x2x8xf32>)
// CHECK-NEXT: ^bb0(%[[XL:.*]]: f32, %[[XH:.*]]: f32, %[[BYTE:.*]]: i8, %[[ALO:.*]]: f32, %[[AHI:.*]]: f32):
// CHECK-NEXT: arith.constant 15 : i8
// CHECK-NEXT: %[[LO:.*]] = arith.andi %[[BYTE]]
// CHECK-NEXT: %[[LOF:.*]] = arith.uitofp %[[LO]] : i8 to f32
// CHECK-NEXT: %[[PLO:.*]] = arith.mulf %[[XL]], %[[LOF]] : f32
// CHECK-NEXT: %[[SLO:.*]] = arith.addf %[[ALO]], %[[PLO]] : f32
// CHECK-NEXT: arith.constant 4 : i8
// CHECK-NEXT: %[[HI:.*]] = arith.shrui %[[BYTE]]
// CHECK-NEXT: %[[HIF:.*]] = arith.uitofp %[[HI]] : i8 to f32
// CHECK-NEXT: %[[PHI:.*]] = arith.mulf %[[XH]], %[[HIF]] : f32
// CHECK-NEXT: %[[SHI:.*]] = arith.addf %[[AHI]], %[[PHI]] : f32
// CHECK-NEXT: linalg.yield %[[SLO]], %[[SHI]] : f32, f32
// Input sums per group.
// CHECK: %[[XS:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$E3]], #[[$E3]], #[[$EXS]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[XLO]], %[[XHI]] : tensor<3x2x16xf32>, tensor<3x2x16xf32>) outs(%{{.*}} : tensor<3x2xf32>)
// y = sum_G scale * (lo + hi) - zero * scale * xsum.
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$E3]], #[[$E3]], #[[$EXS]], #[[$EGN]], #[[$EGN]], #[[$EY]]]
// CHECK-SAME: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%[[DOTS]]#0, %[[DOTS]]#1, %[[XS]], %[[S]], %[[Z]] : tensor<3x2x8xf32>, tensor<3x2x8xf32>, tensor<3x2xf32>, tensor<2x8xf32>, tensor<2x8xf32>) outs(%{{.*}} : tensor<3x8xf32>)
// CHECK-NEXT: ^bb0(%[[DL:.*]]: f32, %[[DH:.*]]: f32, %[[XSUM:.*]]: f32, %[[SC:.*]]: f32, %[[ZP:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[DOT:.*]] = arith.addf %[[DL]], %[[DH]] : f32
// CHECK-NEXT: %[[ZS:.*]] = arith.mulf %[[ZP]], %[[SC]] : f32
// CHECK-NEXT: %[[ZX:.*]] = arith.mulf %[[ZS]], %[[XSUM]] : f32
// CHECK-NEXT: %[[SD:.*]] = arith.mulf %[[SC]], %[[DOT]] : f32
// CHECK-NEXT: %[[T:.*]] = arith.subf %[[SD]], %[[ZX]] : f32
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[T]] : f32
// CHECK-NEXT: linalg.yield %[[NEXT]] : f32
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
