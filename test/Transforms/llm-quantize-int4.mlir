// llm-quantize-int4: every linear layer whose weight is a parameter becomes
// llm.matmul_int4 over the llm.quantize_int4 of that parameter (qweight
// [out / tile, groups, group_size / 8, tile] i32, scales and zeros f16
// [out / tile, groups, tile], groups = ceil(in / group_size)). The LM head
// (the matmul whose result the function returns) stays in float unless
// lm-head=true; exclude=a,b keeps the weights whose name contains a or b.

// RUN: llm-opt %s --llm-quantize-int4=group-size=32 | FileCheck %s --check-prefixes=CHECK,G32
// RUN: llm-opt %s --llm-quantize-int4=group-size=32 | FileCheck %s --check-prefix=NOFLOAT
// The defaults: groups of 128 inputs, asymmetric, LM head in float.
// RUN: llm-opt %s --llm-quantize-int4 | FileCheck %s --check-prefixes=CHECK,DEFAULT
// RUN: llm-opt %s '--llm-quantize-int4=group-size=32 lm-head=true' | FileCheck %s --check-prefixes=CHECK,HEAD
// RUN: llm-opt %s '--llm-quantize-int4=group-size=32 exclude=mlp' | FileCheck %s --check-prefixes=CHECK,MLP
// RUN: llm-opt %s '--llm-quantize-int4=group-size=32 exclude=q_proj,down_proj' | FileCheck %s --check-prefixes=CHECK,TWO
// RUN: llm-opt %s '--llm-quantize-int4=group-size=64 symmetric=true' | FileCheck %s --check-prefixes=CHECK,SYM
// Matmuls that are already quantized are left alone: a second run with
// another group size changes nothing.
// RUN: llm-opt %s --llm-quantize-int4=group-size=32 | llm-opt --llm-quantize-int4=group-size=64 | FileCheck %s --check-prefixes=CHECK,G32
// A word holds 8 inputs of a group: the group size is a multiple of 8.
// RUN: not llm-opt %s --llm-quantize-int4=group-size=33 2>&1 | FileCheck %s --check-prefix=ODD
// RUN: not llm-opt %s --llm-quantize-int4=group-size=0 2>&1 | FileCheck %s --check-prefix=ZERO
// A group is padded to its full size: an unbounded size would make huge packs.
// RUN: not llm-opt %s --llm-quantize-int4=group-size=1048576 2>&1 | FileCheck %s --check-prefix=HUGE
// The tiny config: 2 layers of 7 linear layers in each of prefill and decode.
// RUN: llm-translate --import-llama-config %llm_src/test/Frontend/Inputs/tiny | llm-opt --llm-quantize-int4=group-size=32 | FileCheck %s --check-prefix=TINY

// ODD: error: llm-quantize-int4: group-size must be a positive multiple of 8 up to 8192, not 33{{$}}
// ZERO: error: llm-quantize-int4: group-size must be a positive multiple of 8 up to 8192, not 0{{$}}
// HUGE: error: llm-quantize-int4: group-size must be a positive multiple of 8 up to 8192, not 1048576{{$}}

// No float linear layer is left but the LM head.
// NOFLOAT-LABEL: func.func @decode(
// NOFLOAT-NOT: llm.matmul %
// NOFLOAT: llm.matmul %{{.*}} -> tensor<1x99xf32>
// NOFLOAT-NOT: llm.matmul %
// NOFLOAT-LABEL: func.func @shared_weight(

//===----------------------------------------------------------------------===//
// A decoder layer and the LM head: hidden 48, KV 16, intermediate 100.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x48xf32>

