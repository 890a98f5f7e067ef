// Round trip of every lpu op through the custom and the generic assembly
// forms: an lpu.program of two chips with placements of 2-D, 1-D and 4-D
// shards at 4, 8 and 16 bits, and two schedules that use every scheduled op
// (lpu.vector of each arity, embedding included, lpu.matmul with one and two
// inputs, lpu.attention, lpu.transfer both ways) with consistent timing: no
// unit runs two operations at once and every value is on its chip before it
// is read. The edge cases the verifier must accept are there too: a value
// read the cycle it arrives, a unit reused the cycle it is freed, two places
// sharing a slice and one filling a slice exactly.

// RUN: llm-opt %s | llm-opt | FileCheck %s
// RUN: llm-opt %s --mlir-print-op-generic | llm-opt | FileCheck %s
// RUN: llm-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

//===----------------------------------------------------------------------===//
// lpu.program and lpu.place
//===----------------------------------------------------------------------===//

// CHECK-LABEL: lpu.program target "test-lpu" chips 2 weight_bits 8 clock_mhz 9.000000e+02 slices 8 slice_bytes 4096 mxm 4 vxm 2 sxm 2 links 4 attributes {lpu.note = "hand written"} {
// CHECK-NEXT: lpu.place @embed "model.embed_tokens.weight" [0, 0] [16, 8] bits 8 chip 0 slices 0 count 2 bytes_per_slice 64
// CHECK-NEXT: lpu.place @norm "model.norm.weight" [0] [8] bits 16 chip 1 slices 0 count 1 bytes_per_slice 16
// CHECK-NEXT: lpu.place @up "model.layers.0.mlp.up_proj.weight" [0, 0] [32, 8] bits 8 chip 1 slices 2 count 4 bytes_per_slice 64
// CHECK-NEXT: lpu.place @cache "model.layers.0.kv_cache" [0, 0, 1, 0] [2, 16, 1, 4] bits 4 chip 1 slices 6 count 2 bytes_per_slice 32
// CHECK-NEXT: lpu.place @o "model.layers.0.self_attn.o_proj.weight" [0, 4] [8, 12] bits 8 chip 1 slices 0 count 1 bytes_per_slice 96 {lpu.tag = 7 : i64}
// CHECK-NEXT: lpu.place @head "lm_head.weight" [0, 0] [16, 256] bits 8 chip 0 slices 7 count 1 bytes_per_slice 4096
// GENERIC-LABEL: "lpu.program"() <{
// GENERIC-SAME: chips = 2 : i64
// GENERIC-SAME: link_units = 4 : i64
// GENERIC-SAME: mxm_units = 4 : i64
// GENERIC-SAME: slice_bytes = 4096 : i64, slices = 8 : i64, sxm_units = 2 : i64, target = "test-lpu", vxm_units = 2 : i64, weight_bits = 8 : i64}> ({
// GENERIC: "lpu.place"() <{bits = 8 : i64, bytes_per_slice = 64 : i64, chip = 0 : i64, first_slice = 0 : i64, num_slices = 2 : i64, offsets = array<i64: 0, 0>, sizes = array<i64: 16, 8>, sym_name = "embed", tensor = "model.embed_tokens.weight"}> : () -> ()

//===----------------------------------------------------------------------===//
// lpu.schedule: a decode step over both chips
//===----------------------------------------------------------------------===//

