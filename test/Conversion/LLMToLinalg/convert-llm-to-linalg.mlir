// The lowering of every llm graph op to linalg on tensors (plus tensor
// reshapes and slices, arith and math), one op per function. llm.param is
// left alone: llm-bind-parameters turns it into a function argument.

// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s --check-prefix=NOLLM

// Nothing of the llm dialect is left but the parameters.
// NOLLM-NOT: llm.{{(embedding|rms_norm|matmul|rope|attention|silu|add|mul)}}

//===----------------------------------------------------------------------===//
// llm.matmul: y[s, n] = sum_k x[s, k] * w[n, k] over a zero-filled init.
//===----------------------------------------------------------------------===//

// A known number of rows (decode): one contraction.
// CHECK-DAG: #[[$MM_X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$MM_W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$MM_Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_decode(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x16xf32>, %[[W:[^:]*]]: tensor<32x16xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x32xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<1x32xf32>) -> tensor<1x32xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$MM_X]], #[[$MM_W]], #[[$MM_Y]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<1x16xf32>, tensor<32x16xf32>)
// CHECK-SAME: outs(%[[INIT]] : tensor<1x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK-NEXT: } -> tensor<1x32xf32>
// CHECK: return %[[Y]] : tensor<1x32xf32>
func.func @matmul_decode(%x: tensor<1x16xf32>, %w: tensor<32x16xf32>) -> tensor<1x32xf32> {
  %0 = llm.matmul %x, %w : tensor<1x16xf32>, tensor<32x16xf32> -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// -----

// A prompt's rows: blocks of 64 rows transposed ([s / 64, 16, 64], the rows
// innermost, as outer products: each weight broadcast serves all 64 rows, and
// the result transposed back), then blocks of 6 rows ([s / 6, 6, k], kept
// whole in registers by the CPU tiling so that each weight vector serves all
// six), then blocks of 2 of what remains (a batched decode step of 2 to 5
// sequences), then the last row; each part computed in its rows of one
// result tensor (slices of one buffer once bufferized: nothing is copied), an
// explicit allocation that CSE does not merge with another layer's, and
// skipped when it has no rows (an empty part would still read the weights).
// CHECK-DAG: #[[$TX:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$TW:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG: #[[$BX:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$BW:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[$BY:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$RX:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$RW:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$RY:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x16xf32>, %[[W:[^:]*]]: tensor<32x16xf32>
// CHECK: %[[S:.*]] = tensor.dim %[[X]]
// CHECK: %[[RESULT:.*]] = bufferization.alloc_tensor(%[[S]]) : tensor<?x32xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[WIDE:.*]] = arith.divui %[[S]], %[[C64]] : index
// CHECK: %[[WIDEROWS:.*]] = arith.muli %[[WIDE]], %[[C64]] : index
// CHECK: %[[YW:.*]] = scf.if
// CHECK: %[[YWB:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%[[WIDE]], 64, 32]
// CHECK: %[[XW:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%[[WIDE]], 64, 16]
// CHECK: %[[XT:.*]] = linalg.transpose ins(%[[XW]] : tensor<?x64x16xf32>) outs(%{{.*}} : tensor<?x16x64xf32>) permutation = [0, 2, 1]
// CHECK: %[[YT0:.*]] = linalg.fill {{.*}} -> tensor<?x32x64xf32>
// CHECK: %[[YT:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$TX]], #[[$TW]], #[[$BX]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%[[XT]], %[[W]] : tensor<?x16x64xf32>, tensor<32x16xf32>)
// CHECK-SAME: outs(%[[YT0]] : tensor<?x32x64xf32>)
// CHECK: linalg.transpose ins(%[[YT]] : tensor<?x32x64xf32>) outs(%[[YWB]] : tensor<?x64x32xf32>) permutation = [0, 2, 1]
// CHECK: tensor.insert_slice %{{.*}} into %[[RESULT]]
// CHECK: %[[AFTER64:.*]] = arith.subi %[[S]], %[[WIDEROWS]] : index
// CHECK: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[BLOCKS:.*]] = arith.divui %[[AFTER64]], %[[C6]] : index
// CHECK: %[[BLOCKED:.*]] = arith.muli %[[BLOCKS]], %[[C6]] : index
// CHECK: %[[ANY6:.*]] = arith.cmpi ne, %[[BLOCKED]], %{{.*}} : index
// CHECK: %[[Y0:.*]] = scf.if %[[ANY6]] -> (tensor<?x32xf32>) {
// CHECK: %[[HEAD:.*]] = tensor.extract_slice %[[X]][%{{.*}}, 0] [%[[BLOCKED]], 16] [1, 1]
// CHECK: %[[YHEAD:.*]] = tensor.extract_slice %[[YW]][%{{.*}}, 0] [%[[BLOCKED]], 32] [1, 1]
// CHECK: %[[YB0:.*]] = tensor.expand_shape %[[YHEAD]] {{\[\[}}0, 1], [2]] output_shape [%[[BLOCKS]], 6, 32]
// CHECK: %[[XB:.*]] = tensor.expand_shape %[[HEAD]] {{\[\[}}0, 1], [2]] output_shape [%[[BLOCKS]], 6, 16]
// CHECK: %[[INITB:.*]] = linalg.fill {{.*}} outs(%[[YB0]] : tensor<?x6x32xf32>)
// CHECK: %[[YB:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$BX]], #[[$BW]], #[[$BY]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[XB]], %[[W]] : tensor<?x6x16xf32>, tensor<32x16xf32>)
// CHECK-SAME: outs(%[[INITB]] : tensor<?x6x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK: %[[YBC:.*]] = tensor.collapse_shape %[[YB]] {{\[\[}}0, 1], [2]]
// CHECK: %[[INS6:.*]] = tensor.insert_slice %[[YBC]] into %[[YW]]
// CHECK: scf.yield %[[INS6]]
// CHECK: } else {
// CHECK: scf.yield %[[YW]]
// CHECK: %[[REST:.*]] = arith.subi %[[AFTER64]], %[[BLOCKED]] : index
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[PAIRS:.*]] = arith.divui %[[REST]], %[[C2]] : index
// CHECK: %[[PAIRED:.*]] = arith.muli %[[PAIRS]], %[[C2]] : index
// CHECK: %[[Y1:.*]] = scf.if
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%[[PAIRS]], 2, 16]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<?x2x16xf32>, tensor<32x16xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[Y0]]
// CHECK: scf.yield %[[Y0]]
// CHECK: %[[LAST:.*]] = arith.subi %[[REST]], %[[PAIRED]] : index
// CHECK: %[[ANY1:.*]] = arith.cmpi ne, %[[LAST]], %{{.*}} : index
// CHECK: %[[Y:.*]] = scf.if %[[ANY1]] -> (tensor<?x32xf32>) {
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %[[X]][%{{.*}}, 0] [%[[LAST]], 16] [1, 1]
// CHECK: %[[YTAIL:.*]] = tensor.extract_slice %[[Y1]][%{{.*}}, 0] [%[[LAST]], 32] [1, 1]
// CHECK: %[[INITR:.*]] = linalg.fill {{.*}} outs(%[[YTAIL]] : tensor<?x32xf32>)
// CHECK: %[[YR:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RX]], #[[$RW]], #[[$RY]]]
// CHECK-SAME: ins(%[[TAIL]], %[[W]] : tensor<?x16xf32>, tensor<32x16xf32>)
// CHECK-SAME: outs(%[[INITR]] : tensor<?x32xf32>)
// CHECK: tensor.insert_slice %[[YR]] into %[[Y1]]
// CHECK: scf.yield %[[Y1]]
// CHECK: return %[[Y]] : tensor<?x32xf32>
func.func @matmul(%x: tensor<?x16xf32>, %w: tensor<32x16xf32>) -> tensor<?x32xf32> {
  %0 = llm.matmul %x, %w : tensor<?x16xf32>, tensor<32x16xf32> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// 16-bit weights are read as they are stored and widened inside the loop
// body (never converted as a whole).
// CHECK-LABEL: func.func @matmul_bf16_weight(
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<?x6x16xf32>, tensor<32x16xbf16>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[BW:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[BW]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]] : f32
func.func @matmul_bf16_weight(%x: tensor<?x16xf32>, %w: tensor<32x16xbf16>) -> tensor<?x32xf32> {
  %0 = llm.matmul %x, %w : tensor<?x16xf32>, tensor<32x16xbf16> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @embedding_f16_table(
// CHECK: %[[V:.*]] = tensor.extract %{{.*}} : tensor<64x8xf16>
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[V]] : f16 to f32
// CHECK-NEXT: linalg.yield %[[W]] : f32
func.func @embedding_f16_table(%t: tensor<64x8xf16>, %ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %0 = llm.embedding %t[%ids] : tensor<64x8xf16>, tensor<?xi32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_bf16_weight(
// CHECK: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %[[G:.*]]: bf16, %{{.*}}: f32):
// CHECK: %[[GW:.*]] = arith.extf %[[G]] : bf16 to f32
// CHECK-NEXT: %{{.*}} = arith.mulf %{{.*}}, %[[GW]] : f32
func.func @rms_norm_bf16_weight(%x: tensor<?x8xf32>, %w: tensor<8xbf16>) -> tensor<?x8xf32> {
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xbf16>
  return %0 : tensor<?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.rms_norm: a reduction of the squares, then one elementwise generic
// with x * rsqrt(sum / hidden + eps) * w.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$RN_ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$RN_ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$RN_COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x16xf32>, %[[W:[^:]*]]: tensor<16xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<?xf32>) -> tensor<?xf32>
// CHECK: %[[SQ:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RN_ID]], #[[$RN_ROW]]]
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[X]] : tensor<?x16xf32>) outs(%[[INIT]] : tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[SQUARE:.*]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[SQUARE]], %[[ACC]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK: %[[OUT:.*]] = tensor.empty(%{{.*}}) : tensor<?x16xf32>
// CHECK: %[[N:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RN_ID]], #[[$RN_ROW]], #[[$RN_COL]], #[[$RN_ID]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]], %[[SQ]], %[[W]] : tensor<?x16xf32>, tensor<?xf32>, tensor<16xf32>)
// CHECK-SAME: outs(%[[OUT]] : tensor<?x16xf32>)
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[SS:.*]]: f32, %[[WI:.*]]: f32, %{{.*}}: f32):
// 1/16 and eps = 1e-5 rounded to f32.
// CHECK: %[[INV:.*]] = arith.constant 6.250000e-02 : f32
// CHECK: %[[MEAN:.*]] = arith.mulf %[[SS]], %[[INV]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[VAR:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[R:.*]] = math.rsqrt %[[VAR]] : f32
// CHECK: %[[XR:.*]] = arith.mulf %[[XI]], %[[R]] : f32
// CHECK: %[[XRW:.*]] = arith.mulf %[[XR]], %[[WI]] : f32
// CHECK: linalg.yield %[[XRW]] : f32
// CHECK: return %[[N]] : tensor<?x16xf32>
func.func @rms_norm(%x: tensor<?x16xf32>, %w: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<?x16xf32>, tensor<16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.rope: f64 inverse frequencies theta^(-2j/head_dim) = [1, 1e-2] for
// theta 1e4 and head_dim 4, f64 angles into cos/sin tables, and the two
// halves of each head rotated in a [seq, heads, 2, head_dim/2] view.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$RP_FREQ:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$RP_TAB:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$RP_X0:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
// CHECK-DAG: #[[$RP_X1:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 1, d3)>
// CHECK-DAG: #[[$RP_CS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-DAG: #[[$RP_OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @rope(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>, %[[POS:[^:]*]]: index
// CHECK: %[[FREQ:.*]] = arith.constant dense<[1.000000e+00, 1.000000e-02]> : tensor<2xf64>
// CHECK: %[[TINIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x2xf32>
// CHECK: %[[TABLES:.*]]:2 = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RP_FREQ]], #[[$RP_TAB]], #[[$RP_TAB]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[FREQ]] : tensor<2xf64>) outs(%[[TINIT]], %[[TINIT]] : tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK-NEXT: ^bb0(%[[F:.*]]: f64, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[ABS:.*]] = arith.addi %[[POS]], %[[S]] : index
// CHECK-NEXT: %[[I:.*]] = arith.index_cast %[[ABS]] : index to i64
// CHECK-NEXT: %[[FP:.*]] = arith.sitofp %[[I]] : i64 to f64
// CHECK-NEXT: %[[ANGLE:.*]] = arith.mulf %[[FP]], %[[F]] : f64
// CHECK-NEXT: %[[COS:.*]] = math.cos %[[ANGLE]] : f64
// CHECK-NEXT: %[[COS32:.*]] = arith.truncf %[[COS]] : f64 to f32
// CHECK-NEXT: %[[SIN:.*]] = math.sin %[[ANGLE]] : f64
// CHECK-NEXT: %[[SIN32:.*]] = arith.truncf %[[SIN]] : f64 to f32
// CHECK-NEXT: linalg.yield %[[COS32]], %[[SIN32]] : f32, f32
// CHECK: %[[HALVES:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 2, 2, 2] : tensor<?x8xf32> into tensor<?x2x2x2xf32>
// CHECK: %[[RINIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x2x2x2xf32>
// CHECK: %[[ROT:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$RP_X0]], #[[$RP_X1]], #[[$RP_CS]], #[[$RP_CS]], #[[$RP_OUT]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[HALVES]], %[[HALVES]], %[[TABLES]]#0, %[[TABLES]]#1 :
// CHECK-SAME: outs(%[[RINIT]] : tensor<?x2x2x2xf32>)
// CHECK-NEXT: ^bb0(%[[X0:.*]]: f32, %[[X1:.*]]: f32, %[[C:.*]]: f32, %[[SN:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[X1S:.*]] = arith.mulf %[[X1]], %[[SN]] : f32
// CHECK-DAG: %[[X0C:.*]] = arith.mulf %[[X0]], %[[C]] : f32
// CHECK-DAG: %[[FIRST:.*]] = arith.subf %[[X0C]], %[[X1S]] : f32
// CHECK-DAG: %[[X0S:.*]] = arith.mulf %[[X0]], %[[SN]] : f32
// CHECK-DAG: %[[X1C:.*]] = arith.mulf %[[X1]], %[[C]] : f32
// CHECK-DAG: %[[SECOND:.*]] = arith.addf %[[X1C]], %[[X0S]] : f32
// CHECK-DAG: %[[R:.*]] = linalg.index 2 : index
// CHECK-DAG: %[[IS0:.*]] = arith.cmpi eq, %[[R]], %{{.*}} : index
// CHECK: %[[SEL:.*]] = arith.select %[[IS0]], %[[FIRST]], %[[SECOND]] : f32
// CHECK-NEXT: linalg.yield %[[SEL]] : f32
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[ROT]] {{\[}}[0], [1, 2, 3]] : tensor<?x2x2x2xf32> into tensor<?x8xf32>
// CHECK: return %[[OUT]] : tensor<?x8xf32>
func.func @rope(%x: tensor<?x8xf32>, %pos: index) -> tensor<?x8xf32> {
  %0 = llm.rope %x at %pos head_dim = 4 theta = 10000.0 : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Llama-3.1 scaling changes the constant table only. With
// original_max_position 1024 and low/high factors 1/4, wavelengths below 256
// are kept (2*pi: 1.0) and the band 256..1024 is interpolated (628.3:
// 0.01 -> 0.003086760967011274).

// CHECK-LABEL: func.func @rope_llama3(
// CHECK: arith.constant dense<[1.000000e+00, 0.003086760967011274]> : tensor<2xf64>
// CHECK-NOT: arith.constant dense
// CHECK: math.cos
// CHECK: math.sin
// CHECK: tensor.expand_shape
// CHECK: tensor.collapse_shape
func.func @rope_llama3(%x: tensor<?x8xf32>, %pos: index) -> tensor<?x8xf32> {
  %0 = llm.rope %x at %pos head_dim = 4 theta = 10000.0 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 1024> : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// All three bands of the scaling at once: head_dim 6 gives the unscaled
// frequencies [1, 0.0464..., 0.00215...] (wavelengths 6.3, 135.4, 2916.4);
// with original_max_position 512 the first is kept, the second interpolated
// and the third divided by the factor 8.

// CHECK-LABEL: func.func @rope_llama3_bands(
// CHECK: arith.constant dense<[1.000000e+00, 0.046415888336127795, 0.0021544346900318843]> : tensor<3xf64>
// CHECK: arith.constant dense<[1.000000e+00, 0.043468765563405003, 2.6930433625398553E-4]> : tensor<3xf64>
func.func @rope_llama3_bands(%x: tensor<?x12xf32>, %pos: index) -> (tensor<?x12xf32>, tensor<?x12xf32>) {
  %0 = llm.rope %x at %pos head_dim = 6 theta = 10000.0 : tensor<?x12xf32>
  %1 = llm.rope %x at %pos head_dim = 6 theta = 10000.0 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 512> : tensor<?x12xf32>
  return %0, %1 : tensor<?x12xf32>, tensor<?x12xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.attention: K/V written into layer 1 of both caches at the position,
// the layer's first position + seq rows read back, then one pass over them
// per KV head and query row, for the query heads of its group together,
// with an online softmax (no scores in memory). 4 query heads share 2 KV
// heads (group 2) of head_dim 4; the default scale is 1/sqrt(4).
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attention(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x16xf32>, %[[K:[^:]*]]: tensor<?x8xf32>, %[[V:[^:]*]]: tensor<?x8xf32>,
// CHECK-SAME: %[[KC:[^:]*]]: tensor<2x2x32x4xf32>, %[[VC:[^:]*]]: tensor<2x2x32x4xf32>, %[[POS:[^:]*]]: index
// CHECK: %[[SEQ:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x16xf32>
// CHECK: %[[TOTAL:.*]] = arith.addi %[[POS]], %[[SEQ]] : index
// 1. Append K and V at [layer, :, position]: the [seq, kv_heads, head_dim]
//    rows transposed into the [kv_heads, seq, head_dim] slice of the cache
//    they fill, and that slice put back in place.
// CHECK: %[[KROWS:.*]] = tensor.expand_shape %[[K]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
// CHECK: %[[KSLICE:.*]] = tensor.extract_slice %[[KC]][1, 0, %[[POS]], 0] [1, 2, %[[SEQ2:.*]], 4] [1, 1, 1, 1] : tensor<2x2x32x4xf32> to tensor<2x?x4xf32>
// CHECK: %[[KT:.*]] = linalg.transpose ins(%[[KROWS]] : tensor<?x2x4xf32>) outs(%[[KSLICE]] : tensor<2x?x4xf32>) permutation = [1, 0, 2]
// CHECK: %[[NEWK:.*]] = tensor.insert_slice %[[KT]] into %[[KC]][1, 0, %[[POS]], 0] [1, 2, %[[SEQ2]], 4] [1, 1, 1, 1] : tensor<2x?x4xf32> into tensor<2x2x32x4xf32>
// CHECK: %[[VROWS:.*]] = tensor.expand_shape %[[V]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
// CHECK: %[[VSLICE:.*]] = tensor.extract_slice %[[VC]][1, 0, %[[POS]], 0] [1, 2, %[[SEQ2]], 4] [1, 1, 1, 1] : tensor<2x2x32x4xf32> to tensor<2x?x4xf32>
// CHECK: %[[VT:.*]] = linalg.transpose ins(%[[VROWS]] : tensor<?x2x4xf32>) outs(%[[VSLICE]] : tensor<2x?x4xf32>) permutation = [1, 0, 2]
// CHECK: %[[NEWV:.*]] = tensor.insert_slice %[[VT]] into %[[VC]][1, 0, %[[POS]], 0] [1, 2, %[[SEQ2]], 4] [1, 1, 1, 1] : tensor<2x?x4xf32> into tensor<2x2x32x4xf32>
// 2. The history of layer 1, positions 0 .. position + seq of every KV
//    head, of the updated caches.
// CHECK: %[[KEYS:.*]] = tensor.extract_slice %[[NEWK]][1, 0, 0, 0] [1, 2, %[[TOTAL]], 4] [1, 1, 1, 1] : tensor<2x2x32x4xf32> to tensor<2x?x4xf32>
// CHECK: %[[VALUES:.*]] = tensor.extract_slice %[[NEWV]][1, 0, 0, 0] [1, 2, %[[TOTAL]], 4] [1, 1, 1, 1] : tensor<2x2x32x4xf32> to tensor<2x?x4xf32>
// 3. Queries grouped by KV head.
// CHECK: %[[QG:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 2, 2, 4] : tensor<?x16xf32> into tensor<?x2x2x4xf32>
// 4. One thread tile per (KV head, query row); row s sees positions up to
//    position + s (the loop bound is the causal mask). The group's two
//    query heads take one pass over their KV head's rows together.
// CHECK: %[[OUT:.*]] = scf.forall (%[[KV:.*]], %[[S:.*]]) in (2, %{{.*}}) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?x2x2x4xf32>)
// CHECK: %[[AT:.*]] = arith.addi %[[POS]], %[[S]] : index
// CHECK: %[[COUNT:.*]] = arith.addi %[[AT]], %{{.*}} : index
// CHECK: %[[TWO:.*]] = arith.constant 2 : index
// CHECK: scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step %[[TWO]] iter_args
// Both query heads, each scaled once by 1/sqrt(4).
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[HALVES:.*]] = vector.broadcast %[[HALF]] : f32 to vector<4xf32>
// CHECK: %[[QROW:.*]] = vector.transfer_read %[[QG]][%[[S]], %[[KV]], %[[G]], %{{.*}}], {{.*}} : tensor<?x2x2x4xf32>, vector<4xf32>
// CHECK: arith.mulf %[[QROW]], %[[HALVES]] : vector<4xf32>
// CHECK: %[[G1:.*]] = arith.addi %[[G]], %{{.*}} : index
// CHECK: %[[QROW1:.*]] = vector.transfer_read %[[QG]][%[[S]], %[[KV]], %[[G1]], %{{.*}}], {{.*}} : tensor<?x2x2x4xf32>, vector<4xf32>
// CHECK: arith.mulf %[[QROW1]], %[[HALVES]] : vector<4xf32>
// Whole blocks of 16 positions: the running max from -inf, sum from 0, of
// each head.
// CHECK: %[[WHOLE:.*]] = arith.muli
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[WHOLE]] step %{{.*}} iter_args(%[[M:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}, %[[M1:.*]] = %{{.*}}, %[[L1:.*]] = %{{.*}}, %[[ACC1:.*]] = %{{.*}}) -> (f32, f32, vector<4xf32>, f32, f32, vector<4xf32>)
// The block's rows of K, then of V, each read once for both heads.
// CHECK: %[[K0:.*]] = vector.transfer_read %[[KEYS]][%[[KV]], %[[T]], %{{.*}}]
// CHECK-COUNT-15: vector.transfer_read %[[KEYS]]
// CHECK: vector.transfer_read %[[VALUES]][%[[KV]], %[[T]], %{{.*}}]
// CHECK-COUNT-15: vector.transfer_read %[[VALUES]]
// CHECK-NOT: vector.transfer_read
// Scores four positions at a time (registers of head_dim = 4 lanes): the
// four products q * k are summed across lanes together, by two levels of
// shuffles that pair the registers (positions 0 with 2, 1 with 3, so that
// sum j lands in lane j), not by a reduction each.
// CHECK: %[[P0:.*]] = arith.mulf %{{.*}}, %[[K0]] : vector<4xf32>
// CHECK: %[[P1:.*]] = arith.mulf
// CHECK: %[[P2:.*]] = arith.mulf
// CHECK: %[[P3:.*]] = arith.mulf
// CHECK-NOT: vector.reduction
// CHECK: %[[H02:.*]] = vector.shuffle %[[P0]], %[[P2]] [2, 3, 6, 7] : vector<4xf32>, vector<4xf32>
// CHECK: %[[L02:.*]] = vector.shuffle %[[P0]], %[[P2]] [0, 1, 4, 5] : vector<4xf32>, vector<4xf32>
// CHECK: %[[S02:.*]] = arith.addf %[[L02]], %[[H02]] : vector<4xf32>
// CHECK: %[[H13:.*]] = vector.shuffle %[[P1]], %[[P3]] [2, 3, 6, 7]
// CHECK: %[[L13:.*]] = vector.shuffle %[[P1]], %[[P3]] [0, 1, 4, 5]
// CHECK: %[[S13:.*]] = arith.addf %[[L13]], %[[H13]] : vector<4xf32>
// CHECK: %[[HI:.*]] = vector.shuffle %[[S02]], %[[S13]] [1, 5, 3, 7]
// CHECK: %[[LO:.*]] = vector.shuffle %[[S02]], %[[S13]] [0, 4, 2, 6]
// CHECK: %[[SUMS:.*]] = arith.addf %[[LO]], %[[HI]] : vector<4xf32>
// CHECK: vector.insert_strided_slice %[[SUMS]], %{{.*}} {offsets = [0], strides = [1]} : vector<4xf32> into vector<16xf32>
// CHECK-NOT: vector.reduction
// CHECK: vector.insert_strided_slice %{{.*}}, %{{.*}} {offsets = [4], strides = [1]}
// CHECK-NOT: vector.reduction
// CHECK: vector.insert_strided_slice %{{.*}}, %{{.*}} {offsets = [8], strides = [1]}
// CHECK-NOT: vector.reduction
// CHECK: %[[SCORES:.*]] = vector.insert_strided_slice %{{.*}}, %{{.*}} {offsets = [12], strides = [1]} : vector<4xf32> into vector<16xf32>
// CHECK: %[[BMAX:.*]] = vector.reduction <maxnumf>, %[[SCORES]] fastmath<reassoc,nnan>
// CHECK: %[[NEWMAX:.*]] = arith.maxnumf %[[M]], %[[BMAX]] fastmath<reassoc,nnan> : f32
// CHECK: %[[EXPS:.*]] = math.exp %{{.*}} : vector<16xf32>
// CHECK: %[[BSUM:.*]] = vector.reduction <add>, %[[EXPS]] fastmath<reassoc>
// Earlier blocks rescaled to the new maximum.
// CHECK: %[[DROP:.*]] = arith.subf %[[M]], %[[NEWMAX]] : f32
// CHECK: %[[ALPHA:.*]] = math.exp %[[DROP]] : f32
// CHECK: %[[LSCALED:.*]] = arith.mulf %[[L]], %[[ALPHA]] : f32
// CHECK: arith.addf %[[LSCALED]], %[[BSUM]] : f32
// CHECK: arith.mulf %[[ACC]], %{{.*}} : vector<4xf32>
// The second head's block from the same rows.
// CHECK: arith.maxnumf %[[M1]], %{{.*}} fastmath<reassoc,nnan> : f32
// CHECK: arith.mulf %[[ACC1]], %{{.*}} : vector<4xf32>
// CHECK: scf.yield
// The positions past the last whole block one at a time, up to the row's.
// CHECK: scf.for %{{.*}} = %[[WHOLE]] to %[[COUNT]] step %{{.*}} iter_args
// CHECK: math.exp %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f32
// The normalized outputs of both heads.
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: vector.transfer_write %{{.*}}[%{{.*}}, %{{.*}}, %[[G]], %{{.*}}]
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: vector.transfer_write %{{.*}}[%{{.*}}, %{{.*}}, %[[G1]], %{{.*}}]
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: linalg.generic
// CHECK: %[[O:.*]] = tensor.collapse_shape %[[OUT]] {{\[}}[0], [1, 2, 3]] : tensor<?x2x2x4xf32> into tensor<?x16xf32>
// CHECK: return %[[O]], %[[NEWK]], %[[NEWV]] : tensor<?x16xf32>, tensor<2x2x32x4xf32>, tensor<2x2x32x4xf32>
func.func @attention(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                     %kc: tensor<2x2x32x4xf32>, %vc: tensor<2x2x32x4xf32>, %pos: index)
    -> (tensor<?x16xf32>, tensor<2x2x32x4xf32>, tensor<2x2x32x4xf32>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 1 heads = 4 kv_heads = 2 head_dim = 4 : tensor<?x16xf32>, tensor<?x8xf32>, tensor<2x2x32x4xf32>
  return %o, %nk, %nv : tensor<?x16xf32>, tensor<2x2x32x4xf32>, tensor<2x2x32x4xf32>
}

// -----

// An explicit scale replaces 1/sqrt(head_dim) as the queries' scale.

// CHECK-LABEL: func.func @attention_scale(
// CHECK-NOT: arith.constant 5.000000e-01
// CHECK: arith.constant 1.250000e-01 : f32
// CHECK-NOT: arith.constant 5.000000e-01
func.func @attention_scale(%q: tensor<3x16xf32>, %k: tensor<3x8xf32>, %v: tensor<3x8xf32>,
                           %kc: tensor<1x2x8x4xf32>, %vc: tensor<1x2x8x4xf32>, %pos: index)
    -> (tensor<3x16xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 0 heads = 4 kv_heads = 2 head_dim = 4 {scale = 0.125 : f64} : tensor<3x16xf32>, tensor<3x8xf32>, tensor<1x2x8x4xf32>
  return %o, %nk, %nv : tensor<3x16xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.embedding: a gather with tensor.extract inside a linalg.generic.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$EM_IDS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$EM_OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @embedding(
// CHECK-SAME: %[[TABLE:[^:]*]]: tensor<10x8xf32>, %[[IDS:[^:]*]]: tensor<?xi32>
// CHECK: %[[N:.*]] = tensor.dim %[[IDS]], %{{.*}} : tensor<?xi32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK: %[[E:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$EM_IDS]], #[[$EM_OUT]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[IDS]] : tensor<?xi32>) outs(%[[INIT]] : tensor<?x8xf32>)
// CHECK-NEXT: ^bb0(%[[ID:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT: %[[ROW:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK-NEXT: %[[COL:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V:.*]] = tensor.extract %[[TABLE]][%[[ROW]], %[[COL]]] : tensor<10x8xf32>
// CHECK-NEXT: linalg.yield %[[V]] : f32
// CHECK: return %[[E]] : tensor<?x8xf32>
func.func @embedding(%t: tensor<10x8xf32>, %ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %0 = llm.embedding %t[%ids] : tensor<10x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise ops: silu = x / (1 + exp(-x)), add, mul.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$EW_ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @silu(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x8xf32>
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$EW_ID]], #[[$EW_ID]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]] : tensor<4x8xf32>) outs(%[[INIT]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK: %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK: %[[R:.*]] = arith.divf %[[IN]], %[[DEN]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]] : tensor<4x8xf32>
func.func @silu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = llm.silu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-DAG: #[[$EW_ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @add_mul(
// CHECK-SAME: %[[A:[^:]*]]: tensor<2x?x8xbf16>, %[[B:[^:]*]]: tensor<2x?x8xbf16>
// CHECK: %[[INIT0:.*]] = tensor.empty(%{{.*}}) : tensor<2x?x8xbf16>
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$EW_ID]], #[[$EW_ID]], #[[$EW_ID]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x?x8xbf16>, tensor<2x?x8xbf16>) outs(%[[INIT0]] : tensor<2x?x8xbf16>)
// CHECK-NEXT: ^bb0(%[[A0:.*]]: bf16, %[[B0:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A0]], %[[B0]] : bf16
// CHECK-NEXT: linalg.yield %[[S]] : bf16
// CHECK: %[[INIT1:.*]] = tensor.empty(%{{.*}}) : tensor<2x?x8xbf16>
// CHECK: %[[PROD:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$EW_ID]], #[[$EW_ID]], #[[$EW_ID]]]
// CHECK-SAME: ins(%[[SUM]], %[[B]] : tensor<2x?x8xbf16>, tensor<2x?x8xbf16>) outs(%[[INIT1]] : tensor<2x?x8xbf16>)
// CHECK-NEXT: ^bb0(%[[A1:.*]]: bf16, %[[B1:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A1]], %[[B1]] : bf16
// CHECK-NEXT: linalg.yield %[[P]] : bf16
// CHECK: return %[[PROD]] : tensor<2x?x8xbf16>
func.func @add_mul(%a: tensor<2x?x8xbf16>, %b: tensor<2x?x8xbf16>) -> tensor<2x?x8xbf16> {
  %0 = llm.add %a, %b : tensor<2x?x8xbf16>
  %1 = llm.mul %0, %b : tensor<2x?x8xbf16>
  return %1 : tensor<2x?x8xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// llm.param stays: the conversion leaves parameters named.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @param(
// CHECK: %[[W:.*]] = llm.param "model.norm.weight" : tensor<8xf32>
// CHECK: %[[X:.*]] = llm.param "model.embed_tokens.weight" : tensor<4x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<4x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[X]], %{{.*}}, %[[W]] : tensor<4x8xf32>, tensor<4xf32>, tensor<8xf32>)
// CHECK-NOT: llm.rms_norm
func.func @param() -> tensor<4x8xf32> {
  %w = llm.param "model.norm.weight" : tensor<8xf32>
  %x = llm.param "model.embed_tokens.weight" : tensor<4x8xf32>
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<4x8xf32>, tensor<8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A projection's bias, stored as bf16, broadcast over the rows and widened.
// CHECK-LABEL: func.func @bias_add(
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<16xbf16>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[B:.*]]: bf16, %{{.*}}: f32):
// CHECK: %[[W:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK: arith.addf %[[X]], %[[W]] : f32
func.func @bias_add(%x: tensor<?x16xf32>, %b: tensor<16xbf16>) -> tensor<?x16xf32> {
  %0 = llm.bias_add %x, %b : tensor<?x16xf32>, tensor<16xbf16>
  return %0 : tensor<?x16xf32>
}

// -----

// llm.quantize_int4 of a [24, 32] weight in groups of 16 (asymmetric): each
// scale is rounded to f16 before the zero point and the codes are computed
// with it, and the scales and zero points ([groups, out] f32) are stored in
// the pack's layout, [out / tile, groups, tile] f16 scales and i8 zero
// points (3 tiles of 8 rows).
// CHECK-DAG: #[[$QI_T:.*]] = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// CHECK-DAG: #[[$QI_ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @quantize_int4(
// CHECK: %[[SZ:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<2x24xf32>, tensor<2x24xf32>)
// CHECK: %[[RAW:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[HALF:.*]] = arith.truncf %[[RAW]] : f32 to f16
// CHECK-NEXT: %[[SCALE:.*]] = arith.extf %[[HALF]] : f16 to f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %{{.*}} : f32
// CHECK-NEXT: arith.divf %[[NEG]], %[[SCALE]] : f32
// CHECK: linalg.yield %[[SCALE]], %{{.*}} : f32, f32
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2x2x8xi32>)
// CHECK: } -> tensor<3x2x2x8xi32>
// CHECK: %[[ST:.*]] = tensor.expand_shape %[[SZ]]#0 {{\[}}[0], [1, 2]] output_shape [2, 3, 8] : tensor<2x24xf32> into tensor<2x3x8xf32>
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[$QI_T]], #[[$QI_ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[ST]] : tensor<2x3x8xf32>) outs(%{{.*}} : tensor<3x2x8xf16>)
// CHECK-NEXT: ^bb0(%[[SV:.*]]: f32, %{{.*}}: f16):
// CHECK-NEXT: %[[SH:.*]] = arith.truncf %[[SV]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[SH]] : f16
// CHECK: %[[ZT:.*]] = tensor.expand_shape %[[SZ]]#1 {{\[}}[0], [1, 2]] output_shape [2, 3, 8] : tensor<2x24xf32> into tensor<2x3x8xf32>
// CHECK: %[[Z:.*]] = linalg.generic {indexing_maps = [#[[$QI_T]], #[[$QI_ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[ZT]] : tensor<2x3x8xf32>) outs(%{{.*}} : tensor<3x2x8xi8>)
// CHECK-NEXT: ^bb0(%[[ZV:.*]]: f32, %{{.*}}: i8):
// CHECK-NEXT: %[[ZB:.*]] = arith.fptoui %[[ZV]] : f32 to i8
// CHECK-NEXT: linalg.yield %[[ZB]] : i8
// CHECK: return %[[Q]], %[[S]], %[[Z]] : tensor<3x2x2x8xi32>, tensor<3x2x8xf16>, tensor<3x2x8xi8>
func.func @quantize_int4(%w: tensor<24x32xf32>) -> (tensor<3x2x2x8xi32>, tensor<3x2x8xf16>, tensor<3x2x8xi8>) {
  %q, %s, %z = llm.quantize_int4 %w group_size = 16 : tensor<24x32xf32> -> tensor<3x2x2x8xi32>, tensor<3x2x8xf16>, tensor<3x2x8xi8>
  return %q, %s, %z : tensor<3x2x2x8xi32>, tensor<3x2x8xf16>, tensor<3x2x8xi8>
}

// -----

// GGUF Q4_0 blocks: the scale is each block's first two bytes as f16 (no
// zero points: every one is 8), and each word gathers 8 nibbles (low
// nibbles for inputs 0..15 of a block, high ones for 16..31) of one row.
// The scales, computed [groups, out] in f32, are stored in the pack's
// layout: f16 [out / tile, groups, tile] (64 rows: one tile of 64).
// CHECK-DAG: #[[$Q4_T:.*]] = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// CHECK-DAG: #[[$Q4_ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @repack_q4_0(
// CHECK: %[[SC:.*]] = linalg.generic
// CHECK: arith.trunci %{{.*}} : i32 to i16
// CHECK: arith.bitcast %{{.*}} : i16 to f16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: } -> tensor<2x64xf32>
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.cmpi uge
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: } -> tensor<1x2x4x64xi32>
// CHECK: %[[SCT:.*]] = tensor.expand_shape %[[SC]] {{\[}}[0], [1, 2]] output_shape [2, 1, 64] : tensor<2x64xf32> into tensor<2x1x64xf32>
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[$Q4_T]], #[[$Q4_ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[SCT]] : tensor<2x1x64xf32>) outs(%{{.*}} : tensor<1x2x64xf16>)
// CHECK-NEXT: ^bb0(%[[SV:.*]]: f32, %{{.*}}: f16):
// CHECK-NEXT: %[[SH:.*]] = arith.truncf %[[SV]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[SH]] : f16
// CHECK: return %[[P]], %[[S]] : tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
func.func @repack_q4_0(%blocks: tensor<64x36xi8>) -> (tensor<1x2x4x64xi32>, tensor<1x2x64xf16>) {
  %p, %s = llm.repack_q4_0 %blocks : tensor<64x36xi8> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
  return %p, %s : tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
}

