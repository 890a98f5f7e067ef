// llm-hoist-weight-prep: what the entry points compute from checkpoint
// tensors alone (INT4 packs, stacked and column-scaled weights) is outlined
// into private @prepare_<n> functions, identical subgraphs of @prefill and
// @decode once, which a public @prepare calls in turn. Every entry point
// takes every weight buffer (a checkpoint tensor read as it is, or a
// prepared buffer) as trailing read-only arguments, in one order, and the
// module's llm.abi records the tensors, @prepare's arguments and results
// and that order. A module that already has llm.abi is left as it is.

// RUN: llm-opt %s --llm-hoist-weight-prep -split-input-file -verify-diagnostics | FileCheck %s
// The pass is idempotent: its output carries llm.abi. The outputs are read
// back as modules nested in one (the chunks of the error cases are empty)
// and the pass is run on each of them.
// RUN: llm-opt %s --llm-hoist-weight-prep -split-input-file -verify-diagnostics | llm-opt --pass-pipeline='builtin.module(builtin.module(llm-hoist-weight-prep))' | FileCheck %s

//===----------------------------------------------------------------------===//
// A layer read by @prefill and @decode
//===----------------------------------------------------------------------===//

// Checkpoint tensors are numbered as they are first met: the norm weight
// (read as it is by rms_norm, and as the column scale of the stacked a+b),
// the projection (quantized twice: in groups of 8 by both entry points and
// in groups of 16, symmetric, by @decode only), then a and b. The prepared
// buffers follow them: 4-6 the groups-of-8 pack, 7 the scaled stack, 8-10
// the symmetric pack.
// CHECK-LABEL: module @layer attributes {llm.abi = #llm.abi<
// CHECK-SAME: tensors = [#llm.tensor<"l.norm.weight" : tensor<16xf32>>, #llm.tensor<"l.proj.weight" : tensor<8x16xf32>>, #llm.tensor<"l.a.weight" : tensor<4x16xbf16>>, #llm.tensor<"l.b.weight" : tensor<4x16xbf16>>],
// CHECK-SAME: prepare = [1, 2, 3, 0],
// CHECK-SAME: prepared = [tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>, tensor<8x16xf32>, tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>],
// CHECK-SAME: weights = [0, 4, 5, 6, 7, 8, 9, 10]>

// @prefill takes the symmetric pack too, though only @decode reads it. No
// weight-only op is left in the entry points.
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x16xf32>,
// CHECK-SAME: %[[N:[^:]*]]: tensor<16xf32> {bufferization.writable = false},
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x2x1x8xi32> {bufferization.writable = false},
// CHECK-SAME: %[[S:[^:]*]]: tensor<1x2x8xf16> {bufferization.writable = false},
// CHECK-SAME: %[[Z:[^:]*]]: tensor<1x2x8xi8> {bufferization.writable = false},
// CHECK-SAME: %[[W:[^:]*]]: tensor<8x16xf32> {bufferization.writable = false},
// CHECK-SAME: %{{[^:]*}}: tensor<1x1x2x8xi32> {bufferization.writable = false},
// CHECK-SAME: %{{[^:]*}}: tensor<1x1x8xf16> {bufferization.writable = false},
// CHECK-SAME: %{{[^:]*}}: tensor<1x1x8xi8> {bufferization.writable = false})
// CHECK-SAME: -> tensor<?x8xf32>
// CHECK-NEXT: %[[H:.*]] = llm.rms_norm %[[X]], %[[N]] eps = 1.000000e-05 : tensor<?x16xf32>, tensor<16xf32>
// CHECK-NEXT: %[[Y:.*]] = llm.matmul_int4 %[[H]], %[[Q]], %[[S]], %[[Z]] group_size = 8 : tensor<?x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<?x8xf32>
// CHECK-NEXT: %[[V:.*]] = llm.matmul %[[X]], %[[W]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
// CHECK-NEXT: %[[R:.*]] = llm.add %[[Y]], %[[V]] : tensor<?x8xf32>
// CHECK-NEXT: return %[[R]] : tensor<?x8xf32>

// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x16xf32>,
// CHECK-SAME: %[[N:[^:]*]]: tensor<16xf32> {bufferization.writable = false},
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x2x1x8xi32> {bufferization.writable = false},
// CHECK-SAME: %[[S:[^:]*]]: tensor<1x2x8xf16> {bufferization.writable = false},
// CHECK-SAME: %[[Z:[^:]*]]: tensor<1x2x8xi8> {bufferization.writable = false},
// CHECK-SAME: %[[W:[^:]*]]: tensor<8x16xf32> {bufferization.writable = false},
// CHECK-SAME: %[[Q2:[^:]*]]: tensor<1x1x2x8xi32> {bufferization.writable = false},
// CHECK-SAME: %[[S2:[^:]*]]: tensor<1x1x8xf16> {bufferization.writable = false},
// CHECK-SAME: %[[Z2:[^:]*]]: tensor<1x1x8xi8> {bufferization.writable = false})
// CHECK-SAME: -> tensor<1x8xf32>
// CHECK-NEXT: %[[H:.*]] = llm.rms_norm %[[X]], %[[N]] eps = 1.000000e-05 : tensor<1x16xf32>, tensor<16xf32>
// CHECK-NEXT: %[[Y:.*]] = llm.matmul_int4 %[[H]], %[[Q]], %[[S]], %[[Z]] group_size = 8 : tensor<1x16xf32>
// CHECK-NEXT: %[[V:.*]] = llm.matmul %[[X]], %[[W]] {rms_norm_eps = 1.000000e-05 : f64} : tensor<1x16xf32>, tensor<8x16xf32> -> tensor<1x8xf32>
// CHECK-NEXT: %[[U:.*]] = llm.matmul_int4 %[[H]], %[[Q2]], %[[S2]], %[[Z2]] group_size = 16 : tensor<1x16xf32>
// CHECK-NEXT: %[[R:.*]] = llm.add %[[Y]], %[[V]] : tensor<1x8xf32>
// CHECK-NEXT: %[[R2:.*]] = llm.add %[[R]], %[[U]] : tensor<1x8xf32>
// CHECK-NEXT: return %[[R2]] : tensor<1x8xf32>

// Three subgraphs, each outlined once though @prefill and @decode both
// compute the first two; each takes the checkpoint tensors it reads.
// CHECK-LABEL: func.func private @prepare_0(
// CHECK-SAME: %[[W:[^:]*]]: tensor<8x16xf32>) -> (tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>)
// CHECK-NEXT: %[[Q:[^,]*]], %[[S:[^,]*]], %[[Z:[^,]*]] = llm.quantize_int4 %[[W]] group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
// CHECK-NEXT: return %[[Q]], %[[S]], %[[Z]] :

// CHECK-LABEL: func.func private @prepare_1(
// CHECK-SAME: %[[A:[^:]*]]: tensor<4x16xbf16>, %[[B:[^:]*]]: tensor<4x16xbf16>, %[[N:[^:]*]]: tensor<16xf32>) -> tensor<8x16xf32>
// CHECK-NEXT: %[[AB:.*]] = tensor.concat dim(0) %[[A]], %[[B]] : (tensor<4x16xbf16>, tensor<4x16xbf16>) -> tensor<8x16xbf16>
// CHECK-NEXT: %[[W:.*]] = llm.scale_columns %[[AB]], %[[N]] : tensor<8x16xbf16>, tensor<16xf32> -> tensor<8x16xf32>
// CHECK-NEXT: return %[[W]] : tensor<8x16xf32>

// CHECK-LABEL: func.func private @prepare_2(
// CHECK-SAME: %[[W:[^:]*]]: tensor<8x16xf32>) -> (tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>)
// CHECK-NEXT: %[[Q:[^,]*]], %[[S:[^,]*]], %[[Z:[^,]*]] = llm.quantize_int4 %[[W]] group_size = 16 symmetric : tensor<8x16xf32> -> tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
// CHECK-NEXT: return %[[Q]], %[[S]], %[[Z]] :
// CHECK-NOT: @prepare_3

