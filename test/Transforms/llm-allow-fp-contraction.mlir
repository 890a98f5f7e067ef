// RUN: llm-opt %s --llm-allow-fp-contraction | FileCheck %s

// Every LLVM operation with fast-math flags gains `contract` and keeps the
// flags it had; other operations are untouched.
// CHECK-LABEL: llvm.func @multiply_add(
// CHECK: %[[P:.*]] = llvm.fmul %{{.*}}, %{{.*}} {fastmathFlags = #llvm.fastmath<contract>} : vector<16xf32>
// CHECK: %[[S:.*]] = llvm.fadd %{{.*}}, %[[P]] {fastmathFlags = #llvm.fastmath<contract>} : vector<16xf32>
// CHECK: llvm.fsub %[[S]], %{{.*}} {fastmathFlags = #llvm.fastmath<nnan, contract>} : vector<16xf32>
// CHECK: "llvm.intr.vector.reduce.fadd"(%{{.*}}, %{{.*}}) <{fastmathFlags = #llvm.fastmath<contract, reassoc>}> : (f32, vector<16xf32>) -> f32
// CHECK: llvm.intr.exp(%{{.*}}) {fastmathFlags = #llvm.fastmath<contract>} : (f32) -> f32
// CHECK: llvm.add %{{.*}}, %{{.*}} : i32
// CHECK-NOT: fastmath
// CHECK: llvm.return
llvm.func @multiply_add(%a: vector<16xf32>, %b: vector<16xf32>, %c: vector<16xf32>, %i: i32) -> f32 {
  %p = llvm.fmul %a, %b : vector<16xf32>
  %s = llvm.fadd %c, %p : vector<16xf32>
  %d = llvm.fsub %s, %a {fastmathFlags = #llvm.fastmath<nnan>} : vector<16xf32>
  %zero = llvm.mlir.constant(0.0 : f32) : f32
  %r = "llvm.intr.vector.reduce.fadd"(%zero, %d) <{fastmathFlags = #llvm.fastmath<reassoc>}> : (f32, vector<16xf32>) -> f32
  %e = llvm.intr.exp(%r) : (f32) -> f32
  %j = llvm.add %i, %i : i32
  llvm.return %e : f32
}
