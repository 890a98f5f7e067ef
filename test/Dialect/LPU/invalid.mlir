// Every verifier diagnostic of the lpu dialect: the checks of single ops
// (dialects/LPU/IR/LPUOps.cpp) and the checks that span a whole program or
// schedule (dialects/LPU/IR/ScheduleVerifier.cpp): SRAM capacity, chips and
// units in range, no unit used twice at once, no value read before it is on
// its chip.

// RUN: llm-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// lpu.program
//===----------------------------------------------------------------------===//

// A clock of 0 made every time of the plan infinite (inf and -nan in the
// JSON and trace exports).
// expected-error @+1 {{'lpu.program' op needs a clock_mhz in (0, 1e6], not 0}}
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 0.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
}

// -----

// expected-error @+1 {{'lpu.program' op needs a clock_mhz in (0, 1e6], not 1.000000e+308}}
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 1.0e308 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
}

// -----

//===----------------------------------------------------------------------===//
// lpu.place
//===----------------------------------------------------------------------===//

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{'lpu.place' op has 2 offsets but 1 sizes}}
  lpu.place @w "w" [0, 0] [16] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{offsets must be non-negative}}
  lpu.place @w "w" [0, -4] [4, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{sizes must be positive}}
  lpu.place @w "w" [0, 0] [4, 0] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{sizes must be positive}}
  lpu.place @w "w" [0] [-3] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{bits must be 4, 8 or 16, not 32}}
  lpu.place @w "w" [0, 0] [4, 4] bits 32 chip 0 slices 0 count 1 bytes_per_slice 64
}

// -----

// A shard spread over no slice at all.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{needs a non-negative chip and first slice, and at least one slice}}
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip 0 slices 0 count 0 bytes_per_slice 16
}

// -----

// 4 x 4 elements of 4 bits are 8 bytes: 2 slices of 3 bytes are too few.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{reserves 6 bytes (2 x 3) for a shard of 8 bytes}}
  lpu.place @w "w" [0, 0] [4, 4] bits 4 chip 0 slices 0 count 2 bytes_per_slice 3
}

//===----------------------------------------------------------------------===//
// lpu.program
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'lpu.program' op needs positive chips, slices, slice_bytes and unit counts}}
lpu.program target "t" chips 0 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
}

// -----

// expected-error @+1 {{needs positive chips, slices, slice_bytes and unit counts}}
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 0 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
}

// -----

// expected-error @+1 {{needs positive chips, slices, slice_bytes and unit counts}}
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 0 mxm 2 vxm 2 sxm 1 links 2 {
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @a "a" [0, 0] [4, 4] bits 8 chip 1 slices 0 count 1 bytes_per_slice 16
  // expected-error @+1 {{'lpu.place' op is on chip 2 of a program of 2 chips}}
  lpu.place @b "b" [0, 0] [4, 4] bits 8 chip 2 slices 0 count 1 bytes_per_slice 16
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{'lpu.place' op uses slices up to 5 of a chip with 4 slices}}
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip 0 slices 2 count 3 bytes_per_slice 16
}

// -----

// Each place fits on its own; together they need 1040 bytes of slice 2.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @a "a" [0, 0] [32, 32] bits 8 chip 1 slices 0 count 3 bytes_per_slice 520
  // The same slices of the other chip are free.
  lpu.place @b "b" [0, 0] [32, 32] bits 8 chip 0 slices 0 count 3 bytes_per_slice 520
  // expected-error @+1 {{'lpu.place' op overfills SRAM slice 2 of chip 1: 1040 bytes in a slice of 1024}}
  lpu.place @c "c" [0, 0] [32, 32] bits 8 chip 1 slices 2 count 2 bytes_per_slice 520
}

//===----------------------------------------------------------------------===//
// lpu.matmul
//===----------------------------------------------------------------------===//

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.matmul' op needs at least one input}}
    %0 = lpu.matmul weights @w chip 0 at 0 for 10 mxm [0] : () -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<4xf32>
    // expected-error @+1 {{expects [tokens, features] activations}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<4xf32>) -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{expects [tokens, features] activations}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<1x4xf32>) -> tensor<1x1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 2 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<2x4xf32>
    // expected-error @+1 {{inputs and result disagree on the token count}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<2x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op refers to @v, which is not an lpu.place of the program}}
    %1 = lpu.matmul %0 weights @v chip 0 at 10 for 10 mxm [0] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 1 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op runs on chip 0 but @w is resident on chip 1}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0] [32] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{weights must be a 2-D shard}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

