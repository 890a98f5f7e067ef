// llm-cpu-tile-and-vectorize: the largest parallel loop of an op with enough
// work is distributed with scf.forall, the rest is tiled to full register
// tiles with scf.for (rows = 8 for contractions, lanes = 16 for elementwise
// ops, reduction tiles of up to 64, other loops by 1; always a divisor of the
// extent) and vectorized without masks.

// The F32 matrix-vector products below are tiled several rows at a time
// (row-at-a-time-max-bytes=0); the default, reading rows of up to 16 KiB
// one at a time, is checked with the prefix BYROW.
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{row-at-a-time-max-bytes=0}))' -split-input-file | FileCheck %s
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{parallel-chunks=0 row-at-a-time-max-bytes=0}))' -split-input-file | FileCheck %s --check-prefix=SERIAL
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{min-parallel-work=1000000 row-at-a-time-max-bytes=0}))' -split-input-file | FileCheck %s --check-prefix=SERIAL
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize))' -split-input-file | FileCheck %s --check-prefix=NOMASK
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{parallel-chunks=0}))' -split-input-file | FileCheck %s --check-prefix=NOFORALL
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{parallel-chunks=0}))' -split-input-file | FileCheck %s --check-prefix=BLOCK
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize))' -split-input-file | FileCheck %s --check-prefix=BYROW

// parallel-chunks=0: no thread distribution anywhere.
// NOFORALL-NOT: scf.forall

// Every tile is full: no masks anywhere.
// NOMASK-NOT: vector.mask
// NOMASK-NOT: vector.create_mask
// NOMASK-NOT: vector.constant_mask

#x_map = affine_map<(d0, d1, d2) -> (d0, d2)>
#w_map = affine_map<(d0, d1, d2) -> (d1, d2)>
#y_map = affine_map<(d0, d1, d2) -> (d0, d1)>

// A decode-shaped matmul (as convert-llm-to-linalg writes llm.matmul):
// y[1, 512] = x[1, 256] . w[512, 256]^T, 131072 iterations. The n loop (512)
// is split into 32 chunks of 16 over threads; each thread computes 8 outputs
// at a time, 64 elements of k at a time, as vector multiplies and one
// multi_reduction over k per tile.

// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x256xf32>, %[[W:[^:]*]]: tensor<512x256xf32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<1x16xf32>
// The fill of y moves into the thread tiles: each thread zeroes its chunk.
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x512xf32>
// CHECK: %[[Y:.*]] = scf.forall (%[[N:.*]]) = (0) to (512) step (16) shared_outs(%[[OUT:.*]] = %[[EMPTY]]) -> (tensor<1x512xf32>) {
// CHECK: %[[WCHUNK:.*]] = tensor.extract_slice %[[W]][%[[N]], 0] [16, 256] [1, 1] : tensor<512x256xf32> to tensor<16x256xf32>
// CHECK: %[[YCHUNK:.*]] = tensor.extract_slice %[[OUT]][0, %[[N]]] [1, 16] [1, 1] : tensor<1x512xf32> to tensor<1x16xf32>
// CHECK: %[[ZEROED:.*]] = scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]] iter_args(%{{.*}} = %[[YCHUNK]]) -> (tensor<1x16xf32>) {
// CHECK: vector.transfer_write %[[ZEROS]], %{{.*}} {in_bounds = [true, true]} : vector<1x16xf32>, tensor<1x16xf32>
// Register tiles: s by 1, n by 8, k by 64.
// CHECK: %[[R:.*]] = scf.for %[[S:.*]] = %[[C0]] to %[[C1]] step %[[C1]] iter_args(%{{.*}} = %[[ZEROED]]) -> (tensor<1x16xf32>) {
// CHECK: scf.for %[[NN:.*]] = %[[C0]] to %[[C16]] step %[[C8]] iter_args
// CHECK: scf.for %[[K:.*]] = %[[C0]] to %[[C256]] step %[[C64]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x16xf32>) {
// CHECK-DAG: %[[XT:.*]] = tensor.extract_slice %[[X]][%[[S]], %[[K]]] [1, 64] [1, 1] : tensor<1x256xf32> to tensor<1x64xf32>
// CHECK-DAG: %[[WT:.*]] = tensor.extract_slice %[[WCHUNK]][%[[NN]], %[[K]]] [8, 64] [1, 1] : tensor<16x256xf32> to tensor<8x64xf32>
// CHECK-DAG: %[[YT:.*]] = tensor.extract_slice %[[ACC]][%[[S]], %[[NN]]] [1, 8] [1, 1] : tensor<1x16xf32> to tensor<1x8xf32>
// The hot loop is vector code only: the x row broadcast over the 8 outputs,
// 8 rows of 64 weights, products, and one horizontal reduction over k.
// CHECK-NOT: arith.mulf {{.*}} : f32
// CHECK-DAG: %[[XV:.*]] = vector.transfer_read %[[XT]][%[[C0]], %[[C0]]], %{{.*}} {in_bounds = [true, true, true], permutation_map = #{{.*}}} : tensor<1x64xf32>, vector<1x8x64xf32>
// CHECK-DAG: %[[WV:.*]] = vector.transfer_read %[[WT]][%[[C0]], %[[C0]]], %{{.*}} {in_bounds = [true, true, true], permutation_map = #{{.*}}} : tensor<8x64xf32>, vector<1x8x64xf32>
// CHECK-DAG: %[[YV:.*]] = vector.transfer_read %[[YT]][%[[C0]], %[[C0]]], %{{.*}} {in_bounds = [true, true]} : tensor<1x8xf32>, vector<1x8xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[XV]], %[[WV]] : vector<1x8x64xf32>
// CHECK: %[[SUM:.*]] = vector.multi_reduction <add>, %[[P]], %[[YV]] [2] : vector<1x8x64xf32> to vector<1x8xf32>
// CHECK: %[[YW:.*]] = vector.transfer_write %[[SUM]], %[[YT]][%[[C0]], %[[C0]]] {in_bounds = [true, true]} : vector<1x8xf32>, tensor<1x8xf32>
// CHECK-NOT: arith.mulf {{.*}} : f32
// CHECK: tensor.insert_slice %[[YW]] into %[[ACC]][%[[S]], %[[NN]]] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<1x16xf32>
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %[[R]] into %[[OUT]][0, %[[N]]] [1, 16] [1, 1] : tensor<1x16xf32> into tensor<1x512xf32>
// CHECK: return %[[Y]] : tensor<1x512xf32>
// CHECK-NOT: linalg.

// Without distribution (parallel-chunks=0, or not enough work for
// min-parallel-work) the same register tiles are built with scf.for only.
// By default (row-at-a-time-max-bytes=16384) its F32 rows of 1 KiB are
// read one at a time, front to back, as the 16-bit case below: the
// reduction split into 64 per-lane partial sums (k = ko * 64 + ki), 4
// vectors of 16 accumulators per row, summed once at its end.
// BYROW-LABEL: func.func @matmul(
// BYROW: tensor.expand_shape %{{.*}} output_shape [512, 4, 64] : tensor<512x256xf32> into tensor<512x4x64xf32>
// BYROW: scf.forall (%{{.*}}) = (0) to (512) step (16)
// BYROW: arith.mulf %{{.*}}, %{{.*}} : vector<1x1x1x64xf32>
// BYROW: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<1x1x1x64xf32> to vector<1x1x64xf32>
// BYROW: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<1x1x64xf32> to vector<1x1xf32>
// BYROW-NOT: vector<1x8x64xf32>
// BYROW: return

