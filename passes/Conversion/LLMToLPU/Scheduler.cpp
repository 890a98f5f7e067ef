//===- Scheduler.cpp - static list scheduling of a model on LPU chips -----===//

#include "Scheduler.h"

#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Target/LPU/CostModel.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::lpu;

std::string mlir::llm::lpu::kvCacheName(int64_t layer) {
  return "model.layers." + std::to_string(layer) + ".kv_cache";
}

namespace {
/// A column range [begin, end) of an activation, resident on `chip` from
/// cycle `ready`.
struct Piece {
  Value value;
  int64_t chip, begin, end, ready;
};

/// An activation [tokens, width]: the pieces it was produced as, and the
/// copies gathered onto other chips so far.
struct Activation {
  int64_t width = 0;
  llvm::SmallVector<Piece> pieces;
  std::map<int64_t, llvm::SmallVector<Piece>> onChip;
};

/// When each functional unit of a chip is next free.
struct ChipUnits {
  int64_t mxm = 0, vxm = 0, sxm = 0;
  llvm::SmallVector<int64_t> links;
};

class Scheduler {
public:
  Scheduler(const PlanContext &plan, ScheduleOp schedule)
      : plan(plan), target(plan.target), schedule(schedule),
        builder(schedule.getBody().front().getParentOp()->getContext()),
        tokens(schedule.getTokens()), context(schedule.getContext()) {
    builder.setInsertionPointToEnd(&schedule.getBody().front());
    for (unsigned m = 0; m < target.mxmCount; ++m)
      allMxm.push_back(m);
  }

  LogicalResult run(func::FuncOp func);

private:
  // --- resources ----------------------------------------------------------
  ChipUnits &units(int64_t chip) {
    ChipUnits &u = chipUnits[chip];
    if (u.links.empty())
      u.links.assign(target.c2cLinks, 0);
    return u;
  }

  /// The link of chip `from` that leads towards chip `to`: a direct local
  /// link within a node, else one of the global links.
  int64_t linkTowards(int64_t from, int64_t to) const {
    int64_t n = target.chipsPerNode;
    if (from / n == to / n) {
      int64_t local = to % n;
      return local < from % n ? local : local - 1;
    }
    int64_t global = target.c2cLinks - (n - 1);
    return (n - 1) + (to / n) % std::max<int64_t>(global, 1);
  }

  RankedTensorType activationType(int64_t width) {
    return RankedTensorType::get({tokens, width}, builder.getF16Type());
  }

  DenseI64ArrayAttr indices(ArrayRef<int64_t> list) {
    return builder.getDenseI64ArrayAttr(list);
  }

  // --- activations --------------------------------------------------------
  /// The pieces of `act` on `chip`, transferring those that are elsewhere.
  llvm::SmallVector<Piece> &gather(Activation &act, int64_t chip) {
    auto it = act.onChip.find(chip);
    if (it != act.onChip.end())
      return it->second;
    llvm::SmallVector<Piece> local;
    for (const Piece &piece : act.pieces)
      local.push_back(piece.chip == chip ? piece
                                         : transfer(nearestCopy(act, piece, chip),
                                                    chip));
    return act.onChip[chip] = std::move(local);
  }

  /// Where `chip` should receive `piece` of `act` from: a copy already sent
  /// to another chip of `chip`'s node (one hop over a local link), when the
  /// piece comes from another node; else the piece itself. A fan-out to the
  /// chips of another node then crosses the global link once and spreads
  /// inside the node, instead of queueing every copy on one global link.
  Piece nearestCopy(const Activation &act, const Piece &piece,
                    int64_t chip) const {
    int64_t n = target.chipsPerNode;
    if (piece.chip / n == chip / n)
      return piece;
    const Piece *best = nullptr;
    // The chips of `chip`'s node, in order (onChip is ordered by chip).
    int64_t node = chip / n;
    for (auto it = act.onChip.lower_bound(node * n),
              end = act.onChip.lower_bound((node + 1) * n);
         it != end; ++it) {
      const auto &[other, pieces] = *it;
      if (other == chip)
        continue;
      for (const Piece &copy : pieces)
        if (copy.chip == other && copy.begin == piece.begin &&
            copy.end == piece.end && (!best || copy.ready < best->ready))
          best = &copy;
    }
    return best ? *best : piece;
  }

