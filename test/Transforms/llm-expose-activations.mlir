// llm-expose-activations: @prefill also returns the input of every linear
// layer whose weight is a parameter, in graph order, named after the layer;
// the module lists them as #llm.activation (name, features, the checkpoint
// tensors of the weight), and llm-hoist-weight-prep moves that list into the
// module's #llm.abi. @decode is left as it is.

// RUN: llm-opt %s --llm-expose-activations | FileCheck %s
// RUN: llm-opt %s --llm-expose-activations --llm-hoist-weight-prep | FileCheck %s --check-prefix=ABI

// CHECK-LABEL: module @two_layers attributes {llm.activations = [#llm.activation<"l.up.weight" : 8, sources = ["l.up.weight"]>, #llm.activation<"l.down.weight" : 16, sources = ["l.down.weight"]>]}
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>)
// CHECK-SAME: -> (tensor<?x8xf32> {llm.name = "logits"}, tensor<?x8xf32> {llm.name = "activation:l.up.weight"}, tensor<?x16xf32> {llm.name = "activation:l.down.weight"})
// CHECK: %[[H:.*]] = llm.matmul %[[X]]
// CHECK: %[[Y:.*]] = llm.matmul %[[H]]
// CHECK: return %[[Y]], %[[X]], %[[H]]
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: -> (tensor<1x8xf32> {llm.name = "logits"})

// ABI-LABEL: module @two_layers attributes {llm.abi = #llm.abi<tensors = [#llm.tensor<"l.up.weight" : tensor<16x8xf32>>, #llm.tensor<"l.down.weight" : tensor<8x16xf32>>], prepare = [], prepared = [], weights = [0, 1],
// ABI-SAME: activations = [#llm.activation<"l.up.weight" : 8, sources = ["l.up.weight"]>, #llm.activation<"l.down.weight" : 16, sources = ["l.down.weight"]>]>}
// ABI-NOT: llm.activations
module @two_layers {
  func.func @prefill(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {llm.name = "logits"}) {
    %up = llm.param "l.up.weight" : tensor<16x8xf32>
    %h = llm.matmul %x, %up : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
    %down = llm.param "l.down.weight" : tensor<8x16xf32>
    %y = llm.matmul %h, %down : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
  func.func @decode(%x: tensor<1x8xf32>) -> (tensor<1x8xf32> {llm.name = "logits"}) {
    %up = llm.param "l.up.weight" : tensor<16x8xf32>
    %h = llm.matmul %x, %up : tensor<1x8xf32>, tensor<16x8xf32> -> tensor<1x16xf32>
    %down = llm.param "l.down.weight" : tensor<8x16xf32>
    %y = llm.matmul %h, %down : tensor<1x16xf32>, tensor<8x16xf32> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}
