// RUN: llm-opt %s --convert-llm-to-linalg=int4-kernel=x86-avx512 -split-input-file | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg=int4-kernel=x86-avx2 -split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: llm-opt %s --convert-llm-to-linalg=int4-kernel=x86-avx512-vnni -split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s --check-prefix=GENERIC
// RUN: not llm-opt %s --convert-llm-to-linalg=int4-kernel=avx9000 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: unknown int4-kernel 'avx9000' (expected 'generic', 'x86-avx2', 'x86-avx512' or 'x86-avx512-vnni')

// With int8 inputs (x86-avx512-vnni): each input word holds 4 int8 inputs
// (scale max|x| / 127), s = p + 2j in byte j of the word of slot p (2 slots
// per group word); their sums sign-extend all four bytes; each word's 8
// nibbles are 2 slots of llm.quad_dot_u8i8, masked where they lie (bytes
// masked with 0x0F0F0F0F and 0xF0F0F0F0, no shift), which accumulates in
// place: 4 registers x 2 slots per word, a set of sums per slot. Once per
// group, the second slot's sums (16 times the nibbles') are shifted down by
// 4 and added to the first's.
// VNNI-LABEL: func.func @decode(
// VNNI: %[[QUADS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x2x16xf32>, tensor<1x2x2x16xf32>, tensor<1x2x2x16xf32>, tensor<1x2x2x16xf32>, tensor<1x2xf32>) outs(%{{.*}} : tensor<1x2x2x16xi32>)
// VNNI: arith.constant 1.270000e+02 : f32
// VNNI: linalg.generic {{.*}} ins(%[[QUADS]] : tensor<1x2x2x16xi32>) outs(%{{.*}} : tensor<1x2xi32>)
// VNNI-COUNT-4: arith.shrsi
// VNNI: %[[WORDS:.*]]:8 = scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// VNNI-NOT: arith.shrui
// VNNI: %[[LOW:.*]] = arith.constant dense<252645135> : vector<16xi32>
// VNNI-NOT: arith.shrui
// VNNI: arith.andi %{{.*}}, %[[LOW]] : vector<16xi32>
// VNNI: llm.quad_dot_u8i8 {{.*}} : vector<64xi8> -> vector<16xi32>
// VNNI-COUNT-3: llm.quad_dot_u8i8
// VNNI-NEXT: %[[HIGH:.*]] = arith.constant dense<-252645136> : vector<16xi32>
// VNNI-NEXT: arith.andi %{{.*}}, %[[HIGH]] : vector<16xi32>
// VNNI-NOT: arith.shrui
// VNNI: llm.quad_dot_u8i8
// VNNI-COUNT-3: llm.quad_dot_u8i8
// VNNI-NOT: llm.quad_dot_u8i8
// VNNI: %[[FOUR:.*]] = arith.constant dense<4> : vector<16xi32>
// VNNI-NEXT: %[[DOWN:.*]] = arith.shrsi %[[WORDS]]#4, %[[FOUR]] : vector<16xi32>
// VNNI-NEXT: arith.addi %[[WORDS]]#0, %[[DOWN]] : vector<16xi32>
// VNNI-NOT: llm.pair_dot_i16
// VNNI: arith.constant 0.00787401571 : f32

// GENERIC-NOT: llm.pair_dot_i16

// A decode step (one row) of a 256 x 256 layer in groups of 128 (row tiles
// of 128): the inputs become int16 pairs per group (scale max|x| / 32767),
// whose own sums per group (both halves of each word, sign-extended) carry
// the zero points; one scf.forall over the 2 row tiles and their 2 blocks
// of 64 rows (4 registers of 16 lanes: 8 of them spill, kDecodeBlockWeightRows)
// sums nibble pairs with llm.pair_dot_i16 into int32 registers (4 nibble
// pairs per word), and each group's sums are scaled into
// float registers (input scale, and the f16 weight scale and zero point of
// the row tile, widened) before the next group: no per-group sums reach
// memory. Each group's iteration prefetches every cache line of its block's
// words (16 words of 64 rows: 64 lines), scales (2) and zero points (1) of
// the group 16 KiB of the tile ahead (2 groups of 8 KiB; the last group
// near the end), through read-only buffers of the three tensors.

// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x2x128xf16>, %[[Z:[^:]*]]: tensor<2x2x128xi8>
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[PAIRS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[MAX]] : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2xf32>) outs(%{{.*}} : tensor<1x2x4x16xi32>)
// CHECK: arith.fptosi
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[PAIRS]] : tensor<1x2x4x16xi32>) outs(%{{.*}} : tensor<1x2xi32>)
// CHECK: arith.shrsi
// CHECK: arith.addi
// CHECK: arith.shrsi
// CHECK: arith.addi
// CHECK: %[[QBUF:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<2x2x16x128xi32> to memref<2x2x16x128xi32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK: %[[SBUF:.*]] = bufferization.to_buffer %[[S]] read_only
// CHECK: %[[ZBUF:.*]] = bufferization.to_buffer %[[Z]] read_only
// CHECK: scf.forall (%[[NT:[^,]*]], %{{.*}}) in (2, 2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x2x128xf32>)
// CHECK: tensor.extract_slice {{.*}} [1, 1, 64] [1, 1, 1] : tensor<1x2x128xf32> to tensor<1x1x64xf32>
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[TWO:.*]] = arith.constant 2 : index
// CHECK: %[[PLUS:.*]] = arith.addi %{{.*}}, %[[TWO]] : index
// CHECK: %[[AHEAD:.*]] = arith.minui %[[PLUS]], %c1{{[_0-9]*}} : index
// CHECK: memref.prefetch %[[QBUF]][%[[NT]], %[[AHEAD]], %{{.*}}, %{{.*}}], read, locality<3>, data
// CHECK-COUNT-63: memref.prefetch %[[QBUF]][%[[NT]], %[[AHEAD]],
// CHECK-COUNT-2: memref.prefetch %[[SBUF]][%[[NT]], %[[AHEAD]],
// CHECK: memref.prefetch %[[ZBUF]][%[[NT]], %[[AHEAD]],
// CHECK-NOT: memref.prefetch
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK-COUNT-4: vector.transfer_read %{{.*}}[%[[NT]], {{.*}} : tensor<2x2x16x128xi32>, vector<16xi32>
// CHECK-NOT: vector.transfer_read {{.*}} : tensor<2x2x16x128xi32>
// CHECK: tensor.extract %[[PAIRS]]
// CHECK: llm.pair_dot_i16 {{.*}} : vector<32xi16> -> vector<16xi32>
// CHECK-COUNT-15: llm.pair_dot_i16
// CHECK-NOT: llm.pair_dot_i16
// CHECK: vector.transfer_read %[[S]][%[[NT]], {{.*}} : tensor<2x2x128xf16>, vector<16xf16>
// CHECK-NEXT: arith.extf {{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: vector.transfer_read %[[Z]][%[[NT]], {{.*}} : tensor<2x2x128xi8>, vector<16xi8>
// CHECK-NEXT: arith.uitofp {{.*}} : vector<16xi8> to vector<16xf32>
// CHECK: tensor.extract %[[MAX]]
// CHECK: %[[SUM:.*]] = tensor.extract %[[SUMS]]
// CHECK: arith.sitofp %[[SUM]] : i32 to f32
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT: linalg.generic
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return

// On AVX2 the same loops run on 256-bit vectors of 8 lanes: a block holds
// 8 registers, so each row tile of 128 is split into 2 blocks of 64 rows
// (the second forall dimension), 32 pair dots per word position, and the
// f16 scales and zero points are read 8 at a time.
// AVX2-LABEL: func.func @decode(
// AVX2: scf.forall (%{{.*}}, %{{.*}}) in (2, 2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x2x128xf32>)
// AVX2: tensor.extract_slice {{.*}} [1, 1, 64] [1, 1, 1] : tensor<1x2x128xf32> to tensor<1x1x64xf32>
// AVX2-COUNT-8: vector.transfer_read {{.*}} : tensor<2x2x16x128xi32>, vector<8xi32>
// AVX2-NOT: vector.transfer_read {{.*}} : tensor<2x2x16x128xi32>
// AVX2-COUNT-32: llm.pair_dot_i16 {{.*}} : vector<16xi16> -> vector<8xi32>
// AVX2-NOT: llm.pair_dot_i16
// AVX2: vector.transfer_read {{.*}} : tensor<2x2x128xf16>, vector<8xf16>
// AVX2-NEXT: arith.extf {{.*}} : vector<8xf16> to vector<8xf32>
// AVX2: tensor.parallel_insert_slice
func.func @decode(%x: tensor<1x256xf32>, %q: tensor<2x2x16x128xi32>, %s: tensor<2x2x128xf16>, %z: tensor<2x2x128xi8>) -> tensor<1x256xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 128 : tensor<1x256xf32>, tensor<2x2x16x128xi32>, tensor<2x2x128xf16>, tensor<2x2x128xi8> -> tensor<1x256xf32>
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
func.func @narrow_tiles(%x: tensor<1x64xf32>, %q: tensor<3x2x4x8xi32>, %s: tensor<3x2x8xf16>, %z: tensor<3x2x8xi8>) -> tensor<1x24xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<1x64xf32>, tensor<3x2x4x8xi32>, tensor<3x2x8xf16>, tensor<3x2x8xi8> -> tensor<1x24xf32>
  return %y : tensor<1x24xf32>
}