  Piece transfer(const Piece &piece, int64_t to) {
    int64_t link = linkTowards(piece.chip, to);
    int64_t &free = units(piece.chip).links[link];
    int64_t start = std::max(piece.ready, free);
    int64_t bytes = tokens * (piece.end - piece.begin) * 2;
    // The link is busy while the bytes go out; the hops add latency, not
    // occupancy (the next transfer follows on the link meanwhile).
    int64_t occupancy = transferCycles(target, bytes, /*hops=*/0);
    int64_t latency =
        bytes > 0 ? hopCycles(target, target.hopsBetween(piece.chip, to)) : 0;
    auto op = TransferOp::create(
        builder, loc(), piece.value.getType(), piece.value, to, piece.chip,
        start, occupancy, DenseI64ArrayAttr(), DenseI64ArrayAttr(),
        DenseI64ArrayAttr(), indices({link}),
        latency > 0 ? builder.getI64IntegerAttr(latency) : IntegerAttr());
    free = start + occupancy;
    return {op.getResult(), to, piece.begin, piece.end, free + latency};
  }

  static llvm::SmallVector<Value> values(ArrayRef<Piece> pieces) {
    llvm::SmallVector<Value> out;
    for (const Piece &p : pieces)
      out.push_back(p.value);
    return out;
  }

  static int64_t readyAll(ArrayRef<Piece> pieces) {
    int64_t ready = 0;
    for (const Piece &p : pieces)
      ready = std::max(ready, p.ready);
    return ready;
  }

  /// The chip holding most of `act`'s columns.
  static int64_t homeChip(const Activation &act) {
    std::map<int64_t, int64_t> columns;
    for (const Piece &p : act.pieces)
      columns[p.chip] += p.end - p.begin;
    return std::max_element(columns.begin(), columns.end(),
                            [](auto &a, auto &b) { return a.second < b.second; })
        ->first;
  }

  Location loc() { return schedule.getLoc(); }

  // --- ops ----------------------------------------------------------------
  /// Vector work of `elements` elements on the VXM of `chip` (and its
  /// switch unit when `shifts`), reading `inputs`.
  Piece vectorWork(StringRef kind, ArrayRef<Piece> inputs, int64_t chip,
                   int64_t width, double opsPerElement, int64_t reductions,
                   bool shifts, FlatSymbolRefAttr weights = nullptr,
                   int64_t begin = 0, int64_t end = -1) {
    ChipUnits &u = units(chip);
    int64_t start = std::max({readyAll(inputs), u.vxm, shifts ? u.sxm : 0});
    int64_t duration =
        vectorCycles(target, tokens * width, opsPerElement, reductions);
    auto op = VectorOp::create(
        builder, loc(), activationType(width), values(inputs), kind, weights,
        chip, start, duration, DenseI64ArrayAttr(), indices({0}),
        shifts ? indices({0}) : DenseI64ArrayAttr(), DenseI64ArrayAttr());
    u.vxm = start + duration;
    if (shifts)
      u.sxm = start + duration;
    return {op.getResult(), chip, begin, end < 0 ? width : end,
            start + duration};
  }

  /// The RMS norm of `x` (gathered) on `chip`'s vector units, with the
  /// norm's resident weights, if any.
  Activation rmsNorm(Activation &x, int64_t chip,
                     FlatSymbolRefAttr weights = nullptr) {
    Activation out;
    out.width = x.width;
    out.pieces.push_back(vectorWork("rms_norm", gather(x, chip), chip, x.width,
                                    vector_ops::kRMSNorm, 1, true, weights));
    return out;
  }