// The inner dimension of the two inputs, 4 + 4, is not the shard's 4.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op multiplies [1, 8] by a weight shard of [8, 4] giving 'tensor<1x8xf32>'}}
    %1 = lpu.matmul %0, %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

// The result has the shard's rows as features.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{multiplies [1, 4] by a weight shard of [8, 4] giving 'tensor<1x4xf32>'}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op must occupy at least one matrix unit}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 vxm [1] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{must occupy at least one matrix unit}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

//===----------------------------------------------------------------------===//
// lpu.vector
//===----------------------------------------------------------------------===//

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op unknown vector work 'gelu'}}
    %1 = lpu.vector "gelu"(%0) chip 0 at 10 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op embedding takes no activation inputs}}
    %1 = lpu.vector "embedding"(%0) chip 0 at 10 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.vector' op needs at least one input}}
    %0 = lpu.vector "rms_norm" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{refers to @table, which is not an lpu.place of the program}}
    %0 = lpu.vector "embedding" weights @table chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @norm "norm" [0] [4] bits 16 chip 0 slices 0 count 1 bytes_per_slice 8
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 1 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{runs on chip 1 but @norm is resident on chip 0}}
    %1 = lpu.vector "rms_norm"(%0) weights @norm chip 1 at 10 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.vector' op must occupy at least one vector unit}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 sxm [0] : () -> tensor<1x4xf32>
  }
}

//===----------------------------------------------------------------------===//
// lpu.transfer
//===----------------------------------------------------------------------===//

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op sends columns [2, 5) of 'tensor<1x4xf32>'}}
    %1 = lpu.transfer %0 columns 2 to 1 chip 0 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x3xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op without columns sends its whole input, 'tensor<1x4xf32>', not 'tensor<1x2xf32>'}}
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x2xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op streams only the result of an lpu.matmul}}
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 10 links [0] streamed : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] latency 20 : (tensor<1x4xf32>) -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op streams from cycle 15 but the first result leaves the array at cycle 30}}
    %2 = lpu.transfer %1 to 1 chip 0 at 15 for 30 links [0] streamed : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0] latency 20 : (tensor<1x4xf32>) -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op ends at cycle 35 but the last result it streams is ready at cycle 40}}
    %2 = lpu.transfer %1 to 1 chip 0 at 30 for 5 links [0] streamed : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

//===----------------------------------------------------------------------===//
// lpu.instructions
//===----------------------------------------------------------------------===//

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{'lpu.instructions' op reserves 400 bytes (4 x 100) for 500 bytes of instructions}}
  lpu.instructions chip 0 operations 3 bytes 500 slices 0 count 4 bytes_per_slice 100
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [64, 64] bits 8 chip 1 slices 0 count 4 bytes_per_slice 1024
  // expected-error @+1 {{'lpu.instructions' op overfills SRAM slice 0 of chip 1: 1124 bytes in a slice of 1024}}
  lpu.instructions chip 1 operations 1 bytes 400 slices 0 count 4 bytes_per_slice 100
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.instructions chip 1 operations 1 bytes 40 slices 0 count 4 bytes_per_slice 10
  // expected-error @+1 {{'lpu.instructions' op is the second for chip 1}}
  lpu.instructions chip 1 operations 1 bytes 40 slices 0 count 4 bytes_per_slice 10
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 1 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op sends chip 1 data to itself}}
    %1 = lpu.transfer %0 to 1 chip 1 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op must occupy at least one chip-to-chip link}}
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 10 sxm [0] : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

