//===- TargetDescription.cpp - read LPU target descriptions ---------------===//

#include "llm/Target/LPU/TargetDescription.h"

#include "llvm/Support/MemoryBuffer.h"

#include <nlohmann/json.hpp>

using namespace mlir::llm::lpu;
using json = nlohmann::json;

// The shipped description, embedded at build time from groq-tsp-v1.json.
#include "DefaultTarget.inc"

namespace {
/// Reads `{"value": ..., "source": "..."}` figures, collecting the path of
/// the first one that is missing or malformed.
class FigureReader {
public:
  explicit FigureReader(const json &root) : root(root) {}

  const json *lookup(std::initializer_list<const char *> path) {
    const json *node = &root;
    std::string name;
    for (const char *key : path) {
      name += name.empty() ? key : std::string(".") + key;
      if (!node->is_object() || !node->contains(key))
        return fail(name, "is missing");
      node = &(*node)[key];
    }
    currentPath = name;
    return node;
  }

  /// A bound far above any real figure (bytes per second included), so
  /// that no derived time or size overflows or becomes infinite.
  static constexpr double kLargestFigure = 1e15;

  /// A positive figure of at most `largest`.
  template <typename T>
  void number(std::initializer_list<const char *> path, T &out,
              double largest = kLargestFigure) {
    const json *node = lookup(path);
    if (!node)
      return;
    const json *value = node->is_object() && node->contains("value")
                            ? &(*node)["value"]
                            : node;
    if (!value->is_number()) {
      fail(currentPath, "must be a number (or {\"value\": N, \"source\": ...})");
      return;
    }
    double v = value->get<double>();
    if (!(v > 0)) {
      fail(currentPath, "must be positive");
      return;
    }
    if (!(v <= largest)) {
      fail(currentPath,
           "must be at most " +
               (largest == kLargestFigure
                    ? std::string("1e15")
                    : std::to_string(static_cast<int64_t>(largest))));
      return;
    }
    out = static_cast<T>(v);
  }

  void string(std::initializer_list<const char *> path, std::string &out) {
    const json *node = lookup(path);
    if (!node)
      return;
    const json *value = node->is_object() && node->contains("value")
                            ? &(*node)["value"]
                            : node;
    if (!value->is_string()) {
      fail(currentPath, "must be a string");
      return;
    }
    out = value->get<std::string>();
  }

  void elementType(const char *name, ElementTypeInfo &out) {
    const json *node = lookup({"element_types", name});
    if (!node)
      return;
    if (!node->is_object() || !node->contains("native") ||
        !(*node)["native"].is_boolean()) {
      fail(currentPath, "needs a boolean \"native\"");
      return;
    }
    out.native = (*node)["native"].get<bool>();
    number({"element_types", name, "bits"}, out.bits);
    if (!out.native) {
      number({"element_types", name, "unpack_ops_per_weight"},
             out.unpackOpsPerWeight);
      string({"element_types", name, "mxm_type"}, out.mxmType);
      if (error.empty() && out.mxmType != "int8" && out.mxmType != "fp16")
        fail(currentPath, "must be int8 or fp16 (a type the matrix units "
                          "compute in)");
    } else {
      out.mxmType = name;
    }
  }

  std::string error;

private:
  const json *fail(const std::string &path, const std::string &what) {
    if (error.empty())
      error = "'" + path + "' " + what;
    return nullptr;
  }

  const json &root;
  std::string currentPath;
};
} // namespace

const ElementTypeInfo &TargetDescription::weightType(unsigned bits) const {
  if (bits == 4)
    return int4;
  if (bits == 8)
    return int8;
  return fp16;
}

int64_t TargetDescription::mxmMacsPerCycle(unsigned bits) const {
  if (bits == 4 && int4.native)
    return mxmInt4MacsPerCycle;
  return bits == 16 || weightType(bits).mxmType == "fp16" ? mxmFp16MacsPerCycle
                                                          : mxmInt8MacsPerCycle;
}

unsigned TargetDescription::mxmWeightBits(unsigned bits) const {
  const ElementTypeInfo &type = weightType(bits);
  if (type.native)
    return type.bits;
  return type.mxmType == "fp16" ? 16 : 8;
}

int64_t TargetDescription::hopsBetween(int64_t a, int64_t b) const {
  if (a == b)
    return 0;
  if (a / chipsPerNode == b / chipsPerNode)
    return hopsWithinNode;
  if (a / chipsPerRack == b / chipsPerRack)
    return hopsWithinRack;
  return hopsBetweenRacks;
}