// SERIAL-LABEL: func.func @matmul(
// SERIAL-NOT: scf.forall
// SERIAL-DAG: %[[C8:.*]] = arith.constant 8 : index
// SERIAL-DAG: %[[C64:.*]] = arith.constant 64 : index
// SERIAL-DAG: %[[C256:.*]] = arith.constant 256 : index
// SERIAL-DAG: %[[C512:.*]] = arith.constant 512 : index
// SERIAL: scf.for %{{.*}} to %[[C512]] step %[[C8]]
// SERIAL-NOT: scf.forall
// SERIAL: scf.for %{{.*}} to %[[C256]] step %[[C64]]
// SERIAL-NOT: scf.forall
// SERIAL: vector.transfer_read {{.*}} : tensor<8x64xf32>, vector<1x8x64xf32>
// SERIAL: arith.mulf {{.*}} : vector<1x8x64xf32>
// SERIAL: vector.multi_reduction <add>, {{.*}} [2] : vector<1x8x64xf32> to vector<1x8xf32>
// SERIAL-NOT: scf.forall
// SERIAL: return
func.func @matmul(%x: tensor<1x256xf32>, %w: tensor<512x256xf32>) -> tensor<1x512xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<1x512xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x512xf32>) -> tensor<1x512xf32>
  %2 = linalg.generic {indexing_maps = [#x_map, #w_map, #y_map], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x256xf32>, tensor<512x256xf32>) outs(%1 : tensor<1x512xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %3 = arith.mulf %in, %in_0 : f32
    %4 = arith.addf %out, %3 : f32
    linalg.yield %4 : f32
  } -> tensor<1x512xf32>
  return %2 : tensor<1x512xf32>
}

// -----

// A decode-shaped matmul of 16-bit weights, y[1, 1024] = x[1, 512] .
// widen(w[1024, 512])^T: its reduction is split into 64 per-lane partial
// sums (k = ko * 64 + ki) and their sum, tiled one output row at a time:
// each row of weights is read front to back (ko innermost) into 4 vectors of
// 16 accumulators (matrix-vector-accumulators) that stay loop-carried,
// summed once per row. No partial
// sums are stored outside the row's tile.

// CHECK-LABEL: func.func @matvec_f16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x512xf32>, %[[W:[^:]*]]: tensor<1024x512xf16>
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<1x1x64xf32>
// CHECK-DAG: %[[XS:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [1, 8, 64] : tensor<1x512xf32> into tensor<1x8x64xf32>
// CHECK-DAG: %[[WS:.*]] = tensor.expand_shape %[[W]] {{\[}}[0], [1, 2]] output_shape [1024, 8, 64] : tensor<1024x512xf16> into tensor<1024x8x64xf16>
// CHECK: scf.forall (%[[N:.*]]) = (0) to (1024) step (32)
// CHECK: %[[WCHUNK:.*]] = tensor.extract_slice %[[WS]][%[[N]], 0, 0] [32, 8, 64] [1, 1, 1]
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %[[C32]] step %{{.*}} iter_args
// CHECK: %[[WROW:.*]] = tensor.extract_slice %[[WCHUNK]][%[[ROW]], 0, 0] [1, 8, 64] [1, 1, 1]
// CHECK: %[[INIT:.*]] = vector.transfer_write %[[ZERO]], %{{.*}} : vector<1x1x64xf32>, tensor<1x1x64xf32>
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK: scf.for %[[KO:.*]] = %{{.*}} to %[[C8]] step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x1x64xf32>) {
// CHECK-DAG: tensor.extract_slice %{{.*}}[%{{.*}}, %[[KO]], %{{.*}}] [1, 1, 64] [1, 1, 1] : tensor<1x8x64xf32> to tensor<1x1x64xf32>
// CHECK-DAG: tensor.extract_slice %[[WROW]][%{{.*}}, %[[KO]], %{{.*}}] [1, 1, 64] [1, 1, 1] : tensor<1x8x64xf16> to tensor<1x1x64xf16>
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : vector<1x1x1x64xf16> to vector<1x1x1x64xf32>
// CHECK: arith.mulf %{{.*}}, %[[WIDE]] : vector<1x1x1x64xf32>
// CHECK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<1x1x1x64xf32> to vector<1x1x64xf32>
// The row's lanes summed once, into its output.
// CHECK: %[[LANES:.*]] = vector.transfer_read %{{.*}} : tensor<1x1x64xf32>, vector<1x1x64xf32>
// CHECK: vector.multi_reduction <add>, %[[LANES]], %{{.*}} [2] : vector<1x1x64xf32> to vector<1x1xf32>
// CHECK: tensor.insert_slice %{{.*}} : tensor<1x1xf32> into tensor<1x32xf32>
// CHECK-NOT: linalg.
func.func @matvec_f16(%x: tensor<1x512xf32>, %w: tensor<1024x512xf16>) -> tensor<1x1024xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<1x1024xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x1024xf32>) -> tensor<1x1024xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x512xf32>, tensor<1024x512xf16>) outs(%1 : tensor<1x1024xf32>) {
  ^bb0(%in: f32, %in_0: f16, %out: f32):
    %3 = arith.extf %in_0 : f16 to f32
    %4 = arith.mulf %in, %3 : f32
    %5 = arith.addf %out, %4 : f32
    linalg.yield %5 : f32
  } -> tensor<1x1024xf32>
  return %2 : tensor<1x1024xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An elementwise op (silu) over 64x1024: distributed over the 1024 loop in
