// A prompt's linear layer over dynamic rows (computeInRowBlocks): the parts
// after the first block size (f32: transposed blocks of 64 rows, on every
// output) are computed in one scf.forall over chunks of the outputs, each
// chunk's weights serving its blocks of 6, of 2 and its last rows in turn:
// one pass over the weights for all of them, instead of one per part. 16
// outputs a chunk here: the most that give at least 4 chunks.

// RUN: llm-opt %s --convert-llm-to-linalg -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @f32_chunks(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x32xf32>, %[[W:[^:]*]]: tensor<64x32xf32>
// The transposed blocks of 64 rows, on every output, before the chunks.
// CHECK: %[[T:.*]] = scf.if
// CHECK: linalg.transpose
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<?x32x64xf32>, tensor<64x32xf32>)
// CHECK: %[[Y:.*]] = scf.forall (%[[C:.*]]) = (0) to (64) step (16) shared_outs(%[[OUT:.*]] = %[[T]]) -> (tensor<?x64xf32>) {
// CHECK: tensor.extract_slice %[[OUT]][0, %[[C]]] [%{{.*}}, 16] [1, 1] : tensor<?x64xf32> to tensor<?x16xf32>
// Blocks of 6, of 2, and the last rows, each on the chunk's 16 outputs.
// CHECK: scf.if
// CHECK: %[[W6:.*]] = tensor.extract_slice %[[W]][%[[C]], 0] [16, 32] [1, 1] : tensor<64x32xf32> to tensor<16x32xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W6]] : tensor<?x6x32xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<?x6x16xf32>)
// CHECK: scf.if
// CHECK: %[[W2:.*]] = tensor.extract_slice %[[W]][%[[C]], 0] [16, 32] [1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W2]] : tensor<?x2x32xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<?x2x16xf32>)
// CHECK: %[[LAST:.*]] = scf.if
// CHECK: %[[W1:.*]] = tensor.extract_slice %[[W]][%[[C]], 0] [16, 32] [1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W1]] : tensor<?x32xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<?x16xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[LAST]] into %[[OUT]][0, %[[C]]] [%{{.*}}, 16] [1, 1]
// CHECK: return %[[Y]]
func.func @f32_chunks(%x: tensor<?x32xf32>, %w: tensor<64x32xf32>) -> tensor<?x64xf32> {
  %0 = llm.matmul %x, %w : tensor<?x32xf32>, tensor<64x32xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// 16-bit weights: every part in the chunks (no transposed blocks).
// CHECK-LABEL: func.func @bf16_chunks(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x32xf32>, %[[W:[^:]*]]: tensor<64x32xbf16>
// CHECK-NOT: linalg.transpose
// CHECK: %[[Y:.*]] = scf.forall (%[[C:.*]]) = (0) to (64) step (16)
// CHECK: tensor.extract_slice %[[W]][%[[C]], 0] [16, 32] [1, 1] : tensor<64x32xbf16> to tensor<16x32xbf16>
// CHECK: outs(%{{.*}} : tensor<?x6x16xf32>)
// CHECK: tensor.extract_slice %[[W]][%[[C]], 0] [16, 32] [1, 1]
// CHECK: outs(%{{.*}} : tensor<?x2x16xf32>)
// CHECK: tensor.extract_slice %[[W]][%[[C]], 0] [16, 32] [1, 1]
// CHECK: outs(%{{.*}} : tensor<?x16xf32>)
// CHECK: tensor.parallel_insert_slice
// CHECK: return %[[Y]]
func.func @bf16_chunks(%x: tensor<?x32xf32>, %w: tensor<64x32xbf16>) -> tensor<?x64xf32> {
  %0 = llm.matmul %x, %w : tensor<?x32xf32>, tensor<64x32xbf16> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// 48 outputs do not make 4 chunks of 16: the parts on every output, each
// reading all of the weights.
// CHECK-LABEL: func.func @narrow(
// CHECK-NOT: scf.forall
// CHECK: return
func.func @narrow(%x: tensor<?x32xf32>, %w: tensor<48x32xf32>) -> tensor<?x48xf32> {
  %0 = llm.matmul %x, %w : tensor<?x32xf32>, tensor<48x32xf32> -> tensor<?x48xf32>
  return %0 : tensor<?x48xf32>
}
