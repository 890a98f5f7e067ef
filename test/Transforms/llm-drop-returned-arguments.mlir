// llm-drop-returned-arguments: after bufferization the KV caches come back as
// the caller's own buffers; those results are dropped, so that the entry
// points return only their logits. A private function that only calls use
// (a decoder-layer function) loses its cache results the same way, each call
// then using the buffer it passed.

// RUN: llm-opt %s --llm-drop-returned-arguments -split-input-file | FileCheck %s

// Both caches are returned in place: only the logits remain. The argument
// and remaining result attributes are kept.
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[TOK:[^:]*]]: memref<1xi32>,
// CHECK-SAME: %[[KC:[^:]*]]: memref<2x8x2x4xf32> {llm.name = "key_cache"},
// CHECK-SAME: %[[VC:[^:]*]]: memref<2x8x2x4xf32> {llm.name = "value_cache"})
// CHECK-SAME: -> (memref<1x16xf32> {llm.name = "logits"}) {
// CHECK: %[[LOGITS:.*]] = memref.alloc() : memref<1x16xf32>
// CHECK: return %[[LOGITS]] : memref<1x16xf32>
func.func @decode(%tok: memref<1xi32>,
                  %kc: memref<2x8x2x4xf32> {llm.name = "key_cache"},
                  %vc: memref<2x8x2x4xf32> {llm.name = "value_cache"})
    -> (memref<1x16xf32> {llm.name = "logits"},
        memref<2x8x2x4xf32> {llm.name = "key_cache"},
        memref<2x8x2x4xf32> {llm.name = "value_cache"}) {
  %logits = memref.alloc() : memref<1x16xf32>
  return %logits, %kc, %vc : memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>
}

// -----

// Returned arguments are dropped wherever they are in the result list and
// whatever order they come back in; other results keep their order.
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[TOK:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<2x?x2x4xf32>, %[[VC:[^:]*]]: memref<2x?x2x4xf32>)
// CHECK-SAME: -> (memref<?x16xf32>, memref<4xf32>) {
// CHECK-DAG: %[[A:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK-DAG: %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK: return %[[A]], %[[B]] : memref<?x16xf32>, memref<4xf32>
func.func @prefill(%tok: memref<?xi32>, %kc: memref<2x?x2x4xf32>, %vc: memref<2x?x2x4xf32>)
    -> (memref<2x?x2x4xf32>, memref<?x16xf32>, memref<2x?x2x4xf32>, memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %tok, %c0 : memref<?xi32>
  %a = memref.alloc(%n) : memref<?x16xf32>
  %b = memref.alloc() : memref<4xf32>
  return %vc, %a, %kc, %b : memref<2x?x2x4xf32>, memref<?x16xf32>, memref<2x?x2x4xf32>, memref<4xf32>
}

// -----

// A function that returns no argument is left unchanged, and so are
// declarations.
// CHECK-LABEL: func.func private @external(memref<4xf32>) -> memref<4xf32>
func.func private @external(memref<4xf32>) -> memref<4xf32>

// CHECK-LABEL: func.func @fresh(
// CHECK-SAME: %{{[^:]*}}: memref<4xf32>) -> (memref<4xf32> {llm.name = "logits"}) {
// CHECK: %[[R:.*]] = memref.alloc() : memref<4xf32>
// CHECK: return %[[R]] : memref<4xf32>
func.func @fresh(%m: memref<4xf32>) -> (memref<4xf32> {llm.name = "logits"}) {
  %r = memref.alloc() : memref<4xf32>
  return %r : memref<4xf32>
}

// -----

// Functions of several blocks are skipped.
// CHECK-LABEL: func.func @branches(
// CHECK-SAME: %[[C:[^:]*]]: i1, %[[M:[^:]*]]: memref<4xf32>) -> memref<4xf32> {
// CHECK: return %[[M]] : memref<4xf32>
// CHECK: return %[[M]] : memref<4xf32>
func.func @branches(%c: i1, %m: memref<4xf32>) -> memref<4xf32> {
  cf.cond_br %c, ^a, ^b
^a:
  return %m : memref<4xf32>
^b:
  return %m : memref<4xf32>
}

// -----

// Private functions, functions the module calls, and returned non-memref
// arguments are left alone: only entry points called by the runtime lose
// their returned buffers.
// CHECK-LABEL: func.func private @helper(
// CHECK-SAME: %[[M:[^:]*]]: memref<4xf32>) -> memref<4xf32> {
// CHECK: return %[[M]] : memref<4xf32>
func.func private @helper(%m: memref<4xf32>) -> memref<4xf32> {
  return %m : memref<4xf32>
}

// CHECK-LABEL: func.func @called(
// CHECK-SAME: %[[M:[^:]*]]: memref<4xf32>) -> memref<4xf32> {
// CHECK: return %[[M]] : memref<4xf32>
func.func @called(%m: memref<4xf32>) -> memref<4xf32> {
  return %m : memref<4xf32>
}

// CHECK-LABEL: func.func @caller(
// CHECK: call @called
// CHECK: call @helper
func.func @caller(%m: memref<4xf32>) {
  %0 = func.call @called(%m) : (memref<4xf32>) -> memref<4xf32>
  %1 = func.call @helper(%0) : (memref<4xf32>) -> memref<4xf32>
  return
}

// CHECK-LABEL: func.func @scalar(
// CHECK-SAME: %[[I:[^:]*]]: index) -> index {
// CHECK: return %[[I]] : index
func.func @scalar(%i: index) -> index {
  return %i : index
}

// -----