// -----

// Groups of up to 4096 inputs keep exact int32 sums (15 * 32767 * 4096 <
// 2^31) and take the int16 kernel; larger groups keep the float kernel.
// CHECK-LABEL: func.func @group_4096(
// CHECK: llm.pair_dot_i16
// CHECK: return
func.func @group_4096(%x: tensor<1x4096xf32>, %q: tensor<1x1x512x16xi32>, %s: tensor<1x1x16xf16>, %z: tensor<1x1x16xi8>) -> tensor<1x16xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 4096 : tensor<1x4096xf32>, tensor<1x1x512x16xi32>, tensor<1x1x16xf16>, tensor<1x1x16xi8> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// CHECK-LABEL: func.func @group_8192(
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return
func.func @group_8192(%x: tensor<1x8192xf32>, %q: tensor<1x1x1024x16xi32>, %s: tensor<1x1x16xf16>, %z: tensor<1x1x16xi8>) -> tensor<1x16xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8192 : tensor<1x8192xf32>, tensor<1x1x1024x16xi32>, tensor<1x1x16xf16>, tensor<1x1x16xi8> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// A prompt (dynamic rows) takes the same kernel: each row tile of 128 is
// split into 8 blocks of one 16-lane register (the second forall
// dimension), and the rows go in blocks of 8 that share each unpacked
// weight register (8 accumulators: 8 pair dots per nibble pair), then the
// last rows one at a time.
// CHECK-LABEL: func.func @prompt(
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x2x128xf16>, %[[Z:[^:]*]]: tensor<2x2x128xi8>
// CHECK: %[[PAIRS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x2x4x16xi32>)
// CHECK: scf.forall (%[[NT:[^,]*]], %{{.*}}) in (2, 8) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?x2x128xf32>)
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[BLOCKS:.*]] = arith.divui %{{.*}}, %[[C8]] : index
// CHECK: %[[BLOCKED:.*]] = arith.muli %[[BLOCKS]], %[[C8]] : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BLOCKED]] step %{{.*}} iter_args(%{{.*}}) -> (tensor<?x1x16xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: vector.transfer_read %{{.*}}[%[[NT]], {{.*}} : tensor<2x2x16x128xi32>, vector<16xi32>
// CHECK-NOT: vector.transfer_read
// CHECK: tensor.extract %[[PAIRS]]
// CHECK: llm.pair_dot_i16 %[[W:[^,]*]], %{{.*}} : vector<32xi16> -> vector<16xi32>
// CHECK-COUNT-7: llm.pair_dot_i16 %[[W]], %{{.*}} : vector<32xi16> -> vector<16xi32>
// CHECK-COUNT-24: llm.pair_dot_i16
// CHECK-NOT: llm.pair_dot_i16
// CHECK: vector.transfer_read %[[S]][%[[NT]], {{.*}} : tensor<2x2x128xf16>, vector<16xf16>
// CHECK-NEXT: arith.extf {{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: vector.transfer_read %[[Z]][%[[NT]], {{.*}} : tensor<2x2x128xi8>, vector<16xi8>
// CHECK-NEXT: arith.uitofp {{.*}} : vector<16xi8> to vector<16xf32>
// CHECK-COUNT-8: vector.transfer_write {{.*}} : vector<16xf32>, tensor<?x1x16xf32>
// CHECK: scf.for %{{.*}} = %[[BLOCKED]] to %{{.*}} step %{{.*}} iter_args(%{{.*}}) -> (tensor<?x1x16xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>)
// CHECK-COUNT-4: llm.pair_dot_i16 {{.*}} : vector<32xi16> -> vector<16xi32>
// CHECK-NOT: llm.pair_dot_i16
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @prompt(%x: tensor<?x256xf32>, %q: tensor<2x2x16x128xi32>, %s: tensor<2x2x128xf16>, %z: tensor<2x2x128xi8>) -> tensor<?x256xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 128 : tensor<?x256xf32>, tensor<2x2x16x128xi32>, tensor<2x2x128xf16>, tensor<2x2x128xi8> -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// -----