// group-size=32: 48 inputs make 2 groups (the second one 16 wide), 100 make 4.
// G32-NEXT: %[[WQ:.*]] = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<48x48xf32>
// G32-NEXT: %[[QQ:.*]], %[[QS:.*]], %[[QZ:.*]] = llm.quantize_int4 %[[WQ]] group_size = 32 : tensor<48x48xf32> -> tensor<3x2x4x16xi32>, tensor<3x2x16xf16>, tensor<3x2x16xi8>
// G32-NEXT: %[[Q:.*]] = llm.matmul_int4 %[[X]], %[[QQ]], %[[QS]], %[[QZ]] group_size = 32 : tensor<1x48xf32>, tensor<3x2x4x16xi32>, tensor<3x2x16xf16>, tensor<3x2x16xi8> -> tensor<1x48xf32>
// G32-NEXT: %[[WK:.*]] = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<16x48xf32>
// G32-NEXT: %[[KQ:.*]], %[[KS:.*]], %[[KZ:.*]] = llm.quantize_int4 %[[WK]] group_size = 32 : tensor<16x48xf32> -> tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8>
// G32-NEXT: %[[K:.*]] = llm.matmul_int4 %[[X]], %[[KQ]], %[[KS]], %[[KZ]] group_size = 32 : tensor<1x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<1x16xf32>
// G32-NEXT: %[[WV:.*]] = llm.param "model.layers.0.self_attn.v_proj.weight"
// G32-NEXT: %[[VQ:.*]], %[[VS:.*]], %[[VZ:.*]] = llm.quantize_int4 %[[WV]] group_size = 32
// G32-NEXT: %[[V:.*]] = llm.matmul_int4 %[[X]], %[[VQ]], %[[VS]], %[[VZ]] group_size = 32
// G32-NEXT: %[[A:.*]], %{{.*}}, %{{.*}} = llm.attention %[[Q]], %[[K]], %[[V]]
// G32-NEXT: %[[WO:.*]] = llm.param "model.layers.0.self_attn.o_proj.weight"
// G32-NEXT: %[[OQ:.*]], %[[OS:.*]], %[[OZ:.*]] = llm.quantize_int4 %[[WO]] group_size = 32 : tensor<48x48xf32> -> tensor<3x2x4x16xi32>, tensor<3x2x16xf16>, tensor<3x2x16xi8>
// G32-NEXT: %[[O:.*]] = llm.matmul_int4 %[[A]], %[[OQ]], %[[OS]], %[[OZ]] group_size = 32 : tensor<1x48xf32>, tensor<3x2x4x16xi32>, tensor<3x2x16xf16>, tensor<3x2x16xi8> -> tensor<1x48xf32>
// G32-NEXT: %[[H:.*]] = llm.add %[[X]], %[[O]]
// G32-NEXT: %[[WG:.*]] = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<100x48xf32>
// G32-NEXT: %[[GQ:.*]], %[[GS:.*]], %[[GZ:.*]] = llm.quantize_int4 %[[WG]] group_size = 32 : tensor<100x48xf32> -> tensor<25x2x4x4xi32>, tensor<25x2x4xf16>, tensor<25x2x4xi8>
// G32-NEXT: %[[G:.*]] = llm.matmul_int4 %[[H]], %[[GQ]], %[[GS]], %[[GZ]] group_size = 32 : tensor<1x48xf32>, tensor<25x2x4x4xi32>, tensor<25x2x4xf16>, tensor<25x2x4xi8> -> tensor<1x100xf32>
// G32-NEXT: %[[WU:.*]] = llm.param "model.layers.0.mlp.up_proj.weight"
// G32-NEXT: %[[UQ:.*]], %[[US:.*]], %[[UZ:.*]] = llm.quantize_int4 %[[WU]] group_size = 32
// G32-NEXT: %[[U:.*]] = llm.matmul_int4 %[[H]], %[[UQ]], %[[US]], %[[UZ]] group_size = 32
// G32-NEXT: %[[S:.*]] = llm.silu %[[G]]
// G32-NEXT: %[[M:.*]] = llm.mul %[[S]], %[[U]]
// G32-NEXT: %[[WD:.*]] = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<48x100xf32>
// G32-NEXT: %[[DQ:.*]], %[[DS:.*]], %[[DZ:.*]] = llm.quantize_int4 %[[WD]] group_size = 32 : tensor<48x100xf32> -> tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8>
// G32-NEXT: %[[D:.*]] = llm.matmul_int4 %[[M]], %[[DQ]], %[[DS]], %[[DZ]] group_size = 32 : tensor<1x100xf32>, tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8> -> tensor<1x48xf32>
// G32-NEXT: %[[R:.*]] = llm.add %[[H]], %[[D]]
// The norm weight is no linear layer; the LM head's result is returned.
// G32-NEXT: %[[NW:.*]] = llm.param "model.norm.weight" : tensor<48xf32>
// G32-NEXT: %[[N:.*]] = llm.rms_norm %[[R]], %[[NW]]
// G32-NEXT: %[[LW:.*]] = llm.param "lm_head.weight" : tensor<99x48xf32>
// G32-NEXT: %[[L:.*]] = llm.matmul %[[N]], %[[LW]] : tensor<1x48xf32>, tensor<99x48xf32> -> tensor<1x99xf32>
// G32-NEXT: return %[[L]],

