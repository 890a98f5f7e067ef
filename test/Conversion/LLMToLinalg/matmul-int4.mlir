// The lowering of llm.matmul_int4 to linalg on tensors. The weights are never
// formed in float in memory. qweight is [out / T, groups, g / 8, T] 32-bit
// words whose nibble s holds input G * g + s * (g / 8) + b of row nt * T + t;
// x is viewed as [s, groups, 8, g / 8] (zero padded when g does not divide
// the inputs), scales and zeros [out / T, groups, T] as packed (f16, tiled
// like qweight: read as they are and widened to the input's type in the
// kernels), and every kernel runs over (rows..., nt, G, b, s, t), unpacking
// nibble s of a word with (word >> 4 s) & 15.
//
// Prompts (dynamic rows): blocks of 6 rows ([s / 6, 6, ...], rows that share
// each dequantized weight), blocks of 2 and the last row, each part writing its rows
// of y, with the weight dequantized in the loop:
//   y += x * (nibble * scale - zero * scale)
// A few static rows (decode): per-group dot products of the raw nibbles
// D[r, nt, G, t], the input sums per group, then
//   y[r, nt, t] = sum_G scale * D - zero * scale * xsum.

// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s --check-prefix=NOLLM

// NOLLM-NOT: llm.

// Blocks over (blocks, r, nt, G, b, s, t).
// CHECK-DAG: #[[$BX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d3, d5, d4)>
// CHECK-DAG: #[[$BQ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d3, d4, d6)>
// CHECK-DAG: #[[$BGN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d3, d6)>
// CHECK-DAG: #[[$BY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d6)>
// Remaining rows over (row, nt, G, b, s, t).
// CHECK-DAG: #[[$RX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d4, d3)>
// CHECK-DAG: #[[$RQ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d3, d5)>
// CHECK-DAG: #[[$RGN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d5)>
// CHECK-DAG: #[[$RY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5)>

