//===- PairDotTargets.h - the CPUs that run llm.pair_dot_i16 ----*- C++ -*-===//
//
// One table for the integer INT4 kernel's targets: the name of the kernel
// (the `int4-kernel` option of convert-llm-to-linalg and llm-cpu-pipeline),
// the int32 lanes of its registers, the width of its quantized inputs (int16
// pairs: llm.pair_dot_i16; int8 quads: llm.quad_dot_u8i8), the CPU feature
// the instruction needs (recorded in `llm.cpu_features` and checked by
// llm-run against the host) and the LLVM intrinsic that llm-lower-pair-dot
// emits.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_DIALECT_LLM_IR_PAIRDOTTARGETS_H
#define LLM_DIALECT_LLM_IR_PAIRDOTTARGETS_H

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::llm {

struct PairDotTarget {
  llvm::StringLiteral kernel;
  int64_t lanes;
  /// The width of the quantized inputs: 16 (pairs of int16 lanes,
  /// llm.pair_dot_i16) or 8 (quads of int8 lanes, llm.quad_dot_u8i8).
  int64_t inputBits;
  llvm::StringLiteral cpuFeature;
  llvm::StringLiteral intrinsic;
};

/// Fastest first: a host with several gets the first it has.
inline constexpr PairDotTarget kPairDotTargets[] = {
    {"x86-avx512-vnni", 16, 8, "avx512vnni", "llvm.x86.avx512.vpdpbusd.512"},
    {"x86-avx512", 16, 16, "avx512bw", "llvm.x86.avx512.pmaddw.d.512"},
    {"x86-avx2", 8, 16, "avx2", "llvm.x86.avx2.pmadd.wd"},
};

/// Every value of the `int4-kernel` option, sorted and quoted for a
/// message: "'generic', 'x86-avx2', ... or 'x86-avx512-vnni'".
inline std::string int4KernelChoices() {
  llvm::SmallVector<llvm::StringRef> names{"generic"};
  for (const PairDotTarget &target : kPairDotTargets)
    names.push_back(target.kernel);
  llvm::sort(names);
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "'" : i + 1 == names.size() ? " or '" : ", '") +
            names[i].str() + "'";
  return text;
}

/// The target of kernel `name`, or null.
inline const PairDotTarget *findPairDotKernel(llvm::StringRef name) {
  for (const PairDotTarget &target : kPairDotTargets)
    if (target.kernel == name)
      return &target;
  return nullptr;
}

/// Whether `name` is a value of the `int4-kernel` option: "generic" (the
/// float kernel, any CPU) or a target's kernel.
inline bool isInt4KernelName(llvm::StringRef name) {
  return name == "generic" || findPairDotKernel(name);
}

/// The target whose registers hold `lanes` int32 of sums of `inputBits`
/// inputs, or null.
inline const PairDotTarget *findPairDotLanes(int64_t lanes, int64_t inputBits) {
  for (const PairDotTarget &target : kPairDotTargets)
    if (target.lanes == lanes && target.inputBits == inputBits)
      return &target;
  return nullptr;
}

} // namespace mlir::llm

#endif // LLM_DIALECT_LLM_IR_PAIRDOTTARGETS_H