//===----------------------------------------------------------------------===//
// lpu.schedule
//===----------------------------------------------------------------------===//

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{'lpu.schedule' op needs tokens > 0 and a context of at least tokens}}
  lpu.schedule "s" tokens 0 context 4 {
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  // expected-error @+1 {{needs tokens > 0 and a context of at least tokens}}
  lpu.schedule "s" tokens 8 context 4 {
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'arith.constant' op is not a scheduled operation}}
    %0 = arith.constant dense<0.0> : tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.vector' op uses a chip outside the program's 2}}
    %0 = lpu.vector "embedding" chip 2 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{uses a chip outside the program's 2}}
    %0 = lpu.vector "embedding" chip -1 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

// The result of a transfer is on its destination chip, which must exist.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op uses a chip outside the program's 2}}
    %1 = lpu.transfer %0 to 3 chip 0 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.vector' op needs a non-negative start and a positive duration}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 0 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{needs a non-negative start and a positive duration}}
    %0 = lpu.vector "embedding" chip 0 at -5 for 10 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

// A value from outside the schedule (here, from the program's body).
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  %cst = arith.constant dense<0.0> : tensor<1x4xf32>
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.vector' op reads a value not produced in its schedule}}
    %0 = lpu.vector "silu"(%cst) chip 0 at 0 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

// Data made on chip 0 must be transferred before chip 1 reads it.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op on chip 1 reads a value that is on chip 0}}
    %1 = lpu.vector "silu"(%0) chip 1 at 10 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

// The result of a transfer is on its destination, not on its source.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x4xf32>
    // expected-error @+1 {{on chip 0 reads a value that is on chip 1}}
    %2 = lpu.vector "silu"(%1) chip 0 at 20 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op starts at cycle 9 but its input is ready at cycle 10}}
    %1 = lpu.vector "silu"(%0) chip 0 at 9 for 10 vxm [1] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

// Data used on the destination chip before the transfer has delivered it.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 100 links [0] : tensor<1x4xf32> -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op starts at cycle 50 but its input is ready at cycle 110}}
    %2 = lpu.vector "silu"(%1) chip 1 at 50 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op uses mxm 2 of a chip with 2}}
    %1 = lpu.matmul %0 weights @w chip 0 at 10 for 10 mxm [0, 2] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{'lpu.vector' op uses vxm -1 of a chip with 2}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [-1] : () -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-error @+1 {{uses sxm 1 of a chip with 1}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] sxm [1] : () -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op uses link 5 of a chip with 2}}
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 10 links [5] : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    // expected-note @+1 {{the other operation}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0, 1] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op overlaps another operation on vxm 1 of chip 0: cycles [5, 10) and [0, 10)}}
    %1 = lpu.vector "embedding" chip 0 at 5 for 5 vxm [1] : () -> tensor<1x4xf32>
  }
}

// -----

// Listed after the operation it overlaps, but starting first: the error is on
// the one that starts later.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.place @w "w" [0, 0] [8, 4] bits 8 chip 1 slices 0 count 1 bytes_per_slice 32
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 1 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op overlaps another operation on mxm 1 of chip 1: cycles [30, 50) and [10, 40)}}
    %1 = lpu.matmul %0 weights @w chip 1 at 30 for 20 mxm [1] : (tensor<1x4xf32>) -> tensor<1x8xf32>
    // expected-note @+1 {{the other operation}}
    %2 = lpu.matmul %0 weights @w chip 1 at 10 for 30 mxm [0, 1] : (tensor<1x4xf32>) -> tensor<1x8xf32>
  }
}

// -----

// Links are per chip: chip 0 and chip 1 may both use their link 0 at once,
// but two transfers out of chip 0 may not.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    %1 = lpu.vector "embedding" chip 1 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-note @+1 {{the other operation}}
    %2 = lpu.transfer %0 to 1 chip 0 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x4xf32>
    %3 = lpu.transfer %1 to 0 chip 1 at 10 for 10 links [0] : tensor<1x4xf32> -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op overlaps another operation on link 0 of chip 0: cycles [19, 29) and [10, 20)}}
    %4 = lpu.transfer %0 to 1 chip 0 at 19 for 10 links [1, 0] : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}

// -----

// A rank-0 result is rejected, not dereferenced.
lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip 0 slices 0 count 1 bytes_per_slice 16
  lpu.schedule "s" tokens 1 context 1 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.matmul' op expects [tokens, features] activations}}
    %1 = lpu.matmul %0 weights @w chip 0 at 1 for 1 mxm [0] : (tensor<1x4xf32>) -> tensor<f32>
  }
}

// -----

// Activations have static shapes.
lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.schedule "s" tokens 1 context 1 {
    // expected-error @+1 {{statically shaped tensor}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0] : () -> tensor<1x?xf32>
  }
}

// -----