// CHECK: lpu.schedule "decode" tokens 1 context 16 {
// CHECK-NEXT: %[[EMB:.*]] = lpu.vector "embedding" weights @embed chip 0 at 0 for 10 vxm [0] : () -> tensor<1x8xf16>
// CHECK-NEXT: %[[X1:.*]] = lpu.transfer %[[EMB]] to 1 chip 0 at 10 for 20 links [0, 1] : tensor<1x8xf16> -> tensor<1x8xf16>
// CHECK-NEXT: %[[NORM:.*]] = lpu.vector "rms_norm"(%[[X1]]) weights @norm chip 1 at 30 for 5 vxm [0] sxm [1] : (tensor<1x8xf16>) -> tensor<1x8xf16>
// CHECK-NEXT: %[[UP:.*]] = lpu.matmul %[[NORM]] weights @up chip 1 at 35 for 40 mxm [0, 1] : (tensor<1x8xf16>) -> tensor<1x32xf16>
// CHECK-NEXT: %[[ROPE:.*]] = lpu.vector "rope"(%[[UP]]) chip 1 at 75 for 5 vxm [1] : (tensor<1x32xf16>) -> tensor<1x32xf16>
// CHECK-NEXT: %[[SILU:.*]] = lpu.vector "silu_mul"(%[[UP]], %[[UP]]) chip 1 at 75 for 5 vxm [0] : (tensor<1x32xf16>, tensor<1x32xf16>) -> tensor<1x32xf16>
// CHECK-NEXT: %[[ATT:.*]] = lpu.attention %[[ROPE]], %[[NORM]], %[[NORM]] cache @cache heads 1 count 1 chip 1 at 80 for 30 mxm [2, 3] vxm [0, 1] sxm [0] : (tensor<1x32xf16>, tensor<1x8xf16>, tensor<1x8xf16>) -> tensor<1x4xf16>
// CHECK-NEXT: %[[O:.*]] = lpu.matmul %[[ATT]], %[[NORM]] weights @o chip 1 at 110 for 20 mxm [0, 1, 2, 3] : (tensor<1x4xf16>, tensor<1x8xf16>) -> tensor<1x8xf16>
// CHECK-NEXT: %[[X0:.*]] = lpu.transfer %[[O]] to 0 chip 1 at 130 for 20 sxm [1] links [3] {lpu.tag = 1 : i64} : tensor<1x8xf16> -> tensor<1x8xf16>
// CHECK-NEXT: %[[ADD:.*]] = lpu.vector "add"(%[[EMB]], %[[X0]]) chip 0 at 150 for 5 vxm [0, 1] : (tensor<1x8xf16>, tensor<1x8xf16>) -> tensor<1x8xf16>
// CHECK-NEXT: %{{.*}} = lpu.vector "silu"(%[[ADD]]) chip 0 at 155 for 3 vxm [1] : (tensor<1x8xf16>) -> tensor<1x8xf16>
// CHECK-NEXT: %{{.*}} = lpu.vector "mul"(%[[ADD]], %[[ADD]]) chip 0 at 155 for 3 vxm [0] : (tensor<1x8xf16>, tensor<1x8xf16>) -> tensor<1x8xf16>
// CHECK-NEXT: }
// GENERIC: "lpu.schedule"() <{context = 16 : i64, name = "decode", tokens = 1 : i64}> ({
// GENERIC-NEXT: "lpu.vector"() <{chip = 0 : i64, duration = 10 : i64, kind = "embedding", start = 0 : i64, vxm = array<i64: 0>, weights = @embed}> : () -> tensor<1x8xf16>
// GENERIC-NEXT: "lpu.transfer"(%{{.*}}) <{chip = 0 : i64, duration = 20 : i64, links = array<i64: 0, 1>, start = 10 : i64, to = 1 : i64}> : (tensor<1x8xf16>) -> tensor<1x8xf16>
// GENERIC: "lpu.matmul"(%{{.*}}) <{chip = 1 : i64, duration = 40 : i64, mxm = array<i64: 0, 1>, start = 35 : i64, weights = @up}> : (tensor<1x8xf16>) -> tensor<1x32xf16>
// GENERIC: "lpu.attention"(%{{.*}}, %{{.*}}, %{{.*}}) <{cache = @cache, chip = 1 : i64, duration = 30 : i64, first_kv_head = 1 : i64, kv_heads = 1 : i64, mxm = array<i64: 2, 3>, start = 80 : i64, sxm = array<i64: 0>, vxm = array<i64: 0, 1>}>

//===----------------------------------------------------------------------===//
// lpu.schedule: a prefill of four tokens on one chip, bf16 activations
//===----------------------------------------------------------------------===//

// CHECK: lpu.schedule "prefill" tokens 4 context 16 attributes {lpu.phase = "prefill"} {
// CHECK-NEXT: %[[E:.*]] = lpu.vector "embedding" chip 0 at 0 for 40 vxm [1] : () -> tensor<4x8xbf16>
// CHECK-NEXT: %[[R:.*]] = lpu.vector "rms_norm"(%[[E]]) chip 0 at 40 for 8 vxm [0, 1] sxm [0, 1] : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
// CHECK-NEXT: %{{.*}} = lpu.transfer %[[R]] to 1 chip 0 at 48 for 30 links [0, 1, 2, 3] : tensor<4x8xbf16> -> tensor<4x8xbf16>
// CHECK-NEXT: %[[L:.*]] = lpu.transfer %[[R]] to 1 chip 0 at 78 for 30 links [0, 1, 2, 3] latency 25 : tensor<4x8xbf16> -> tensor<4x8xbf16>
// CHECK-NEXT: lpu.vector "silu"(%[[L]]) chip 1 at 133 for 8 vxm [0]
// CHECK-NEXT: }
// CHECK-NEXT: }
// GENERIC: }) {lpu.phase = "prefill"} : () -> ()
// GENERIC-NEXT: }) {lpu.note = "hand written"} : () -> ()

