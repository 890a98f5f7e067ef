// llm-graph-summary prints the model config and, per function, the decoder
// layers (highest attention layer + 1), the distinct parameters with their
// element and byte counts, the signature and the count of each llm op.

// RUN: llm-opt %s --llm-graph-summary -split-input-file -o /dev/null | FileCheck %s
// With output=FILE the summary goes to that file (rewritten by each split,
// so it holds the last one).
// RUN: llm-opt %s --llm-graph-summary=output=%t -split-input-file -o /dev/null
// RUN: FileCheck %s --check-prefix=FILE < %t
// The IR is left unchanged.
// RUN: llm-opt %s --llm-graph-summary=output=%t.2 -split-input-file | FileCheck %s --check-prefix=IR

// The config fields in order, without the name (the module's own name is
// printed), flags as true/false and integers without their type.
// CHECK: model toy: vocab_size=10 hidden_size=8 intermediate_size=16 num_hidden_layers=2 num_attention_heads=2 num_key_value_heads=1 head_dim=4 max_position_embeddings=16 rms_norm_eps=1.000000e-05 rope_theta=1.000000e+04 tie_word_embeddings=true bos_token_id=1 eos_token_ids=[2, 3]{{$}}
// Parameters: 10x8 + 8 + 8x8 + 4x8 = 184 f32 elements (736 bytes); the tied
// embedding is used twice but counted once, while the op count sees 5
// llm.param ops.
// CHECK-NEXT: func @decode: 2 decoder layers, 4 parameters, 184 weights (736B)
// CHECK-NEXT:   inputs: tensor<1xi32>, index, tensor<2x1x16x4xf32>, tensor<2x1x16x4xf32>
// CHECK-NEXT:   results: tensor<1x10xf32>, tensor<2x1x16x4xf32>, tensor<2x1x16x4xf32>
// CHECK-NEXT:   ops: param=5 embedding=1 rms_norm=1 matmul=3 rope=2 attention=2 add=1 silu=1 mul=1
// 1000x1500 bf16: 1.5M elements of 2 bytes.
// CHECK-NEXT: func @big: 0 decoder layers, 1 parameters, 1.50M weights (3.00MB)
// CHECK-NEXT:   inputs: tensor<?x1500xbf16>
// CHECK-NEXT:   results: tensor<?x1000xbf16>
// CHECK-NEXT:   ops: param=1 matmul=1
// CHECK-NEXT: func @none: 0 decoder layers, 0 parameters, 0 weights (0B)
// CHECK-NEXT:   inputs: tensor<4xf32>
// CHECK-NEXT:   results: tensor<4xf32>
// CHECK-NEXT:   ops:{{$}}

