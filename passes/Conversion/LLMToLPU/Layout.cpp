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

/// Lays the tensors out; with `wholeTensors`, a weight or cache that fits
/// the stage its midpoint falls in goes there whole.
static std::optional<Layout>
layoutInStages(const std::vector<ResidentTensor> &tensors,
               const TargetDescription &target, int64_t chips, int64_t group,
               bool wholeTensors) {
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
    ResidentTensor t = tensors[index];
    if (wholeTensors && t.headStripeWidth > 0)
      t.stripeWidth = t.headStripeWidth;
    int64_t extent = t.shape[t.stripeDim];
    // Each stripe goes to the stage its midpoint falls in; a tensor's
    // stripes in one stage form a contiguous run.
    struct Run {
      int64_t stage, first, last;
    };
    llvm::SmallVector<Run> runs;
    // A tensor that fits the stage its midpoint falls in goes there whole,
    // so that a layer's matmuls do not straddle two stages (a row-parallel
    // one would reduce its partial sums across them).
    double whole = t.totalBytes();
    int64_t home = std::min<int64_t>(
        stages - 1, static_cast<int64_t>((before + whole / 2) / perStage));
    int64_t homeParts = std::min(group, t.numStripes());
    // Weights and caches: whole per stage when they fit, and aligned.
    bool aligned = wholeTensors && (t.streamed || t.kvCache);
    bool fits = aligned;
    for (int64_t p = 0; p < homeParts && fits; ++p) {
      int64_t first = t.numStripes() * p / homeParts;
      int64_t last = t.numStripes() * (p + 1) / homeParts;
      int64_t chip = home * group + p;
      fits = layout.reservedBytes[chip] +
                 reservedBytes(target,
                               t.bytes(first * t.stripeWidth,
                                       std::min(extent, last * t.stripeWidth))) <=
             target.chipBytes();
    }
    if (fits) {
      runs.push_back({home, 0, t.numStripes() - 1});
      before += whole;
    }
    for (int64_t s = 0; !fits && s < t.numStripes(); ++s) {
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
    // A replicated tensor: a whole copy on every chip of its stage.
    if (t.replicated) {
      int64_t base = home * group;
      for (int64_t c = base; c < base + group; ++c) {
        Shard shard{index, c, 0, extent, t.totalBytes()};
        layout.reservedBytes[c] += reservedBytes(target, shard.bytes);
        layout.shards[index].push_back(shard);
      }
      continue;
    }
    // Split each run evenly between the stage's chips. Weights and caches
    // start at the stage's first chip, so that equally striped tensors
    // align; other small tensors start at the least loaded chip, so that
    // they even out.
    for (const Run &run : runs) {
      int64_t base = run.stage * group;
      int64_t start = 0;
      for (int64_t c = 1; c < group && !aligned; ++c)
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

std::optional<Layout>
mlir::llm::lpu::layoutTensors(const std::vector<ResidentTensor> &tensors,
                              const TargetDescription &target, int64_t chips,
                              int64_t group) {
  // Whole tensors per stage when they fit; when that leaves some chip over
  // capacity (a nearly full system), stripes fill the stages evenly.
  if (group > 1)
    if (auto layout = layoutInStages(tensors, target, chips, group, true))
      return layout;
  return layoutInStages(tensors, target, chips, group, false);
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