// chunks of 32 (1024 / 32, a multiple of the 16 lanes), rows by 1, 16 lanes.

// CHECK-LABEL: func.func @silu(
// CHECK-SAME: %[[X:[^:]*]]: tensor<64x1024xf32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : vector<1x16xf32>
// CHECK: scf.forall (%[[J:.*]]) = (0) to (1024) step (32) shared_outs
// CHECK: tensor.extract_slice %[[X]][0, %[[J]]] [64, 32] [1, 1] : tensor<64x1024xf32> to tensor<64x32xf32>
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C64]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C32]] step %[[C16]]
// CHECK: %[[V:.*]] = vector.transfer_read {{.*}} {in_bounds = [true, true]} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK: %[[NEG:.*]] = arith.negf %[[V]] : vector<1x16xf32>
// CHECK: %[[EXP:.*]] = math.exp %[[NEG]] : vector<1x16xf32>
// CHECK: %[[DEN:.*]] = arith.addf %[[EXP]], %[[ONES]] : vector<1x16xf32>
// CHECK: %[[Y:.*]] = arith.divf %[[V]], %[[DEN]] : vector<1x16xf32>
// CHECK: vector.transfer_write %[[Y]], {{.*}} {in_bounds = [true, true]} : vector<1x16xf32>, tensor<1x16xf32>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice {{.*}} [64, 32] [1, 1] : tensor<64x32xf32> into tensor<64x1024xf32>
// CHECK-NOT: linalg.

// SERIAL-LABEL: func.func @silu(
// SERIAL-NOT: scf.forall
// SERIAL: math.exp {{.*}} : vector<1x16xf32>
// SERIAL-NOT: scf.forall
// SERIAL: return
func.func @silu(%x: tensor<64x1024xf32>) -> tensor<64x1024xf32> {
  %0 = tensor.empty() : tensor<64x1024xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x1024xf32>) outs(%0 : tensor<64x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %cst = arith.constant 1.000000e+00 : f32
    %2 = arith.negf %in : f32
    %3 = math.exp %2 : f32
    %4 = arith.addf %cst, %3 : f32
    %5 = arith.divf %in, %4 : f32
    linalg.yield %5 : f32
  } -> tensor<64x1024xf32>
  return %1 : tensor<64x1024xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A small elementwise op (256 iterations) is not worth distributing.

