// Round trip of every llm op through the custom and the generic assembly
// forms, with static and dynamic shapes and several float element types.

// RUN: llm-opt %s | llm-opt | FileCheck %s
// RUN: llm-opt %s --mlir-print-op-generic | llm-opt | FileCheck %s
// RUN: llm-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

//===----------------------------------------------------------------------===//
// llm.param
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @param(
// CHECK: %[[W0:.*]] = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<172x64xf32>
// CHECK: %[[W1:.*]] = llm.param "model.norm.weight" : tensor<64xbf16>
// CHECK: %[[W2:.*]] = llm.param "lm_head.weight" : tensor<512x64xf16>
// CHECK: %[[W3:.*]] = llm.param "model.layers.0.self_attn.q_proj.weight" {llm.tag = 3 : i64} : tensor<64x64xf32>
// CHECK: return %[[W0]], %[[W1]], %[[W2]], %[[W3]]
// GENERIC-LABEL: sym_name = "param"
// GENERIC: "llm.param"() <{name = "model.layers.0.mlp.up_proj.weight"}> : () -> tensor<172x64xf32>
// GENERIC: "llm.param"() <{name = "model.norm.weight"}> : () -> tensor<64xbf16>
// GENERIC: "llm.param"() <{name = "lm_head.weight"}> : () -> tensor<512x64xf16>
// GENERIC: "llm.param"() <{name = "model.layers.0.self_attn.q_proj.weight"}> {llm.tag = 3 : i64} : () -> tensor<64x64xf32>
func.func @param() -> (tensor<172x64xf32>, tensor<64xbf16>, tensor<512x64xf16>, tensor<64x64xf32>) {
  %0 = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<172x64xf32>
  %1 = llm.param "model.norm.weight" : tensor<64xbf16>
  %2 = llm.param "lm_head.weight" : tensor<512x64xf16>
  %3 = llm.param "model.layers.0.self_attn.q_proj.weight" {llm.tag = 3} : tensor<64x64xf32>
  return %0, %1, %2, %3 : tensor<172x64xf32>, tensor<64xbf16>, tensor<512x64xf16>, tensor<64x64xf32>
}

// In a decoder-layer function: the layer's tensor, by the layer operand.
// CHECK-LABEL: func.func @param_of_layer(
// CHECK-SAME: %[[L:.*]]: index
// CHECK: %[[W:.*]] = llm.param "model.layers.{}.mlp.up_proj.weight"[%[[L]]] : tensor<172x64xbf16>
// CHECK: return %[[W]]
// GENERIC-LABEL: sym_name = "param_of_layer"
// GENERIC: "llm.param"(%{{.*}}) <{name = "model.layers.{}.mlp.up_proj.weight"}> : (index) -> tensor<172x64xbf16>
func.func @param_of_layer(%layer: index) -> tensor<172x64xbf16> {
  %0 = llm.param "model.layers.{}.mlp.up_proj.weight"[%layer] : tensor<172x64xbf16>
  return %0 : tensor<172x64xbf16>
}

//===----------------------------------------------------------------------===//
// llm.embedding
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @embedding_static(
// CHECK-SAME: %[[TABLE:[^:]*]]: tensor<512x64xf32>, %[[IDS:[^:]*]]: tensor<7xi32>
// CHECK: %[[E:.*]] = llm.embedding %[[TABLE]][%[[IDS]]] : tensor<512x64xf32>, tensor<7xi32> -> tensor<7x64xf32>
// CHECK: return %[[E]]
// GENERIC-LABEL: sym_name = "embedding_static"
// GENERIC: "llm.embedding"(%{{.*}}, %{{.*}}) : (tensor<512x64xf32>, tensor<7xi32>) -> tensor<7x64xf32>
func.func @embedding_static(%table: tensor<512x64xf32>, %ids: tensor<7xi32>) -> tensor<7x64xf32> {
  %0 = llm.embedding %table[%ids] : tensor<512x64xf32>, tensor<7xi32> -> tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// CHECK-LABEL: func.func @embedding_dynamic(
// CHECK-SAME: %[[TABLE:[^:]*]]: tensor<?x?xbf16>, %[[IDS:[^:]*]]: tensor<?xi64>
// CHECK: %[[E0:.*]] = llm.embedding %[[TABLE]][%[[IDS]]] : tensor<?x?xbf16>, tensor<?xi64> -> tensor<?x64xbf16>
// CHECK: %[[E1:.*]] = llm.embedding %[[TABLE]][%[[IDS]]] : tensor<?x?xbf16>, tensor<?xi64> -> tensor<3x?xbf16>
// CHECK: return %[[E0]], %[[E1]]
func.func @embedding_dynamic(%table: tensor<?x?xbf16>, %ids: tensor<?xi64>) -> (tensor<?x64xbf16>, tensor<3x?xbf16>) {
  %0 = llm.embedding %table[%ids] : tensor<?x?xbf16>, tensor<?xi64> -> tensor<?x64xbf16>
  %1 = llm.embedding %table[%ids] : tensor<?x?xbf16>, tensor<?xi64> -> tensor<3x?xbf16>
  return %0, %1 : tensor<?x64xbf16>, tensor<3x?xbf16>
}

//===----------------------------------------------------------------------===//
// llm.rms_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>, %[[W:[^:]*]]: tensor<64xf32>, %[[V:[^:]*]]: tensor<64xf32>, %[[B:[^:]*]]: tensor<2x?x128xbf16>, %[[BW:[^:]*]]: tensor<?xbf16>
// CHECK: %[[N0:.*]] = llm.rms_norm %[[X]], %[[W]] eps = 1.000000e-05 : tensor<?x64xf32>, tensor<64xf32>
// CHECK: %[[N1:.*]] = llm.rms_norm %[[V]], %[[W]] eps = 9.9999999999999995E-7 : tensor<64xf32>, tensor<64xf32>
// CHECK: %[[N2:.*]] = llm.rms_norm %[[B]], %[[BW]] eps = 9.9999999999999995E-7 : tensor<2x?x128xbf16>, tensor<?xbf16>
// CHECK: return %[[N0]], %[[N1]], %[[N2]]
// GENERIC-LABEL: sym_name = "rms_norm"
// GENERIC: "llm.rms_norm"(%{{.*}}, %{{.*}}) <{eps = 1.000000e-05 : f64}> : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %v: tensor<64xf32>,
                    %b: tensor<2x?x128xbf16>, %bw: tensor<?xbf16>)
    -> (tensor<?x64xf32>, tensor<64xf32>, tensor<2x?x128xbf16>) {
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>
  %1 = llm.rms_norm %v, %w eps = 0.000001 : tensor<64xf32>, tensor<64xf32>
  %2 = llm.rms_norm %b, %bw eps = 1.000000e-06 : tensor<2x?x128xbf16>, tensor<?xbf16>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<64xf32>, tensor<2x?x128xbf16>
}

//===----------------------------------------------------------------------===//
// llm.matmul
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[X:[^:]*]]: tensor<7x64xf32>, %[[W:[^:]*]]: tensor<172x64xf32>, %[[D:[^:]*]]: tensor<?x64xf32>, %[[H:[^:]*]]: tensor<?x?xf16>, %[[HW:[^:]*]]: tensor<32x?xf16>
// CHECK: %[[M0:.*]] = llm.matmul %[[X]], %[[W]] : tensor<7x64xf32>, tensor<172x64xf32> -> tensor<7x172xf32>
// CHECK: %[[M1:.*]] = llm.matmul %[[D]], %[[W]] : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32>
// CHECK: %[[M2:.*]] = llm.matmul %[[H]], %[[HW]] : tensor<?x?xf16>, tensor<32x?xf16> -> tensor<?x32xf16>
// CHECK: %[[M3:.*]] = llm.matmul %[[H]], %[[HW]] : tensor<?x?xf16>, tensor<32x?xf16> -> tensor<5x?xf16>
// CHECK: return %[[M0]], %[[M1]], %[[M2]], %[[M3]]
// GENERIC-LABEL: sym_name = "matmul"
// GENERIC: "llm.matmul"(%{{.*}}, %{{.*}}) : (tensor<7x64xf32>, tensor<172x64xf32>) -> tensor<7x172xf32>
func.func @matmul(%x: tensor<7x64xf32>, %w: tensor<172x64xf32>, %d: tensor<?x64xf32>,
                  %h: tensor<?x?xf16>, %hw: tensor<32x?xf16>)
    -> (tensor<7x172xf32>, tensor<?x172xf32>, tensor<?x32xf16>, tensor<5x?xf16>) {
  %0 = llm.matmul %x, %w : tensor<7x64xf32>, tensor<172x64xf32> -> tensor<7x172xf32>
  %1 = llm.matmul %d, %w : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32>
  %2 = llm.matmul %h, %hw : tensor<?x?xf16>, tensor<32x?xf16> -> tensor<?x32xf16>
  %3 = llm.matmul %h, %hw : tensor<?x?xf16>, tensor<32x?xf16> -> tensor<5x?xf16>
  return %0, %1, %2, %3 : tensor<7x172xf32>, tensor<?x172xf32>, tensor<?x32xf16>, tensor<5x?xf16>
}

// Weights may keep a 16-bit checkpoint's precision under f32 activations.
// CHECK-LABEL: func.func @weights_16bit(
// CHECK: llm.embedding %{{.*}}[%{{.*}}] : tensor<512x64xbf16>, tensor<7xi32> -> tensor<7x64xf32>
// CHECK: llm.rms_norm %{{.*}}, %{{.*}} eps = {{.*}} : tensor<7x64xf32>, tensor<64xf16>
// CHECK: llm.matmul %{{.*}}, %{{.*}} : tensor<7x64xf32>, tensor<172x64xbf16> -> tensor<7x172xf32>
func.func @weights_16bit(%t: tensor<512x64xbf16>, %ids: tensor<7xi32>, %g: tensor<64xf16>,
                         %w: tensor<172x64xbf16>) -> tensor<7x172xf32> {
  %0 = llm.embedding %t[%ids] : tensor<512x64xbf16>, tensor<7xi32> -> tensor<7x64xf32>
  %1 = llm.rms_norm %0, %g eps = 1.0e-5 : tensor<7x64xf32>, tensor<64xf16>
  %2 = llm.matmul %1, %w : tensor<7x64xf32>, tensor<172x64xbf16> -> tensor<7x172xf32>
  return %2 : tensor<7x172xf32>
}

//===----------------------------------------------------------------------===//
// llm.rope
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rope(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x64xf32>, %[[K:[^:]*]]: tensor<7x32xbf16>, %[[A:[^:]*]]: tensor<?x?xf16>, %[[POS:[^:]*]]: index
// CHECK: %[[R0:.*]] = llm.rope %[[Q]] at %[[POS]] head_dim = 8 theta = 1.000000e+04 : tensor<?x64xf32>
// CHECK-NOT: scaling
// CHECK: %[[R1:.*]] = llm.rope %[[K]] at %[[POS]] head_dim = 8 theta = 5.000000e+05 : tensor<7x32xbf16>
// CHECK-NOT: scaling
// CHECK: %[[R2:.*]] = llm.rope %[[A]] at %[[POS]] head_dim = 2 theta = 1.000000e+04 : tensor<?x?xf16>
// CHECK: return %[[R0]], %[[R1]], %[[R2]]
// GENERIC-LABEL: sym_name = "rope"
// GENERIC: "llm.rope"(%{{.*}}, %{{.*}}) <{head_dim = 8 : i64, theta = 1.000000e+04 : f64}> : (tensor<?x64xf32>, index) -> tensor<?x64xf32>
func.func @rope(%q: tensor<?x64xf32>, %k: tensor<7x32xbf16>, %a: tensor<?x?xf16>, %pos: index)
    -> (tensor<?x64xf32>, tensor<7x32xbf16>, tensor<?x?xf16>) {
  %0 = llm.rope %q at %pos head_dim = 8 theta = 10000.0 : tensor<?x64xf32>
  %1 = llm.rope %k at %pos head_dim = 8 theta = 5.0e5 : tensor<7x32xbf16>
  %2 = llm.rope %a at %pos head_dim = 2 theta = 1.0e4 : tensor<?x?xf16>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<7x32xbf16>, tensor<?x?xf16>
}

// The printer elides the `#llm.rope_llama3` prefix of the scaling attribute.
// CHECK-LABEL: func.func @rope_llama3(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x8192xf32>, %[[K:[^:]*]]: tensor<4x1024xbf16>, %[[POS:[^:]*]]: index
// CHECK: %[[R0:.*]] = llm.rope %[[Q]] at %[[POS]] head_dim = 128 theta = 5.000000e+05 scaling <factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 8192> : tensor<?x8192xf32>
// CHECK: %[[R1:.*]] = llm.rope %[[K]] at %[[POS]] head_dim = 64 theta = 5.000000e+05 scaling <factor = 3.200000e+01, low_freq_factor = 5.000000e-01, high_freq_factor = 2.500000e+00, original_max_position = 1> {llm.tag} : tensor<4x1024xbf16>
// CHECK: return %[[R0]], %[[R1]]
// GENERIC-LABEL: sym_name = "rope_llama3"
// GENERIC: "llm.rope"(%{{.*}}, %{{.*}}) <{head_dim = 128 : i64, scaling = #llm.rope_llama3<factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 8192>, theta = 5.000000e+05 : f64}> : (tensor<?x8192xf32>, index) -> tensor<?x8192xf32>
func.func @rope_llama3(%q: tensor<?x8192xf32>, %k: tensor<4x1024xbf16>, %pos: index)
    -> (tensor<?x8192xf32>, tensor<4x1024xbf16>) {
  %0 = llm.rope %q at %pos head_dim = 128 theta = 500000.0 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192> : tensor<?x8192xf32>
  // The fully qualified attribute form needs a non-empty attr-dict after it:
  // directly before the `:` the attribute parser would take the op's type as
  // the attribute's own trailing `: type`.
  %1 = llm.rope %k at %pos head_dim = 64 theta = 5.0e5 scaling #llm.rope_llama3<factor = 32.0, low_freq_factor = 0.5, high_freq_factor = 2.5, original_max_position = 1> {llm.tag} : tensor<4x1024xbf16>
  return %0, %1 : tensor<?x8192xf32>, tensor<4x1024xbf16>
}

// Written in the generic form, the fully qualified attribute parses anywhere.
// CHECK-LABEL: func.func @rope_llama3_generic_input(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<3x64xf16>, %[[POS:[^:]*]]: index
// CHECK: %[[R:.*]] = llm.rope %[[Q]] at %[[POS]] head_dim = 16 theta = 1.000000e+04 scaling <factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 8192> : tensor<3x64xf16>
// CHECK: return %[[R]]
func.func @rope_llama3_generic_input(%q: tensor<3x64xf16>, %pos: index) -> tensor<3x64xf16> {
  %0 = "llm.rope"(%q, %pos) <{head_dim = 16 : i64, theta = 1.0e4 : f64, scaling = #llm.rope_llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>}> : (tensor<3x64xf16>, index) -> tensor<3x64xf16>
  return %0 : tensor<3x64xf16>
}

//===----------------------------------------------------------------------===//
// llm.attention
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attention(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x64xf32>, %[[K:[^:]*]]: tensor<?x32xf32>, %[[V:[^:]*]]: tensor<?x32xf32>, %[[KC:[^:]*]]: tensor<5x4x512x8xf32>, %[[VC:[^:]*]]: tensor<5x4x512x8xf32>, %[[POS:[^:]*]]: index
// CHECK: %[[O0:.*]], %[[KC0:.*]], %[[VC0:.*]] = llm.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[POS]] layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x512x8xf32>
// CHECK-NOT: scale
// CHECK: %[[O1:.*]], %[[KC1:.*]], %[[VC1:.*]] = llm.attention %[[O0]], %[[K]], %[[V]] cache(%[[KC0]], %[[VC0]]) at %[[POS]] layer 4 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x512x8xf32>
// CHECK: return %[[O1]], %[[KC1]], %[[VC1]]
// GENERIC-LABEL: sym_name = "attention"
// GENERIC: "llm.attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{head_dim = 8 : i64, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64}> : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<5x4x512x8xf32>, tensor<5x4x512x8xf32>, index) -> (tensor<?x64xf32>, tensor<5x4x512x8xf32>, tensor<5x4x512x8xf32>)
func.func @attention(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>,
                     %kc: tensor<5x4x512x8xf32>, %vc: tensor<5x4x512x8xf32>, %pos: index)
    -> (tensor<?x64xf32>, tensor<5x4x512x8xf32>, tensor<5x4x512x8xf32>) {
  %o0, %kc0, %vc0 = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x512x8xf32>
  %o1, %kc1, %vc1 = llm.attention %o0, %k, %v cache(%kc0, %vc0) at %pos layer 4 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x512x8xf32>
  return %o1, %kc1, %vc1 : tensor<?x64xf32>, tensor<5x4x512x8xf32>, tensor<5x4x512x8xf32>
}

// In a decoder-layer function the layer is an index value.
// CHECK-LABEL: func.func @attention_layer_index(
// CHECK-SAME: %[[POS:[^:]*]]: index, %[[L:[^:]*]]: index
// CHECK: llm.attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}}) at %[[POS]] layer %[[L]] heads = 8 kv_heads = 4 head_dim = 8 : tensor<1x64xf32>, tensor<1x32xf32>, tensor<5x4x?x8xf32>
// GENERIC-LABEL: sym_name = "attention_layer_index"
// GENERIC: "llm.attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{head_dim = 8 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64}>
func.func @attention_layer_index(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x32xf32>,
                                 %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %pos: index, %layer: index)
    -> (tensor<1x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer %layer heads = 8 kv_heads = 4 head_dim = 8 : tensor<1x64xf32>, tensor<1x32xf32>, tensor<5x4x?x8xf32>
  return %o, %nk, %nv : tensor<1x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>
}

// An explicit softmax scale is carried in the attribute dictionary.
// CHECK-LABEL: func.func @attention_scale(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<7x64xbf16>, %[[K:[^:]*]]: tensor<7x64xbf16>, %[[V:[^:]*]]: tensor<7x64xbf16>, %[[KC:[^:]*]]: tensor<2x8x16x8xbf16>, %[[VC:[^:]*]]: tensor<2x8x16x8xbf16>, %[[POS:[^:]*]]: index
// CHECK: %[[O:.*]], %[[NK:.*]], %[[NV:.*]] = llm.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[POS]] layer 1 heads = 8 kv_heads = 8 head_dim = 8 {scale = 1.250000e-01 : f64} : tensor<7x64xbf16>, tensor<7x64xbf16>, tensor<2x8x16x8xbf16>
// CHECK: return %[[O]], %[[NK]], %[[NV]]
// GENERIC-LABEL: sym_name = "attention_scale"
// GENERIC: "llm.attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{head_dim = 8 : i64, layer = 1 : i64, num_heads = 8 : i64, num_kv_heads = 8 : i64, scale = 1.250000e-01 : f64}>
func.func @attention_scale(%q: tensor<7x64xbf16>, %k: tensor<7x64xbf16>, %v: tensor<7x64xbf16>,
                           %kc: tensor<2x8x16x8xbf16>, %vc: tensor<2x8x16x8xbf16>, %pos: index)
    -> (tensor<7x64xbf16>, tensor<2x8x16x8xbf16>, tensor<2x8x16x8xbf16>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 1 heads = 8 kv_heads = 8 head_dim = 8 {scale = 0.125 : f64} : tensor<7x64xbf16>, tensor<7x64xbf16>, tensor<2x8x16x8xbf16>
  return %o, %nk, %nv : tensor<7x64xbf16>, tensor<2x8x16x8xbf16>, tensor<2x8x16x8xbf16>
}

// The attention block with its rotary embeddings (rope_theta, rope_scaling).
// CHECK-LABEL: func.func @attention_rope(
// CHECK: llm.attention {{.*}} head_dim = 8 {rope_scaling = #llm.rope_llama3<factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 8192>, rope_theta = 5.000000e+05 : f64}
// GENERIC-LABEL: sym_name = "attention_rope"
// GENERIC: "llm.attention"({{.*}}) <{head_dim = 8 : i64, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 8 : i64, rope_scaling = #llm.rope_llama3<{{.*}}>, rope_theta = 5.000000e+05 : f64}>
func.func @attention_rope(%q: tensor<7x64xf32>, %k: tensor<7x64xf32>, %v: tensor<7x64xf32>,
                          %kc: tensor<1x8x16x8xf32>, %vc: tensor<1x8x16x8xf32>, %pos: index) -> tensor<7x64xf32> {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 0 heads = 8 kv_heads = 8 head_dim = 8 {rope_theta = 5.0e+05 : f64, rope_scaling = #llm.rope_llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>} : tensor<7x64xf32>, tensor<7x64xf32>, tensor<1x8x16x8xf32>
  return %o : tensor<7x64xf32>
}

// Fully dynamic shapes: every dimension check is deferred to run time.
// CHECK-LABEL: func.func @attention_dynamic(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x?xf16>, %[[K:[^:]*]]: tensor<?x?xf16>, %[[V:[^:]*]]: tensor<?x?xf16>, %[[KC:[^:]*]]: tensor<?x?x?x?xf16>, %[[VC:[^:]*]]: tensor<?x?x?x?xf16>, %[[POS:[^:]*]]: index
// CHECK: %[[O:.*]], %[[NK:.*]], %[[NV:.*]] = llm.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[POS]] layer 31 heads = 32 kv_heads = 8 head_dim = 128 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?x?x?xf16>
// CHECK: return %[[O]], %[[NK]], %[[NV]]
func.func @attention_dynamic(%q: tensor<?x?xf16>, %k: tensor<?x?xf16>, %v: tensor<?x?xf16>,
                             %kc: tensor<?x?x?x?xf16>, %vc: tensor<?x?x?x?xf16>, %pos: index)
    -> (tensor<?x?xf16>, tensor<?x?x?x?xf16>, tensor<?x?x?x?xf16>) {
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %pos layer 31 heads = 32 kv_heads = 8 head_dim = 128 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?x?x?xf16>
  return %o, %nk, %nv : tensor<?x?xf16>, tensor<?x?x?x?xf16>, tensor<?x?x?x?xf16>
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @elementwise(
// CHECK-SAME: %[[A:[^:]*]]: tensor<?x172xf32>, %[[B:[^:]*]]: tensor<?x172xf32>, %[[C:[^:]*]]: tensor<4x8xbf16>, %[[D:[^:]*]]: tensor<2x3x4xf16>
// CHECK: %[[S0:.*]] = llm.silu %[[A]] : tensor<?x172xf32>
// CHECK: %[[M0:.*]] = llm.mul %[[S0]], %[[B]] : tensor<?x172xf32>
// CHECK: %[[A0:.*]] = llm.add %[[M0]], %[[A]] : tensor<?x172xf32>
// CHECK: %[[S1:.*]] = llm.silu %[[C]] : tensor<4x8xbf16>
// CHECK: %[[M1:.*]] = llm.mul %[[C]], %[[S1]] : tensor<4x8xbf16>
// CHECK: %[[A1:.*]] = llm.add %[[S1]], %[[M1]] : tensor<4x8xbf16>
// CHECK: %[[S2:.*]] = llm.silu %[[D]] : tensor<2x3x4xf16>
// CHECK: %[[M2:.*]] = llm.mul %[[S2]], %[[D]] : tensor<2x3x4xf16>
// CHECK: %[[A2:.*]] = llm.add %[[D]], %[[M2]] : tensor<2x3x4xf16>
// CHECK: return %[[A0]], %[[A1]], %[[A2]]
// GENERIC-LABEL: sym_name = "elementwise"
// GENERIC: "llm.silu"(%{{.*}}) : (tensor<?x172xf32>) -> tensor<?x172xf32>
// GENERIC: "llm.mul"(%{{.*}}, %{{.*}}) : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
// GENERIC: "llm.add"(%{{.*}}, %{{.*}}) : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
func.func @elementwise(%a: tensor<?x172xf32>, %b: tensor<?x172xf32>, %c: tensor<4x8xbf16>, %d: tensor<2x3x4xf16>)
    -> (tensor<?x172xf32>, tensor<4x8xbf16>, tensor<2x3x4xf16>) {
  %0 = llm.silu %a : tensor<?x172xf32>
  %1 = llm.mul %0, %b : tensor<?x172xf32>
  %2 = llm.add %1, %a : tensor<?x172xf32>
  %3 = llm.silu %c : tensor<4x8xbf16>
  %4 = llm.mul %c, %3 : tensor<4x8xbf16>
  %5 = llm.add %3, %4 : tensor<4x8xbf16>
  %6 = llm.silu %d : tensor<2x3x4xf16>
  %7 = llm.mul %6, %d : tensor<2x3x4xf16>
  %8 = llm.add %d, %7 : tensor<2x3x4xf16>
  return %2, %5, %8 : tensor<?x172xf32>, tensor<4x8xbf16>, tensor<2x3x4xf16>
}

//===----------------------------------------------------------------------===//
// A decoder layer as the importer emits it
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @decoder_layer(
// CHECK-SAME: %[[TOK:[^:]*]]: tensor<?xi32>, %[[POS:[^:]*]]: index, %[[KC:[^:]*]]: tensor<5x4x?x8xf32>, %[[VC:[^:]*]]: tensor<5x4x?x8xf32>
// CHECK: %[[EMB:.*]] = llm.param "model.embed_tokens.weight" : tensor<512x64xf32>
// CHECK: %[[H:.*]] = llm.embedding %[[EMB]][%[[TOK]]] : tensor<512x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
// CHECK: %[[NW:.*]] = llm.param "model.layers.0.input_layernorm.weight" : tensor<64xf32>
// CHECK: %[[N:.*]] = llm.rms_norm %[[H]], %[[NW]] eps = 1.000000e-05
// CHECK: %[[QW:.*]] = llm.param "model.layers.0.self_attn.q_proj.weight"
// CHECK: %[[QP:.*]] = llm.matmul %[[N]], %[[QW]]
// CHECK: %[[KW:.*]] = llm.param "model.layers.0.self_attn.k_proj.weight"
// CHECK: %[[KP:.*]] = llm.matmul %[[N]], %[[KW]]
// CHECK: %[[VW:.*]] = llm.param "model.layers.0.self_attn.v_proj.weight"
// CHECK: %[[VP:.*]] = llm.matmul %[[N]], %[[VW]]
// CHECK: %[[QR:.*]] = llm.rope %[[QP]] at %[[POS]]
// CHECK: %[[KR:.*]] = llm.rope %[[KP]] at %[[POS]]
// CHECK: %[[ATT:.*]], %[[NKC:.*]], %[[NVC:.*]] = llm.attention %[[QR]], %[[KR]], %[[VP]] cache(%[[KC]], %[[VC]]) at %[[POS]] layer 0
// CHECK: %[[OW:.*]] = llm.param "model.layers.0.self_attn.o_proj.weight"
// CHECK: %[[OP:.*]] = llm.matmul %[[ATT]], %[[OW]]
// CHECK: %[[RES:.*]] = llm.add %[[H]], %[[OP]] : tensor<?x64xf32>
// CHECK: return %[[RES]], %[[NKC]], %[[NVC]]
func.func @decoder_layer(%tokens: tensor<?xi32>, %pos: index, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>)
    -> (tensor<?x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>) {
  %0 = llm.param "model.embed_tokens.weight" : tensor<512x64xf32>
  %1 = llm.embedding %0[%tokens] : tensor<512x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  %2 = llm.param "model.layers.0.input_layernorm.weight" : tensor<64xf32>
  %3 = llm.rms_norm %1, %2 eps = 1.000000e-05 : tensor<?x64xf32>, tensor<64xf32>
  %4 = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>
  %5 = llm.matmul %3, %4 : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %6 = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<32x64xf32>
  %7 = llm.matmul %3, %6 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %8 = llm.param "model.layers.0.self_attn.v_proj.weight" : tensor<32x64xf32>
  %9 = llm.matmul %3, %8 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %10 = llm.rope %5 at %pos head_dim = 8 theta = 1.000000e+04 : tensor<?x64xf32>
  %11 = llm.rope %7 at %pos head_dim = 8 theta = 1.000000e+04 : tensor<?x32xf32>
  %o, %nk, %nv = llm.attention %10, %11, %9 cache(%kc, %vc) at %pos layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  %12 = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<64x64xf32>
  %13 = llm.matmul %o, %12 : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %14 = llm.add %1, %13 : tensor<?x64xf32>
  return %14, %nk, %nv : tensor<?x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>
}

//===----------------------------------------------------------------------===//
// Weight transforms: llm.scale_columns, llm.quantize_int4, llm.repack_awq
//===----------------------------------------------------------------------===//

// The product is f32 whatever the float types of the weight and the scale,
// which need not agree.
// CHECK-LABEL: func.func @scale_columns(
// CHECK-SAME: %[[W:[^:]*]]: tensor<172x64xbf16>, %[[G:[^:]*]]: tensor<64xbf16>, %[[V:[^:]*]]: tensor<8x16xf32>, %[[H:[^:]*]]: tensor<16xf16>
// CHECK: %[[S0:.*]] = llm.scale_columns %[[W]], %[[G]] : tensor<172x64xbf16>, tensor<64xbf16> -> tensor<172x64xf32>
// CHECK: %[[S1:.*]] = llm.scale_columns %[[V]], %[[H]] {llm.tag} : tensor<8x16xf32>, tensor<16xf16> -> tensor<8x16xf32>
// CHECK: return %[[S0]], %[[S1]]
// GENERIC-LABEL: sym_name = "scale_columns"
// GENERIC: "llm.scale_columns"(%{{.*}}, %{{.*}}) : (tensor<172x64xbf16>, tensor<64xbf16>) -> tensor<172x64xf32>
// GENERIC: "llm.scale_columns"(%{{.*}}, %{{.*}}) {llm.tag} : (tensor<8x16xf32>, tensor<16xf16>) -> tensor<8x16xf32>
func.func @scale_columns(%w: tensor<172x64xbf16>, %g: tensor<64xbf16>, %v: tensor<8x16xf32>, %h: tensor<16xf16>)
    -> (tensor<172x64xf32>, tensor<8x16xf32>) {
  %0 = llm.scale_columns %w, %g : tensor<172x64xbf16>, tensor<64xbf16> -> tensor<172x64xf32>
  %1 = llm.scale_columns %v, %h {llm.tag} : tensor<8x16xf32>, tensor<16xf16> -> tensor<8x16xf32>
  return %0, %1 : tensor<172x64xf32>, tensor<8x16xf32>
}

// qweight is [out / tile, groups, group_size / 8, tile] words (tile: the
// largest power of two up to 128 dividing out), f16 scales and i8 zero points
// [out / tile, groups, tile], tiled like qweight, with groups = ceil(in /
// group_size): 172 rows make tiles of 4,
// 100 inputs in groups of 32 make 4 (the last one short), 256 rows make
// tiles of 128 (the cap). `symmetric` is printed only when set.
// CHECK-LABEL: func.func @quantize_int4(
// CHECK-SAME: %[[A:[^:]*]]: tensor<172x64xf32>, %[[B:[^:]*]]: tensor<64x128xbf16>, %[[C:[^:]*]]: tensor<48x100xf16>, %[[D:[^:]*]]: tensor<256x16xf32>
// CHECK: %[[Q0:[^,]*]], %[[S0:[^,]*]], %[[Z0:[^,]*]] = llm.quantize_int4 %[[A]] group_size = 32 : tensor<172x64xf32> -> tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8>
// CHECK: %[[Q1:[^,]*]], %[[S1:[^,]*]], %[[Z1:[^,]*]] = llm.quantize_int4 %[[B]] group_size = 64 symmetric : tensor<64x128xbf16> -> tensor<1x2x8x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>
// CHECK: %[[Q2:[^,]*]], %[[S2:[^,]*]], %[[Z2:[^,]*]] = llm.quantize_int4 %[[C]] group_size = 32 : tensor<48x100xf16> -> tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8>
// CHECK: %[[Q3:[^,]*]], %{{[^,]*}}, %{{[^,]*}} = llm.quantize_int4 %[[D]] group_size = 8 symmetric {llm.tag = 1 : i64} : tensor<256x16xf32> -> tensor<2x2x1x128xi32>, tensor<2x2x128xf16>, tensor<2x2x128xi8>
// CHECK: return %[[Q0]], %[[S0]], %[[Z0]], %[[Q1]], %[[S1]], %[[Z1]], %[[Q2]], %[[S2]], %[[Z2]], %[[Q3]] :
// GENERIC-LABEL: sym_name = "quantize_int4"
// GENERIC: "llm.quantize_int4"(%{{.*}}) <{group_size = 32 : i64}> : (tensor<172x64xf32>) -> (tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8>)
// GENERIC: "llm.quantize_int4"(%{{.*}}) <{group_size = 64 : i64, symmetric}> : (tensor<64x128xbf16>) -> (tensor<1x2x8x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>)
// GENERIC: "llm.quantize_int4"(%{{.*}}) <{group_size = 32 : i64}> : (tensor<48x100xf16>) -> (tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8>)
// GENERIC: "llm.quantize_int4"(%{{.*}}) <{group_size = 8 : i64, symmetric}> {llm.tag = 1 : i64} : (tensor<256x16xf32>) -> (tensor<2x2x1x128xi32>, tensor<2x2x128xf16>, tensor<2x2x128xi8>)
func.func @quantize_int4(%a: tensor<172x64xf32>, %b: tensor<64x128xbf16>, %c: tensor<48x100xf16>, %d: tensor<256x16xf32>)
    -> (tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8>,
        tensor<1x2x8x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>,
        tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8>,
        tensor<2x2x1x128xi32>) {
  %q0, %s0, %z0 = llm.quantize_int4 %a group_size = 32 : tensor<172x64xf32> -> tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8>
  %q1, %s1, %z1 = llm.quantize_int4 %b group_size = 64 symmetric : tensor<64x128xbf16> -> tensor<1x2x8x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>
  %q2, %s2, %z2 = llm.quantize_int4 %c group_size = 32 : tensor<48x100xf16> -> tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8>
  %q3, %s3, %z3 = llm.quantize_int4 %d group_size = 8 symmetric {llm.tag = 1} : tensor<256x16xf32> -> tensor<2x2x1x128xi32>, tensor<2x2x128xf16>, tensor<2x2x128xi8>
  return %q0, %s0, %z0, %q1, %s1, %z1, %q2, %s2, %z2, %q3
      : tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8>,
        tensor<1x2x8x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>,
        tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x4x16xi8>,
        tensor<2x2x1x128xi32>
}

// An AutoAWQ layer of 176 outputs and 64 inputs in groups of 32 (qweight
// [in, out / 8], qzeros [groups, out / 8], f16 scales [groups, out]), and one
// with f32 scales; the results are typed like those of llm.quantize_int4
// (f16 scales and i8 zero points [out / tile, groups, tile] whatever the AWQ
// scales' type).
// CHECK-LABEL: func.func @repack_awq(
// CHECK-SAME: %[[QW:[^:]*]]: tensor<64x22xi32>, %[[QZ:[^:]*]]: tensor<2x22xi32>, %[[SC:[^:]*]]: tensor<2x176xf16>, %[[QW2:[^:]*]]: tensor<16x1xi32>, %[[QZ2:[^:]*]]: tensor<2x1xi32>, %[[SC2:[^:]*]]: tensor<2x8xf32>
// CHECK: %[[P0:[^,]*]], %[[S0:[^,]*]], %[[Z0:[^,]*]] = llm.repack_awq %[[QW]], %[[QZ]], %[[SC]] group_size = 32 : tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
// CHECK: %[[P1:[^,]*]], %[[S1:[^,]*]], %[[Z1:[^,]*]] = llm.repack_awq %[[QW2]], %[[QZ2]], %[[SC2]] group_size = 8 : tensor<16x1xi32>, tensor<2x1xi32>, tensor<2x8xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
// CHECK: return %[[P0]], %[[S0]], %[[Z0]], %[[P1]], %[[S1]], %[[Z1]] :
// GENERIC-LABEL: sym_name = "repack_awq"
// GENERIC: "llm.repack_awq"(%{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 32 : i64}> : (tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16>) -> (tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>)
// GENERIC: "llm.repack_awq"(%{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 8 : i64}> : (tensor<16x1xi32>, tensor<2x1xi32>, tensor<2x8xf32>) -> (tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>)
func.func @repack_awq(%qw: tensor<64x22xi32>, %qz: tensor<2x22xi32>, %sc: tensor<2x176xf16>,
                      %qw2: tensor<16x1xi32>, %qz2: tensor<2x1xi32>, %sc2: tensor<2x8xf32>)
    -> (tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>,
        tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>) {
  %p0, %s0, %z0 = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
  %p1, %s1, %z1 = llm.repack_awq %qw2, %qz2, %sc2 group_size = 8 : tensor<16x1xi32>, tensor<2x1xi32>, tensor<2x8xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
  return %p0, %s0, %z0, %p1, %s1, %z1
      : tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>,
        tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
}

// A norm folded into weights: stacked projections (tensor.concat of
// parameters) with the norm weight in their columns, read by matmuls with
// rms_norm_eps, in float and quantized.
// CHECK-LABEL: func.func @folded_norm(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>
// CHECK: %[[A:.*]] = llm.param "l.a.weight" : tensor<4x8xbf16>
// CHECK: %[[B:.*]] = llm.param "l.b.weight" : tensor<2x8xbf16>
// CHECK: %[[N:.*]] = llm.param "l.n.weight" : tensor<8xbf16>
// CHECK: %[[AB:.*]] = tensor.concat dim(0) %[[A]], %[[B]] : (tensor<4x8xbf16>, tensor<2x8xbf16>) -> tensor<6x8xbf16>
// CHECK: %[[W:.*]] = llm.scale_columns %[[AB]], %[[N]] : tensor<6x8xbf16>, tensor<8xbf16> -> tensor<6x8xf32>
// CHECK: %[[Y:.*]] = llm.matmul %[[X]], %[[W]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x8xf32>, tensor<6x8xf32> -> tensor<?x6xf32>
// CHECK: %[[Q:[^,]*]], %[[S:[^,]*]], %[[Z:[^,]*]] = llm.quantize_int4 %[[W]] group_size = 8 : tensor<6x8xf32> -> tensor<3x1x1x2xi32>, tensor<3x1x2xf16>, tensor<3x1x2xi8>
// CHECK: %[[YQ:.*]] = llm.matmul_int4 %[[X]], %[[Q]], %[[S]], %[[Z]] group_size = 8 {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x8xf32>, tensor<3x1x1x2xi32>, tensor<3x1x2xf16>, tensor<3x1x2xi8> -> tensor<?x6xf32>
// CHECK: return %[[Y]], %[[YQ]]
func.func @folded_norm(%x: tensor<?x8xf32>) -> (tensor<?x6xf32>, tensor<?x6xf32>) {
  %a = llm.param "l.a.weight" : tensor<4x8xbf16>
  %b = llm.param "l.b.weight" : tensor<2x8xbf16>
  %n = llm.param "l.n.weight" : tensor<8xbf16>
  %ab = tensor.concat dim(0) %a, %b : (tensor<4x8xbf16>, tensor<2x8xbf16>) -> tensor<6x8xbf16>
  %w = llm.scale_columns %ab, %n : tensor<6x8xbf16>, tensor<8xbf16> -> tensor<6x8xf32>
  %y = llm.matmul %x, %w {rms_norm_eps = 1.0e-05 : f64} : tensor<?x8xf32>, tensor<6x8xf32> -> tensor<?x6xf32>
  %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<6x8xf32> -> tensor<3x1x1x2xi32>, tensor<3x1x2xf16>, tensor<3x1x2xi8>
  %yq = llm.matmul_int4 %x, %q, %s, %z group_size = 8 {rms_norm_eps = 1.0e-05 : f64} : tensor<?x8xf32>, tensor<3x1x1x2xi32>, tensor<3x1x2xf16>, tensor<3x1x2xi8> -> tensor<?x6xf32>
  return %y, %yq : tensor<?x6xf32>, tensor<?x6xf32>
}

//===----------------------------------------------------------------------===//
// The module ABI: #llm.abi as the llm.abi attribute of a module
//===----------------------------------------------------------------------===//

// Two checkpoint tensors: "w" is quantized by @prepare into buffers 2, 3 and
// 4 (after the 2 tensors), "n" is read as it is. @prefill and @decode take
// buffers 1, 2, 3 and 4 as their trailing arguments.
// CHECK-LABEL: module @abi attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x64xf32>>, #llm.tensor<"n" : tensor<64xbf16>>], prepare = [0], prepared = [tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>], weights = [1, 2, 3, 4]>}
// CHECK: func.func @prepare(%{{[^:]*}}: tensor<8x64xf32>) -> (tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>)
// CHECK: func.func @prefill(%{{[^:]*}}: tensor<?x64xf32>, %{{[^:]*}}: tensor<64xbf16>, %{{[^:]*}}: tensor<1x2x4x8xi32>, %{{[^:]*}}: tensor<1x2x8xf16>, %{{[^:]*}}: tensor<1x2x8xi8>) -> tensor<?x8xf32>
// CHECK: func.func @decode(%{{[^:]*}}: tensor<1x64xf32>, %{{[^:]*}}: tensor<64xbf16>, %{{[^:]*}}: tensor<1x2x4x8xi32>, %{{[^:]*}}: tensor<1x2x8xf16>, %{{[^:]*}}: tensor<1x2x8xi8>) -> tensor<1x8xf32>
// GENERIC: {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x64xf32>>, #llm.tensor<"n" : tensor<64xbf16>>], prepare = [0], prepared = [tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>], weights = [1, 2, 3, 4]>}
module @abi attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x64xf32>>, #llm.tensor<"n" : tensor<64xbf16>>],
                                           prepare = [0],
                                           prepared = [tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>],
                                           weights = [1, 2, 3, 4]>} {
  func.func @prepare(%w: tensor<8x64xf32>) -> (tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>) {
    %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<8x64xf32> -> tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    return %q, %s, %z : tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
  }
  func.func @prefill(%x: tensor<?x64xf32>, %n: tensor<64xbf16>, %q: tensor<1x2x4x8xi32>, %s: tensor<1x2x8xf16>, %z: tensor<1x2x8xi8>) -> tensor<?x8xf32> {
    %0 = llm.rms_norm %x, %n eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xbf16>
    %1 = llm.matmul_int4 %0, %q, %s, %z group_size = 32 : tensor<?x64xf32>, tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<?x8xf32>
    return %1 : tensor<?x8xf32>
  }
  func.func @decode(%x: tensor<1x64xf32>, %n: tensor<64xbf16>, %q: tensor<1x2x4x8xi32>, %s: tensor<1x2x8xf16>, %z: tensor<1x2x8xi8>) -> tensor<1x8xf32> {
    %0 = llm.rms_norm %x, %n eps = 1.0e-5 : tensor<1x64xf32>, tensor<64xbf16>
    %1 = llm.matmul_int4 %0, %q, %s, %z group_size = 32 : tensor<1x64xf32>, tensor<1x2x4x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<1x8xf32>
    return %1 : tensor<1x8xf32>
  }
}

// The model's config, as the importer sets it (`llm.config`) and inside the
// ABI, where llm-hoist-weight-prep moves it; rope scaling and the AWQ group
// size are optional.
// CHECK-LABEL: module @config attributes {llm.config = #llm.config<name = "tiny", vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 4, num_key_value_heads = 2, head_dim = 4, max_position_embeddings = 64, rms_norm_eps = 1.000000e-05, rope_theta = 5.000000e+05, tie_word_embeddings = true, bos_token_id = 1, eos_token_ids = [2, 3], rope_scaling = <factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 8192>, awq_group_size = 128>}
module @config attributes {llm.config = #llm.config<name = "tiny", vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 4, num_key_value_heads = 2, head_dim = 4, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 500000.0, tie_word_embeddings = true, bos_token_id = 1, eos_token_ids = [2, 3], rope_scaling = <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>, awq_group_size = 128>} {
}
// CHECK-LABEL: module @abi_config attributes {llm.abi = #llm.abi<config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 4, num_key_value_heads = 2, head_dim = 4, max_position_embeddings = 64, rms_norm_eps = 1.000000e-05, rope_theta = 1.000000e+04, tie_word_embeddings = false, bos_token_id = 0, eos_token_ids = []>, tensors = [], prepare = [], prepared = [], weights = []>}
module @abi_config attributes {llm.abi = #llm.abi<config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 4, num_key_value_heads = 2, head_dim = 4, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 0, eos_token_ids = []>, tensors = [], prepare = [], prepared = [], weights = []>} {
}

// A module that reads no weights: every list is empty, and no @prepare is
// needed.
// CHECK-LABEL: module @no_weights attributes {llm.abi = #llm.abi<tensors = [], prepare = [], prepared = [], weights = []>}
module @no_weights attributes {llm.abi = #llm.abi<tensors = [], prepare = [], prepared = [], weights = []>} {
}

//===----------------------------------------------------------------------===//
// llm.matmul_int4
//===----------------------------------------------------------------------===//
// matmul_int4 with static and dynamic rows and results, several float types.
// qweight is [out / tile, groups, group_size / 8, tile] words, scales and
// i8 zero points [out / tile, groups, tile]; the scales are of a float type
// which need not be the input's (f16 as packed, with f32 inputs; or bf16,
// f16, f32), with groups =
// ceil(in / group_size): 48 inputs in groups of 32 make 2 (the last one
// short), 64 in groups of 64 make 1, 100 in groups of 8 make 13.
// CHECK-LABEL: func.func @matmul_int4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<7x48xf32>, %[[D:[^:]*]]: tensor<?x48xf32>, %[[Q:[^:]*]]: tensor<1x2x4x16xi32>, %[[S:[^:]*]]: tensor<1x2x16xf16>, %[[Z:[^:]*]]: tensor<1x2x16xi8>, %[[H:[^:]*]]: tensor<?x64xbf16>, %[[HQ:[^:]*]]: tensor<1x1x8x8xi32>, %[[HS:[^:]*]]: tensor<1x1x8xbf16>, %[[HZ:[^:]*]]: tensor<1x1x8xi8>, %[[F:[^:]*]]: tensor<1x100xf16>, %[[FQ:[^:]*]]: tensor<3x13x1x1xi32>, %[[FS:[^:]*]]: tensor<3x13x1xf16>, %[[FZ:[^:]*]]: tensor<3x13x1xi8>, %[[S32:[^:]*]]: tensor<1x2x16xf32>, %[[Z32:[^:]*]]: tensor<1x2x16xi8>
// CHECK: %[[M0:.*]] = llm.matmul_int4 %[[X]], %[[Q]], %[[S]], %[[Z]] group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
// CHECK: %[[M1:.*]] = llm.matmul_int4 %[[D]], %[[Q]], %[[S]], %[[Z]] group_size = 32 : tensor<?x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<?x16xf32>
// CHECK: %[[M2:.*]] = llm.matmul_int4 %[[H]], %[[HQ]], %[[HS]], %[[HZ]] group_size = 64 {llm.tag} : tensor<?x64xbf16>, tensor<1x1x8x8xi32>, tensor<1x1x8xbf16>, tensor<1x1x8xi8> -> tensor<?x8xbf16>
// CHECK: %[[M3:.*]] = llm.matmul_int4 %[[F]], %[[FQ]], %[[FS]], %[[FZ]] group_size = 8 : tensor<1x100xf16>, tensor<3x13x1x1xi32>, tensor<3x13x1xf16>, tensor<3x13x1xi8> -> tensor<1x3xf16>
// CHECK: %[[M4:.*]] = llm.matmul_int4 %[[X]], %[[Q]], %[[S32]], %[[Z32]] group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf32>, tensor<1x2x16xi8> -> tensor<7x16xf32>
// A symmetric pack has no zero points (all 8).
// CHECK: %[[M5:.*]] = llm.matmul_int4 %[[D]], %[[Q]], %[[S]] group_size = 32 : tensor<?x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16> -> tensor<?x16xf32>
// CHECK: return %[[M0]], %[[M1]], %[[M2]], %[[M3]], %[[M4]], %[[M5]]
// GENERIC-LABEL: sym_name = "matmul_int4"
// GENERIC: "llm.matmul_int4"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 32 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8>) -> tensor<7x16xf32>
// GENERIC: "llm.matmul_int4"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 32 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<?x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8>) -> tensor<?x16xf32>
// GENERIC: "llm.matmul_int4"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 64 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> {llm.tag} : (tensor<?x64xbf16>, tensor<1x1x8x8xi32>, tensor<1x1x8xbf16>, tensor<1x1x8xi8>) -> tensor<?x8xbf16>
// GENERIC: "llm.matmul_int4"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<1x100xf16>, tensor<3x13x1x1xi32>, tensor<3x13x1xf16>, tensor<3x13x1xi8>) -> tensor<1x3xf16>
// GENERIC: "llm.matmul_int4"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 32 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf32>, tensor<1x2x16xi8>) -> tensor<7x16xf32>
// GENERIC: "llm.matmul_int4"(%{{.*}}, %{{.*}}, %{{.*}}) <{group_size = 32 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<?x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>) -> tensor<?x16xf32>
func.func @matmul_int4(%x: tensor<7x48xf32>, %d: tensor<?x48xf32>,
                       %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>,
                       %h: tensor<?x64xbf16>, %hq: tensor<1x1x8x8xi32>, %hs: tensor<1x1x8xbf16>, %hz: tensor<1x1x8xi8>,
                       %f: tensor<1x100xf16>, %fq: tensor<3x13x1x1xi32>, %fs: tensor<3x13x1xf16>, %fz: tensor<3x13x1xi8>,
                       %s32: tensor<1x2x16xf32>, %z32: tensor<1x2x16xi8>)
    -> (tensor<7x16xf32>, tensor<?x16xf32>, tensor<?x8xbf16>, tensor<1x3xf16>, tensor<7x16xf32>, tensor<?x16xf32>) {
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  %1 = llm.matmul_int4 %d, %q, %s, %z group_size = 32 : tensor<?x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<?x16xf32>
  %2 = llm.matmul_int4 %h, %hq, %hs, %hz group_size = 64 {llm.tag} : tensor<?x64xbf16>, tensor<1x1x8x8xi32>, tensor<1x1x8xbf16>, tensor<1x1x8xi8> -> tensor<?x8xbf16>
  %3 = llm.matmul_int4 %f, %fq, %fs, %fz group_size = 8 : tensor<1x100xf16>, tensor<3x13x1x1xi32>, tensor<3x13x1xf16>, tensor<3x13x1xi8> -> tensor<1x3xf16>
  %4 = llm.matmul_int4 %x, %q, %s32, %z32 group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf32>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  %5 = llm.matmul_int4 %d, %q, %s group_size = 32 : tensor<?x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16> -> tensor<?x16xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<7x16xf32>, tensor<?x16xf32>, tensor<?x8xbf16>, tensor<1x3xf16>, tensor<7x16xf32>, tensor<?x16xf32>
}

// A quantized linear layer as llm-quantize-int4 emits it.
// CHECK-LABEL: func.func @quantized_linear(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x48xf32>
// CHECK: %[[W:.*]] = llm.param "w" : tensor<100x48xf32>
// CHECK: %[[Q:[^,]*]], %[[S:[^,]*]], %[[Z:[^,]*]] = llm.quantize_int4 %[[W]] group_size = 32 : tensor<100x48xf32> -> tensor<25x2x4x4xi32>, tensor<25x2x4xf16>, tensor<25x2x4xi8>
// CHECK: %[[Y:.*]] = llm.matmul_int4 %[[X]], %[[Q]], %[[S]], %[[Z]] group_size = 32 : tensor<?x48xf32>, tensor<25x2x4x4xi32>, tensor<25x2x4xf16>, tensor<25x2x4xi8> -> tensor<?x100xf32>
// CHECK: return %[[Y]]
func.func @quantized_linear(%x: tensor<?x48xf32>) -> tensor<?x100xf32> {
  %w = llm.param "w" : tensor<100x48xf32>
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<100x48xf32> -> tensor<25x2x4x4xi32>, tensor<25x2x4xf16>, tensor<25x2x4xi8>
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<?x48xf32>, tensor<25x2x4x4xi32>, tensor<25x2x4xf16>, tensor<25x2x4xi8> -> tensor<?x100xf32>
  return %0 : tensor<?x100xf32>
}

// A GGUF Q4_0 layer of 64 outputs and 64 inputs: two 18-byte blocks a row;
// the results are typed like those of llm.quantize_int4 with group 32.
// CHECK-LABEL: func.func @repack_q4_0(
// CHECK: llm.repack_q4_0 %{{.*}} : tensor<64x36xi8> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
// GENERIC: "llm.repack_q4_0"(%{{.*}}) : (tensor<64x36xi8>) -> (tensor<1x2x4x64xi32>, tensor<1x2x64xf16>)
func.func @repack_q4_0(%blocks: tensor<64x36xi8>) -> (tensor<1x2x4x64xi32>, tensor<1x2x64xf16>) {
  %p, %s = llm.repack_q4_0 %blocks : tensor<64x36xi8> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
  return %p, %s : tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
}

// llm.batched_attention: one token per sequence, each in its own slot of
// the cache pool, with the rotary embedding at each row's position.
// CHECK-LABEL: func.func @batched_attention
// CHECK: llm.batched_attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}}) slots %{{.*}} positions %{{.*}} layer %{{.*}} heads = 8 kv_heads = 2 head_dim = 8 {rope_theta = 1.000000e+04 : f64} : tensor<?x64xf32>, tensor<?x16xf32>, tensor<4x3x2x?x8xf32>, tensor<?xi64>
func.func @batched_attention(%q: tensor<?x64xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>, %kp: tensor<4x3x2x?x8xf32>, %vp: tensor<4x3x2x?x8xf32>, %slots: tensor<?xi64>, %pos: tensor<?xi64>, %l: index) -> tensor<?x64xf32> {
  %o, %nk, %nv = llm.batched_attention %q, %k, %v cache(%kp, %vp) slots %slots positions %pos layer %l heads = 8 kv_heads = 2 head_dim = 8 {rope_theta = 1.0e4 : f64} : tensor<?x64xf32>, tensor<?x16xf32>, tensor<4x3x2x?x8xf32>, tensor<?xi64>
  return %o : tensor<?x64xf32>
}