  /// Elementwise work over `operands`: piece by piece where all operands
  /// are split the same way (and `pieceable`), else on the chip holding most
  /// of the first operand.
  Activation elementwise(StringRef kind, ArrayRef<Activation *> operands,
                         double opsPerElement, bool shifts, bool pieceable) {
    Activation out;
    out.width = operands.front()->width;
    auto sameSplit = [&] {
      for (Activation *a : operands.drop_front()) {
        if (a->pieces.size() != operands.front()->pieces.size())
          return false;
        for (auto [p, q] : llvm::zip(a->pieces, operands.front()->pieces))
          if (p.chip != q.chip || p.begin != q.begin || p.end != q.end)
            return false;
      }
      return true;
    };
    if (pieceable && sameSplit()) {
      for (unsigned i = 0; i < operands.front()->pieces.size(); ++i) {
        llvm::SmallVector<Piece> inputs;
        for (Activation *a : operands)
          inputs.push_back(a->pieces[i]);
        const Piece &first = inputs.front();
        out.pieces.push_back(vectorWork(kind, inputs, first.chip,
                                        first.end - first.begin, opsPerElement,
                                        0, shifts, nullptr, first.begin,
                                        first.end));
      }
      return out;
    }
    // On the chip of the operand produced last (a residual add follows the
    // layer's output onto its stage's chips instead of pulling every
    // layer's output back to where the residual stream started).
    Activation *latest = operands.front();
    auto readyOf = [](const Activation *a) {
      int64_t ready = 0;
      for (const Piece &p : a->pieces)
        ready = std::max(ready, p.ready);
      return ready;
    };
    for (Activation *a : operands.drop_front())
      if (readyOf(a) > readyOf(latest))
        latest = a;
    int64_t chip = homeChip(*latest);
    llvm::SmallVector<Piece> inputs;
    for (Activation *a : operands)
      llvm::append_range(inputs, gather(*a, chip));
    out.pieces.push_back(
        vectorWork(kind, inputs, chip, out.width, opsPerElement, 0, shifts));
    return out;
  }

  const std::vector<Shard> &shardsOf(StringRef name, unsigned &index) {
    index = plan.tensorIndex.lookup(name);
    return plan.layout.shards[index];
  }

  LogicalResult emit(Operation *op);

  const PlanContext &plan;
  const TargetDescription &target;
  ScheduleOp schedule;
  OpBuilder builder;
  int64_t tokens, context;
  llvm::SmallVector<int64_t> allMxm;
  std::map<int64_t, ChipUnits> chipUnits;
  llvm::DenseMap<Value, Activation> activations;
};
} // namespace

std::string mlir::llm::lpu::paramName(Value v) {
  return weightLayerName(v);
}

