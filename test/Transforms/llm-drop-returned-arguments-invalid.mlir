// A KV cache result that is not its argument's buffer means bufferization
// copied the cache instead of updating it in place: an error.

// RUN: llm-opt %s --llm-drop-returned-arguments -split-input-file -verify-diagnostics

// expected-error @+1 {{result 'key_cache' is not updated in place in its argument's buffer}}
func.func @decode(%kc: memref<2x8xf32> {llm.name = "key_cache"},
                  %vc: memref<2x8xf32> {llm.name = "value_cache"})
    -> (memref<2x8xf32> {llm.name = "key_cache"},
        memref<2x8xf32> {llm.name = "value_cache"}) {
  %copy = memref.alloc() : memref<2x8xf32>
  memref.copy %kc, %copy : memref<2x8xf32> to memref<2x8xf32>
  return %copy, %vc : memref<2x8xf32>, memref<2x8xf32>
}

// -----

// The same for the value cache, whatever the other results are.
// expected-error @+1 {{result 'value_cache' is not updated in place in its argument's buffer}}
func.func @prefill(%kc: memref<2x8xf32>, %vc: memref<2x8xf32>)
    -> (memref<4xf32> {llm.name = "logits"}, memref<2x8xf32> {llm.name = "key_cache"},
        memref<2x8xf32> {llm.name = "value_cache"}) {
  %logits = memref.alloc() : memref<4xf32>
  %fresh = memref.alloc() : memref<2x8xf32>
  return %logits, %kc, %fresh : memref<4xf32>, memref<2x8xf32>, memref<2x8xf32>
}

// -----

// The same in a decoder-layer function.
func.func @decode(%kc: memref<2x8xf32> {llm.name = "key_cache"})
    -> (memref<2x8xf32> {llm.name = "key_cache"}) {
  %k = call @decode_layer(%kc) : (memref<2x8xf32>) -> memref<2x8xf32>
  return %k : memref<2x8xf32>
}
// expected-error @+1 {{result 'key_cache' is not updated in place in its argument's buffer}}
func.func private @decode_layer(%kc: memref<2x8xf32>) -> (memref<2x8xf32> {llm.name = "key_cache"}) {
  %copy = memref.alloc() : memref<2x8xf32>
  memref.copy %kc, %copy : memref<2x8xf32> to memref<2x8xf32>
  return %copy : memref<2x8xf32>
}

// -----

// A loop that yields another buffer than the one it carries does not return
// the argument's buffer.
// expected-error @+1 {{result 'key_cache' is not updated in place in its argument's buffer}}
func.func @decode_batch(%n: index, %kp: memref<2x8xf32> {llm.name = "key_cache"})
    -> (memref<2x8xf32> {llm.name = "key_cache"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %k = scf.for %i = %c0 to %n step %c1 iter_args(%ka = %kp) -> (memref<2x8xf32>) {
    %copy = memref.alloc() : memref<2x8xf32>
    memref.copy %ka, %copy : memref<2x8xf32> to memref<2x8xf32>
    scf.yield %copy : memref<2x8xf32>
  }
  return %k : memref<2x8xf32>
}
