// llm-approximate-math: math.exp (scalar or vector) becomes a polynomial in
// arithmetic ops that vectorize, so that LLVM emits no call to the C
// library's expf per lane. Other math ops are left alone.

// RUN: llm-opt %s --llm-approximate-math | FileCheck %s

// CHECK-LABEL: func.func @exp(
// CHECK-NOT: math.exp
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: math.sqrt %{{.*}} : vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @exp(%x: vector<16xf32>, %y: f32) -> (vector<16xf32>, f32, vector<16xf32>) {
  %0 = math.exp %x : vector<16xf32>
  %1 = math.exp %y : f32
  %2 = math.sqrt %x : vector<16xf32>
  return %0, %1, %2 : vector<16xf32>, f32, vector<16xf32>
}