// IR-LABEL: func.func @decode(
// IR: llm.param "model.embed_tokens.weight"
// IR: llm.embedding
// IR: llm.attention {{.*}} layer 0
// IR: llm.attention {{.*}} layer 1
// IR: llm.param "model.embed_tokens.weight"
// IR-LABEL: func.func @big(
// IR: llm.matmul
module @toy attributes {llm.config = #llm.config<name = "toy", vocab_size = 10, hidden_size = 8, intermediate_size = 16, num_hidden_layers = 2, num_attention_heads = 2, num_key_value_heads = 1, head_dim = 4, max_position_embeddings = 16, rms_norm_eps = 1.0e-05, rope_theta = 10000.0, tie_word_embeddings = true, bos_token_id = 1, eos_token_ids = [2, 3]>} {
  func.func @decode(%tok: tensor<1xi32>, %pos: index, %kc: tensor<2x1x16x4xf32>, %vc: tensor<2x1x16x4xf32>)
      -> (tensor<1x10xf32>, tensor<2x1x16x4xf32>, tensor<2x1x16x4xf32>) {
    %emb = llm.param "model.embed_tokens.weight" : tensor<10x8xf32>
    %x = llm.embedding %emb[%tok] : tensor<10x8xf32>, tensor<1xi32> -> tensor<1x8xf32>
    %n = llm.param "model.layers.0.input_layernorm.weight" : tensor<8xf32>
    %h = llm.rms_norm %x, %n eps = 1.0e-5 : tensor<1x8xf32>, tensor<8xf32>
    %wq = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xf32>
    %wk = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xf32>
    %q = llm.matmul %h, %wq : tensor<1x8xf32>, tensor<8x8xf32> -> tensor<1x8xf32>
    %k = llm.matmul %h, %wk : tensor<1x8xf32>, tensor<4x8xf32> -> tensor<1x4xf32>
    %qr = llm.rope %q at %pos head_dim = 4 theta = 10000.0 : tensor<1x8xf32>
    %kr = llm.rope %k at %pos head_dim = 4 theta = 10000.0 : tensor<1x4xf32>
    %o0, %kc0, %vc0 = llm.attention %qr, %kr, %k cache(%kc, %vc) at %pos layer 0 heads = 2 kv_heads = 1 head_dim = 4 : tensor<1x8xf32>, tensor<1x4xf32>, tensor<2x1x16x4xf32>
    %o1, %kc1, %vc1 = llm.attention %o0, %kr, %k cache(%kc0, %vc0) at %pos layer 1 heads = 2 kv_heads = 1 head_dim = 4 : tensor<1x8xf32>, tensor<1x4xf32>, tensor<2x1x16x4xf32>
    %r = llm.add %x, %o1 : tensor<1x8xf32>
    %s = llm.silu %r : tensor<1x8xf32>
    %m = llm.mul %s, %r : tensor<1x8xf32>
    %head = llm.param "model.embed_tokens.weight" : tensor<10x8xf32>
    %logits = llm.matmul %m, %head : tensor<1x8xf32>, tensor<10x8xf32> -> tensor<1x10xf32>
    return %logits, %kc1, %vc1 : tensor<1x10xf32>, tensor<2x1x16x4xf32>, tensor<2x1x16x4xf32>
  }
  func.func @big(%x: tensor<?x1500xbf16>) -> tensor<?x1000xbf16> {
    %w = llm.param "lm_head.weight" : tensor<1000x1500xbf16>
    %y = llm.matmul %x, %w : tensor<?x1500xbf16>, tensor<1000x1500xbf16> -> tensor<?x1000xbf16>
    return %y : tensor<?x1000xbf16>
  }
  func.func @none(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// Without llm.config there is no model line; the layer count follows the
// highest layer index, not the number of attention ops.
// CHECK-NOT: model
// CHECK: func @one_layer: 4 decoder layers, 1 parameters, 1.02K weights (4.10KB)
// CHECK-NEXT:   inputs: tensor<1x32xf32>, index, tensor<4x4x8x8xf32>
// CHECK-NEXT:   results: tensor<1x32xf32>
// CHECK-NEXT:   ops: param=1 matmul=1 attention=1{{$}}

// FILE: func @one_layer: 4 decoder layers, 1 parameters, 1.02K weights (4.10KB)
// FILE-NEXT:   inputs: tensor<1x32xf32>, index, tensor<4x4x8x8xf32>
// FILE-NEXT:   results: tensor<1x32xf32>
// FILE-NEXT:   ops: param=1 matmul=1 attention=1{{$}}

// IR-LABEL: func.func @one_layer(
// IR: llm.attention
module {
  func.func @one_layer(%x: tensor<1x32xf32>, %pos: index, %c: tensor<4x4x8x8xf32>) -> tensor<1x32xf32> {
    %w = llm.param "w" : tensor<32x32xf32>
    %y = llm.matmul %x, %w : tensor<1x32xf32>, tensor<32x32xf32> -> tensor<1x32xf32>
    %o, %k, %v = llm.attention %y, %y, %y cache(%c, %c) at %pos layer 3 heads = 4 kv_heads = 4 head_dim = 8 : tensor<1x32xf32>, tensor<1x32xf32>, tensor<4x4x8x8xf32>
    return %o : tensor<1x32xf32>
  }
}