// 40 inputs in groups of 16: 3 groups of 2 words, the input padded with 8
// zeros to 48 and viewed as [?, 3, 8, 2]; 24 rows in 3 tiles of 8. The rows
// are dynamic.
// CHECK-LABEL: func.func @matmul_int4_pad(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x40xf32>, %[[Q:[^:]*]]: tensor<3x3x2x8xi32>, %[[S:[^:]*]]: tensor<3x3x8xf16>, %[[Z:[^:]*]]: tensor<3x3x8xi8>
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x40xf32>
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0] high[0, 8] {
// CHECK: } : tensor<?x40xf32> to tensor<?x48xf32>
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2, 3]] output_shape [%[[ROWS]], 3, 8, 2] : tensor<?x48xf32> into tensor<?x3x8x2xf32>
// Scales and zeros are already [nt, G, t]: no reshape.
// CHECK-NOT: tensor.expand_shape %[[S]]
// CHECK-NOT: tensor.expand_shape %[[Z]]
// Rows [0, 6 * (s / 6)) in blocks of 6, then blocks of 2, then the last
// row, each part computed in its rows of one result tensor and skipped when
// it has none.
// CHECK: %[[N:.*]] = tensor.dim %[[XG]], %{{.*}} : tensor<?x3x8x2xf32>
// CHECK: %[[Y_E:.*]] = bufferization.alloc_tensor(%[[N]]) : tensor<?x24xf32>
// CHECK: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[BLOCKS:.*]] = arith.divui %[[N]], %[[C6]] : index
// CHECK: %[[BLOCKED:.*]] = arith.muli %[[BLOCKS]], %[[C6]] : index
// CHECK: scf.if
// CHECK: %[[XB:.*]] = tensor.extract_slice %[[XG]][%{{.*}}, 0, 0, 0] [%[[BLOCKED]], 3, 8, 2] [1, 1, 1, 1]
// CHECK: %[[YB:.*]] = tensor.extract_slice %[[Y_E]][%{{.*}}, 0] [%[[BLOCKED]], 24] [1, 1]
// CHECK: %[[YBE:.*]] = tensor.expand_shape %[[YB]] {{\[}}[0, 1], [2]] output_shape [%[[BLOCKS]], 6, 24]
// CHECK: %[[XBE:.*]] = tensor.expand_shape %[[XB]] {{\[}}[0, 1], [2], [3], [4]] output_shape [%[[BLOCKS]], 6, 3, 8, 2] : tensor<?x3x8x2xf32> into tensor<?x6x3x8x2xf32>
// CHECK: %[[YBT:.*]] = tensor.expand_shape %[[YBE]] {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 6, 3, 8] : tensor<?x6x24xf32> into tensor<?x6x3x8xf32>
// CHECK: %[[B_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[YBT]] : tensor<?x6x3x8xf32>)
// CHECK: %[[BY:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$BX]], #[[$BQ]], #[[$BGN]], #[[$BGN]], #[[$BY]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XBE]], %[[Q]], %[[S]], %[[Z]] : tensor<?x6x3x8x2xf32>, tensor<3x3x2x8xi32>, tensor<3x3x8xf16>, tensor<3x3x8xi8>) outs(%[[B_I]] : tensor<?x6x3x8xf32>)
// CHECK-NEXT: ^bb0(%[[XV:.*]]: f32, %[[WORD:.*]]: i32, %[[SC16:.*]]: f16, %[[ZP8:.*]]: i8, %[[ACC:.*]]: f32):
// Nibble s of the word, unsigned, dequantized as nibble * scale - zero *
// scale with the f16 scale and zero point widened to f32.
// CHECK-NEXT: %[[NS:.*]] = linalg.index 5 : index
// CHECK-NEXT: %[[NS32:.*]] = arith.index_cast %[[NS]] : index to i32
// CHECK-NEXT: %[[FOUR:.*]] = arith.constant 4 : i32
// CHECK-NEXT: %[[SHIFT:.*]] = arith.muli %[[NS32]], %[[FOUR]] : i32
// CHECK-NEXT: %[[MASK:.*]] = arith.constant 15 : i32
// CHECK-NEXT: %[[SH:.*]] = arith.shrui %[[WORD]], %[[SHIFT]] : i32
// CHECK-NEXT: %[[NIB:.*]] = arith.andi %[[SH]], %[[MASK]] : i32
// CHECK-NEXT: %[[QF:.*]] = arith.uitofp %[[NIB]] : i32 to f32
// CHECK-NEXT: %[[SC:.*]] = arith.extf %[[SC16]] : f16 to f32
// CHECK-NEXT: %[[ZP:.*]] = arith.uitofp %[[ZP8]] : i8 to f32
// CHECK-NEXT: %[[QS:.*]] = arith.mulf %[[QF]], %[[SC]] : f32
// CHECK-NEXT: %[[ZS:.*]] = arith.mulf %[[ZP]], %[[SC]] : f32
// CHECK-NEXT: %[[W:.*]] = arith.subf %[[QS]], %[[ZS]] : f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[XV]], %[[W]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK-NEXT: } -> tensor<?x6x3x8xf32>
// CHECK: %[[BYT:.*]] = tensor.collapse_shape %[[BY]] {{\[}}[0], [1], [2, 3]] : tensor<?x6x3x8xf32> into tensor<?x6x24xf32>
// CHECK: %[[BYC:.*]] = tensor.collapse_shape %[[BYT]] {{\[}}[0, 1], [2]] : tensor<?x6x24xf32> into tensor<?x24xf32>
// CHECK: tensor.insert_slice %[[BYC]] into %[[Y_E]]
// Blocks of 2.
// CHECK: linalg.generic
// CHECK-SAME: tensor<?x2x3x8x2xf32>
// The last row.
// CHECK: %[[LAST:.*]] = arith.subi
// CHECK: %[[Y:.*]] = scf.if
// CHECK: %[[XR:.*]] = tensor.extract_slice %[[XG]][%{{.*}}, 0, 0, 0] [%[[LAST]], 3, 8, 2] [1, 1, 1, 1]
// CHECK: %[[YR:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0] [%[[LAST]], 24] [1, 1]
// CHECK: %[[YRT:.*]] = tensor.expand_shape %[[YR]] {{\[}}[0], [1, 2]] output_shape [%[[LAST]], 3, 8]
// CHECK: %[[R_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[YRT]] : tensor<?x3x8xf32>)
// CHECK: %[[RY:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RX]], #[[$RQ]], #[[$RGN]], #[[$RGN]], #[[$RY]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XR]], %[[Q]], %[[S]], %[[Z]] : tensor<?x3x8x2xf32>, tensor<3x3x2x8xi32>, tensor<3x3x8xf16>, tensor<3x3x8xi8>) outs(%[[R_I]] : tensor<?x3x8xf32>)
// CHECK: linalg.index 4 : index
// CHECK: } -> tensor<?x3x8xf32>
// CHECK: %[[RYC:.*]] = tensor.collapse_shape %[[RY]] {{\[}}[0], [1, 2]] : tensor<?x3x8xf32> into tensor<?x24xf32>
// CHECK: tensor.insert_slice %[[RYC]] into
// CHECK: return %[[Y]] : tensor<?x24xf32>
func.func @matmul_int4_pad(%x: tensor<?x40xf32>, %q: tensor<3x3x2x8xi32>, %s: tensor<3x3x8xf16>, %z: tensor<3x3x8xi8>) -> tensor<?x24xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 16 : tensor<?x40xf32>, tensor<3x3x2x8xi32>, tensor<3x3x8xf16>, tensor<3x3x8xi8> -> tensor<?x24xf32>
  return %0 : tensor<?x24xf32>
}

