//===- TargetDescription.h - figures of a streaming LPU target --*- C++ -*-===//
//
// Every number the LPU tiling, placement, scheduling and cost model use comes
// from a target description: a JSON file in which each figure carries its
// source. The first-generation Groq chip ships built in.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TARGET_LPU_TARGETDESCRIPTION_H
#define LLM_TARGET_LPU_TARGETDESCRIPTION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::llm::lpu {

/// How weights of one element type are stored and fed to the matrix units.
struct ElementTypeInfo {
  bool native = false;       ///< The MXM consumes it directly.
  unsigned bits = 0;         ///< Storage bits per weight.
  double unpackOpsPerWeight = 0; ///< VXM ops per weight when not native.
  std::string mxmType;       ///< The type the MXM computes in.
};

struct TargetDescription {
  std::string name;
  double clockMHz = 0;
  int64_t lanes = 0;

  int64_t memorySlices = 0;
  int64_t sliceBytes = 0;
  int64_t sliceReadBytesPerCycle = 0;

  int64_t streamCount = 0;
  int64_t streamBytesPerCycle = 0;

  int64_t mxmCount = 0;
  int64_t mxmRows = 0;
  int64_t mxmCols = 0;
  int64_t mxmWeightLoadBytesPerCycle = 0;
  int64_t mxmLatencyCycles = 0;
  int64_t mxmInt8MacsPerCycle = 0;
  int64_t mxmFp16MacsPerCycle = 0;
  /// Of a target whose matrix units take INT4 natively; else 0.
  int64_t mxmInt4MacsPerCycle = 0;

  int64_t vxmAlus = 0;
  int64_t vxmLatencyCycles = 0;
  int64_t sxmCount = 0;
  int64_t sxmShiftLatencyCycles = 0;

  ElementTypeInfo fp16, int8, int4;
  std::string activationType;

  int64_t c2cLinks = 0;
  double c2cBytesPerSecond = 0;
  double c2cHopLatencyNs = 0;
  /// Aligning a transfer's arrival with the receiver's static schedule.
  double c2cSyncNs = 0;

  /// Instructions in SRAM: per scheduled operation, and per weight tile a
  /// matmul installs.
  int64_t instructionBytesPerOperation = 0;
  int64_t instructionBytesPerTile = 0;

  int64_t chipsPerNode = 0;
  int64_t chipsPerRack = 0;
  int64_t hopsWithinNode = 0;
  int64_t hopsWithinRack = 0;
  int64_t hopsBetweenRacks = 0;
  /// Per generated token: the logits to the host, sampling there, and the
  /// next token back, beside the chips' schedule.
  double hostRoundTripUs = 0;

  /// Bytes of SRAM on one chip.
  int64_t chipBytes() const { return memorySlices * sliceBytes; }
  /// Bytes one chip-to-chip link carries per clock cycle.
  double linkBytesPerCycle() const {
    return c2cBytesPerSecond / (clockMHz * 1e6);
  }
  /// Cycles of one chip-to-chip hop's latency.
  double hopLatencyCycles() const { return c2cHopLatencyNs * clockMHz / 1e3; }
  /// Cycles of aligning a transfer with the receiver's schedule.
  double syncCycles() const { return c2cSyncNs * clockMHz / 1e3; }
  /// Storage description of weights of `bits` bits (16, 8 or 4).
  const ElementTypeInfo &weightType(unsigned bits) const;
  /// MACs per cycle of one MXM in the type it computes `bits`-bit weights in.
  int64_t mxmMacsPerCycle(unsigned bits) const;
  /// Bits per weight in the matrix units' tiles for `bits`-bit weights (the
  /// stored bits when native, else those of the type they compute in).
  unsigned mxmWeightBits(unsigned bits) const;
  /// Chip-to-chip hops between chips `a` and `b` of a system.
  int64_t hopsBetween(int64_t a, int64_t b) const;
};

/// Parses a target description; `source` names it in error messages. Every
/// figure is required and must be positive.
llvm::Expected<TargetDescription> parseTargetDescription(llvm::StringRef json,
                                                         llvm::StringRef source);

/// Reads and parses the target description at `path`.
llvm::Expected<TargetDescription> loadTargetDescription(llvm::StringRef path);

/// The shipped description of the first-generation Groq chip.
llvm::StringRef defaultTargetDescriptionJSON();
const TargetDescription &defaultTargetDescription();

/// The default target when `pathOrEmpty` is empty, else the file's.
llvm::Expected<TargetDescription>
resolveTargetDescription(llvm::StringRef pathOrEmpty);

} // namespace mlir::llm::lpu

#endif // LLM_TARGET_LPU_TARGETDESCRIPTION_H
