// RUN: llm-opt %s --llm-lower-pair-dot | FileCheck %s

// llm.pair_dot_i16 becomes the AVX-512BW vpmaddwd intrinsic, and the module
// records that it needs avx512bw (which llm-run checks against the host).

// CHECK: module attributes {llm.cpu_features = ["avx512bw"]}
// CHECK-LABEL: func.func @dot(
// CHECK-SAME: %[[A:.*]]: vector<32xi16>, %[[B:.*]]: vector<32xi16>
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"(%[[A]], %[[B]]) : (vector<32xi16>, vector<32xi16>) -> vector<16xi32>
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return %[[R]]
module {
  func.func @dot(%a: vector<32xi16>, %b: vector<32xi16>) -> vector<16xi32> {
    %0 = llm.pair_dot_i16 %a, %b : vector<32xi16> -> vector<16xi32>
    return %0 : vector<16xi32>
  }
}
