// A transpose (the F32 prompt GEMM transposes its rows into and out of each
// 64-row block) moves 16 x 16 tiles: 16 contiguous vector loads, 64 shuffles
// (vector.transpose lowered shuffle16x16), 16 vector stores; never an
// element-by-element gather of each output vector from 16 input rows.
// RUN: llm-opt %s --llm-cpu-pipeline | FileCheck %s

// CHECK-LABEL: llvm.func @transpose(
// CHECK-COUNT-16: llvm.load %{{.*}} : !llvm.ptr -> vector<16xf32>
// CHECK-COUNT-64: llvm.shufflevector %{{.*}}, %{{.*}} [{{.*}}] : vector<16xf32>
// CHECK-COUNT-16: llvm.store %{{.*}}, %{{.*}} : vector<16xf32>, !llvm.ptr
// CHECK-NOT: llvm.insertelement
// CHECK-NOT: llvm.extractelement
// CHECK: llvm.return
func.func @transpose(%x: tensor<?x64x768xf32>) -> tensor<?x768x64xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x64x768xf32>
  %e = tensor.empty(%d) : tensor<?x768x64xf32>
  %t = linalg.transpose ins(%x : tensor<?x64x768xf32>) outs(%e : tensor<?x768x64xf32>) permutation = [0, 2, 1]
  return %t : tensor<?x768x64xf32>
}
