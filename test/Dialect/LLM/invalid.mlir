// Every verifier diagnostic of the llm dialect, and the ODS constraints of
// its ops and attributes.

// RUN: llm-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// llm.param
//===----------------------------------------------------------------------===//

func.func @param_empty_name() -> tensor<4xf32> {
  // expected-error @+1 {{requires a non-empty parameter name}}
  %0 = llm.param "" : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The name is a required attribute.
func.func @param_no_name() -> tensor<4xf32> {
  // expected-error @+1 {{requires attribute 'name'}}
  %0 = "llm.param"() : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Parameters have a static shape known from the checkpoint.
func.func @param_dynamic() -> tensor<?xf32> {
  // expected-error @+1 {{result #0 must be statically shaped tensor of any type values, but got 'tensor<?xf32>'}}
  %0 = llm.param "w" : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @param_unranked() -> tensor<*xf32> {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = llm.param "w" : tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// A layer operand names one tensor per layer: the name has one placeholder.
func.func @param_layer_no_placeholder(%l: index) -> tensor<4xf32> {
  // expected-error @+1 {{with a layer operand needs exactly one '{}' in its name, got 'model.layers.0.w'}}
  %0 = llm.param "model.layers.0.w"[%l] : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @param_layer_two_placeholders(%l: index) -> tensor<4xf32> {
  // expected-error @+1 {{with a layer operand needs exactly one '{}' in its name}}
  %0 = llm.param "model.layers.{}.{}.w"[%l] : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @param_placeholder_no_layer() -> tensor<4xf32> {
  // expected-error @+1 {{name 'model.layers.{}.w' has a layer placeholder but no layer operand}}
  %0 = llm.param "model.layers.{}.w" : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.embedding
//===----------------------------------------------------------------------===//

func.func @embedding_elem(%t: tensor<512x64xf32>, %ids: tensor<7xi32>) -> tensor<7x64xbf16> {
  // expected-error @+1 {{requires a weight of element type 'bf16' (or f16/bf16 with f32 activations), but got 'tensor<512x64xf32>'}}
  %0 = llm.embedding %t[%ids] : tensor<512x64xf32>, tensor<7xi32> -> tensor<7x64xbf16>
  return %0 : tensor<7x64xbf16>
}

// -----

func.func @embedding_hidden(%t: tensor<512x64xf32>, %ids: tensor<7xi32>) -> tensor<7x32xf32> {
  // expected-error @+1 {{result hidden size 32 does not match the table's hidden size 64}}
  %0 = llm.embedding %t[%ids] : tensor<512x64xf32>, tensor<7xi32> -> tensor<7x32xf32>
  return %0 : tensor<7x32xf32>
}

// -----

func.func @embedding_rows(%t: tensor<512x64xf32>, %ids: tensor<7xi32>) -> tensor<5x64xf32> {
  // expected-error @+1 {{result has 5 rows but there are 7 token ids}}
  %0 = llm.embedding %t[%ids] : tensor<512x64xf32>, tensor<7xi32> -> tensor<5x64xf32>
  return %0 : tensor<5x64xf32>
}

// -----

// Token ids are signless integers.
func.func @embedding_float_ids(%t: tensor<512x64xf32>, %ids: tensor<7xf32>) -> tensor<7x64xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of signless integer values, but got 'tensor<7xf32>'}}
  %0 = llm.embedding %t[%ids] : tensor<512x64xf32>, tensor<7xf32> -> tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// -----

func.func @embedding_2d_ids(%t: tensor<512x64xf32>, %ids: tensor<1x7xi32>) -> tensor<7x64xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of signless integer values, but got 'tensor<1x7xi32>'}}
  %0 = llm.embedding %t[%ids] : tensor<512x64xf32>, tensor<1x7xi32> -> tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// -----

func.func @embedding_int_table(%t: tensor<512x64xi8>, %ids: tensor<7xi32>) -> tensor<7x64xi8> {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values, but got 'tensor<512x64xi8>'}}
  %0 = llm.embedding %t[%ids] : tensor<512x64xi8>, tensor<7xi32> -> tensor<7x64xi8>
  return %0 : tensor<7x64xi8>
}

// -----

//===----------------------------------------------------------------------===//
// llm.rms_norm
//===----------------------------------------------------------------------===//

func.func @rms_norm_elem(%x: tensor<?x64xf16>, %w: tensor<64xbf16>) -> tensor<?x64xf16> {
  // expected-error @+1 {{requires a weight of element type 'f16' (or f16/bf16 with f32 activations), but got 'tensor<64xbf16>'}}
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<?x64xf16>, tensor<64xbf16>
  return %0 : tensor<?x64xf16>
}

// -----

// 16-bit weights widen to f32 activations, never to narrower ones, and
// integers are no weight storage.
func.func @rms_norm_int_weight(%x: tensor<?x64xf32>, %w: tensor<64xi16>) -> tensor<?x64xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of floating-point values}}
  %0 = "llm.rms_norm"(%x, %w) <{eps = 1.0e-5 : f64}> : (tensor<?x64xf32>, tensor<64xi16>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// A 0-d input has no dimension to normalize.
func.func @rms_norm_rank0(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{requires an input of rank >= 1}}
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<f32>, tensor<1xf32>
  return %0 : tensor<f32>
}

// -----

func.func @rms_norm_weight(%x: tensor<?x64xf32>, %w: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{weight size 32 does not match the normalized dimension 64}}
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<?x64xf32>, tensor<32xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_eps(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{requires a positive eps}}
  %0 = llm.rms_norm %x, %w eps = 0.0 : tensor<?x64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_weight_2d(%x: tensor<?x64xf32>, %w: tensor<1x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of floating-point values, but got 'tensor<1x64xf32>'}}
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<?x64xf32>, tensor<1x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_result(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf16> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "llm.rms_norm"(%x, %w) <{eps = 1.0e-5 : f64}> : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf16>
  return %0 : tensor<?x64xf16>
}

// -----

//===----------------------------------------------------------------------===//
// llm.matmul
//===----------------------------------------------------------------------===//

func.func @matmul_elem(%x: tensor<?x64xf16>, %w: tensor<32x64xf32>) -> tensor<?x32xf16> {
  // expected-error @+1 {{requires a weight of element type 'f16' (or f16/bf16 with f32 activations), but got 'tensor<32x64xf32>'}}
  %0 = llm.matmul %x, %w : tensor<?x64xf16>, tensor<32x64xf32> -> tensor<?x32xf16>
  return %0 : tensor<?x32xf16>
}