// -----

// 64 inputs in groups of 32: no padding, the input is only viewed as
// [3, 2, 8, 4]; 8 rows in one tile. Three static rows (fewer than a block:
// decode) take the per-group dot products, with no tensor.dim and no split.
// CHECK-DAG: #[[$DX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d4, d3)>
// CHECK-DAG: #[[$DQ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d3, d5)>
// CHECK-DAG: #[[$DD:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[$X3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$XS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$E4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$EXS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// CHECK-DAG: #[[$EGN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$EY:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_int4_nopad(
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x64xf32>, %[[Q:[^:]*]]: tensor<1x2x4x8xi32>, %[[S:[^:]*]]: tensor<1x2x8xf16>, %[[Z:[^:]*]]: tensor<1x2x8xi8>
// CHECK-NOT: tensor.pad
// CHECK-NOT: tensor.dim
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2, 3]] output_shape [3, 2, 8, 4] : tensor<3x64xf32> into tensor<3x2x8x4xf32>
// CHECK-NOT: tensor.expand_shape %[[S]]
// CHECK-NOT: tensor.expand_shape %[[Z]]
// CHECK: %[[D_I:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x1x2x8xf32>)
// D[r, nt, G, t] += x * nibble_s(q): no scale, no zero point in the inner
// loop, and the group is parallel.
// CHECK: %[[D:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$DX]], #[[$DQ]], #[[$DD]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XG]], %[[Q]] : tensor<3x2x8x4xf32>, tensor<1x2x4x8xi32>) outs(%[[D_I]] : tensor<3x1x2x8xf32>)
// CHECK-NEXT: ^bb0(%[[XV:.*]]: f32, %[[WORD:.*]]: i32, %[[ACC:.*]]: f32):
// CHECK-NEXT: linalg.index 4 : index
// CHECK: %[[SH:.*]] = arith.shrui %[[WORD]]
// CHECK-NEXT: %[[NIB:.*]] = arith.andi %[[SH]]
// CHECK-NEXT: %[[QF:.*]] = arith.uitofp %[[NIB]] : i32 to f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[XV]], %[[QF]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// Input sums per group over [r, G, g].
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[XG]] {{\[}}[0], [1], [2, 3]] : tensor<3x2x8x4xf32> into tensor<3x2x32xf32>
// CHECK: %[[XS:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$X3]], #[[$XS]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[XC]] : tensor<3x2x32xf32>) outs(%{{.*}} : tensor<3x2xf32>)
// y[r, nt, t] = sum_G scale * D - zero * scale * xsum.
// CHECK: %[[YT:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$E4]], #[[$EXS]], #[[$EGN]], #[[$EGN]], #[[$EY]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%[[D]], %[[XS]], %[[S]], %[[Z]] : tensor<3x1x2x8xf32>, tensor<3x2xf32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>) outs(%{{.*}} : tensor<3x1x8xf32>)
// CHECK-NEXT: ^bb0(%[[DV:.*]]: f32, %[[XSUM:.*]]: f32, %[[SC16:.*]]: f16, %[[ZP8:.*]]: i8, %[[YACC:.*]]: f32):
// CHECK-NEXT: %[[SC:.*]] = arith.extf %[[SC16]] : f16 to f32
// CHECK-NEXT: %[[ZP:.*]] = arith.uitofp %[[ZP8]] : i8 to f32
// CHECK-NEXT: %[[ZS:.*]] = arith.mulf %[[ZP]], %[[SC]] : f32
// CHECK-NEXT: %[[ZX:.*]] = arith.mulf %[[ZS]], %[[XSUM]] : f32
// CHECK-NEXT: %[[SD:.*]] = arith.mulf %[[SC]], %[[DV]] : f32
// CHECK-NEXT: %[[T:.*]] = arith.subf %[[SD]], %[[ZX]] : f32
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[YACC]], %[[T]] : f32
// CHECK-NEXT: linalg.yield %[[NEXT]] : f32
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[YT]] {{\[}}[0], [1, 2]] : tensor<3x1x8xf32> into tensor<3x8xf32>
// CHECK: return %[[Y]] : tensor<3x8xf32>
func.func @matmul_int4_nopad(%x: tensor<3x64xf32>, %q: tensor<1x2x4x8xi32>, %s: tensor<1x2x8xf16>, %z: tensor<1x2x8xi8>) -> tensor<3x8xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<3x64xf32>, tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<3x8xf32>
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
// CHECK: tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2, 3]] output_shape [1, 1, 8, 16] : tensor<1x128xf16> into tensor<1x1x8x16xf16>
// CHECK: arith.uitofp %{{.*}} : i32 to f16
// CHECK-NOT: arith.extf
// CHECK: return %{{.*}} : tensor<1x4xf16>
func.func @matmul_int4_f16(%x: tensor<1x100xf16>, %q: tensor<1x1x16x4xi32>, %s: tensor<1x1x4xf16>, %z: tensor<1x1x4xi8>) -> tensor<1x4xf16> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 128 : tensor<1x100xf16>, tensor<1x1x16x4xi32>, tensor<1x1x4xf16>, tensor<1x1x4xi8> -> tensor<1x4xf16>
  return %0 : tensor<1x4xf16>
}