// More static rows than a register block holds (20): blocks of 8 rows over
// one weight register (as a prompt's), then the last 4 rows one by one.
// CHECK-LABEL: func.func @static_rows(
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 8) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<20x2x128xf32>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}}) -> (tensor<20x1x16xf32>)
// CHECK-COUNT-32: llm.pair_dot_i16
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}}) -> (tensor<20x1x16xf32>)
// CHECK-COUNT-4: llm.pair_dot_i16
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return
func.func @static_rows(%x: tensor<20x256xf32>, %q: tensor<2x8x4x128xi32>, %s: tensor<2x8x128xf16>, %z: tensor<2x8x128xi8>) -> tensor<20x256xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<20x256xf32>, tensor<2x8x4x128xi32>, tensor<2x8x128xf16>, tensor<2x8x128xi8> -> tensor<20x256xf32>
  return %y : tensor<20x256xf32>
}

// -----

// No rows: an empty result, no kernel.
// CHECK-LABEL: func.func @no_rows(
// CHECK-NEXT: %[[EMPTY:.*]] = tensor.empty() : tensor<0x256xf32>
// CHECK-NEXT: return %[[EMPTY]]
// GENERIC-LABEL: func.func @no_rows(
// GENERIC-NEXT: %[[EMPTY:.*]] = tensor.empty() : tensor<0x256xf32>
// GENERIC-NEXT: return %[[EMPTY]]
func.func @no_rows(%x: tensor<0x256xf32>, %q: tensor<2x8x4x128xi32>, %s: tensor<2x8x128xf16>, %z: tensor<2x8x128xi8>) -> tensor<0x256xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<0x256xf32>, tensor<2x8x4x128xi32>, tensor<2x8x128xf16>, tensor<2x8x128xi8> -> tensor<0x256xf32>
  return %y : tensor<0x256xf32>
}

// -----

// Parameters wider than the kernel's f32 are narrowed to it.
// CHECK-LABEL: func.func @f64_params(
// CHECK: arith.truncf {{.*}} : vector<16xf64> to vector<16xf32>
// CHECK: return
func.func @f64_params(%x: tensor<1x256xf32>, %q: tensor<2x8x4x128xi32>, %s: tensor<2x8x128xf64>, %z: tensor<2x8x128xi8>) -> tensor<1x256xf32> {
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<1x256xf32>, tensor<2x8x4x128xi32>, tensor<2x8x128xf64>, tensor<2x8x128xi8> -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