// The default group size is larger than the inputs: one group per row.
// DEFAULT: llm.quantize_int4 %{{.*}} group_size = 128 : tensor<48x48xf32> -> tensor<3x1x16x16xi32>, tensor<3x1x16xf16>, tensor<3x1x16xi8>
// DEFAULT-NEXT: llm.matmul_int4 %[[X]], %{{.*}}, %{{.*}}, %{{.*}} group_size = 128 : tensor<1x48xf32>, tensor<3x1x16x16xi32>, tensor<3x1x16xf16>, tensor<3x1x16xi8> -> tensor<1x48xf32>
// DEFAULT: llm.quantize_int4 %{{.*}} group_size = 128 : tensor<48x100xf32> -> tensor<3x1x16x16xi32>
// DEFAULT-NEXT: llm.matmul_int4 %{{.*}} group_size = 128 : tensor<1x100xf32>, tensor<3x1x16x16xi32>, tensor<3x1x16xf16>, tensor<3x1x16xi8> -> tensor<1x48xf32>
// DEFAULT: %[[LW:.*]] = llm.param "lm_head.weight" : tensor<99x48xf32>
// DEFAULT-NEXT: %[[L:.*]] = llm.matmul %{{.*}}, %[[LW]]
// DEFAULT-NEXT: return %[[L]],

// lm-head=true quantizes the LM head too.
// HEAD: llm.matmul_int4 {{.*}} -> tensor<1x48xf32>
// HEAD: llm.param "model.norm.weight" : tensor<48xf32>
// HEAD-NEXT: llm.rms_norm
// HEAD-NEXT: %[[LW:.*]] = llm.param "lm_head.weight" : tensor<99x48xf32>
// HEAD-NEXT: %[[LQ:.*]], %[[LS:.*]], %[[LZ:.*]] = llm.quantize_int4 %[[LW]] group_size = 32 : tensor<99x48xf32> -> tensor<99x2x4x1xi32>, tensor<99x2x1xf16>, tensor<99x2x1xi8>
// HEAD-NEXT: %[[L:.*]] = llm.matmul_int4 %{{.*}}, %[[LQ]], %[[LS]], %[[LZ]] group_size = 32 : tensor<1x48xf32>, tensor<99x2x4x1xi32>, tensor<99x2x1xf16>, tensor<99x2x1xi8> -> tensor<1x99xf32>
// HEAD-NEXT: return %[[L]],

