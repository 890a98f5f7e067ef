// The accumulators of a decode matrix-vector product read one row at a time
// follow `matrix-vector-accumulators`: 4 vectors of 16 lanes by default
// (k = ko * 64 + ki), 8 when asked (k = ko * 128 + ki), through the pass and
// through llm-cpu-pipeline; fewer than 2 is refused.

// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize))' | FileCheck %s --check-prefix=FOUR
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{matrix-vector-accumulators=8}))' | FileCheck %s --check-prefix=EIGHT
// RUN: llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{matrix-vector-accumulators=3}))' | FileCheck %s --check-prefix=TWO
// RUN: llm-opt %s --llm-cpu-pipeline=matrix-vector-accumulators=8 --mlir-print-ir-after=llm-cpu-tile-and-vectorize 2>&1 >/dev/null | FileCheck %s --check-prefix=EIGHT
// RUN: not llm-opt %s --pass-pipeline='builtin.module(func.func(llm-cpu-tile-and-vectorize{matrix-vector-accumulators=1}))' 2>&1 | FileCheck %s --check-prefix=ONE

// FOUR: tensor.expand_shape %{{.*}} output_shape [1024, 32, 64] : tensor<1024x2048xf32> into tensor<1024x32x64xf32>
// FOUR: arith.mulf %{{.*}}, %{{.*}} : vector<1x1x1x64xf32>
// FOUR-NOT: x128xf32>

// EIGHT: tensor.expand_shape %{{.*}} output_shape [1024, 16, 128] : tensor<1024x2048xf32> into tensor<1024x16x128xf32>
// EIGHT: arith.mulf %{{.*}}, %{{.*}} : vector<1x1x1x128xf32>

// 3 vectors of 16 do not divide 2048: the most that do, 2.
// TWO: tensor.expand_shape %{{.*}} output_shape [1024, 64, 32] : tensor<1024x2048xf32> into tensor<1024x64x32xf32>

// ONE: matrix-vector-accumulators must be at least 2, got 1

func.func @matvec(%x: tensor<1x2048xf32>, %w: tensor<1024x2048xf32>) -> tensor<1x1024xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<1x1024xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x1024xf32>) -> tensor<1x1024xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x2048xf32>, tensor<1024x2048xf32>) outs(%1 : tensor<1x1024xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %3 = arith.mulf %in, %in_0 : f32
    %4 = arith.addf %out, %3 : f32
    linalg.yield %4 : f32
  } -> tensor<1x1024xf32>
  return %2 : tensor<1x1024xf32>
}