// @prepare takes each checkpoint tensor once (the projection feeds two
// subgraphs) and returns the prepared buffers in order; after each call it
// reports the elements prepared so far (48, 176, 208) of 208.
// CHECK-LABEL: func.func @prepare(
// CHECK-SAME: %[[W:[^:]*]]: tensor<8x16xf32> {bufferization.writable = false},
// CHECK-SAME: %[[A:[^:]*]]: tensor<4x16xbf16> {bufferization.writable = false},
// CHECK-SAME: %[[B:[^:]*]]: tensor<4x16xbf16> {bufferization.writable = false},
// CHECK-SAME: %[[N:[^:]*]]: tensor<16xf32> {bufferization.writable = false})
// CHECK-SAME: -> (tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>, tensor<8x16xf32>, tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>)
// CHECK-NEXT: %[[TOTAL:.*]] = arith.constant 208 : i64
// CHECK-NEXT: %[[P0:[^:]*]]:3 = call @prepare_0(%[[W]]) : (tensor<8x16xf32>) -> (tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>)
// CHECK-NEXT: %[[D0:.*]] = arith.constant 48 : i64
// CHECK-NEXT: call @llm_prepare_progress(%[[D0]], %[[TOTAL]]) : (i64, i64) -> ()
// CHECK-NEXT: %[[P1:.*]] = call @prepare_1(%[[A]], %[[B]], %[[N]]) : (tensor<4x16xbf16>, tensor<4x16xbf16>, tensor<16xf32>) -> tensor<8x16xf32>
// CHECK-NEXT: %[[D1:.*]] = arith.constant 176 : i64
// CHECK-NEXT: call @llm_prepare_progress(%[[D1]], %[[TOTAL]])
// CHECK-NEXT: %[[P2:[^:]*]]:3 = call @prepare_2(%[[W]]) : (tensor<8x16xf32>) -> (tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>)
// CHECK-NEXT: %[[D2:.*]] = arith.constant 208 : i64
// CHECK-NEXT: call @llm_prepare_progress(%[[D2]], %[[TOTAL]])
// CHECK-NEXT: return %[[P0]]#0, %[[P0]]#1, %[[P0]]#2, %[[P1]], %[[P2]]#0, %[[P2]]#1, %[[P2]]#2 :
// CHECK-NEXT: }
// CHECK-NEXT: func.func private @llm_prepare_progress(i64, i64)
// CHECK-NEXT: }
module @layer {
  func.func @prefill(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
    %n = llm.param "l.norm.weight" : tensor<16xf32>
    %h = llm.rms_norm %x, %n eps = 1.0e-5 : tensor<?x16xf32>, tensor<16xf32>
    %w = llm.param "l.proj.weight" : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    %y = llm.matmul_int4 %h, %q, %s, %z group_size = 8 : tensor<?x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<?x8xf32>
    %a = llm.param "l.a.weight" : tensor<4x16xbf16>
    %b = llm.param "l.b.weight" : tensor<4x16xbf16>
    %ab = tensor.concat dim(0) %a, %b : (tensor<4x16xbf16>, tensor<4x16xbf16>) -> tensor<8x16xbf16>
    %abn = llm.scale_columns %ab, %n : tensor<8x16xbf16>, tensor<16xf32> -> tensor<8x16xf32>
    %v = llm.matmul %x, %abn {rms_norm_eps = 1.0e-05 : f64} : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
    %r = llm.add %y, %v : tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
  func.func @decode(%x: tensor<1x16xf32>) -> tensor<1x8xf32> {
    %n = llm.param "l.norm.weight" : tensor<16xf32>
    %h = llm.rms_norm %x, %n eps = 1.0e-5 : tensor<1x16xf32>, tensor<16xf32>
    %w = llm.param "l.proj.weight" : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    %y = llm.matmul_int4 %h, %q, %s, %z group_size = 8 : tensor<1x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<1x8xf32>
    %a = llm.param "l.a.weight" : tensor<4x16xbf16>
    %b = llm.param "l.b.weight" : tensor<4x16xbf16>
    %ab = tensor.concat dim(0) %a, %b : (tensor<4x16xbf16>, tensor<4x16xbf16>) -> tensor<8x16xbf16>
    %abn = llm.scale_columns %ab, %n : tensor<8x16xbf16>, tensor<16xf32> -> tensor<8x16xf32>
    %v = llm.matmul %x, %abn {rms_norm_eps = 1.0e-05 : f64} : tensor<1x16xf32>, tensor<8x16xf32> -> tensor<1x8xf32>
    %q2, %s2, %z2 = llm.quantize_int4 %w group_size = 16 symmetric : tensor<8x16xf32> -> tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
    %u = llm.matmul_int4 %h, %q2, %s2, %z2 group_size = 16 : tensor<1x16xf32>, tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8> -> tensor<1x8xf32>
    %r = llm.add %y, %v : tensor<1x8xf32>
    %r2 = llm.add %r, %u : tensor<1x8xf32>
    return %r2 : tensor<1x8xf32>
  }
}

// -----

//===----------------------------------------------------------------------===//
// Parameters read as they are: nothing to prepare
//===----------------------------------------------------------------------===//

// No @prepare, and the weights are the checkpoint tensors, each once though
// both entry points read them (and @decode reads the norm twice). The
// model's config moves into the ABI.
// CHECK-LABEL: module @plain attributes {llm.abi = #llm.abi<config = #llm.config<vocab_size = 32, hidden_size = 8, {{.*}}, eos_token_ids = [2]>, tensors = [#llm.tensor<"model.embed_tokens.weight" : tensor<32x8xbf16>>, #llm.tensor<"model.norm.weight" : tensor<8xbf16>>], prepare = [], prepared = [], weights = [0, 1]>}
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[T:[^:]*]]: tensor<?xi32>, %[[E:[^:]*]]: tensor<32x8xbf16> {bufferization.writable = false}, %[[N:[^:]*]]: tensor<8xbf16> {bufferization.writable = false}) -> tensor<?x8xf32>
// CHECK-NEXT: %[[H:.*]] = llm.embedding %[[E]][%[[T]]]
// CHECK-NEXT: %[[Y:.*]] = llm.rms_norm %[[H]], %[[N]]
// CHECK-NEXT: return %[[Y]]
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[T:[^:]*]]: tensor<1xi32>, %[[E:[^:]*]]: tensor<32x8xbf16> {bufferization.writable = false}, %[[N:[^:]*]]: tensor<8xbf16> {bufferization.writable = false}) -> tensor<1x8xf32>
// CHECK-NEXT: %[[H:.*]] = llm.embedding %[[E]][%[[T]]]
// CHECK-NEXT: %[[Y:.*]] = llm.rms_norm %[[H]], %[[N]]
// CHECK-NEXT: %[[Y2:.*]] = llm.rms_norm %[[Y]], %[[N]]
// CHECK-NEXT: return %[[Y2]]
// CHECK-NOT: @prepare
module @plain attributes {llm.config = #llm.config<vocab_size = 32, hidden_size = 8, intermediate_size = 16, num_hidden_layers = 1, num_attention_heads = 2, num_key_value_heads = 2, head_dim = 4, max_position_embeddings = 16, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = true, bos_token_id = 1, eos_token_ids = [2]>} {
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x8xf32> {
    %e = llm.param "model.embed_tokens.weight" : tensor<32x8xbf16>
    %h = llm.embedding %e[%tokens] : tensor<32x8xbf16>, tensor<?xi32> -> tensor<?x8xf32>
    %n = llm.param "model.norm.weight" : tensor<8xbf16>
    %y = llm.rms_norm %h, %n eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xbf16>
    return %y : tensor<?x8xf32>
  }
  func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
    %e = llm.param "model.embed_tokens.weight" : tensor<32x8xbf16>
    %h = llm.embedding %e[%tokens] : tensor<32x8xbf16>, tensor<1xi32> -> tensor<1x8xf32>
    %n = llm.param "model.norm.weight" : tensor<8xbf16>
    %y = llm.rms_norm %h, %n eps = 1.0e-5 : tensor<1x8xf32>, tensor<8xbf16>
    %n2 = llm.param "model.norm.weight" : tensor<8xbf16>
    %y2 = llm.rms_norm %y, %n2 eps = 1.0e-5 : tensor<1x8xf32>, tensor<8xbf16>
    return %y2 : tensor<1x8xf32>
  }
}