// The layer function updates the caches in place: its cache results go, the
// calls use the caches they passed, and the entry point then returns its
// own arguments, which go too. Its other memref result stays.
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x16xf32>, %[[KC:[^:]*]]: memref<2x8x2x4xf32> {llm.name = "key_cache"}, %[[VC:[^:]*]]: memref<2x8x2x4xf32> {llm.name = "value_cache"})
// CHECK-SAME: -> (memref<1x16xf32> {llm.name = "logits"})
// CHECK: %[[H0:.*]] = call @decode_layer(%[[X]], %[[KC]], %[[VC]]) : (memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>) -> memref<1x16xf32>
// CHECK: %[[H1:.*]] = call @decode_layer(%[[H0]], %[[KC]], %[[VC]])
// CHECK: return %[[H1]] : memref<1x16xf32>
// CHECK-LABEL: func.func private @decode_layer(
// CHECK-SAME: -> memref<1x16xf32>
// CHECK: return %{{.*}} : memref<1x16xf32>
func.func @decode(%x: memref<1x16xf32>,
                  %kc: memref<2x8x2x4xf32> {llm.name = "key_cache"},
                  %vc: memref<2x8x2x4xf32> {llm.name = "value_cache"})
    -> (memref<1x16xf32> {llm.name = "logits"},
        memref<2x8x2x4xf32> {llm.name = "key_cache"},
        memref<2x8x2x4xf32> {llm.name = "value_cache"}) {
  %h0, %k0, %v0 = call @decode_layer(%x, %kc, %vc) : (memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>) -> (memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>)
  %h1, %k1, %v1 = call @decode_layer(%h0, %k0, %v0) : (memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>) -> (memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>)
  return %h1, %k1, %v1 : memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>
}
func.func private @decode_layer(%x: memref<1x16xf32>, %kc: memref<2x8x2x4xf32>, %vc: memref<2x8x2x4xf32>)
    -> (memref<1x16xf32>, memref<2x8x2x4xf32> {llm.name = "key_cache"}, memref<2x8x2x4xf32> {llm.name = "value_cache"}) {
  %h = memref.alloc() : memref<1x16xf32>
  memref.copy %x, %h : memref<1x16xf32> to memref<1x16xf32>
  return %h, %kc, %vc : memref<1x16xf32>, memref<2x8x2x4xf32>, memref<2x8x2x4xf32>
}

// -----

// A layer function calling another, in either order in the module: the
// inner one's caches go first, then the outer one's.
// CHECK-LABEL: func.func private @outer(
// CHECK-SAME: -> memref<4xf32>
// CHECK: %[[H:.*]] = call @inner(%{{.*}}, %{{.*}}) : (memref<4xf32>, memref<2x8xf32>) -> memref<4xf32>
// CHECK: return %[[H]] : memref<4xf32>
// CHECK-LABEL: func.func private @inner(
// CHECK-SAME: -> memref<4xf32>
func.func private @outer(%x: memref<4xf32>, %kc: memref<2x8xf32>)
    -> (memref<4xf32>, memref<2x8xf32> {llm.name = "key_cache"}) {
  %h, %k = call @inner(%x, %kc) : (memref<4xf32>, memref<2x8xf32>) -> (memref<4xf32>, memref<2x8xf32>)
  return %h, %k : memref<4xf32>, memref<2x8xf32>
}
func.func private @inner(%x: memref<4xf32>, %kc: memref<2x8xf32>)
    -> (memref<4xf32>, memref<2x8xf32> {llm.name = "key_cache"}) {
  %h = memref.alloc() : memref<4xf32>
  return %h, %kc : memref<4xf32>, memref<2x8xf32>
}
func.func @decode(%x: memref<4xf32>, %kc: memref<2x8xf32> {llm.name = "key_cache"})
    -> (memref<4xf32> {llm.name = "logits"}, memref<2x8xf32> {llm.name = "key_cache"}) {
  %h, %k = call @outer(%x, %kc) : (memref<4xf32>, memref<2x8xf32>) -> (memref<4xf32>, memref<2x8xf32>)
  return %h, %k : memref<4xf32>, memref<2x8xf32>
}

// -----

// A batched decode step updates its pools in a loop over the sequences: a
// loop that carries an argument's buffer through unchanged returns that
// buffer, so the result is dropped too.
// CHECK-LABEL: func.func @decode_batch(
// CHECK-SAME: -> (memref<?x16xf32> {llm.name = "logits"}) {
// CHECK: scf.for
// CHECK: return %{{.*}} : memref<?x16xf32>
func.func @decode_batch(%n: index,
                        %kp: memref<4x2x8x2x4xf32> {llm.name = "key_cache"},
                        %vp: memref<4x2x8x2x4xf32> {llm.name = "value_cache"})
    -> (memref<?x16xf32> {llm.name = "logits"},
        memref<4x2x8x2x4xf32> {llm.name = "key_cache"},
        memref<4x2x8x2x4xf32> {llm.name = "value_cache"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %logits = memref.alloc(%n) : memref<?x16xf32>
  %k, %v = scf.for %i = %c0 to %n step %c1 iter_args(%ka = %kp, %va = %vp)
      -> (memref<4x2x8x2x4xf32>, memref<4x2x8x2x4xf32>) {
    scf.yield %ka, %va : memref<4x2x8x2x4xf32>, memref<4x2x8x2x4xf32>
  }
  return %logits, %k, %v : memref<?x16xf32>, memref<4x2x8x2x4xf32>, memref<4x2x8x2x4xf32>
}