lpu.program target "test-lpu" chips 2 weight_bits 8 clock_mhz 900.0
    slices 8 slice_bytes 4096 mxm 4 vxm 2 sxm 2 links 4
    attributes {lpu.note = "hand written"} {
  // 16 x 8 bytes in two slices of 64.
  lpu.place @embed "model.embed_tokens.weight" [0, 0] [16, 8] bits 8 chip 0 slices 0 count 2 bytes_per_slice 64
  // 8 x 2 bytes in one slice.
  lpu.place @norm "model.norm.weight" [0] [8] bits 16 chip 1 slices 0 count 1 bytes_per_slice 16
  lpu.place @up "model.layers.0.mlp.up_proj.weight" [0, 0] [32, 8] bits 8 chip 1 slices 2 count 4 bytes_per_slice 64
  // The second KV head of the cache: 128 elements of 4 bits.
  lpu.place @cache "model.layers.0.kv_cache" [0, 0, 1, 0] [2, 16, 1, 4] bits 4 chip 1 slices 6 count 2 bytes_per_slice 32
  // Shares slice 0 of chip 1 with @norm.
  lpu.place @o "model.layers.0.self_attn.o_proj.weight" [0, 4] [8, 12] bits 8 chip 1 slices 0 count 1 bytes_per_slice 96 {lpu.tag = 7}
  // Fills slice 7 of chip 0 exactly.
  lpu.place @head "lm_head.weight" [0, 0] [16, 256] bits 8 chip 0 slices 7 count 1 bytes_per_slice 4096

  lpu.schedule "decode" tokens 1 context 16 {
    %0 = lpu.vector "embedding" weights @embed chip 0 at 0 for 10 vxm [0] : () -> tensor<1x8xf16>
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 20 links [0, 1] : tensor<1x8xf16> -> tensor<1x8xf16>
    // Starts the cycle the transfer ends, on the chip it sent to.
    %2 = lpu.vector "rms_norm"(%1) weights @norm chip 1 at 30 for 5 vxm [0] sxm [1] : (tensor<1x8xf16>) -> tensor<1x8xf16>
    %3 = lpu.matmul %2 weights @up chip 1 at 35 for 40 mxm [0, 1] : (tensor<1x8xf16>) -> tensor<1x32xf16>
    // Two vector ops at once on different vector units.
    %4 = lpu.vector "rope"(%3) chip 1 at 75 for 5 vxm [1] : (tensor<1x32xf16>) -> tensor<1x32xf16>
    %5 = lpu.vector "silu_mul"(%3, %3) chip 1 at 75 for 5 vxm [0] : (tensor<1x32xf16>, tensor<1x32xf16>) -> tensor<1x32xf16>
    %6 = lpu.attention %4, %2, %2 cache @cache heads 1 count 1 chip 1 at 80 for 30 mxm [2, 3] vxm [0, 1] sxm [0] : (tensor<1x32xf16>, tensor<1x8xf16>, tensor<1x8xf16>) -> tensor<1x4xf16>
    // Two inputs, concatenated: [1, 4 + 8] by a [8, 12] shard.
    %7 = lpu.matmul %6, %2 weights @o chip 1 at 110 for 20 mxm [0, 1, 2, 3] : (tensor<1x4xf16>, tensor<1x8xf16>) -> tensor<1x8xf16>
    %8 = lpu.transfer %7 to 0 chip 1 at 130 for 20 sxm [1] links [3] {lpu.tag = 1} : tensor<1x8xf16> -> tensor<1x8xf16>
    %9 = lpu.vector "add"(%0, %8) chip 0 at 150 for 5 vxm [0, 1] : (tensor<1x8xf16>, tensor<1x8xf16>) -> tensor<1x8xf16>
    %10 = lpu.vector "silu"(%9) chip 0 at 155 for 3 vxm [1] : (tensor<1x8xf16>) -> tensor<1x8xf16>
    %11 = lpu.vector "mul"(%9, %9) chip 0 at 155 for 3 vxm [0] : (tensor<1x8xf16>, tensor<1x8xf16>) -> tensor<1x8xf16>
  }

  lpu.schedule "prefill" tokens 4 context 16 attributes {lpu.phase = "prefill"} {
    // An embedding need not name its table.
    %0 = lpu.vector "embedding" chip 0 at 0 for 40 vxm [1] : () -> tensor<4x8xbf16>
    %1 = lpu.vector "rms_norm"(%0) chip 0 at 40 for 8 vxm [0, 1] sxm [0, 1] : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
    %2 = lpu.transfer %1 to 1 chip 0 at 48 for 30 links [0, 1, 2, 3] : tensor<4x8xbf16> -> tensor<4x8xbf16>
    // A transfer with hops: it holds the links for 30 cycles (78..108) and
    // its data arrives 25 cycles later (133), when it is read; the links
    // would be free for another transfer from 108.
    %3 = lpu.transfer %1 to 1 chip 0 at 78 for 30 links [0, 1, 2, 3] latency 25 : tensor<4x8xbf16> -> tensor<4x8xbf16>
    %4 = lpu.vector "silu"(%3) chip 1 at 133 for 8 vxm [0] : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
  }
}
