// llm-prefill-last-logits: @prefill returns the logits of its last position
// only; the row slice moves up through the row-wise ops that compute them
// (the final norm and the LM head), so they run on one row. @decode is left
// as it is.
// RUN: llm-opt %s --llm-prefill-last-logits -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[H:[^:]*]]: tensor<?x8xf32>
// CHECK-SAME: -> (tensor<1x5xf32> {llm.name = "logits"}, tensor<?x8xf32>)
// CHECK: %[[ROWS:.*]] = tensor.dim %[[H]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[LAST:.*]] = arith.subi %[[ROWS]], %{{.*}} : index
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[H]][%[[LAST]], 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
// CHECK: %[[N:.*]] = llm.rms_norm %[[ROW]], %{{.*}} eps = {{.*}} : tensor<1x8xf32>, tensor<8xf32>
// CHECK: %[[L:.*]] = llm.matmul %[[N]], %{{.*}} : tensor<1x8xf32>, tensor<5x8xf32> -> tensor<1x5xf32>
// The hidden state's other use keeps every row.
// CHECK: return %[[L]], %[[H]]
// CHECK-LABEL: func.func @decode(
// CHECK: llm.matmul %{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<5x8xf32> -> tensor<1x5xf32>
func.func @prefill(%h: tensor<?x8xf32>) -> (tensor<?x5xf32> {llm.name = "logits"}, tensor<?x8xf32>) {
  %g = llm.param "model.norm.weight" : tensor<8xf32>
  %n = llm.rms_norm %h, %g eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>
  %w = llm.param "lm_head.weight" : tensor<5x8xf32>
  %l = llm.matmul %n, %w : tensor<?x8xf32>, tensor<5x8xf32> -> tensor<?x5xf32>
  return %l, %h : tensor<?x5xf32>, tensor<?x8xf32>
}
func.func @decode(%h: tensor<1x8xf32>) -> (tensor<1x5xf32> {llm.name = "logits"}) {
  %w = llm.param "lm_head.weight" : tensor<5x8xf32>
  %l = llm.matmul %h, %w : tensor<1x8xf32>, tensor<5x8xf32> -> tensor<1x5xf32>
  return %l : tensor<1x5xf32>
}

// -----

// A row-wise op with another use stays whole; only the returned row is
// sliced.
// CHECK-LABEL: func.func @prefill(
// CHECK: %[[L:.*]] = llm.matmul %{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<5x8xf32> -> tensor<?x5xf32>
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[L]][%{{.*}}, 0] [1, 5] [1, 1] : tensor<?x5xf32> to tensor<1x5xf32>
// CHECK: return %[[ROW]], %[[L]]
func.func @prefill(%h: tensor<?x8xf32>) -> (tensor<?x5xf32> {llm.name = "logits"}, tensor<?x5xf32>) {
  %w = llm.param "lm_head.weight" : tensor<5x8xf32>
  %l = llm.matmul %h, %w : tensor<?x8xf32>, tensor<5x8xf32> -> tensor<?x5xf32>
  return %l, %l : tensor<?x5xf32>, tensor<?x5xf32>
}

// -----

// expected-error @below {{llm-prefill-last-logits: @prefill returns no 'logits'}}
func.func @prefill(%h: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %h : tensor<?x8xf32>
}