// -----

//===----------------------------------------------------------------------===//
// A module that already has llm.abi is left as it is
//===----------------------------------------------------------------------===//

// CHECK-LABEL: module @hoisted attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x16xf32>>], prepare = [0], prepared = [tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>], weights = [1, 2, 3]>}
// CHECK-NEXT: func.func @prefill(%[[X:[^:]*]]: tensor<?x16xf32>, %[[Q:[^:]*]]: tensor<1x2x1x8xi32>, %[[S:[^:]*]]: tensor<1x2x8xf16>, %[[Z:[^:]*]]: tensor<1x2x8xi8>) -> tensor<?x8xf32> {
// CHECK-NEXT: %[[W:.*]] = llm.param "bias" : tensor<8x16xf32>
// CHECK-NEXT: %[[Y:.*]] = llm.matmul_int4 %[[X]], %[[Q]], %[[S]], %[[Z]] group_size = 8
// CHECK-NEXT: %[[B:.*]] = llm.matmul %[[X]], %[[W]]
// CHECK-NEXT: %[[R:.*]] = llm.add %[[Y]], %[[B]]
// CHECK-NEXT: return %[[R]]
// CHECK-NEXT: }
// CHECK-NEXT: func.func @prepare(%[[PW:[^:]*]]: tensor<8x16xf32>) -> (tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>) {
// CHECK-NEXT: %[[PQ:[^,]*]], %[[PS:[^,]*]], %[[PZ:[^,]*]] = llm.quantize_int4 %[[PW]] group_size = 8
// CHECK-NEXT: return %[[PQ]], %[[PS]], %[[PZ]]
// CHECK-NEXT: }
// CHECK-NEXT: }
module @hoisted attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x16xf32>>], prepare = [0], prepared = [tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>], weights = [1, 2, 3]>} {
  func.func @prefill(%x: tensor<?x16xf32>, %q: tensor<1x2x1x8xi32>, %s: tensor<1x2x8xf16>, %z: tensor<1x2x8xi8>) -> tensor<?x8xf32> {
    %w = llm.param "bias" : tensor<8x16xf32>
    %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8 : tensor<?x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<?x8xf32>
    %b = llm.matmul %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
    %r = llm.add %y, %b : tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
  func.func @prepare(%w: tensor<8x16xf32>) -> (tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>) {
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    return %q, %s, %z : tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
  }
}

// -----

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

// A checkpoint tensor has one type: the buffer the runtime binds.
module @two_types {
  func.func @prefill(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
    %w = llm.param "l.proj.weight" : tensor<8x16xf32>
    %y = llm.matmul %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
  func.func @decode(%x: tensor<1x16xf32>) -> tensor<1x8xf32> {
    // expected-error @+1 {{'llm.param' op parameter 'l.proj.weight' is used with types 'tensor<8x16xf32>' and 'tensor<8x16xbf16>'}}
    %w = llm.param "l.proj.weight" : tensor<8x16xbf16>
    %y = llm.matmul %x, %w : tensor<1x16xf32>, tensor<8x16xbf16> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// The same when one of the reads is in a subgraph to outline.
module @two_types_prepared {
  func.func @prefill(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
    %w = llm.param "l.proj.weight" : tensor<8x16xbf16>
    %y = llm.matmul %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
  func.func @decode(%x: tensor<1x16xf32>) -> tensor<1x8xf32> {
    // expected-error @+1 {{'llm.param' op parameter 'l.proj.weight' is used with types 'tensor<8x16xbf16>' and 'tensor<8x16xf32>'}}
    %w = llm.param "l.proj.weight" : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8 : tensor<1x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// @prepare is the pass's to make.
// expected-error @+1 {{llm-hoist-weight-prep: the module already has a @prepare symbol}}
module @has_prepare {
  func.func @prefill(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
    %w = llm.param "l.proj.weight" : tensor<8x16xf32>
    %y = llm.matmul %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
  func.func private @prepare()
}

// -----

//===----------------------------------------------------------------------===//
// A decoder-layer function called per layer
//===----------------------------------------------------------------------===//

// The layer function's weight-only computation (the INT4 pack of its
// layer's projection) moves to each call, where the layer is a constant
// and the parameter names that layer's tensor; the function takes the
// result as a new argument. The entry point then hoists the calls' packs
// like any other: one outlined function for both layers, two prepared packs,
// and the layer function computes nothing from weights.
// CHECK-LABEL: module @layers attributes {llm.abi = #llm.abi<
// CHECK-SAME: tensors = [#llm.tensor<"model.layers.0.proj.weight" : tensor<8x16xf32>>, #llm.tensor<"model.layers.1.proj.weight" : tensor<8x16xf32>>],
// CHECK-SAME: prepare = [0, 1],
// CHECK-SAME: prepared = [tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>],
// CHECK-SAME: weights = [2, 3, 4, 5, 6, 7]>
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x16xf32>,
// CHECK-SAME: %[[Q0:[^:]*]]: tensor<1x2x1x8xi32> {bufferization.writable = false}, %[[S0:[^:]*]]: tensor<1x2x8xf16> {bufferization.writable = false}, %[[Z0:[^:]*]]: tensor<1x2x8xi8> {bufferization.writable = false},
// CHECK-SAME: %[[Q1:[^:]*]]: tensor<1x2x1x8xi32> {bufferization.writable = false}, %[[S1:[^:]*]]: tensor<1x2x8xf16> {bufferization.writable = false}, %[[Z1:[^:]*]]: tensor<1x2x8xi8> {bufferization.writable = false})
// CHECK-NOT: llm.param
// CHECK: %[[Y0:.*]] = call @decode_layer(%[[X]], %{{.*}}, %[[Q0]], %[[S0]], %[[Z0]])
// CHECK: %[[Y1:.*]] = call @decode_layer(%[[Y0]], %{{.*}}, %[[Q1]], %[[S1]], %[[Z1]])
// CHECK: return %[[Y1]]
// CHECK-LABEL: func.func private @decode_layer(
// CHECK-SAME: %[[IN:[^:]*]]: tensor<1x16xf32>, %{{[^:]*}}: index, %[[Q:[^:]*]]: tensor<1x2x1x8xi32>, %[[S:[^:]*]]: tensor<1x2x8xf16>, %[[Z:[^:]*]]: tensor<1x2x8xi8>) -> tensor<1x16xf32>
// CHECK-NOT: llm.param
// CHECK-NOT: llm.quantize_int4
// CHECK: llm.matmul_int4 %[[IN]], %[[Q]], %[[S]], %[[Z]] group_size = 8
// CHECK-LABEL: func.func private @prepare_0(
// CHECK: llm.quantize_int4
// CHECK-LABEL: func.func @prepare(
// CHECK: call @prepare_0(%arg0)
// CHECK: call @prepare_0(%arg1)
module @layers {
  func.func @decode(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
    %c0 = arith.constant 0 : index
    %y0 = func.call @decode_layer(%x, %c0) : (tensor<1x16xf32>, index) -> tensor<1x16xf32>
    %c1 = arith.constant 1 : index
    %y1 = func.call @decode_layer(%y0, %c1) : (tensor<1x16xf32>, index) -> tensor<1x16xf32>
    return %y1 : tensor<1x16xf32>
  }
  func.func private @decode_layer(%x: tensor<1x16xf32>, %layer: index) -> tensor<1x16xf32> {
    %w = llm.param "model.layers.{}.proj.weight"[%layer] : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8 : tensor<1x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<1x8xf32>
    %r = tensor.concat dim(1) %y, %y : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x16xf32>
    return %r : tensor<1x16xf32>
  }
}

// -----

// A layer that is not a constant at a call cannot name a tensor.
module @layer_not_constant {
  func.func @decode(%x: tensor<1x16xf32>, %i: index) -> tensor<1x8xf32> {
    %n = arith.addi %i, %i : index
    // expected-error @+1 {{'func.call' op passes a layer that is not a constant to @decode_layer, whose parameter 'model.layers.{}.proj.weight' needs one}}
    %y = func.call @decode_layer(%x, %n) : (tensor<1x16xf32>, index) -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
  func.func private @decode_layer(%x: tensor<1x16xf32>, %layer: index) -> tensor<1x8xf32> {
    %w = llm.param "model.layers.{}.proj.weight"[%layer] : tensor<8x16xf32>
    %y = llm.matmul %x, %w : tensor<1x16xf32>, tensor<8x16xf32> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// The layer passes through a private function to another: the inner
// function's pack moves to its caller, where the layer is still an argument,
// then to the entry point, where it is a constant.
// CHECK-LABEL: module @nested_layers attributes {llm.abi = #llm.abi<
// CHECK-SAME: tensors = [#llm.tensor<"model.layers.4.proj.weight" : tensor<8x16xf32>>]
// CHECK-LABEL: func.func @decode(
// CHECK: call @outer(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-LABEL: func.func private @outer(
// CHECK-NOT: llm.param
// CHECK: call @inner(
// CHECK-LABEL: func.func private @inner(
// CHECK-NOT: llm.
// CHECK: llm.matmul_int4
module @nested_layers {
  func.func @decode(%x: tensor<1x16xf32>) -> tensor<1x8xf32> {
    %c4 = arith.constant 4 : index
    %y = func.call @outer(%x, %c4) : (tensor<1x16xf32>, index) -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
  func.func private @outer(%x: tensor<1x16xf32>, %layer: index) -> tensor<1x8xf32> {
    %y = func.call @inner(%x, %layer) : (tensor<1x16xf32>, index) -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
  func.func private @inner(%x: tensor<1x16xf32>, %layer: index) -> tensor<1x8xf32> {
    %w = llm.param "model.layers.{}.proj.weight"[%layer] : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8 : tensor<1x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// An entry point's own argument is not a layer known when compiling.
module @layer_from_entry {
  func.func @decode(%x: tensor<1x16xf32>, %i: index) -> tensor<1x8xf32> {
    // expected-error @+1 {{'func.call' op passes a layer that is not a constant to @decode_layer}}
    %y = func.call @decode_layer(%x, %i) : (tensor<1x16xf32>, index) -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
  func.func private @decode_layer(%x: tensor<1x16xf32>, %layer: index) -> tensor<1x8xf32> {
    %w = llm.param "model.layers.{}.proj.weight"[%layer] : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 8 : tensor<8x16xf32> -> tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8>
    %y = llm.matmul_int4 %x, %q, %s, %z group_size = 8 : tensor<1x16xf32>, tensor<1x2x1x8xi32>, tensor<1x2x8xf16>, tensor<1x2x8xi8> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// A per-layer parameter in an entry point has no layer to name.
module @param_of_layer_in_entry {
  func.func @decode(%x: tensor<1x16xf32>, %i: index) -> tensor<1x8xf32> {
    // expected-error @+1 {{'llm.param' op parameter 'model.layers.{}.proj.weight' of a layer not known here}}
    %w = llm.param "model.layers.{}.proj.weight"[%i] : tensor<8x16xf32>
    %y = llm.matmul %x, %w : tensor<1x16xf32>, tensor<8x16xf32> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// A symmetric pack's zero points are read by no layer: its @prepare_<n>
// returns the words and the scales only, and so does @prepare.
// CHECK-LABEL: module @symmetric_no_zeros
// CHECK-SAME: prepared = [tensor<1x1x2x8xi32>, tensor<1x1x8xf16>]
// CHECK: func.func @decode(%{{.*}}: tensor<1x16xf32>, %[[Q:.*]]: tensor<1x1x2x8xi32> {bufferization.writable = false}, %[[S:.*]]: tensor<1x1x8xf16> {bufferization.writable = false}) -> tensor<1x8xf32>
// CHECK-NEXT: llm.matmul_int4 %{{.*}}, %[[Q]], %[[S]] group_size = 16
// CHECK: func.func private @prepare_0(%{{.*}}: tensor<8x16xf32>) -> (tensor<1x1x2x8xi32>, tensor<1x1x8xf16>)
// CHECK-NEXT: %[[PQ:[^,]*]], %[[PS:[^,]*]], %{{.*}} = llm.quantize_int4 %{{.*}} group_size = 16 symmetric
// CHECK-NEXT: return %[[PQ]], %[[PS]] : tensor<1x1x2x8xi32>, tensor<1x1x8xf16>
// CHECK: func.func @prepare(%{{.*}}: tensor<8x16xf32> {bufferization.writable = false}) -> (tensor<1x1x2x8xi32>, tensor<1x1x8xf16>)
module @symmetric_no_zeros {
  func.func @decode(%x: tensor<1x16xf32>) -> tensor<1x8xf32> {
    %w = llm.param "proj.weight" : tensor<8x16xf32>
    %q, %s, %z = llm.quantize_int4 %w group_size = 16 symmetric : tensor<8x16xf32> -> tensor<1x1x2x8xi32>, tensor<1x1x8xf16>, tensor<1x1x8xi8>
    %y = llm.matmul_int4 %x, %q, %s group_size = 16 : tensor<1x16xf32>, tensor<1x1x2x8xi32>, tensor<1x1x8xf16> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}