// Negative integers are not read as huge unsigned ones.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  // expected-error @+1 {{'lpu.place' op needs a non-negative chip and first slice, and at least one slice}}
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip -1 slices 0 count 1 bytes_per_slice 16
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  // expected-error @+1 {{'lpu.place' op needs a non-negative chip and first slice, and at least one slice}}
  lpu.place @w "w" [0, 0] [4, 4] bits 8 chip 0 slices -1 count 2 bytes_per_slice 16
}

// -----

// expected-error @+1 {{'lpu.program' op needs positive chips, slices, slice_bytes and unit counts}}
lpu.program target "t" chips -1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
}

// -----

lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  // expected-error @+1 {{'lpu.schedule' op needs tokens > 0 and a context of at least tokens}}
  lpu.schedule "s" tokens 1 context -1 {
  }
}

// -----

// A unit listed twice in one operation.
lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.schedule "s" tokens 1 context 1 {
    // expected-error @+1 {{'lpu.vector' op lists vxm 0 twice}}
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0, 0] : () -> tensor<1x4xf32>
  }
}

// -----

// An end cycle that would overflow cannot hide an overlap.
lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.schedule "s" tokens 1 context 1 {
    // expected-error @+1 {{'lpu.vector' op needs a non-negative start and a positive duration that do not overflow}}
    %0 = lpu.vector "embedding" chip 0 at 9223372036854775800 for 100 vxm [0] : () -> tensor<1x4xf32>
  }
}

// -----

// Attention reads a cache shard resident on its chip, for heads it holds.
lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.schedule "s" tokens 1 context 1 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.attention' op refers to @nothing, which is not an lpu.place of the program}}
    %1 = lpu.attention %0, %0, %0 cache @nothing heads 0 count 1 chip 0 at 1 for 1 mxm [0] vxm [0] : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.place @kv "model.layers.0.kv_cache" [0, 0, 2, 0] [2, 4, 2, 4] bits 16 chip 0 slices 0 count 1 bytes_per_slice 256
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.attention' op attends KV heads [1, 3) but its cache shard holds [2, 4)}}
    %1 = lpu.attention %0, %0, %0 cache @kv heads 1 count 2 chip 0 at 1 for 1 mxm [0] vxm [0] : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.place @kv "model.layers.0.kv_cache" [0, 0, 0, 0] [2, 4, 2, 4] bits 16 chip 0 slices 0 count 1 bytes_per_slice 256
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.attention' op must occupy matrix and vector units}}
    %1 = lpu.attention %0, %0, %0 cache @kv heads 0 count 2 chip 0 at 1 for 1 mxm [0] : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 1 weight_bits 8 clock_mhz 1.0 slices 4 slice_bytes 1024 mxm 2 vxm 1 sxm 1 links 1 {
  lpu.place @kv "model.layers.0.kv_cache" [0, 0, 0, 0] [2, 4, 2, 4] bits 16 chip 0 slices 0 count 1 bytes_per_slice 256
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 1 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.attention' op needs the queries, keys and values as inputs}}
    %1 = lpu.attention %0 cache @kv heads 0 count 2 chip 0 at 1 for 1 mxm [0] vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

// A transfer's result arrives `latency` cycles (its hops) after it releases
// its link: the next transfer may use the link, the data may not be used.
lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 20 links [0] latency 40 : tensor<1x4xf32> -> tensor<1x4xf32>
    %2 = lpu.transfer %0 to 1 chip 0 at 30 for 20 links [0] latency 40 : tensor<1x4xf32> -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.vector' op starts at cycle 60 but its input is ready at cycle 70}}
    %3 = lpu.vector "silu"(%1) chip 1 at 60 for 10 vxm [0] : (tensor<1x4xf32>) -> tensor<1x4xf32>
  }
}

// -----

lpu.program target "t" chips 2 weight_bits 8 clock_mhz 900.0 slices 4 slice_bytes 1024 mxm 2 vxm 2 sxm 1 links 2 {
  lpu.schedule "s" tokens 1 context 4 {
    %0 = lpu.vector "embedding" chip 0 at 0 for 10 vxm [0] : () -> tensor<1x4xf32>
    // expected-error @+1 {{'lpu.transfer' op needs a non-negative latency}}
    %1 = lpu.transfer %0 to 1 chip 0 at 10 for 20 links [0] latency -5 : tensor<1x4xf32> -> tensor<1x4xf32>
  }
}