// exclude=mlp: the attention projections are quantized, the three MLP
// weights stay float.
// MLP: llm.param "model.layers.0.self_attn.q_proj.weight"
// MLP-NEXT: llm.quantize_int4
// MLP: llm.param "model.layers.0.self_attn.o_proj.weight"
// MLP-NEXT: llm.quantize_int4
// MLP-NEXT: llm.matmul_int4 {{.*}} -> tensor<1x48xf32>
// MLP-NOT: llm.matmul_int4
// MLP: %[[GW:.*]] = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<100x48xf32>
// MLP-NEXT: llm.matmul %{{.*}}, %[[GW]] : tensor<1x48xf32>, tensor<100x48xf32> -> tensor<1x100xf32>
// MLP-NEXT: %[[UW:.*]] = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<100x48xf32>
// MLP-NEXT: llm.matmul %{{.*}}, %[[UW]] : tensor<1x48xf32>, tensor<100x48xf32> -> tensor<1x100xf32>
// MLP: %[[DW:.*]] = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<48x100xf32>
// MLP-NEXT: llm.matmul %{{.*}}, %[[DW]] : tensor<1x100xf32>, tensor<48x100xf32> -> tensor<1x48xf32>
// MLP-NOT: llm.matmul_int4
// MLP: return

// exclude=q_proj,down_proj: each pattern excludes its layer.
// TWO: %[[QW:.*]] = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<48x48xf32>
// TWO-NEXT: llm.matmul %[[X]], %[[QW]]
// TWO-NEXT: llm.param "model.layers.0.self_attn.k_proj.weight"
// TWO-NEXT: llm.quantize_int4
// TWO: llm.param "model.layers.0.mlp.up_proj.weight"
// TWO-NEXT: llm.quantize_int4
// TWO-NEXT: llm.matmul_int4
// TWO: %[[DW:.*]] = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<48x100xf32>
// TWO-NEXT: llm.matmul %{{.*}}, %[[DW]]

// symmetric=true is recorded on every quantization (100 inputs in groups of
// 64 make 2 groups).
// The layers read no zero points (all 8): matmul_int4 takes the words and
// the scales only.
// SYM: %[[SQ:.*]], %[[SS:.*]], %{{.*}} = llm.quantize_int4 %{{.*}} group_size = 64 symmetric : tensor<48x48xf32> -> tensor<3x1x8x16xi32>, tensor<3x1x16xf16>, tensor<3x1x16xi8>
// SYM-NEXT: llm.matmul_int4 %{{.*}}, %[[SQ]], %[[SS]] group_size = 64 : tensor<1x48xf32>, tensor<3x1x8x16xi32>, tensor<3x1x16xf16> -> tensor<1x48xf32>
// SYM: llm.quantize_int4 %{{.*}} group_size = 64 symmetric : tensor<48x100xf32> -> tensor<3x2x8x16xi32>
// SYM-NOT: llm.quantize_int4 %{{.*}} group_size = 64 :
// SYM: return
func.func @decode(%x: tensor<1x48xf32>, %pos: index, %kc: tensor<1x2x8x8xf32>, %vc: tensor<1x2x8x8xf32>)
    -> (tensor<1x99xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) {
  %wq = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<48x48xf32>
  %q = llm.matmul %x, %wq : tensor<1x48xf32>, tensor<48x48xf32> -> tensor<1x48xf32>
  %wk = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<16x48xf32>
  %k = llm.matmul %x, %wk : tensor<1x48xf32>, tensor<16x48xf32> -> tensor<1x16xf32>
  %wv = llm.param "model.layers.0.self_attn.v_proj.weight" : tensor<16x48xf32>
  %v = llm.matmul %x, %wv : tensor<1x48xf32>, tensor<16x48xf32> -> tensor<1x16xf32>
  %a, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 0 heads = 6 kv_heads = 2 head_dim = 8 : tensor<1x48xf32>, tensor<1x16xf32>, tensor<1x2x8x8xf32>
  %wo = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<48x48xf32>
  %o = llm.matmul %a, %wo : tensor<1x48xf32>, tensor<48x48xf32> -> tensor<1x48xf32>
  %h = llm.add %x, %o : tensor<1x48xf32>
  %wg = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<100x48xf32>
  %g = llm.matmul %h, %wg : tensor<1x48xf32>, tensor<100x48xf32> -> tensor<1x100xf32>
  %wu = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<100x48xf32>
  %u = llm.matmul %h, %wu : tensor<1x48xf32>, tensor<100x48xf32> -> tensor<1x100xf32>
  %s = llm.silu %g : tensor<1x100xf32>
  %m = llm.mul %s, %u : tensor<1x100xf32>
  %wd = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<48x100xf32>
  %d = llm.matmul %m, %wd : tensor<1x100xf32>, tensor<48x100xf32> -> tensor<1x48xf32>
  %r = llm.add %h, %d : tensor<1x48xf32>
  %wn = llm.param "model.norm.weight" : tensor<48xf32>
  %n = llm.rms_norm %r, %wn eps = 1.0e-5 : tensor<1x48xf32>, tensor<48xf32>
  %wl = llm.param "lm_head.weight" : tensor<99x48xf32>
  %l = llm.matmul %n, %wl : tensor<1x48xf32>, tensor<99x48xf32> -> tensor<1x99xf32>
  return %l, %nk, %nv : tensor<1x99xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>
}

