// RUN: llm-opt %s --convert-llm-to-linalg=int4-kernel=x86-avx512 -split-input-file | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg=int4-kernel=x86-avx2 -split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s --check-prefix=GENERIC
// RUN: not llm-opt %s --convert-llm-to-linalg=int4-kernel=avx9000 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: unknown int4-kernel 'avx9000' (expected 'generic', 'x86-avx2' or 'x86-avx512')

// GENERIC-NOT: llm.pair_dot_i16

// A decode step (one row) of a 256 x 256 layer in groups of 128 (row tiles
// of 128): the inputs become int16 pairs per group (scale max|x| / 32767),
// one scf.forall over the 2 row tiles sums nibble pairs with
// llm.pair_dot_i16 into int32 registers (8 of 16 lanes for the 128 rows,
// 4 nibble pairs per word), and the float epilogue applies the input
// scale, the weight scale and the zero point per group.

// CHECK-LABEL: func.func @decode(
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: %[[PAIRS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x16xi32>)
// CHECK: arith.fptosi
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: %[[DOTS:.*]] = scf.forall (%[[NT:.*]]) in (2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x2x2x128xi32>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK-COUNT-8: vector.transfer_read %{{.*}}[%[[NT]], {{.*}} : tensor<2x2x16x128xi32>, vector<16xi32>
// CHECK: tensor.extract %[[PAIRS]]
// CHECK: llm.pair_dot_i16 {{.*}} : vector<32xi16> -> vector<16xi32>
// CHECK-COUNT-31: llm.pair_dot_i16
// CHECK-NOT: llm.pair_dot_i16
// CHECK: tensor.parallel_insert_slice
// CHECK: linalg.generic {{.*}} ins(%[[DOTS]], %[[MAX]], %[[SUMS]], {{.*}}
// CHECK: arith.sitofp
// CHECK: return

// On AVX2 the same loops run on 256-bit vectors: 16 registers of 8 lanes
// for the 128 rows, 64 pair dots per word position.
// AVX2-LABEL: func.func @decode(
// AVX2: scf.forall (%{{.*}}) in (2)
// AVX2-COUNT-16: vector.transfer_read {{.*}} : tensor<2x2x16x128xi32>, vector<8xi32>
// AVX2-COUNT-64: llm.pair_dot_i16 {{.*}} : vector<16xi16> -> vector<8xi32>
// AVX2-NOT: llm.pair_dot_i16
// AVX2: tensor.parallel_insert_slice
func.func @decode(%x: tensor<1x256xf32>, %q: tensor<2x2x16x128xi32>, %s: tensor<2x256xf32>, %z: tensor<2x256xf32>) -> tensor<1x256xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 128 : tensor<1x256xf32>, tensor<2x2x16x128xi32>, tensor<2x256xf32>, tensor<2x256xf32> -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}

// -----

// Row tiles narrower than one 16-lane register (24 outputs: tiles of 8)
// keep the float kernel on AVX-512; on AVX2 they are one 8-lane register.
// CHECK-LABEL: func.func @narrow_tiles(
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return
// AVX2-LABEL: func.func @narrow_tiles(
// AVX2: llm.pair_dot_i16 {{.*}} : vector<16xi16> -> vector<8xi32>
func.func @narrow_tiles(%x: tensor<1x64xf32>, %q: tensor<3x2x4x8xi32>, %s: tensor<2x24xf32>, %z: tensor<2x24xf32>) -> tensor<1x24xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<1x64xf32>, tensor<3x2x4x8xi32>, tensor<2x24xf32>, tensor<2x24xf32> -> tensor<1x24xf32>
  return %y : tensor<1x24xf32>
}

// -----

// Groups of up to 4096 inputs keep exact int32 sums (15 * 32767 * 4096 <
// 2^31) and take the int16 kernel; larger groups keep the float kernel.
// CHECK-LABEL: func.func @group_4096(
// CHECK: llm.pair_dot_i16
// CHECK: return
func.func @group_4096(%x: tensor<1x4096xf32>, %q: tensor<1x1x512x16xi32>, %s: tensor<1x16xf32>, %z: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 4096 : tensor<1x4096xf32>, tensor<1x1x512x16xi32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// CHECK-LABEL: func.func @group_8192(
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return
func.func @group_8192(%x: tensor<1x8192xf32>, %q: tensor<1x1x1024x16xi32>, %s: tensor<1x16xf32>, %z: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8192 : tensor<1x8192xf32>, tensor<1x1x1024x16xi32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