// CHECK-LABEL: func.func @small_add(
// CHECK-NOT: scf.forall
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[A:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK: arith.addf %[[A]], %[[B]] : vector<1x16xf32>
// CHECK-NOT: scf.forall
// CHECK: return
func.func @small_add(%a: tensor<4x64xf32>, %b: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = tensor.empty() : tensor<4x64xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x64xf32>, tensor<4x64xf32>) outs(%0 : tensor<4x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %2 = arith.addf %in, %in_0 : f32
    linalg.yield %2 : f32
  } -> tensor<4x64xf32>
  return %1 : tensor<4x64xf32>
}

// -----

#x_map = affine_map<(d0, d1, d2) -> (d0, d2)>
#w_map = affine_map<(d0, d1, d2) -> (d1, d2)>
#y_map = affine_map<(d0, d1, d2) -> (d0, d1)>

// Prime extents: n = 13 has no divisor in 2..8 and k = 67 none in 2..64, so
// both are tiled by 1 (full 1x1x1 tiles, no masks). The fill's 13 fits the
// 16 lanes and stays one full tile.

// CHECK-LABEL: func.func @prime(
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C13:.*]] = arith.constant 13 : index
// CHECK-DAG: %[[C67:.*]] = arith.constant 67 : index
// CHECK-NOT: scf.forall
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C13]] step %[[C13]]
// CHECK: vector.transfer_write {{.*}} : vector<1x13xf32>, tensor<1x13xf32>
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C13]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C67]] step %[[C1]]
// CHECK: vector.transfer_read {{.*}} : tensor<1x1xf32>, vector<1x1x1xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<1x1xf32>, vector<1x1x1xf32>
// CHECK: vector.multi_reduction <add>, {{.*}} [2] : vector<1x1x1xf32> to vector<1x1xf32>
// CHECK-NOT: scf.forall
// CHECK: return
func.func @prime(%x: tensor<1x67xf32>, %w: tensor<13x67xf32>) -> tensor<1x13xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<1x13xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x13xf32>) -> tensor<1x13xf32>
  %2 = linalg.generic {indexing_maps = [#x_map, #w_map, #y_map], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x67xf32>, tensor<13x67xf32>) outs(%1 : tensor<1x13xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %3 = arith.mulf %in, %in_0 : f32
    %4 = arith.addf %out, %3 : f32
    linalg.yield %4 : f32
  } -> tensor<1x13xf32>
  return %2 : tensor<1x13xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An elementwise op with a prime innermost extent above the 16 lanes (17):
// tile 1 there, no partial vectors.

// CHECK-LABEL: func.func @prime_elementwise(
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C17:.*]] = arith.constant 17 : index
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C17]] step %[[C1]]
// CHECK: arith.mulf {{.*}} : vector<1x1xf32>
// CHECK: return
func.func @prime_elementwise(%a: tensor<3x17xf32>, %b: tensor<3x17xf32>) -> tensor<3x17xf32> {
  %0 = tensor.empty() : tensor<3x17xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<3x17xf32>, tensor<3x17xf32>) outs(%0 : tensor<3x17xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %2 = arith.mulf %in, %in_0 : f32
    linalg.yield %2 : f32
  } -> tensor<3x17xf32>
  return %1 : tensor<3x17xf32>
}

// -----

#ids_map = affine_map<(d0, d1) -> (d0)>
#out_map = affine_map<(d0, d1) -> (d0, d1)>

// A gather (the embedding) is tiled but left scalar; the dynamic row loop is
// tiled by 1 and not distributed.

