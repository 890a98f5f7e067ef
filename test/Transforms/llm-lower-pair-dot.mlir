// RUN: llm-opt %s --llm-lower-pair-dot | FileCheck %s

// llm.pair_dot_i16 becomes the vpmaddwd intrinsic of its width (AVX-512BW
// for 512-bit vectors, AVX2 for 256-bit ones), llm.quad_dot_u8i8 the
// vpdpbusd one (AVX512-VNNI; accumulator, unsigned bytes, signed bytes), and
// the module records the features it needs (which llm-run checks against
// the host).

// CHECK: module attributes {llm.cpu_features = ["avx512bw", "avx2", "avx512vnni"]}
// CHECK-LABEL: func.func @dot(
// CHECK-SAME: %[[A:.*]]: vector<32xi16>, %[[B:.*]]: vector<32xi16>
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"(%[[A]], %[[B]]) : (vector<32xi16>, vector<32xi16>) -> vector<16xi32>
// CHECK-NOT: llm.pair_dot_i16
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @dot_avx2(
// CHECK-SAME: %[[A:.*]]: vector<16xi16>, %[[B:.*]]: vector<16xi16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[A]], %[[B]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK-LABEL: func.func @quads(
// CHECK-SAME: %[[ACC:.*]]: vector<16xi32>, %[[U:.*]]: vector<64xi8>, %[[S:.*]]: vector<64xi8>
// CHECK: %[[Q:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[U]], %[[S]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-NOT: llm.quad_dot_u8i8
// CHECK: return %[[Q]]
module {
  func.func @dot(%a: vector<32xi16>, %b: vector<32xi16>) -> vector<16xi32> {
    %0 = llm.pair_dot_i16 %a, %b : vector<32xi16> -> vector<16xi32>
    return %0 : vector<16xi32>
  }
  func.func @dot_avx2(%a: vector<16xi16>, %b: vector<16xi16>) -> vector<8xi32> {
    %0 = llm.pair_dot_i16 %a, %b : vector<16xi16> -> vector<8xi32>
    return %0 : vector<8xi32>
  }
  func.func @quads(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
    %0 = llm.quad_dot_u8i8 %acc, %u, %s : vector<64xi8> -> vector<16xi32>
    return %0 : vector<16xi32>
  }
}
