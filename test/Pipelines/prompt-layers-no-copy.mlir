// Two prompt layers reading the same input (as q/k/v or gate/up do) are
// each computed in their own result buffer, row blocks and remaining rows in
// slices of it: CSE, which runs before tiling, does not merge their results
// into one buffer that each layer would then copy its rows out of. The
// lowered module copies nothing.
// RUN: llm-opt %s --llm-cpu-pipeline | FileCheck %s --implicit-check-not=memrefCopy --implicit-check-not=memcpy --implicit-check-not=memmove

// CHECK-LABEL: llvm.func @two_layers(
// CHECK-COUNT-2: llvm.call @malloc
func.func @two_layers(%x: tensor<?x64xf32>, %w1: tensor<32x64xf32>, %w2: tensor<32x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %a = llm.matmul %x, %w1 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %b = llm.matmul %x, %w2 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %a, %b : tensor<?x32xf32>, tensor<?x32xf32>
}