// CHECK-LABEL: func.func @embedding(
// CHECK-SAME: %[[TABLE:[^:]*]]: tensor<10x32xf32>, %[[IDS:[^:]*]]: tensor<?xi32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-NOT: scf.forall
// CHECK: tensor.empty
// CHECK: %[[ROWS:.*]] = tensor.dim %[[IDS]], %[[C0]] : tensor<?xi32>
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[ROWS]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C32]] step %[[C16]]
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: tensor.extract %[[TABLE]]
// CHECK-NOT: vector.
// CHECK: return
func.func @embedding(%t: tensor<10x32xf32>, %ids: tensor<?xi32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %dim = tensor.dim %ids, %c0 : tensor<?xi32>
  %0 = tensor.empty(%dim) : tensor<?x32xf32>
  %1 = linalg.generic {indexing_maps = [#ids_map, #out_map], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<?xi32>) outs(%0 : tensor<?x32xf32>) {
  ^bb0(%in: i32, %out: f32):
    %2 = arith.index_cast %in : i32 to index
    %3 = linalg.index 1 : index
    %extracted = tensor.extract %t[%2, %3] : tensor<10x32xf32>
    linalg.yield %extracted : f32
  } -> tensor<?x32xf32>
  return %1 : tensor<?x32xf32>
}

// -----

#x_map = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
#q_map = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d4, d5)>
#dot_map = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>

// The INT4 block dot (row blocks, r, G, j, b, n) is an outer-product form: its
// reduction b lies outside the innermost parallel loop n. The weights do not
// depend on r (4) or j (2), so both stay whole in registers and share each
// loaded weight vector; of the 24 tile registers, each vector of outputs
// needs 4 * 2 accumulators, so a tile has 3 vectors, the largest divisor of
// 512 outputs within that being 32 (2 vectors). The register-tile loops run
// the parallel loops outside the reduction, so the accumulators stay in
// registers for all of b, and the weights' loops (G, n) outside the row
// blocks, so that each tile of weights serves every row while in cache.

// BLOCK-LABEL: func.func @block_dot(
// BLOCK-DAG: %[[C1:.*]] = arith.constant 1 : index
// BLOCK-DAG: %[[C3:.*]] = arith.constant 3 : index
// BLOCK-DAG: %[[C8:.*]] = arith.constant 8 : index
// BLOCK-DAG: %[[C32:.*]] = arith.constant 32 : index
// BLOCK-DAG: %[[C512:.*]] = arith.constant 512 : index
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C3]] step %[[C1]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C512]] step %[[C32]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C1]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C8]] step %[[C1]]
// BLOCK: vector.transfer_read {{.*}} : tensor<1x1x32xi8>, vector<1x4x1x2x1x32xi8>
// BLOCK: arith.uitofp %{{.*}} : vector<1x4x1x2x1x32xi8> to vector<1x4x1x2x1x32xf32>
// BLOCK: vector.transfer_write {{.*}} : vector<1x4x1x2x32xf32>, tensor<1x4x1x2x32xf32>
func.func @block_dot(%x: tensor<?x4x3x2x8xf32>, %q: tensor<3x8x512xi8>, %init: tensor<?x4x3x2x512xf32>) -> tensor<?x4x3x2x512xf32> {
  %0 = linalg.generic {indexing_maps = [#x_map, #q_map, #dot_map], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %q : tensor<?x4x3x2x8xf32>, tensor<3x8x512xi8>) outs(%init : tensor<?x4x3x2x512xf32>) {
  ^bb0(%in: f32, %byte: i8, %out: f32):
    %j = linalg.index 3 : index
    %j8 = arith.index_cast %j : index to i8
    %c4 = arith.constant 4 : i8
    %shift = arith.muli %j8, %c4 : i8
    %shifted = arith.shrui %byte, %shift : i8
    %c15 = arith.constant 15 : i8
    %nibble = arith.andi %shifted, %c15 : i8
    %w = arith.uitofp %nibble : i8 to f32
    %p = arith.mulf %in, %w : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4x3x2x512xf32>
  return %0 : tensor<?x4x3x2x512xf32>
}

// -----

#x_map = affine_map<(d0, d1, d2) -> (d0, d2)>
#w_map = affine_map<(d0, d1, d2) -> (d1, d2)>
#y_map = affine_map<(d0, d1, d2) -> (d0, d1)>

// Two layers whose zero-filled destinations CSE merged into one: each
// matmul gets its own empty tensor and zeroes its own chunks in its thread
// tiles, so that neither copies a shared buffer before writing in place.

// CHECK-LABEL: func.func @shared_destination(
// CHECK-DAG: %[[E1:.*]] = tensor.empty() : tensor<1x512xf32>
// CHECK-DAG: %[[E2:.*]] = tensor.empty() : tensor<1x512xf32>
// CHECK: %[[Y1:.*]] = scf.forall (%{{.*}}) = (0) to (512) step (16) shared_outs(%{{.*}} = %[[E1]])
// CHECK: vector.transfer_write %{{.*}} : vector<1x16xf32>, tensor<1x16xf32>
// CHECK: scf.forall.in_parallel
// CHECK: %[[Y2:.*]] = scf.forall (%{{.*}}) = (0) to (512) step (16) shared_outs(%{{.*}} = %[[E2]])
// CHECK: vector.transfer_write %{{.*}} : vector<1x16xf32>, tensor<1x16xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.fill
// CHECK: return %[[Y1]], %[[Y2]]
func.func @shared_destination(%x: tensor<1x256xf32>, %w1: tensor<512x256xf32>, %w2: tensor<512x256xf32>) -> (tensor<1x512xf32>, tensor<1x512xf32>) {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<1x512xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x512xf32>) -> tensor<1x512xf32>
  %2 = linalg.generic {indexing_maps = [#x_map, #w_map, #y_map], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w1 : tensor<1x256xf32>, tensor<512x256xf32>) outs(%1 : tensor<1x512xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %4 = arith.mulf %in, %in_0 : f32
    %5 = arith.addf %out, %4 : f32
    linalg.yield %5 : f32
  } -> tensor<1x512xf32>
  %3 = linalg.generic {indexing_maps = [#x_map, #w_map, #y_map], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w2 : tensor<1x256xf32>, tensor<512x256xf32>) outs(%1 : tensor<1x512xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %4 = arith.mulf %in, %in_0 : f32
    %5 = arith.addf %out, %4 : f32
    linalg.yield %5 : f32
  } -> tensor<1x512xf32>
  return %2, %3 : tensor<1x512xf32>, tensor<1x512xf32>
}

// -----

#bx_map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#bw_map = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#by_map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// A prompt's matmul on blocks of rows, here 4 (as convert-llm-to-linalg writes
// llm.matmul over dynamic rows): register tiles of the 4 rows times 4
// outputs (16 accumulators of the 24 tile registers, a power of two), the
// outputs' loop outside the row blocks'. In each tile the reduction over k
// is split into 16 lanes: the k loop accumulates vector<1x4x4x16> partial
// sums (one vector per row and output, no horizontal sum inside), summed
// over the lanes once after it.

// BLOCK-LABEL: func.func @row_block_matmul(
// BLOCK-DAG: %[[C1:.*]] = arith.constant 1 : index
// BLOCK-DAG: %[[C4:.*]] = arith.constant 4 : index
// BLOCK-DAG: %[[C32:.*]] = arith.constant 32 : index
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C32]] step %[[C4]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C1]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C4]] step %[[C1]]
// BLOCK: %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<1x4x4x1x16xf32>
// BLOCK: vector.multi_reduction <add>, %[[P]], %{{.*}} [3] : vector<1x4x4x1x16xf32> to vector<1x4x4x16xf32>
// BLOCK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [3] : vector<1x4x4x16xf32> to vector<1x4x4xf32>
func.func @row_block_matmul(%x: tensor<?x4x64xf32>, %w: tensor<32x64xf32>, %init: tensor<?x4x32xf32>) -> tensor<?x4x32xf32> {
  %0 = linalg.generic {indexing_maps = [#bx_map, #bw_map, #by_map], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x4x64xf32>, tensor<32x64xf32>) outs(%init : tensor<?x4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4x32xf32>
  return %0 : tensor<?x4x32xf32>
}

// -----

#tx_map = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#tw_map = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
#ty_map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>

// A prompt's float matmul on transposed blocks of 64 rows (as
// convert-llm-to-linalg writes llm.matmul over 64 rows or more): loops (b, n,
// k, r), the rows innermost. Outer products: register tiles of the 64 rows
// (4 vectors) times 6 outputs, 24 accumulators, each weight broadcast over
// the rows; the k loop innermost, one step at a time, no reduction across
// lanes. The 20 outputs are split into the 18 that make whole tiles of 6
// and the last 2, tiled whole.

// BLOCK-LABEL: func.func @transposed_row_block_matmul(
// BLOCK-DAG: %[[C1:.*]] = arith.constant 1 : index
// BLOCK-DAG: %[[C2:.*]] = arith.constant 2 : index
// BLOCK-DAG: %[[C6:.*]] = arith.constant 6 : index
// BLOCK-DAG: %[[C18:.*]] = arith.constant 18 : index
// BLOCK-DAG: %[[C32:.*]] = arith.constant 32 : index
// BLOCK: tensor.extract_slice %{{.*}}[0, 0] [18, 32] [1, 1] : tensor<20x32xf32> to tensor<18x32xf32>
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C18]] step %[[C6]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C1]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C32]] step %[[C1]]
// BLOCK: %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<1x6x1x64xf32>
// BLOCK: vector.multi_reduction <add>, %[[P]], %{{.*}} [2] : vector<1x6x1x64xf32> to vector<1x6x64xf32>
// BLOCK: tensor.extract_slice %{{.*}}[18, 0] [2, 32] [1, 1] : tensor<20x32xf32> to tensor<2x32xf32>
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C2]] step %[[C2]]
// BLOCK: arith.mulf %{{.*}}, %{{.*}} : vector<1x2x1x64xf32>
func.func @transposed_row_block_matmul(%xt: tensor<?x32x64xf32>, %w: tensor<20x32xf32>, %init: tensor<?x20x64xf32>) -> tensor<?x20x64xf32> {
  %0 = linalg.generic {indexing_maps = [#tx_map, #tw_map, #ty_map], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%xt, %w : tensor<?x32x64xf32>, tensor<20x32xf32>) outs(%init : tensor<?x20x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x20x64xf32>
  return %0 : tensor<?x20x64xf32>
}

// -----

// A transpose (the transposed GEMM's input and output): 16 x 16 tiles, each
// read a row at a time where the input is contiguous and transposed in
// registers (vector.transpose, lowered to shuffles by llm-cpu-pipeline),
// instead of gathering each output vector from 16 rows of the input.

// BLOCK-LABEL: func.func @transpose(
// BLOCK-DAG: %[[C16:.*]] = arith.constant 16 : index
// BLOCK-DAG: %[[C64:.*]] = arith.constant 64 : index
// BLOCK-DAG: %[[C768:.*]] = arith.constant 768 : index
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C768]] step %[[C16]]
// BLOCK: scf.for %{{.*}} = %{{.*}} to %[[C64]] step %[[C16]]
// BLOCK: %[[IN:.*]] = tensor.extract_slice %{{.*}} [1, 16, 16] [1, 1, 1] : tensor<?x64x768xf32> to tensor<1x16x16xf32>
// BLOCK: %[[V:.*]] = vector.transfer_read %[[IN]][%{{.*}}, %{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true, true]} : tensor<1x16x16xf32>, vector<1x16x16xf32>
// BLOCK: %[[T:.*]] = vector.transpose %[[V]], [0, 2, 1] : vector<1x16x16xf32> to vector<1x16x16xf32>
// BLOCK: vector.transfer_write %[[T]]
func.func @transpose(%x: tensor<?x64x768xf32>) -> tensor<?x768x64xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x64x768xf32>
  %e = tensor.empty(%d) : tensor<?x768x64xf32>
  %t = linalg.transpose ins(%x : tensor<?x64x768xf32>) outs(%e : tensor<?x768x64xf32>) permutation = [0, 2, 1]
  return %t : tensor<?x768x64xf32>
}
