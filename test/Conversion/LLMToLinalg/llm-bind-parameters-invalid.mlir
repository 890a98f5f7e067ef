// llm-bind-parameters needs one type per parameter name: the runtime binds
// one checkpoint tensor per name.

// RUN: llm-opt %s --llm-bind-parameters -split-input-file -verify-diagnostics

// Two element types for one name, across functions.
func.func @a() -> tensor<8xf32> {
  %w = llm.param "model.norm.weight" : tensor<8xf32>
  return %w : tensor<8xf32>
}

func.func @b() -> tensor<8xbf16> {
  // expected-error @+1 {{'llm.param' op parameter 'model.norm.weight' is used with types 'tensor<8xf32>' and 'tensor<8xbf16>'}}
  %w = llm.param "model.norm.weight" : tensor<8xbf16>
  return %w : tensor<8xbf16>
}

// -----

// Two shapes for one name, in one function.
func.func @shapes() -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %0 = llm.param "lm_head.weight" : tensor<4x8xf32>
  // expected-error @+1 {{parameter 'lm_head.weight' is used with types 'tensor<4x8xf32>' and 'tensor<8x4xf32>'}}
  %1 = llm.param "lm_head.weight" : tensor<8x4xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<8x4xf32>
}
