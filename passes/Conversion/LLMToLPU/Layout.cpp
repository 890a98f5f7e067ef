//===- Layout.cpp - where the model's tensors live on LPU chips -----------===//

#include "Layout.h"

#include <algorithm>
#include <cmath>

using namespace mlir::llm::lpu;

int64_t ResidentTensor::bytes(int64_t begin, int64_t end) const {
  int64_t elements = end - begin;
  for (unsigned d = 0; d < shape.size(); ++d)
    if (d != stripeDim)
      elements *= shape[d];
  return (elements * bits + 7) / 8;
}

int64_t mlir::llm::lpu::reservedBytes(const TargetDescription &target,
                                      int64_t bytes) {
  int64_t perSlice = (bytes + target.memorySlices - 1) / target.memorySlices;
  return perSlice * target.memorySlices;
}

std::optional<Layout>
mlir::llm::lpu::layoutTensors(const std::vector<ResidentTensor> &tensors,
                              const TargetDescription &target, int64_t chips,
                              int64_t group) {
  if (chips <= 0 || group <= 0 || chips % group != 0)
    return std::nullopt;
  Layout layout;
  layout.chips = chips;
  layout.group = group;
  layout.shards.resize(tensors.size());
  layout.reservedBytes.assign(chips, 0);

  int64_t stages = chips / group;
  double total = 0;
  for (const ResidentTensor &t : tensors)
    total += t.totalBytes();
  double perStage = std::max(total / stages, 1.0);

  double before = 0; // Bytes of all earlier stripes.
  for (unsigned index = 0; index < tensors.size(); ++index) {
    const ResidentTensor &t = tensors[index];
    int64_t extent = t.shape[t.stripeDim];
    // Each stripe goes to the stage its midpoint falls in; a tensor's
    // stripes in one stage form a contiguous run.
    struct Run {
      int64_t stage, first, last;
    };
    llvm::SmallVector<Run> runs;
    for (int64_t s = 0; s < t.numStripes(); ++s) {
      int64_t begin = s * t.stripeWidth;
      int64_t end = std::min(extent, begin + t.stripeWidth);
      double b = t.bytes(begin, end);
      int64_t stage = std::min<int64_t>(
          stages - 1, static_cast<int64_t>((before + b / 2) / perStage));
      before += b;
      if (!runs.empty() && runs.back().stage == stage)
        runs.back().last = s;
      else
        runs.push_back({stage, s, s});
    }
    // Split each run evenly between the stage's chips, starting with the
    // least loaded so that small tensors even out.
    for (const Run &run : runs) {
      int64_t base = run.stage * group;
      int64_t start = 0;
      for (int64_t c = 1; c < group; ++c)
        if (layout.reservedBytes[base + c] < layout.reservedBytes[base + start])
          start = c;
      int64_t count = run.last - run.first + 1;
      int64_t parts = std::min(group, count);
      for (int64_t p = 0; p < parts; ++p) {
        int64_t firstStripe = run.first + count * p / parts;
        int64_t endStripe = run.first + count * (p + 1) / parts;
        int64_t begin = firstStripe * t.stripeWidth;
        int64_t end = std::min(extent, endStripe * t.stripeWidth);
        int64_t chip = base + (start + p) % group;
        Shard shard{index, chip, begin, end, t.bytes(begin, end)};
        layout.reservedBytes[chip] += reservedBytes(target, shard.bytes);
        layout.shards[index].push_back(shard);
      }
    }
  }
  for (int64_t bytes : layout.reservedBytes)
    if (bytes > target.chipBytes())
      return std::nullopt;
  return layout;
}

int64_t mlir::llm::lpu::fewestChips(const std::vector<ResidentTensor> &tensors,
                                    const TargetDescription &target) {
  double total = 0;
  for (const ResidentTensor &t : tensors)
    total += t.totalBytes();
  int64_t chips = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(total / target.chipBytes())));
  // Stripes do not split, so the even layout may need a few more.
  while (!layoutTensors(tensors, target, chips, 1))
    ++chips;
  return chips;
}
