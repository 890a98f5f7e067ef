// RUN: llm-opt %s --llm-lower-pair-dot | FileCheck %s

// llm.pair_dot_i16 becomes the vpmaddwd intrinsic of its width (AVX-512BW
// for 512-bit vectors, AVX2 for 256-bit ones), and the module records the
// features it needs (which llm-run checks against the host).

// CHECK: module attributes {llm.cpu_features = ["avx512bw", "avx2"]}
// CHECK-LABEL: func.func @dot(
// CHECK-SAME: %[[A:.*]]: vector<32xi16>, %[[B:.*]]: vector<32xi16>
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"(%[[A]], %[[B]]) : (vector<32xi16>, vector<32xi16>) -> vector<16xi32>
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @dot_avx2(
// CHECK-SAME: %[[A:.*]]: vector<16xi16>, %[[B:.*]]: vector<16xi16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[A]], %[[B]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
module {
  func.func @dot(%a: vector<32xi16>, %b: vector<32xi16>) -> vector<16xi32> {
    %0 = llm.pair_dot_i16 %a, %b : vector<32xi16> -> vector<16xi32>
    return %0 : vector<16xi32>
  }
  func.func @dot_avx2(%a: vector<16xi16>, %b: vector<16xi16>) -> vector<8xi32> {
    %0 = llm.pair_dot_i16 %a, %b : vector<16xi16> -> vector<8xi32>
    return %0 : vector<8xi32>
  }
}
