// RUN: llm-opt %s --llm-merge-parallel-regions -split-input-file | FileCheck %s

// Two worksharing loops with a serial step between them: one team. The
// step (a load, an add, a store) runs on the primary thread (omp.masked),
// then a barrier; the allocation and its view move before the region, the
// deallocation after.
// CHECK-LABEL: func.func @serial_gap(
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: memref.subview %[[TMP]]
// CHECK-NEXT: omp.parallel {
// CHECK-NEXT: omp.wsloop {
// CHECK: omp.masked {
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.addf
// CHECK-NEXT: memref.store
// CHECK-NEXT: omp.terminator
// CHECK-NEXT: }
// CHECK-NEXT: omp.barrier
// CHECK-NEXT: omp.wsloop {
// CHECK: omp.terminator
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[TMP]]
// CHECK-NOT: omp.parallel
// CHECK: return
func.func @serial_gap(%buf: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %buf[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %tmp = memref.alloc() : memref<8xf32>
  %v = memref.subview %tmp[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %x = memref.load %buf[%c0] : memref<8xf32>
  %y = arith.addf %x, %x : f32
  memref.store %y, %buf[%c1] : memref<8xf32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        %z = memref.load %buf[%i] : memref<8xf32>
        memref.store %z, %tmp[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.dealloc %tmp : memref<8xf32>
  return
}

// -----

// Three loops with only index arithmetic between them: one team, no
// masked step; the arithmetic is computed before the region.
// CHECK-LABEL: func.func @pure_gaps(
// CHECK: arith.addi
// CHECK-NEXT: arith.muli
// CHECK-NEXT: omp.parallel {
// CHECK-COUNT-3: omp.wsloop {
// CHECK-NOT: omp.masked
// CHECK-NOT: omp.parallel
// CHECK: return
func.func @pure_gaps(%buf: memref<64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %buf[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %m = arith.addi %n, %c8 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c8) to (%m) step (%c1) {
        memref.store %f, %buf[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %k = arith.muli %m, %c1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%m) to (%k) step (%c1) {
        memref.store %f, %buf[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A value computed on one thread that the next loop reads (its bound): the
// regions stay apart.
// CHECK-LABEL: func.func @one_thread_value(
// CHECK-COUNT-2: omp.parallel {
// CHECK-NOT: omp.masked
func.func @one_thread_value(%buf: memref<8xf32>, %sizes: memref<1xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %buf[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %n = memref.load %sizes[%c0] : memref<1xindex>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %f, %buf[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A call between the loops (it may fork a team of its own), and a region
// with a clause (num_threads): nothing merges.
// CHECK-LABEL: func.func @call_and_clause(
// CHECK-COUNT-3: omp.parallel
// CHECK-NOT: omp.masked
func.func private @helper()
func.func @call_and_clause(%buf: memref<8xf32>, %t: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %buf[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  func.call @helper() : () -> ()
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %buf[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel num_threads(%t : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %buf[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Two loops that read the same input and write distinct allocations (a
// projection's gate and up halves) need not wait for each other: the first
// is `nowait`, the team meets once after the second. The third reads what
// both wrote.
// CHECK-LABEL: func.func @independent_loops(
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop nowait {
// CHECK: omp.wsloop {
// CHECK: omp.wsloop {
// CHECK-NOT: nowait
// CHECK: return
func.func @independent_loops(%in: memref<8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %gate = memref.alloc() : memref<8xf32>
  %up = memref.alloc() : memref<16xf32>
  %upHalf = memref.subview %up[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        %x = memref.load %in[%i] : memref<8xf32>
        memref.store %x, %gate[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        %x = memref.load %in[%i] : memref<8xf32>
        %y = arith.addf %x, %x : f32
        memref.store %y, %upHalf[%i] : memref<8xf32, strided<[1], offset: 8>>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        %g = memref.load %gate[%i] : memref<8xf32>
        %u = memref.load %upHalf[%i] : memref<8xf32, strided<[1], offset: 8>>
        %p = arith.mulf %g, %u : f32
        memref.store %p, %out[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.dealloc %gate : memref<8xf32>
  memref.dealloc %up : memref<16xf32>
  return
}

// -----

// Loops that keep their barriers: the second overwrites (through a view)
// the allocation the first reads, and the third writes an argument that
// may be the one the second writes.
// CHECK-LABEL: func.func @dependent_loops(
// CHECK-NOT: nowait
// CHECK: return
func.func @dependent_loops(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  %tmp = memref.alloc() : memref<8xf32>
  %copy = memref.alloc() : memref<8xf32>
  %view = memref.subview %tmp[0] [8] [1] : memref<8xf32> to memref<8xf32, strided<[1]>>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        %x = memref.load %tmp[%i] : memref<8xf32>
        memref.store %x, %copy[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %view[%i] : memref<8xf32, strided<[1]>>
        memref.store %f, %a[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %f, %b[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.dealloc %tmp : memref<8xf32>
  memref.dealloc %copy : memref<8xf32>
  return
}

// -----

// A prefetch changes no memory, though memref.prefetch declares a write:
// loops that prefetch the weights they read (a decode step's projections)
// stay independent of each other. The third loop, which stores into an
// argument, still waits: it may be the weights the others read.
// CHECK-LABEL: func.func @prefetching_loops(
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop nowait {
// CHECK: memref.prefetch %[[W1:.*]][
// CHECK: omp.wsloop {
// CHECK: memref.prefetch
// CHECK: omp.wsloop {
// CHECK-NOT: nowait
// CHECK: return
func.func @prefetching_loops(%w1: memref<8xf32>, %w2: memref<8xf32>,
                             %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.prefetch %w1[%i], read, locality<3>, data : memref<8xf32>
        %x = memref.load %w1[%i] : memref<8xf32>
        memref.store %x, %a[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.prefetch %w2[%i], read, locality<3>, data : memref<8xf32>
        %x = memref.load %w2[%i] : memref<8xf32>
        memref.store %x, %b[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        %x = memref.load %a[%i] : memref<8xf32>
        %y = memref.load %b[%i] : memref<8xf32>
        %z = arith.addf %x, %y : f32
        memref.store %z, %out[%i] : memref<8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}
