//===- Bound.cpp - an analytic lower bound of an LPU decode step ----------===//

#include "Bound.h"

#include "llm/Target/LPU/CostModel.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

using namespace mlir;
using namespace mlir::llm::lpu;

static int64_t ceilCycles(double cycles) {
  return static_cast<int64_t>(std::ceil(cycles));
}

DictionaryAttr DecodeBound::toAttr(MLIRContext *context) const {
  Builder b(context);
  return b.getDictionaryAttr({
      b.getNamedAttr("weights", b.getI64IntegerAttr(weights)),
      b.getNamedAttr("phases", b.getI64IntegerAttr(phases)),
      b.getNamedAttr("attention", b.getI64IntegerAttr(attention)),
      b.getNamedAttr("collectives", b.getI64IntegerAttr(collectives)),
      b.getNamedAttr("handoffs", b.getI64IntegerAttr(handoffs)),
      b.getNamedAttr("total", b.getI64IntegerAttr(total())),
  });
}

DecodeBound mlir::llm::lpu::decodeLowerBound(
    const TargetDescription &target, const std::vector<ResidentTensor> &tensors,
    const Layout &layout, const std::vector<std::vector<unsigned>> &levels,
    const BoundShape &shape) {
  DecodeBound bound;
  int64_t group = std::max<int64_t>(layout.group, 1);
  int64_t stages = (layout.chips + group - 1) / group;

  // Each level: the busiest chip's weight streaming (and unpacking) or its
  // share of the attention; a level of matmuls adds the array's latency.
  double feed = std::min<double>(
      double(target.memorySlices) * target.sliceReadBytesPerCycle,
      double(target.mxmCount) * target.mxmWeightLoadBytesPerCycle);
  for (const std::vector<unsigned> &level : levels) {
    std::map<int64_t, double> bytesOn, unpackOpsOn;
    std::map<int64_t, int64_t> kvHeadsOn;
    bool matmuls = false;
    for (unsigned t : level) {
      const ResidentTensor &tensor = tensors[t];
      const ElementTypeInfo &type = target.weightType(tensor.bits);
      for (const Shard &shard : layout.shards[t]) {
        if (tensor.kvCache) {
          // Striped by KV heads.
          kvHeadsOn[shard.chip] += shard.end - shard.begin;
          continue;
        }
        matmuls = true;
        bytesOn[shard.chip] += double(shard.bytes);
        if (!type.native)
          unpackOpsOn[shard.chip] += double(shard.bytes) * 8.0 / tensor.bits *
                                     type.unpackOpsPerWeight;
      }
    }
    int64_t busiest = 0;
    for (auto &[chip, bytes] : bytesOn)
      busiest = std::max(busiest, ceilCycles(std::max(
                                      bytes / feed, unpackOpsOn[chip] /
                                                        double(target.vxmAlus))));
    for (auto &[chip, heads] : kvHeadsOn)
      busiest = std::max(
          busiest, attentionCycles(target, 1, shape.queriesPerKV, heads,
                                   shape.headDim, shape.context,
                                   target.memorySlices));
    bool attention = !kvHeadsOn.empty();
    (attention && !matmuls ? bound.attention : bound.weights) += busiest;
    if (matmuls)
      bound.phases += target.mxmLatencyCycles;
  }

  double linkRate = target.linkBytesPerCycle();
  double hiddenBytes = double(shape.hidden) * 2; // fp16 activations
  // Within a stage: every chip receives at least the others' share of the
  // hidden vector after attention and after the MLP, over its local links.
  if (group > 1) {
    int64_t links = std::min<int64_t>(group - 1, target.chipsPerNode - 1);
    double bytes = hiddenBytes * double(group - 1) / double(group);
    bound.collectives =
        2 * shape.layers *
        (ceilCycles(bytes / (double(std::max<int64_t>(links, 1)) * linkRate)) +
         transferLatencyCycles(target, 1));
  }
  // Between stages: what crosses may be a matmul's result streamed as it
  // leaves the array, so only its last vector is sure to follow the work
  // before: one vector over all of a chip's links, and the fewest hops
  // between the two stages' chips.
  double lastVector = std::min(hiddenBytes, double(target.lanes) * 2);
  int64_t lastVectorCycles =
      ceilCycles(lastVector / (double(target.c2cLinks) * linkRate));
  for (int64_t s = 0; s + 1 < stages; ++s) {
    int64_t hops = std::numeric_limits<int64_t>::max();
    for (int64_t a = s * group; a < std::min((s + 1) * group, layout.chips); ++a)
      for (int64_t c = (s + 1) * group;
           c < std::min((s + 2) * group, layout.chips); ++c)
        hops = std::min(hops, target.hopsBetween(a, c));
    bound.handoffs += lastVectorCycles + transferLatencyCycles(target, hops);
  }
  return bound;
}