// -----

func.func @matmul_result_elem(%x: tensor<?x64xf32>, %w: tensor<32x64xbf16>) -> tensor<?x32xbf16> {
  // expected-error @+1 {{requires all tensors to have element type 'f32', but got 'tensor<?x32xbf16>'}}
  %0 = llm.matmul %x, %w : tensor<?x64xf32>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  return %0 : tensor<?x32xbf16>
}

// -----

// The weight is [out_features, in_features], not [in, out].
func.func @matmul_in(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{input features 64 do not match the weight's in_features 32 (weight layout is [out_features, in_features])}}
  %0 = llm.matmul %x, %w : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @matmul_out(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{result features 64 do not match the weight's out_features 32}}
  %0 = llm.matmul %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @matmul_rows(%x: tensor<7x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  // expected-error @+1 {{result rows 8 do not match input rows 7}}
  %0 = llm.matmul %x, %w : tensor<7x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

func.func @matmul_3d(%x: tensor<2x7x64xf32>, %w: tensor<32x64xf32>) -> tensor<7x32xf32> {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values, but got 'tensor<2x7x64xf32>'}}
  %0 = llm.matmul %x, %w : tensor<2x7x64xf32>, tensor<32x64xf32> -> tensor<7x32xf32>
  return %0 : tensor<7x32xf32>
}

// -----

func.func @matmul_int(%x: tensor<7x64xi32>, %w: tensor<32x64xi32>) -> tensor<7x32xi32> {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values, but got 'tensor<7x64xi32>'}}
  %0 = llm.matmul %x, %w : tensor<7x64xi32>, tensor<32x64xi32> -> tensor<7x32xi32>
  return %0 : tensor<7x32xi32>
}

// -----

func.func @matmul_unranked(%x: tensor<*xf32>, %w: tensor<32x64xf32>) -> tensor<7x32xf32> {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = llm.matmul %x, %w : tensor<*xf32>, tensor<32x64xf32> -> tensor<7x32xf32>
  return %0 : tensor<7x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.rope
//===----------------------------------------------------------------------===//

func.func @rope_odd(%x: tensor<?x63xf32>, %p: index) -> tensor<?x63xf32> {
  // expected-error @+1 {{requires an even head_dim, got 7}}
  %0 = llm.rope %x at %p head_dim = 7 theta = 1.0e4 : tensor<?x63xf32>
  return %0 : tensor<?x63xf32>
}

// -----

func.func @rope_multiple(%x: tensor<?x60xf32>, %p: index) -> tensor<?x60xf32> {
  // expected-error @+1 {{feature size 60 is not a multiple of head_dim 8}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 : tensor<?x60xf32>
  return %0 : tensor<?x60xf32>
}

// -----

func.func @rope_theta(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{requires a positive theta}}
  %0 = llm.rope %x at %p head_dim = 8 theta = -1.0 : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_head_dim_zero(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = llm.rope %x at %p head_dim = 0 theta = 1.0e4 : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_head_dim_neg(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = llm.rope %x at %p head_dim = -8 theta = 1.0e4 : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_1d(%x: tensor<64xf32>, %p: index) -> tensor<64xf32> {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values, but got 'tensor<64xf32>'}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 : tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @rope_result(%x: tensor<?x64xf32>, %p: index) -> tensor<7x64xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "llm.rope"(%x, %p) <{head_dim = 8 : i64, theta = 1.0e4 : f64}> : (tensor<?x64xf32>, index) -> tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// -----

func.func @rope_position(%x: tensor<?x64xf32>, %p: i64) -> tensor<?x64xf32> {
  // expected-error @+1 {{operand #1 must be index, but got 'i64'}}
  %0 = "llm.rope"(%x, %p) <{head_dim = 8 : i64, theta = 1.0e4 : f64}> : (tensor<?x64xf32>, i64) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_scaling_wrong_attr(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{Invalid attribute `scaling` in property conversion}}
  %0 = "llm.rope"(%x, %p) <{head_dim = 8 : i64, theta = 1.0e4 : f64, scaling = 8.0 : f64}> : (tensor<?x64xf32>, index) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// #llm.rope_llama3
//===----------------------------------------------------------------------===//

func.func @rope_llama3_factor(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{rope scaling factor must be positive, got 0.000000e+00}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 scaling <factor = 0.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192> : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_llama3_low_freq(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{rope scaling needs 0 < low_freq_factor < high_freq_factor, got 0.000000e+00 and 4.000000e+00}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 scaling <factor = 8.0, low_freq_factor = 0.0, high_freq_factor = 4.0, original_max_position = 8192> : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_llama3_high_freq(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{rope scaling needs 0 < low_freq_factor < high_freq_factor, got 4.000000e+00 and 4.000000e+00}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 scaling <factor = 8.0, low_freq_factor = 4.0, high_freq_factor = 4.0, original_max_position = 8192> : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_llama3_original_max_position(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{rope scaling original_max_position must be positive, got 0}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 scaling <factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 0> : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// The attribute verifier also runs on the fully qualified form.
func.func @rope_llama3_generic(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{rope scaling factor must be positive, got -2.000000e+00}}
  %0 = "llm.rope"(%x, %p) <{head_dim = 8 : i64, theta = 1.0e4 : f64, scaling = #llm.rope_llama3<factor = -2.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>}> : (tensor<?x64xf32>, index) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// The float parameters need float literals.
func.func @rope_llama3_integer_factor(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-note @+3 {{add a trailing dot to make the literal a float}}
  // expected-error @+2 {{unexpected decimal integer literal for a floating point value}}
  // expected-error @+1 {{failed to parse LLM_Llama3RopeScalingAttr parameter 'factor'}}
  %0 = llm.rope %x at %p head_dim = 8 theta = 1.0e4 scaling <factor = 8, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192> : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.attention
//===----------------------------------------------------------------------===//

// The layer is an attribute or an operand, not both.
func.func @attention_layer_twice(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index, %l: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{needs either a constant layer or a layer index}}
  %o, %nk, %nv = "llm.attention"(%q, %k, %v, %kc, %vc, %p, %l) <{head_dim = 8 : i64, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64}> : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>, index, index) -> (tensor<?x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>)
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_no_layer(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{needs either a constant layer or a layer index}}
  %o, %nk, %nv = "llm.attention"(%q, %k, %v, %kc, %vc, %p) <{head_dim = 8 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64}> : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>, index) -> (tensor<?x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>)
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_heads_multiple(%q: tensor<?x48xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x48xf32> {
  // expected-error @+1 {{num_heads (6) must be a multiple of num_kv_heads (4)}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 6 kv_heads = 4 head_dim = 8 : tensor<?x48xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x48xf32>
}

// -----

func.func @attention_key_element_type(%q: tensor<?x64xf32>, %k: tensor<?x32xbf16>, %v: tensor<?x32xbf16>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{requires all tensors to have element type 'f32', but got 'tensor<?x32xbf16>'}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xbf16>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_query_features(%q: tensor<?x32xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x32xf32> {
  // expected-error @+1 {{query features 32 != num_heads * head_dim = 64}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x32xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x32xf32>
}

// -----

func.func @attention_key_features(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{key/value features 64 != num_kv_heads * head_dim = 32}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_rows(%q: tensor<7x64xf32>, %k: tensor<6x32xf32>, %v: tensor<6x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<7x64xf32> {
  // expected-error @+1 {{query rows 7 != key/value rows 6}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<7x64xf32>, tensor<6x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<7x64xf32>
}

// -----

func.func @attention_cache_kv_heads(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x8x?x4xf32>, %vc: tensor<5x8x?x4xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{KV cache must be [layers, 4, context, 8], got 'tensor<5x8x?x4xf32>'}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x8x?x4xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_cache_wider(%q: tensor<?x64xf16>, %k: tensor<?x32xf16>, %v: tensor<?x32xf16>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf16> {
  // expected-error @+1 {{requires KV caches of element type 'f16' (or f16/bf16 with f32 activations), but got 'tensor<5x4x?x8xf32>'}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf16>, tensor<?x32xf16>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf16>
}

// -----

func.func @attention_cache_element_type(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf64>, %vc: tensor<5x4x?x8xf64>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{requires KV caches of element type 'f32' (or f16/bf16 with f32 activations), but got 'tensor<5x4x?x8xf64>'}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf64>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_cache_head_dim(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x?x?x16xf32>, %vc: tensor<5x?x?x16xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{KV cache must be [layers, 4, context, 8], got 'tensor<5x?x?x16xf32>'}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x?x?x16xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_layer_out_of_range(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{layer 5 is out of range for a KV cache of 5 layers}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 5 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_zero_scale(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{requires a positive scale}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 {scale = 0.0 : f64} : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_nan_scale(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{requires a positive scale}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 {scale = 0x7FF8000000000000 : f64} : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_f32_scale(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 {scale = 0.5 : f32} : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_negative_layer(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'layer' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer -1 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

// Caught before the verifier computes num_heads % num_kv_heads.
func.func @attention_zero_kv_heads(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'num_kv_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 0 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_zero_heads(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 0 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_zero_head_dim(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{attribute 'head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 0 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_3d_cache(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %kc: tensor<?x4x8xf32>, %vc: tensor<?x4x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{operand #3 must be 4D tensor of floating-point values, but got 'tensor<?x4x8xf32>'}}
  %o, %nk, %nv = llm.attention %q, %k, %v cache(%kc, %vc) at %p layer 0 heads = 8 kv_heads = 4 head_dim = 8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x4x8xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_value_type(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<7x32xf32>, %kc: tensor<5x4x?x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{failed to verify that all of {key, value} have same type}}
  %o, %nk, %nv = "llm.attention"(%q, %k, %v, %kc, %kc, %p) <{layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}> : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<7x32xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>, index) -> (tensor<?x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>)
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_cache_types(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %vc: tensor<5x4x16x8xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{failed to verify that all of {key_cache, value_cache, new_key_cache, new_value_cache} have same type}}
  %o, %nk, %nv = "llm.attention"(%q, %k, %k, %kc, %vc, %p) <{layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}> : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>, tensor<5x4x16x8xf32>, index) -> (tensor<?x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x16x8xf32>)
  return %o : tensor<?x64xf32>
}

// -----

func.func @attention_output_type(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %kc: tensor<5x4x?x8xf32>, %p: index) -> tensor<7x64xf32> {
  // expected-error @+1 {{failed to verify that all of {query, output} have same type}}
  %o, %nk, %nv = "llm.attention"(%q, %k, %k, %kc, %kc, %p) <{layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}> : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>, index) -> (tensor<7x64xf32>, tensor<5x4x?x8xf32>, tensor<5x4x?x8xf32>)
  return %o : tensor<7x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

func.func @silu_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = llm.silu %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @silu_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<*xf32>'}}
  %0 = "llm.silu"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @silu_result(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "llm.silu"(%x) : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @add_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = llm.add %x, %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @add_mixed(%x: tensor<4xf32>, %y: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "llm.add"(%x, %y) : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.scale_columns
//===----------------------------------------------------------------------===//

// One scale per input column.
func.func @scale_columns_length(%w: tensor<4x8xf32>, %s: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'llm.scale_columns' op scales the 8 columns of 'tensor<4x8xf32>' by 'tensor<4xf32>'}}
  %0 = llm.scale_columns %w, %s : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scale_columns_result_shape(%w: tensor<4x8xbf16>, %s: tensor<8xbf16>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'llm.scale_columns' op result 'tensor<8x4xf32>' must have the shape of 'tensor<4x8xbf16>'}}
  %0 = llm.scale_columns %w, %s : tensor<4x8xbf16>, tensor<8xbf16> -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// The product of two 16-bit tensors is kept in f32.
func.func @scale_columns_result_f16(%w: tensor<4x8xf16>, %s: tensor<8xf16>) -> tensor<4x8xf16> {
  // expected-error @+1 {{result #0 must be 2D tensor of 32-bit float values, but got 'tensor<4x8xf16>'}}
  %0 = llm.scale_columns %w, %s : tensor<4x8xf16>, tensor<8xf16> -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @scale_columns_int_weight(%w: tensor<4x8xi8>, %s: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values, but got 'tensor<4x8xi8>'}}
  %0 = llm.scale_columns %w, %s : tensor<4x8xi8>, tensor<8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.quantize_int4: qweight [out / tile, groups, group_size / 8, tile] i32,
// f16 scales and i8 zeros [out / tile, groups, tile], with groups = ceil(in /
// group_size)
//===----------------------------------------------------------------------===//

// A word holds 8 inputs of a group: the group size is a multiple of 8.
func.func @quantize_int4_group_odd(%w: tensor<8x48xf32>) -> tensor<1x4x1x8xi32> {
  // expected-error @+1 {{'llm.quantize_int4' op group_size must be a positive multiple of 8 up to 8192, not 12}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 12 : tensor<8x48xf32> -> tensor<1x4x1x8xi32>, tensor<1x4x8xf16>, tensor<1x4x8xi8>
  return %q : tensor<1x4x1x8xi32>
}

// -----

// A group is padded to its full size: an unbounded size would make huge packs.
func.func @quantize_int4_group_huge(%w: tensor<8x48xf32>) -> tensor<1x1x2048x8xi32> {
  // expected-error @+1 {{group_size must be a positive multiple of 8 up to 8192, not 16384}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 16384 : tensor<8x48xf32> -> tensor<1x1x2048x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
  return %q : tensor<1x1x2048x8xi32>
}

// -----

func.func @quantize_int4_group_zero(%w: tensor<8x48xf32>) -> tensor<1x1x1x8xi32> {
  // expected-error @+1 {{attribute 'group_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 0 : tensor<8x48xf32> -> tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
  return %q : tensor<1x1x1x8xi32>
}

// -----

// Words per group and rows per tile swapped.
func.func @quantize_int4_qweight_layout(%w: tensor<64x64xf32>) -> tensor<1x2x64x4xi32> {
  // expected-error @+1 {{'llm.quantize_int4' op packs a [64, 64] matrix into 'tensor<1x2x4x64xi32>', not 'tensor<1x2x64x4xi32>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xf32> -> tensor<1x2x64x4xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>
  return %q : tensor<1x2x64x4xi32>
}

// -----

// 100 inputs in groups of 32 make 4 groups, the last one short, not 3.
func.func @quantize_int4_groups_floor(%w: tensor<48x100xf16>) -> tensor<3x3x4x16xi32> {
  // expected-error @+1 {{packs a [48, 100] matrix into 'tensor<3x4x4x16xi32>', not 'tensor<3x3x4x16xi32>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<48x100xf16> -> tensor<3x3x4x16xi32>, tensor<3x3x16xf16>, tensor<3x3x16xi8>
  return %q : tensor<3x3x4x16xi32>
}

// -----

// A tile has at most 128 rows.
func.func @quantize_int4_tile_cap(%w: tensor<256x16xf32>) -> tensor<1x2x1x256xi32> {
  // expected-error @+1 {{packs a [256, 16] matrix into 'tensor<2x2x1x128xi32>', not 'tensor<1x2x1x256xi32>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<256x16xf32> -> tensor<1x2x1x256xi32>, tensor<1x2x256xf16>, tensor<1x2x256xi8>
  return %q : tensor<1x2x1x256xi32>
}

// -----

// The former [groups, group_size / 2, out] bytes.
func.func @quantize_int4_qweight_bytes(%w: tensor<64x64xf32>) -> tensor<2x16x64xi8> {
  // expected-error @+1 {{result #0 must be 4D tensor of 32-bit signless integer values, but got 'tensor<2x16x64xi8>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xf32> -> tensor<2x16x64xi8>, tensor<1x2x64xf16>, tensor<1x2x64xi8>
  return %q : tensor<2x16x64xi8>
}

// -----

// Scales with tiles and groups swapped ([groups, out / tile, tile]).
func.func @quantize_int4_scales_transposed(%w: tensor<64x64xf32>) -> tensor<2x1x64xf16> {
  // expected-error @+1 {{'llm.quantize_int4' op scales of a [64, 64] matrix are 'tensor<1x2x64xf16>', not 'tensor<2x1x64xf16>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xf32> -> tensor<1x2x4x64xi32>, tensor<2x1x64xf16>, tensor<1x2x64xi8>
  return %s : tensor<2x1x64xf16>
}

// -----

// The former [groups, out] f32 scales and zero points.
func.func @quantize_int4_scales_untiled(%w: tensor<64x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{result #1 must be 3D tensor of 16-bit float values, but got 'tensor<2x64xf32>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xf32> -> tensor<1x2x4x64xi32>, tensor<2x64xf32>, tensor<2x64xi8>
  return %s : tensor<2x64xf32>
}

// -----

func.func @quantize_int4_zeros_groups(%w: tensor<48x100xf32>) -> tensor<3x3x16xi8> {
  // expected-error @+1 {{zero points of a [48, 100] matrix are 'tensor<3x4x16xi8>', not 'tensor<3x3x16xi8>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<48x100xf32> -> tensor<3x4x4x16xi32>, tensor<3x4x16xf16>, tensor<3x3x16xi8>
  return %z : tensor<3x3x16xi8>
}

// -----

// Scales are f16 whatever the weight's float type.
func.func @quantize_int4_scales_bf16(%w: tensor<64x64xbf16>) -> tensor<1x2x64xbf16> {
  // expected-error @+1 {{result #1 must be 3D tensor of 16-bit float values, but got 'tensor<1x2x64xbf16>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xbf16> -> tensor<1x2x4x64xi32>, tensor<1x2x64xbf16>, tensor<1x2x64xi8>
  return %s : tensor<1x2x64xbf16>
}

// -----

// Zero points are i8 codes, not the former f16.
func.func @quantize_int4_zeros_f16(%w: tensor<64x64xf32>) -> tensor<1x2x64xf16> {
  // expected-error @+1 {{result #2 must be 3D tensor of 8-bit signless integer values, but got 'tensor<1x2x64xf16>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xf32> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xf16>
  return %z : tensor<1x2x64xf16>
}

// -----

func.func @quantize_int4_int_weight(%w: tensor<64x64xi8>) -> tensor<1x2x4x64xi32> {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values, but got 'tensor<64x64xi8>'}}
  %q, %s, %z = llm.quantize_int4 %w group_size = 32 : tensor<64x64xi8> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>, tensor<1x2x64xi8>
  return %q : tensor<1x2x4x64xi32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.repack_awq: qweight [in, out / 8] i32, qzeros [in / group_size, out / 8]
// i32, scales [in / group_size, out]; results like llm.quantize_int4's (f16
// scales and i8 zeros [out / tile, groups, tile])
//===----------------------------------------------------------------------===//

func.func @repack_awq_partial_group(%qw: tensor<48x22xi32>, %qz: tensor<2x22xi32>, %sc: tensor<2x176xf16>) -> tensor<11x2x4x16xi32> {
  // expected-error @+1 {{'llm.repack_awq' op an AWQ layer has whole groups: 48 inputs are not a multiple of group_size 32}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<48x22xi32>, tensor<2x22xi32>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
  return %q : tensor<11x2x4x16xi32>
}

// -----

// Zero points are packed eight to a word like the codes.
func.func @repack_awq_qzeros_unpacked(%qw: tensor<64x22xi32>, %qz: tensor<2x176xi32>, %sc: tensor<2x176xf16>) -> tensor<11x2x4x16xi32> {
  // expected-error @+1 {{'llm.repack_awq' op qzeros of an AWQ layer with qweight 'tensor<64x22xi32>' must be [2, 22], not 'tensor<2x176xi32>'}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x176xi32>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
  return %q : tensor<11x2x4x16xi32>
}

// -----

func.func @repack_awq_scales_transposed(%qw: tensor<64x22xi32>, %qz: tensor<2x22xi32>, %sc: tensor<176x2xf16>) -> tensor<11x2x4x16xi32> {
  // expected-error @+1 {{'llm.repack_awq' op scales of an AWQ layer with qweight 'tensor<64x22xi32>' must be [2, 176], not 'tensor<176x2xf16>'}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x22xi32>, tensor<176x2xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
  return %q : tensor<11x2x4x16xi32>
}

// -----

// Whole groups of 12 inputs, but not whole words.
func.func @repack_awq_group_odd(%qw: tensor<24x1xi32>, %qz: tensor<2x1xi32>, %sc: tensor<2x8xf16>) -> tensor<1x2x1x8xi32> {
  // expected-error @+1 {{'llm.repack_awq' op group_size must be a positive multiple of 8 up to 8192, not 12}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 12 : tensor<24x1xi32>, tensor<2x1xi32>, tensor<2x8xf16> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
  return %q : tensor<1x2x1x8xi32>
}

// -----

// The repacked words are tiled by rows like those of llm.quantize_int4.
func.func @repack_awq_packed_untiled(%qw: tensor<64x22xi32>, %qz: tensor<2x22xi32>, %sc: tensor<2x176xf16>) -> tensor<1x2x4x176xi32> {
  // expected-error @+1 {{'llm.repack_awq' op packs a [176, 64] matrix into 'tensor<11x2x4x16xi32>', not 'tensor<1x2x4x176xi32>'}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16> -> tensor<1x2x4x176xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
  return %q : tensor<1x2x4x176xi32>
}

// -----

// The scales are f16 (as AutoAWQ stores them), not the former f32 [groups,
// out].
func.func @repack_awq_result_scales_f32(%qw: tensor<64x22xi32>, %qz: tensor<2x22xi32>, %sc: tensor<2x176xf16>) -> tensor<2x176xf32> {
  // expected-error @+1 {{result #1 must be 3D tensor of 16-bit float values, but got 'tensor<2x176xf32>'}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<2x176xf32>, tensor<11x2x16xi8>
  return %s : tensor<2x176xf32>
}

// -----

// The zero points are tiled by rows like the words.
func.func @repack_awq_result_scales(%qw: tensor<64x22xi32>, %qz: tensor<2x22xi32>, %sc: tensor<2x176xf16>) -> tensor<1x2x176xi8> {
  // expected-error @+1 {{'llm.repack_awq' op zero points of a [176, 64] matrix are 'tensor<11x2x16xi8>', not 'tensor<1x2x176xi8>'}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<1x2x176xi8>
  return %z : tensor<1x2x176xi8>
}

// -----

func.func @repack_awq_float_qzeros(%qw: tensor<64x22xi32>, %qz: tensor<2x176xf16>, %sc: tensor<2x176xf16>) -> tensor<11x2x4x16xi32> {
  // expected-error @+1 {{operand #1 must be 2D tensor of 32-bit signless integer values, but got 'tensor<2x176xf16>'}}
  %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32 : tensor<64x22xi32>, tensor<2x176xf16>, tensor<2x176xf16> -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
  return %q : tensor<11x2x4x16xi32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.matmul_int4: qweight [out / tile, groups, group_size / 8, tile], scales
// (a float type, not necessarily the input's) and i8 zeros [out / tile, groups,
// tile]
//===----------------------------------------------------------------------===//

// Zero points are i8 codes, not floats like the scales (the former f16).
func.func @matmul_int4_zeros_float(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xf16>) -> tensor<7x16xf32> {
  // expected-error @+1 {{'llm.matmul_int4' op operand #3 must be 3D tensor of 8-bit signless integer values, but got 'tensor<1x2x16xf16>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xf16> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

// The input and the result share a float type (the scales' need not be it).
func.func @matmul_int4_input_elem(%x: tensor<7x48xbf16>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{'llm.matmul_int4' op requires all tensors to have element type 'bf16', but got 'tensor<7x16xf32>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xbf16>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_result_elem(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xbf16> {
  // expected-error @+1 {{requires all tensors to have element type 'f32', but got 'tensor<7x16xbf16>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xbf16>
  return %0 : tensor<7x16xbf16>
}

// -----

func.func @matmul_int4_group_odd(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{group_size must be a positive multiple of 8 up to 8192, not 31}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 31 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_group_zero(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{attribute 'group_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 0 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_words(%x: tensor<7x48xf32>, %q: tensor<1x2x8x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{qweight must be [out / tile, groups, 4, tile] words for group_size 32, not 'tensor<1x2x8x16xi32>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x8x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

// Groups and words swapped.
func.func @matmul_int4_old_layout(%x: tensor<7x48xf32>, %q: tensor<1x4x2x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{qweight must be [out / tile, groups, 4, tile] words for group_size 32, not 'tensor<1x4x2x16xi32>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x4x2x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_scales(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x3x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{scales and zeros must be [1, 2, 16] like qweight's tiles and groups, not 'tensor<1x3x16xf16>' and 'tensor<1x2x16xi8>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x3x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

// Zero points with tiles and groups swapped ([groups, out / tile, tile]).
func.func @matmul_int4_zeros(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<2x1x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{scales and zeros must be [1, 2, 16] like qweight's tiles and groups, not 'tensor<1x2x16xf16>' and 'tensor<2x1x16xi8>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<2x1x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

// The former [groups, out] scales and zero points.
func.func @matmul_int4_params_untiled(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<2x16xf32>, %z: tensor<2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{operand #2 must be 3D tensor of floating-point values, but got 'tensor<2x16xf32>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<2x16xf32>, tensor<2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

// 48 inputs in groups of 32 make 2 groups (the second one short), not 3.
func.func @matmul_int4_groups(%x: tensor<7x48xf32>, %q: tensor<1x3x4x16xi32>, %s: tensor<1x3x16xf16>, %z: tensor<1x3x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{input features 48 make 2 groups of 32 but qweight has 3}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x3x4x16xi32>, tensor<1x3x16xf16>, tensor<1x3x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

// The lowering shapes the input by its groups: it needs the input features.
func.func @matmul_int4_dynamic_in(%x: tensor<7x?xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{needs a static number of input features}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x?xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_out(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x8xf32> {
  // expected-error @+1 {{result features 8 do not match the weight's out_features 16}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x8xf32>
  return %0 : tensor<7x8xf32>
}

// -----

func.func @matmul_int4_rows(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<5x16xf32> {
  // expected-error @+1 {{result rows 5 do not match input rows 7}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<5x16xf32>
  return %0 : tensor<5x16xf32>
}

// -----

// The packed weight is signless 32-bit words.
func.func @matmul_int4_qweight_ui32(%x: tensor<7x48xf32>, %q: tensor<1x2x4x16xui32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{operand #1 must be 4D tensor of 32-bit signless integer values, but got 'tensor<1x2x4x16xui32>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<1x2x4x16xui32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_qweight_bytes(%x: tensor<7x48xf32>, %q: tensor<2x16x16xi8>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<7x16xf32> {
  // expected-error @+1 {{operand #1 must be 4D tensor of 32-bit signless integer values, but got 'tensor<2x16x16xi8>'}}
  %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<7x48xf32>, tensor<2x16x16xi8>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<7x16xf32>
  return %0 : tensor<7x16xf32>
}

// -----

func.func @matmul_int4_dynamic_qweight(%x: tensor<1x48xf32>, %q: tensor<1x2x4x?xi32>, %s: tensor<1x2x16xf16>, %z: tensor<1x2x16xi8>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llm.matmul_int4' op needs static qweight, scales and zeros shapes}}
  %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32 : tensor<1x48xf32>, tensor<1x2x4x?xi32>, tensor<1x2x16xf16>, tensor<1x2x16xi8> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @attention_rope_scaling_alone(%q: tensor<1x8xf32>, %kc: tensor<1x4x1x8xf32>, %pos: index) -> tensor<1x8xf32> {
  // expected-error @+1 {{rope_scaling needs rope_theta}}
  %o, %nk, %nv = llm.attention %q, %q, %q cache(%kc, %kc) at %pos layer 0 heads = 1 kv_heads = 1 head_dim = 8 {rope_scaling = #llm.rope_llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>} : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x4x1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

func.func @attention_rope_odd(%q: tensor<1x7xf32>, %kc: tensor<1x4x1x7xf32>, %pos: index) -> tensor<1x7xf32> {
  // expected-error @+1 {{rotary embeddings need an even head_dim, got 7}}
  %o, %nk, %nv = llm.attention %q, %q, %q cache(%kc, %kc) at %pos layer 0 heads = 1 kv_heads = 1 head_dim = 7 {rope_theta = 1.0e+04 : f64} : tensor<1x7xf32>, tensor<1x7xf32>, tensor<1x4x1x7xf32>
  return %o : tensor<1x7xf32>
}

// -----

func.func @pair_dot_lanes(%a: vector<32xi16>, %b: vector<32xi16>) -> vector<8xi32> {
  // expected-error @+1 {{expects one int32 result lane per pair of int16 input lanes (16), got 'vector<8xi32>'}}
  %0 = llm.pair_dot_i16 %a, %b : vector<32xi16> -> vector<8xi32>
  return %0 : vector<8xi32>
}

// -----

func.func @quad_dot_width(%acc: vector<8xi32>, %a: vector<32xi8>, %b: vector<32xi8>) -> vector<8xi32> {
  // expected-error @+1 {{operand #0 must be vector of 32-bit signless integer values of length 16, but got 'vector<8xi32>'}}
  %0 = llm.quad_dot_u8i8 %acc, %a, %b : vector<32xi8> -> vector<8xi32>
  return %0 : vector<8xi32>
}

// -----

//===----------------------------------------------------------------------===//
// #llm.config: its sizes and token ids, and checked against the entry points
// (the runtime sizes the KV cache and logits buffers from it)
//===----------------------------------------------------------------------===//

// expected-error @+1 {{#llm.config gives KV caches of [1, 2, context, 8] but @prefill takes 'tensor<2x2x?x8xf32>'}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
  func.func @prefill(%t: tensor<?xi32>, %p: index, %k: tensor<2x2x?x8xf32> {llm.name = "key_cache"}, %v: tensor<2x2x?x8xf32> {llm.name = "value_cache"}) -> (tensor<?x16xf32> {llm.name = "logits"}) {
    %0 = tensor.empty() : tensor<3x16xf32>
    %1 = tensor.cast %0 : tensor<3x16xf32> to tensor<?x16xf32>
    return %1 : tensor<?x16xf32>
  }
}

// -----

// expected-error @+1 {{#llm.config gives a vocabulary of 32 but @decode returns logits of type 'tensor<1x16xf32>'}}
module attributes {llm.config = #llm.config<vocab_size = 32, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
  func.func @decode(%t: tensor<1xi32>, %p: index, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x16xf32> {llm.name = "logits"}) {
    %0 = tensor.empty() : tensor<1x16xf32>
    return %0 : tensor<1x16xf32>
  }
}

// -----

// The config inside a module's #llm.abi is checked the same way.
// expected-error @+1 {{#llm.config gives a vocabulary of 32 but @decode returns logits of type 'tensor<1x16xf32>'}}
module attributes {llm.abi = #llm.abi<config = #llm.config<vocab_size = 32, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>, tensors = [], prepare = [], prepared = [], weights = []>} {
  func.func @decode(%t: tensor<1xi32>, %p: index, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x16xf32> {llm.name = "logits"}) {
    %0 = tensor.empty() : tensor<1x16xf32>
    return %0 : tensor<1x16xf32>
  }
}

// -----

// expected-error @+1 {{a module has its config either as 'llm.config' or in its #llm.abi, not both}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>, llm.abi = #llm.abi<config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>, tensors = [], prepare = [], prepared = [], weights = []>} {
}

// -----

// expected-error @+1 {{'llm.config' must be a #llm.config on a module}}
module attributes {llm.config = {vocab_size = 16 : i64}} {
}

// -----

// expected-error @+1 {{#llm.config field 'num_hidden_layers' must be in [1, 4096], not 0}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 0, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
}

// -----

// expected-error @+1 {{#llm.config field 'max_position_embeddings' must be in [1, 16777216], not 4611686018427387904}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 4611686018427387904, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
}

// -----

// expected-error @+1 {{#llm.config: token id 16 is not in the vocabulary [0, 16)}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2, 16]>} {
}

// -----

// expected-error @+1 {{#llm.config: 6 attention heads cannot share 4 key/value heads evenly}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 6, num_key_value_heads = 4, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
}

// -----

// expected-error @+1 {{#llm.config: rms_norm_eps and rope_theta must be positive}}
module attributes {llm.config = #llm.config<vocab_size = 16, hidden_size = 16, intermediate_size = 32, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 8, max_position_embeddings = 64, rms_norm_eps = 0.0, rope_theta = 10000.0, tie_word_embeddings = false, bos_token_id = 1, eos_token_ids = [2]>} {
}

// -----

// expected-error @+1 {{'llm.activations' must be an array of #llm.activation on a module}}
module attributes {llm.activations = [{name = "w", features = 8 : i64}]} {
}

// -----

// expected-error @+1 {{exposed activation 'w' needs a positive number of features}}
module attributes {llm.activations = [#llm.activation<"w" : 0, sources = ["w"]>]} {
}

// -----

// expected-error @+1 {{an exposed activation needs a name and the checkpoint tensors of its weight}}
module attributes {llm.activations = [#llm.activation<"" : 8, sources = ["w"]>]} {
}

// -----

//===----------------------------------------------------------------------===//
// #llm.tensor and #llm.abi
//===----------------------------------------------------------------------===//

// expected-error @+1 {{a checkpoint tensor needs a name}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"" : tensor<4xf32>>], prepare = [], prepared = [], weights = [0]>} {
}

// -----

// The runtime sizes buffers from the types.
// expected-error @+1 {{checkpoint tensor 'w' needs a static shape}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<?x4xf32>>], prepare = [], prepared = [], weights = [0]>} {
}

// -----

// expected-error @+1 {{#llm.abi lists checkpoint tensor 'w' twice}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<4xf32>>, #llm.tensor<"w" : tensor<4xf32>>], prepare = [], prepared = [], weights = [0, 1]>} {
}

// -----

// The KV cache type is one sequence's [layers, kv_heads, context, head_dim].
// expected-error @+1 {{#llm.abi: the KV cache type must be a 4-D float tensor ([layers, kv_heads, context, head_dim]), got 'tensor<2x?x8xf32>'}}
module attributes {llm.abi = #llm.abi<tensors = [], prepare = [], prepared = [], weights = [], kv_cache = tensor<2x?x8xf32>>} {
}

// -----

// @prepare takes checkpoint tensors only, not prepared buffers.
// expected-error @+1 {{#llm.abi: @prepare argument 1 is not one of the 1 checkpoint tensors}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [1], prepared = [tensor<1x1x1x8xi32>], weights = [1]>} {
}

// -----

// expected-error @+1 {{#llm.abi: @prepare argument -1 is not one of the 1 checkpoint tensors}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [-1], prepared = [], weights = []>} {
}

// -----

// expected-error @+1 {{#llm.abi: prepared buffers need static shapes}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [0], prepared = [tensor<?x8xf32>], weights = [1]>} {
}

// -----

// Buffers count the checkpoint tensors, then the prepared buffers: 0 to 3.
// expected-error @+1 {{#llm.abi: weight argument 4 is not one of the 4 buffers (checkpoint tensors, then prepared)}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [0], prepared = [tensor<1x1x1x8xi32>, tensor<1x8xf32>, tensor<1x8xi8>], weights = [1, 2, 4]>} {
}

// -----

// expected-error @+1 {{#llm.abi: weight argument -2 is not one of the 1 buffers (checkpoint tensors, then prepared)}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [], prepared = [], weights = [-2]>} {
}

// -----

//===----------------------------------------------------------------------===//
// llm.abi: checked against @prepare, @prefill and @decode
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'llm.abi' must be a #llm.abi on a module}}
func.func @abi_on_function() attributes {llm.abi = #llm.abi<tensors = [], prepare = [], prepared = [], weights = []>} {
  return
}

// -----

// expected-error @+1 {{'llm.abi' must be a #llm.abi on a module}}
module attributes {llm.abi = {tensors = []}} {
}

// -----

// expected-error @+1 {{'llm.abi' lists prepared buffers but the module has no @prepare}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [0], prepared = [tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>], weights = [1, 2, 3]>} {
  func.func @prefill(%x: tensor<?x8xf32>, %q: tensor<1x1x1x8xi32>, %s: tensor<1x1x8xf16>, %z: tensor<1x1x8xi8>) -> tensor<?x8xf32> {
    %0 = llm.matmul_int4 %x, %q, %s, %z group_size = 8 : tensor<?x8xf32>, tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8> -> tensor<?x8xf32>
    return %0 : tensor<?x8xf32>
  }
}

// -----

// expected-error @+1 {{'llm.abi' gives @prepare 1 arguments and 3 results, but it has type '(tensor<8x8xf32>) -> (tensor<1x1x1x8xi32>, tensor<1x1x8xf16>)'}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [0], prepared = [tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>], weights = []>} {
  func.func @prepare(%w: tensor<8x8xf32>) -> (tensor<1x1x1x8xi32>, tensor<1x1x8xf16>) {
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x8xf32> -> tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
    return %q, %s : tensor<1x1x1x8xi32>, tensor<1x1x8xf16>
  }
}

// -----

// @prepare takes the checkpoint tensor in its stored precision.
// expected-error @+1 {{'llm.abi': argument 0 of @prepare is 'tensor<8x8xf32>', not #llm.tensor<"w" : tensor<8x8xbf16>>}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xbf16>>], prepare = [0], prepared = [tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>], weights = []>} {
  func.func @prepare(%w: tensor<8x8xf32>) -> (tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>) {
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x8xf32> -> tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
    return %q, %s, %z : tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
  }
}

// -----

// expected-error @+1 {{'llm.abi': result 2 of @prepare is 'tensor<8x1x1xi8>', not 'tensor<1x1x8xi8>'}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>], prepare = [0], prepared = [tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>], weights = []>} {
  func.func @prepare(%w: tensor<8x8xf32>) -> (tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<8x1x1xi8>) {
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x8xf32> -> tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
    %t = tensor.collapse_shape %z [[0, 1, 2]] : tensor<1x1x8xi8> into tensor<8xi8>
    %e = tensor.expand_shape %t [[0, 1, 2]] output_shape [8, 1, 1] : tensor<8xi8> into tensor<8x1x1xi8>
    return %q, %s, %e : tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<8x1x1xi8>
  }
}

// -----

// The weights are the trailing arguments of @decode: the last one is buffer
// 4, the zero points (buffers count the 2 checkpoint tensors first).
// expected-error @+1 {{'llm.abi': weight argument 1 of @decode is 'tensor<1x2x8xi8>', but buffer 4 is 'tensor<1x1x8xi8>'}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>, #llm.tensor<"n" : tensor<8xf32>>], prepare = [0], prepared = [tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>], weights = [1, 4]>} {
  func.func @prepare(%w: tensor<8x8xf32>) -> (tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>) {
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x8xf32> -> tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
    return %q, %s, %z : tensor<1x1x1x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
  }
  func.func @decode(%x: tensor<1x8xf32>, %n: tensor<8xf32>, %z: tensor<1x2x8xi8>) -> tensor<1x8xf32> {
    return %x : tensor<1x8xf32>
  }
}

// -----

// expected-error @+1 {{'llm.abi': weight argument 0 of @prefill is 'tensor<8xbf16>', but buffer 1 is 'tensor<8xf32>'}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x8xf32>>, #llm.tensor<"n" : tensor<8xf32>>], prepare = [], prepared = [], weights = [1]>} {
  func.func @prefill(%x: tensor<?x8xf32>, %n: tensor<8xbf16>) -> tensor<?x8xf32> {
    return %x : tensor<?x8xf32>
  }
}

// -----

// expected-error @+1 {{'llm.abi' gives @prefill 3 weight arguments, but it takes 2 arguments in all}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"a" : tensor<8xf32>>, #llm.tensor<"b" : tensor<8xf32>>, #llm.tensor<"c" : tensor<8xf32>>], prepare = [], prepared = [], weights = [0, 1, 2]>} {
  func.func @prefill(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
    return %a : tensor<8xf32>
  }
}

// -----

// expected-error @+1 {{invalid kind of attribute specified}}
module attributes {llm.abi = #llm.abi<tensors = ["w"], prepare = [], prepared = [], weights = []>} {
}

// -----

// Every list is written, in order, even when empty.
// expected-error @+1 {{expected 'prepared'}}
module attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<4xf32>>], prepare = [], weights = [0]>} {
}

// -----

func.func @bias_add_size(%x: tensor<?x16xf32>, %b: tensor<8xf32>) -> tensor<?x16xf32> {
  // expected-error @below {{bias size 8 does not match the 16 features of the input}}
  %0 = llm.bias_add %x, %b : tensor<?x16xf32>, tensor<8xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Q4_0 rows are whole 18-byte blocks.
func.func @repack_q4_0_partial_block(%blocks: tensor<64x40xi8>) -> tensor<1x2x4x64xi32> {
  // expected-error @+1 {{'llm.repack_q4_0' op blocks must be [out, in / 32 * 18] bytes, not 'tensor<64x40xi8>'}}
  %q, %s = llm.repack_q4_0 %blocks : tensor<64x40xi8> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
  return %q : tensor<1x2x4x64xi32>
}

// -----

//===----------------------------------------------------------------------===//
// llm.batched_attention
//===----------------------------------------------------------------------===//

func.func @batched_attention_rows(%q: tensor<3x64xf32>, %k: tensor<3x16xf32>, %v: tensor<3x16xf32>, %kp: tensor<4x3x2x?x8xf32>, %vp: tensor<4x3x2x?x8xf32>, %slots: tensor<2xi64>, %l: index) -> tensor<3x64xf32> {
  // expected-error @+1 {{query rows 3 != slots and positions 2}}
  %o, %nk, %nv = llm.batched_attention %q, %k, %v cache(%kp, %vp) slots %slots positions %slots layer %l heads = 8 kv_heads = 2 head_dim = 8 : tensor<3x64xf32>, tensor<3x16xf32>, tensor<4x3x2x?x8xf32>, tensor<2xi64>
  return %o : tensor<3x64xf32>
}

// -----

func.func @batched_attention_pool(%q: tensor<?x64xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>, %kp: tensor<4x3x4x?x8xf32>, %vp: tensor<4x3x4x?x8xf32>, %slots: tensor<?xi64>, %l: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{KV cache must be [slots, layers, 2, context, 8], got 'tensor<4x3x4x?x8xf32>'}}
  %o, %nk, %nv = llm.batched_attention %q, %k, %v cache(%kp, %vp) slots %slots positions %slots layer %l heads = 8 kv_heads = 2 head_dim = 8 : tensor<?x64xf32>, tensor<?x16xf32>, tensor<4x3x4x?x8xf32>, tensor<?xi64>
  return %o : tensor<?x64xf32>
}

// -----

func.func @batched_attention_scaling_without_theta(%q: tensor<?x64xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>, %kp: tensor<4x3x2x?x8xf32>, %vp: tensor<4x3x2x?x8xf32>, %slots: tensor<?xi64>, %l: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{rope_scaling needs rope_theta}}
  %o, %nk, %nv = llm.batched_attention %q, %k, %v cache(%kp, %vp) slots %slots positions %slots layer %l heads = 8 kv_heads = 2 head_dim = 8 {rope_scaling = #llm.rope_llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 32>} : tensor<?x64xf32>, tensor<?x16xf32>, tensor<4x3x2x?x8xf32>, tensor<?xi64>
  return %o : tensor<?x64xf32>
}