//===----------------------------------------------------------------------===//
// Which float parameters survive
//===----------------------------------------------------------------------===//

// One parameter op used by two linear layers: both are quantized, each by
// its own llm.quantize_int4 of the parameter (identical, so that hoisting
// prepares the pack once).
// CHECK-LABEL: func.func @shared_weight(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x48xf32>, %[[Y:[^:]*]]: tensor<3x48xf32>
// G32-NEXT: %[[W:.*]] = llm.param "w" : tensor<8x48xf32>
// G32-NEXT: %[[Q0:.*]], %[[S0:.*]], %[[Z0:.*]] = llm.quantize_int4 %[[W]] group_size = 32 : tensor<8x48xf32> -> tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
// G32-NEXT: %[[A:.*]] = llm.matmul_int4 %[[X]], %[[Q0]], %[[S0]], %[[Z0]] group_size = 32 : tensor<2x48xf32>, tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<2x8xf32>
// G32-NEXT: %[[Q1:.*]], %[[S1:.*]], %[[Z1:.*]] = llm.quantize_int4 %[[W]] group_size = 32
// G32-NEXT: %[[B:.*]] = llm.matmul_int4 %[[Y]], %[[Q1]], %[[S1]], %[[Z1]] group_size = 32 : tensor<3x48xf32>, tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<3x8xf32>
// G32-NEXT: %[[SA:.*]] = llm.silu %[[A]]
// G32-NEXT: %[[SB:.*]] = llm.silu %[[B]]
// G32-NEXT: return %[[SA]], %[[SB]]
func.func @shared_weight(%x: tensor<2x48xf32>, %y: tensor<3x48xf32>) -> (tensor<2x8xf32>, tensor<3x8xf32>) {
  %w = llm.param "w" : tensor<8x48xf32>
  %a = llm.matmul %x, %w : tensor<2x48xf32>, tensor<8x48xf32> -> tensor<2x8xf32>
  %b = llm.matmul %y, %w : tensor<3x48xf32>, tensor<8x48xf32> -> tensor<3x8xf32>
  %sa = llm.silu %a : tensor<2x8xf32>
  %sb = llm.silu %b : tensor<3x8xf32>
  return %sa, %sb : tensor<2x8xf32>, tensor<3x8xf32>
}

