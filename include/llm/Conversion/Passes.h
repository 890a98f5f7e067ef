//===- Passes.h - llm dialect conversion passes -----------------*- C++ -*-===//

#ifndef LLM_CONVERSION_PASSES_H
#define LLM_CONVERSION_PASSES_H

#include "llm/Dialect/LLM/IR/PairDotTargets.h"
#include "llm/Dialect/LPU/IR/LPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace llm {

#define GEN_PASS_DECL
#include "llm/Conversion/Passes.h.inc"

/// Adds the patterns lowering llm graph ops (all but llm.param) to linalg.
/// `int4Kernel`: the integer INT4 kernel's target (PairDotTargets.h: int32
/// lanes and input width; null: the float kernel). `promptChunkBytes`: the
/// weights of one output chunk of a prompt's linear layer (the pass's
/// prompt-chunk-bytes; 0: no chunks).
void populateLLMToLinalgConversionPatterns(
    RewritePatternSet &patterns, const PairDotTarget *int4Kernel = nullptr,
    int64_t promptChunkBytes = 512 * 1024);

/// Declares the memory effects of the mpi ops the lowering creates
/// (`mpi.allreduce` reads its send buffer and writes its receive buffer,
/// `mpi.send` reads and `mpi.recv` writes theirs),
/// which upstream leaves unknown and buffer deallocation then rejects.
void registerMPIMemoryEffects(DialectRegistry &registry);

#define GEN_PASS_REGISTRATION
#include "llm/Conversion/Passes.h.inc"

} // namespace llm
} // namespace mlir

#endif // LLM_CONVERSION_PASSES_H
