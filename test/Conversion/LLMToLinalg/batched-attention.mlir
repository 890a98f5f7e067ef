// A batched decode step's attention lowers to a loop over the sequences
// whose body is one token's attention on its slot's cache: the slot and
// position are read from their vectors, the slot's [layers, context,
// kv_heads, head_dim] cache is a rank-reduced slice of the pool, the row's
// query and key are rotated at its own position, and the slot's caches are
// inserted back where they were extracted (bufferization then updates the
// pool in place).
// RUN: llm-opt %s --convert-llm-to-linalg --canonicalize | FileCheck %s
// RUN: llm-opt %s --convert-llm-to-linalg | FileCheck %s --check-prefix=NOLLM
// NOLLM-NOT: llm.

// CHECK-LABEL: func.func @batched_attention(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x64xf32>, %[[K:[^:]*]]: tensor<?x16xf32>, %[[V:[^:]*]]: tensor<?x16xf32>, %[[KP:[^:]*]]: tensor<4x3x2x?x8xf32>, %[[VP:[^:]*]]: tensor<4x3x2x?x8xf32>, %[[SLOTS:[^:]*]]: tensor<?xi64>, %[[POS:[^:]*]]: tensor<?xi64>, %[[L:[^:]*]]: index
// CHECK: %[[ROWS:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[LOOP:.*]]:3 = scf.for %[[B:.*]] = %{{.*}} to %[[ROWS]] step %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}}, %[[KA:.*]] = %[[KP]], %[[VA:.*]] = %[[VP]])
// CHECK-DAG: %[[SLOT64:.*]] = tensor.extract %[[SLOTS]][%[[B]]] : tensor<?xi64>
// CHECK-DAG: %[[POS64:.*]] = tensor.extract %[[POS]][%[[B]]] : tensor<?xi64>
// CHECK-DAG: %[[SLOT:.*]] = arith.index_cast %[[SLOT64]] : i64 to index
// CHECK-DAG: %[[QROW:.*]] = tensor.extract_slice %[[Q]][%[[B]], 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
// CHECK-DAG: %[[VSLOT:.*]] = tensor.extract_slice %[[VA]][%[[SLOT]], 0, 0, 0, 0] [1, 3, 2, %{{.*}}, 8] [1, 1, 1, 1, 1] : tensor<4x3x2x?x8xf32> to tensor<3x2x?x8xf32>
// CHECK-DAG: %[[KSLOT:.*]] = tensor.extract_slice %[[KA]][%[[SLOT]], 0, 0, 0, 0] [1, 3, 2, %{{.*}}, 8] [1, 1, 1, 1, 1] : tensor<4x3x2x?x8xf32> to tensor<3x2x?x8xf32>
// The row's rotation at its own position.
// CHECK: math.cos
// CHECK: math.sin
// Its key and value at [layer, position] of the slot's caches.
// CHECK: %[[KROW:.*]] = linalg.transpose ins(%{{.*}} : tensor<1x2x8xf32>) outs(%{{.*}} : tensor<2x1x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[KNEW:.*]] = tensor.insert_slice %[[KROW]] into %[[KSLOT]][%[[L]], 0, %{{.*}}, 0] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<2x1x8xf32> into tensor<3x2x?x8xf32>
// CHECK: %[[VROW:.*]] = linalg.transpose ins(%{{.*}} : tensor<1x2x8xf32>) outs(%{{.*}} : tensor<2x1x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[VNEW:.*]] = tensor.insert_slice %[[VROW]] into %[[VSLOT]][%[[L]], 0, %{{.*}}, 0] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<2x1x8xf32> into tensor<3x2x?x8xf32>
// CHECK: math.exp
// The row's output and the slot's caches go back where they came from.
// CHECK: %[[OUTROW:.*]] = tensor.insert_slice %{{.*}} into %[[OUT]][%[[B]], 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<?x64xf32>
// CHECK: %[[KBACK:.*]] = tensor.insert_slice %[[KNEW]] into %[[KA]][%[[SLOT]], 0, 0, 0, 0] [1, 3, 2, %{{.*}}, 8] [1, 1, 1, 1, 1] : tensor<3x2x?x8xf32> into tensor<4x3x2x?x8xf32>
// CHECK: %[[VBACK:.*]] = tensor.insert_slice %[[VNEW]] into %[[VA]][%[[SLOT]], 0, 0, 0, 0] [1, 3, 2, %{{.*}}, 8] [1, 1, 1, 1, 1] : tensor<3x2x?x8xf32> into tensor<4x3x2x?x8xf32>
// CHECK: scf.yield %[[OUTROW]], %[[KBACK]], %[[VBACK]]
// CHECK: return %[[LOOP]]#0, %[[LOOP]]#1, %[[LOOP]]#2
func.func @batched_attention(%q: tensor<?x64xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>, %kp: tensor<4x3x2x?x8xf32>, %vp: tensor<4x3x2x?x8xf32>, %slots: tensor<?xi64>, %pos: tensor<?xi64>, %l: index) -> (tensor<?x64xf32>, tensor<4x3x2x?x8xf32>, tensor<4x3x2x?x8xf32>) {
  %o, %nk, %nv = llm.batched_attention %q, %k, %v cache(%kp, %vp) slots %slots positions %pos layer %l heads = 8 kv_heads = 2 head_dim = 8 {rope_theta = 1.0e4 : f64} : tensor<?x64xf32>, tensor<?x16xf32>, tensor<4x3x2x?x8xf32>, tensor<?xi64>
  return %o, %nk, %nv : tensor<?x64xf32>, tensor<4x3x2x?x8xf32>, tensor<4x3x2x?x8xf32>
}