// -----

// Scales of another float type than the pack's f16 (here f32, like the
// input) are read as they are: nothing to widen; the i8 zero points are
// converted to f32.
// CHECK-LABEL: func.func @matmul_int4_f32_params(
// CHECK-SAME: %[[S:[^:]*]]: tensor<1x2x8xf32>, %[[Z:[^:]*]]: tensor<1x2x8xi8>
// CHECK-NOT: arith.extf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[S]], %[[Z]] : tensor<1x1x2x8xf32>, tensor<1x2xf32>, tensor<1x2x8xf32>, tensor<1x2x8xi8>)
// CHECK-NEXT: ^bb0(%[[DV:.*]]: f32, %[[XSUM:.*]]: f32, %[[SC:.*]]: f32, %[[ZP8:.*]]: i8, %{{.*}}: f32):
// CHECK-NEXT: %[[ZP:.*]] = arith.uitofp %[[ZP8]] : i8 to f32
// CHECK-NEXT: arith.mulf %[[ZP]], %[[SC]] : f32
// CHECK-NOT: arith.extf
// CHECK: return
func.func @matmul_int4_f32_params(%x: tensor<1x64xf32>, %q: tensor<1x2x4x8xi32>, %s: tensor<1x2x8xf32>, %z: tensor<1x2x8xi8>) -> tensor<1x8xf32> {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<1x64xf32>, tensor<1x2x4x8xi32>, tensor<1x2x8xf32>, tensor<1x2x8xi8> -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// bf16 inputs with the pack's f16 parameters (the same width, another
// format): each parameter goes through f32 to the inputs' type.
// CHECK-LABEL: func.func @bf16_input_f16_params(
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %[[WIDE]] : f32 to bf16
// CHECK: return
func.func @bf16_input_f16_params(%x: tensor<?x256xbf16>, %q: tensor<2x8x4x128xi32>, %s: tensor<2x8x128xf16>, %z: tensor<2x8x128xi8>) -> tensor<?x256xbf16> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<?x256xbf16>, tensor<2x8x4x128xi32>, tensor<2x8x128xf16>, tensor<2x8x128xi8> -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