LogicalResult Scheduler::emit(Operation *op) {
  auto activation = [&](Value v) -> Activation * {
    auto it = activations.find(v);
    return it == activations.end() ? nullptr : &it->second;
  };
  auto missing = [&](Value v) {
    return op->emitOpError("llm-tile-lpu: operand ")
           << v << " is not an activation the plan knows";
  };

  if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
    unsigned index;
    const auto &shards = shardsOf(paramName(embedding.getTable()), index);
    Activation out;
    out.width = embedding.getType().getDimSize(1);
    for (unsigned s = 0; s < shards.size(); ++s) {
      const Shard &shard = shards[s];
      out.pieces.push_back(vectorWork(
          "embedding", {}, shard.chip, shard.end - shard.begin, 1, 0, false,
          plan.shardSymbols[index][s], shard.begin, shard.end));
    }
    activations[embedding.getResult()] = std::move(out);
    return success();
  }

  if (auto norm = dyn_cast<RMSNormOp>(op)) {
    Activation *x = activation(norm.getInput());
    if (!x)
      return missing(norm.getInput());
    unsigned index;
    const auto &shards = shardsOf(paramName(norm.getWeight()), index);
    // A norm weight is one stripe: the norm runs where it lives.
    activations[norm.getResult()] =
        rmsNorm(*x, shards.front().chip, plan.shardSymbols[index][0]);
    return success();
  }

  if (isa<llm::MatmulOp, llm::MatmulInt4Op>(op)) {
    Value input = op->getOperand(0);
    Activation *x = activation(input);
    if (!x)
      return missing(input);
    // The resident tensor: the weight parameter (a table tied to the
    // embedding is resident a second time, striped by rows), or the source
    // of an INT4 layer's packs.
    std::string name;
    int64_t groupSize = plan.groupSize;
    if (auto int4 = dyn_cast<llm::MatmulInt4Op>(op)) {
      name = paramName(int4.getQweight());
      groupSize = int4.getGroupSize();
    } else {
      name = paramName(op->getOperand(1));
      auto it = plan.tensorIndex.find(name);
      if (it != plan.tensorIndex.end() &&
          plan.tensors[it->second].stripeDim != 0)
        name += "#lm_head";
    }
    unsigned index;
    const auto &shards = shardsOf(name, index);
    unsigned bits = plan.tensors[index].bits;
    // A norm folded into the layer (rms_norm_eps): the inverse RMS of the
    // input rows is a reduction on the vector units of the layer's first
    // chip, where the unfused norm ran, before the matmuls (the norm's
    // weight is in the matmuls' weights).
    Activation normalized;
    if (op->hasAttr("rms_norm_eps")) {
      normalized = rmsNorm(*x, shards.front().chip);
      x = &normalized;
    }
    Activation out;
    out.width = cast<RankedTensorType>(op->getResult(0).getType()).getDimSize(1);
    for (unsigned s = 0; s < shards.size(); ++s) {
      const Shard &shard = shards[s];
      llvm::SmallVector<Piece> inputs = gather(*x, shard.chip);
      MatmulCost cost =
          matmulCost(target, tokens, x->width, shard.end - shard.begin, bits,
                     target.memorySlices, groupSize);
      ChipUnits &u = units(shard.chip);
      bool vector = cost.usesVectorUnits();
      int64_t start =
          std::max({readyAll(inputs), u.mxm, vector ? u.vxm : int64_t(0)});
      auto mm = lpu::MatmulOp::create(
          builder, loc(), activationType(shard.end - shard.begin),
          values(inputs), plan.shardSymbols[index][s].getValue(), shard.chip, start,
          cost.cycles, indices(allMxm),
          vector ? indices({0}) : DenseI64ArrayAttr(), DenseI64ArrayAttr(),
          DenseI64ArrayAttr());
      u.mxm = start + cost.cycles;
      if (vector)
        u.vxm = start + cost.cycles;
      out.pieces.push_back({mm.getResult(), shard.chip, shard.begin,
                            shard.end, start + cost.cycles});
    }
    activations[op->getResult(0)] = std::move(out);
    return success();
  }

  if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
    Activation *q = activation(attention.getQuery());
    Activation *k = activation(attention.getKey());
    Activation *v = activation(attention.getValue());
    if (!q || !k || !v)
      return op->emitOpError("llm-tile-lpu: attention inputs are unknown");
    unsigned index;
    const auto &shards =
        shardsOf(kvCacheName(*attention.getLayer()), index);
    int64_t headDim = attention.getHeadDim();
    int64_t group = attention.getNumHeads() / attention.getNumKvHeads();
    Activation out;
    out.width = q->width;
    for (unsigned s = 0; s < shards.size(); ++s) {
      const Shard &shard = shards[s];
      int64_t heads = shard.end - shard.begin;
      llvm::SmallVector<Piece> queries = gather(*q, shard.chip);
      llvm::SmallVector<Piece> keys = gather(*k, shard.chip);
      if (attention.getRopeThetaAttr()) {
        // The attention block rotates its shard's query and key heads on
        // the chip that holds the shard's cache.
        queries = {vectorWork("rope", queries, shard.chip,
                              heads * group * headDim, vector_ops::kRope, 0,
                              true)};
        keys = {vectorWork("rope", keys, shard.chip, heads * headDim,
                           vector_ops::kRope, 0, true)};
      }
      llvm::SmallVector<Piece> inputs = std::move(queries);
      llvm::append_range(inputs, keys);
      llvm::append_range(inputs, gather(*v, shard.chip));
      int64_t cycles = attentionCycles(target, tokens, group, heads, headDim,
                                       context, target.memorySlices);
      ChipUnits &u = units(shard.chip);
      int64_t start = std::max({readyAll(inputs), u.mxm, u.vxm});
      int64_t width = heads * group * headDim;
      auto att = lpu::AttentionOp::create(
          builder, loc(), activationType(width), values(inputs),
          plan.shardSymbols[index][s].getValue(), shard.begin, heads, shard.chip, start,
          cycles, indices(allMxm), indices({0}), DenseI64ArrayAttr(),
          DenseI64ArrayAttr());
      u.mxm = u.vxm = start + cycles;
      out.pieces.push_back({att.getResult(), shard.chip,
                            shard.begin * group * headDim,
                            shard.end * group * headDim, start + cycles});
    }
    activations[attention.getOutput()] = std::move(out);
    return success();
  }

  if (auto rope = dyn_cast<RopeOp>(op)) {
    Activation *x = activation(rope.getInput());
    if (!x)
      return missing(rope.getInput());
    // Rotate-half pairs columns across a head: not split by pieces.
    activations[rope.getResult()] =
        elementwise("rope", {x}, vector_ops::kRope, true, false);
    return success();
  }

  if (auto silu = dyn_cast<SiLUOp>(op)) {
    Activation *x = activation(silu.getInput());
    if (!x)
      return missing(silu.getInput());
    activations[silu.getResult()] =
        elementwise("silu", {x}, vector_ops::kSiluMul - 1, false, true);
    return success();
  }

  if (auto biasAdd = dyn_cast<BiasAddOp>(op)) {
    Activation *x = activation(biasAdd.getInput());
    if (!x)
      return missing(biasAdd.getInput());
    // Each piece adds its columns of the (resident) bias on its own chip.
    activations[biasAdd.getResult()] =
        elementwise("bias_add", {x}, vector_ops::kAdd, false, true);
    return success();
  }

  if (isa<AddOp, MulOp>(op)) {
    Activation *a = activation(op->getOperand(0));
    Activation *b = activation(op->getOperand(1));
    if (!a || !b)
      return missing(a ? op->getOperand(1) : op->getOperand(0));
    bool add = isa<AddOp>(op);
    activations[op->getResult(0)] =
        elementwise(add ? "add" : "mul", {a, b},
                    add ? vector_ops::kAdd : vector_ops::kMul, false, true);
    return success();
  }

  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    // Columns [begin, end) of a fused projection's output: the pieces
    // inside are reused, the ones across a boundary narrowed on the VXM.
    Activation *x = activation(slice.getSource());
    auto offsets = slice.getStaticOffsets();
    auto strides = slice.getStaticStrides();
    if (!x || slice.getSourceType().getRank() != 2 || offsets[0] != 0 ||
        ShapedType::isDynamic(offsets[1]) ||
        llvm::any_of(strides, [](int64_t s) { return s != 1; }))
      return op->emitOpError("llm-tile-lpu: only column slices of an "
                             "activation map to the LPU");
    int64_t begin = offsets[1];
    int64_t end = begin + slice.getType().getDimSize(1);
    Activation out;
    out.width = end - begin;
    for (const Piece &piece : x->pieces) {
      int64_t lo = std::max(begin, piece.begin), hi = std::min(end, piece.end);
      if (lo >= hi)
        continue;
      if (lo == piece.begin && hi == piece.end) {
        out.pieces.push_back({piece.value, piece.chip, lo - begin, hi - begin,
                              piece.ready});
        continue;
      }
      Piece narrowed = vectorWork("select", {piece}, piece.chip, hi - lo, 1, 0,
                                  false, nullptr, lo - begin, hi - begin);
      out.pieces.push_back(narrowed);
    }
    activations[slice.getResult()] = std::move(out);
    return success();
  }

  if (isa<ParamOp, ScaleColumnsOp, QuantizeInt4Op, RepackAwqOp, RepackQ4_0Op,
          tensor::ConcatOp, func::ReturnOp, tensor::DimOp>(op))
    return success();
  return op->emitOpError("llm-tile-lpu: no LPU mapping for this operation");
}

LogicalResult Scheduler::run(func::FuncOp func) {
  for (Operation &op : func.getBody().front())
    if (failed(emit(&op)))
      return failure();
  return success();
}

LogicalResult mlir::llm::lpu::emitSchedule(const PlanContext &plan,
                                           func::FuncOp func,
                                           ScheduleOp schedule) {
  return Scheduler(plan, schedule).run(func);
}