// Tied embeddings: the embedding table is also the LM head's weight. With
// lm-head=true the head is quantized, and the embedding still reads the
// float table; without, nothing changes.
// CHECK-LABEL: func.func @tied(
// CHECK-SAME: %[[IDS:[^:]*]]: tensor<1xi32>
// G32-NEXT: %[[E:.*]] = llm.param "model.embed_tokens.weight" : tensor<99x48xf32>
// G32-NEXT: %[[H:.*]] = llm.embedding %[[E]][%[[IDS]]]
// G32-NEXT: %[[L:.*]] = llm.matmul %[[H]], %[[E]] : tensor<1x48xf32>, tensor<99x48xf32> -> tensor<1x99xf32>
// G32-NEXT: return %[[L]]
// HEAD-NEXT: %[[E:.*]] = llm.param "model.embed_tokens.weight" : tensor<99x48xf32>
// HEAD-NEXT: %[[H:.*]] = llm.embedding %[[E]][%[[IDS]]]
// HEAD-NEXT: %[[LQ:.*]], %[[LS:.*]], %[[LZ:.*]] = llm.quantize_int4 %[[E]] group_size = 32 : tensor<99x48xf32> -> tensor<99x2x4x1xi32>, tensor<99x2x1xf16>, tensor<99x2x1xi8>
// HEAD-NEXT: %[[L:.*]] = llm.matmul_int4 %[[H]], %[[LQ]], %[[LS]], %[[LZ]] group_size = 32 : tensor<1x48xf32>, tensor<99x2x4x1xi32>, tensor<99x2x1xf16>, tensor<99x2x1xi8> -> tensor<1x99xf32>
// HEAD-NEXT: return %[[L]]
func.func @tied(%ids: tensor<1xi32>) -> tensor<1x99xf32> {
  %e = llm.param "model.embed_tokens.weight" : tensor<99x48xf32>
  %h = llm.embedding %e[%ids] : tensor<99x48xf32>, tensor<1xi32> -> tensor<1x48xf32>
  %l = llm.matmul %h, %e : tensor<1x48xf32>, tensor<99x48xf32> -> tensor<1x99xf32>
  return %l : tensor<1x99xf32>
}

// Only weights that are parameters are quantized: a weight passed in as an
// argument keeps its float matmul.
// CHECK-LABEL: func.func @argument_weight(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x48xf32>, %[[W:[^:]*]]: tensor<8x48xf32>
// CHECK-NEXT: %[[Y:.*]] = llm.matmul %[[X]], %[[W]] : tensor<4x48xf32>, tensor<8x48xf32> -> tensor<4x8xf32>
// CHECK-NEXT: %[[S:.*]] = llm.silu %[[Y]]
// CHECK-NEXT: return %[[S]]
func.func @argument_weight(%x: tensor<4x48xf32>, %w: tensor<8x48xf32>) -> tensor<4x8xf32> {
  %y = llm.matmul %x, %w : tensor<4x48xf32>, tensor<8x48xf32> -> tensor<4x8xf32>
  %s = llm.silu %y : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// The tiny config
//===----------------------------------------------------------------------===//

// The 7 linear layers of the decoder-layer function (called once per layer)
// become matmul_int4; only the LM head is left in float.
// TINY-LABEL: func.func @prefill(
// TINY-NOT: llm.matmul_int4
// TINY: %[[LW:.*]] = llm.param "lm_head.weight" : tensor<99x48xf32>
// TINY-NEXT: %[[L:.*]] = llm.matmul %{{.*}}, %[[LW]] : tensor<?x48xf32>, tensor<99x48xf32> -> tensor<?x99xf32>
// TINY-NEXT: return %[[L]],
// TINY-LABEL: func.func private @prefill_layer(
// TINY-NOT: llm.matmul %
// TINY-COUNT-7: llm.matmul_int4
// TINY-NOT: llm.matmul_int4
// TINY-LABEL: func.func @decode(
// TINY-NOT: llm.matmul_int4
// TINY: %[[LW:.*]] = llm.param "lm_head.weight" : tensor<99x48xf32>
// TINY-NEXT: %[[L:.*]] = llm.matmul %{{.*}}, %[[LW]] : tensor<1x48xf32>, tensor<99x48xf32> -> tensor<1x99xf32>
// TINY-NEXT: return %[[L]],
// TINY-LABEL: func.func private @decode_layer(
// TINY-NOT: llm.matmul %
// TINY-COUNT-7: llm.matmul_int4
// TINY-NOT: llm.matmul_int4