// -----

// f16 caches (llm-kv-cache-type) of f32 attention: the new keys and values
// are rounded to f16 before they are transposed into the caches, and every
// cache row is widened to f32 as it is read; the scores and the output stay
// f32.

// CHECK-LABEL: func.func @attention_f16_cache(
// CHECK-SAME: %[[K:[^:]*]]: tensor<?x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[K]] : tensor<?x8xf32>) outs(%{{.*}} : tensor<?x8xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x2x4xf16>) outs(%{{.*}} : tensor<2x?x4xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x2x4xf16>) outs(%{{.*}} : tensor<2x?x4xf16>)
// CHECK: %[[ROW:.*]] = vector.transfer_read %{{.*}} : tensor<2x?x4xf16>, vector<4xf16>
// CHECK-NEXT: arith.extf %[[ROW]] : vector<4xf16> to vector<4xf32>
// CHECK: return %{{.*}} : tensor<?x16xf32>, tensor<2x2x32x4xf16>, tensor<2x2x32x4xf16>
func.func @attention_f16_cache(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                               %kc: tensor<2x2x32x4xf16>, %vc: tensor<2x2x32x4xf16>, %pos: index)
    -> (tensor<?x16xf32>, tensor<2x2x32x4xf16>, tensor<2x2x32x4xf16>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 1 heads = 4 kv_heads = 2 head_dim = 4 : tensor<?x16xf32>, tensor<?x8xf32>, tensor<2x2x32x4xf16>
  return %o, %nk, %nv : tensor<?x16xf32>, tensor<2x2x32x4xf16>, tensor<2x2x32x4xf16>
}
