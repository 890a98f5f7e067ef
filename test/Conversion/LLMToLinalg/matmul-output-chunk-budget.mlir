// The weights of one output chunk of a prompt's linear layer are bounded by
// prompt-chunk-bytes (about half of the target core's L2 cache): 256
// outputs of 512 f32 inputs (2 KiB each) make chunks of 64 outputs by
// default (512 KiB would hold 256, but 4 chunks at least), of 32 within
// 64 KiB, and none at 0.

// RUN: llm-opt %s --convert-llm-to-linalg | FileCheck %s --check-prefix=DEFAULT
// RUN: llm-opt %s --convert-llm-to-linalg=prompt-chunk-bytes=65536 | FileCheck %s --check-prefix=SMALL
// RUN: llm-opt %s --convert-llm-to-linalg=prompt-chunk-bytes=0 | FileCheck %s --check-prefix=NONE
// RUN: llm-opt %s --llm-cpu-pipeline=prompt-chunk-bytes=65536 --mlir-print-ir-after=convert-llm-to-linalg -o /dev/null 2>&1 | FileCheck %s --check-prefix=SMALL
// RUN: not llm-opt %s --convert-llm-to-linalg=prompt-chunk-bytes=-1 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// DEFAULT: scf.forall (%{{.*}}) = (0) to (256) step (64)
// SMALL: scf.forall (%{{.*}}) = (0) to (256) step (32)
// NONE-NOT: scf.forall
// NEGATIVE: prompt-chunk-bytes must not be negative, got -1
func.func @wide(%x: tensor<?x512xf32>, %w: tensor<256x512xf32>) -> tensor<?x256xf32> {
  %0 = llm.matmul %x, %w : tensor<?x512xf32>, tensor<256x512xf32> -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}
