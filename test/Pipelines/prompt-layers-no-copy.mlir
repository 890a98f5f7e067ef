// Two prompt layers reading the same input (as q/k/v or gate/up do) are
// each computed in their own result buffer, row blocks and remaining rows in
// slices of it: CSE, which runs before tiling, does not merge their results
// into one buffer that each layer would then copy its rows out of. The
// lowered module copies nothing.
// RUN: llm-opt %s --llm-cpu-pipeline | FileCheck %s --implicit-check-not=memrefCopy --implicit-check-not=memcpy --implicit-check-not=memmove --implicit-check-not=@malloc

// CHECK-LABEL: llvm.func @two_layers(
// CHECK-COUNT-2: llvm.call @_mlir_memref_to_llvm_alloc
func.func @two_layers(%x: tensor<?x64xf32>, %w1: tensor<32x64xf32>, %w2: tensor<32x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %a = llm.matmul %x, %w1 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %b = llm.matmul %x, %w2 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %a, %b : tensor<?x32xf32>, tensor<?x32xf32>
}

// Layers wide enough to be computed in chunks of their outputs (an
// scf.forall whose chunks each hold a column slice of the result): every
// chunk's parts are computed in place in that slice, nothing is copied back.
// The allocations: the two results, and the f32 layer's transposed rows and
// results of its 64-row blocks.
// CHECK-LABEL: llvm.func @two_chunked_layers(
// CHECK-COUNT-4: llvm.call @_mlir_memref_to_llvm_alloc
func.func @two_chunked_layers(%x: tensor<?x64xf32>, %w1: tensor<64x64xf32>, %w2: tensor<64x64xbf16>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %a = llm.matmul %x, %w1 : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %b = llm.matmul %x, %w2 : tensor<?x64xf32>, tensor<64x64xbf16> -> tensor<?x64xf32>
  return %a, %b : tensor<?x64xf32>, tensor<?x64xf32>
}