llvm::Expected<TargetDescription>
mlir::llm::lpu::parseTargetDescription(llvm::StringRef text,
                                       llvm::StringRef source) {
  auto error = [&](const std::string &message) {
    return llvm::createStringError("LPU target description '" + source.str() +
                                   "': " + message);
  };
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception &e) { // parse_error, and out_of_range (number overflow)
    return error(std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_object())
    return error("expected a JSON object");

  TargetDescription t;
  FigureReader r(root);
  r.string({"name"}, t.name);
  r.number({"clock_mhz"}, t.clockMHz);
  r.number({"lanes"}, t.lanes);
  r.number({"memory", "slices"}, t.memorySlices);
  r.number({"memory", "slice_bytes"}, t.sliceBytes);
  r.number({"memory", "slice_read_bytes_per_cycle"}, t.sliceReadBytesPerCycle);
  r.number({"streams", "count"}, t.streamCount);
  r.number({"streams", "bytes_per_cycle"}, t.streamBytesPerCycle);
  r.number({"mxm", "count"}, t.mxmCount);
  r.number({"mxm", "rows"}, t.mxmRows);
  r.number({"mxm", "cols"}, t.mxmCols);
  r.number({"mxm", "weight_load_bytes_per_cycle"}, t.mxmWeightLoadBytesPerCycle);
  r.number({"mxm", "latency_cycles"}, t.mxmLatencyCycles);
  r.number({"mxm", "macs_per_cycle", "int8"}, t.mxmInt8MacsPerCycle);
  r.number({"mxm", "macs_per_cycle", "fp16"}, t.mxmFp16MacsPerCycle);
  r.number({"vxm", "alus"}, t.vxmAlus);
  r.number({"vxm", "latency_cycles"}, t.vxmLatencyCycles);
  r.number({"sxm", "count"}, t.sxmCount);
  r.number({"sxm", "shift_latency_cycles"}, t.sxmShiftLatencyCycles);
  r.elementType("fp16", t.fp16);
  r.elementType("int8", t.int8);
  r.elementType("int4", t.int4);
  if (t.int4.native)
    r.number({"mxm", "macs_per_cycle", "int4"}, t.mxmInt4MacsPerCycle);
  r.string({"activation_type"}, t.activationType);
  int64_t localLinks = 0, globalLinks = 0;
  r.number({"c2c", "local_links"}, localLinks);
  r.number({"c2c", "global_links"}, globalLinks);
  // A chip's links: its local links (one to each other chip of its node),
  // then its global ports.
  t.c2cLinks = localLinks + globalLinks;
  r.number({"c2c", "bytes_per_s"}, t.c2cBytesPerSecond);
  r.number({"c2c", "hop_latency_ns"}, t.c2cHopLatencyNs);
  r.number({"c2c", "sync_ns"}, t.c2cSyncNs);
  // Instruction bytes times a chip's operation count stay in 64 bits.
  constexpr double kLargestInstructionBytes = 1 << 20;
  r.number({"instructions", "bytes_per_operation"},
           t.instructionBytesPerOperation, kLargestInstructionBytes);
  r.number({"instructions", "bytes_per_tile"}, t.instructionBytesPerTile,
           kLargestInstructionBytes);
  r.number({"system", "chips_per_node"}, t.chipsPerNode);
  r.number({"system", "chips_per_rack"}, t.chipsPerRack);
  r.number({"system", "hops_within_node"}, t.hopsWithinNode);
  r.number({"system", "hops_within_rack"}, t.hopsWithinRack);
  r.number({"system", "hops_between_racks"}, t.hopsBetweenRacks);
  r.number({"system", "host_round_trip_us"}, t.hostRoundTripUs);
  if (!r.error.empty())
    return error(r.error);
  if (t.chipsPerRack % t.chipsPerNode != 0)
    return error("'system.chips_per_rack' must be a multiple of "
                 "'system.chips_per_node'");
  if (localLinks != t.chipsPerNode - 1)
    return error("'c2c.local_links' must connect each chip to every other "
                 "chip of its node (system.chips_per_node - 1)");
  return t;
}

llvm::Expected<TargetDescription>
mlir::llm::lpu::loadTargetDescription(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("cannot read LPU target description '" +
                                   path.str() + "': " +
                                   buffer.getError().message());
  return parseTargetDescription((*buffer)->getBuffer(), path);
}

llvm::StringRef mlir::llm::lpu::defaultTargetDescriptionJSON() {
  return kDefaultTargetJSON;
}

const TargetDescription &mlir::llm::lpu::defaultTargetDescription() {
  static const TargetDescription target = [] {
    auto parsed =
        parseTargetDescription(kDefaultTargetJSON, "groq-tsp-v1 (built in)");
    if (!parsed)
      llvm::report_fatal_error(parsed.takeError());
    return *parsed;
  }();
  return target;
}

llvm::Expected<TargetDescription>
mlir::llm::lpu::resolveTargetDescription(llvm::StringRef pathOrEmpty) {
  if (pathOrEmpty.empty())
    return defaultTargetDescription();
  return loadTargetDescription(pathOrEmpty);
}
