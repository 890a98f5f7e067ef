// llm-bind-parameters rejects a parameter name bound in two ways: every use
// of a name must be the same tensor, derived the same way (or not at all).
// RUN: llm-opt %s --llm-bind-parameters -split-input-file -verify-diagnostics

func.func @conflict() -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %a = llm.param "s" from <"w", "scales", group_size = 32, symmetric = false> : tensor<2x4xf32>
  // expected-error @+1 {{'llm.param' op parameter 's' is derived in two different ways (or derived and plain)}}
  %b = llm.param "s" from <"v", "zeros", group_size = 32, symmetric = true> : tensor<2x4xf32>
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

func.func @derived_and_plain() -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %a = llm.param "s" : tensor<2x4xf32>
  // expected-error @+1 {{'llm.param' op parameter 's' is derived in two different ways (or derived and plain)}}
  %b = llm.param "s" from <"w", "scales", group_size = 32, symmetric = false> : tensor<2x4xf32>
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}
