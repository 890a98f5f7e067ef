//===- Scheduler.cpp - static list scheduling of a model on LPU chips -----===//

#include "Scheduler.h"

#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Target/LPU/CostModel.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <limits>
#include <map>

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::lpu;

std::string mlir::llm::lpu::kvCacheName(int64_t layer) {
  return "model.layers." + std::to_string(layer) + ".kv_cache";
}

namespace {
/// Columns [begin, end) of an activation, resident on `chip` from cycle
/// `ready`; `value` holds exactly those columns.
struct Piece {
  Value value;
  int64_t chip, begin, end, ready;
};

/// An activation [tokens, width]: the pieces it was produced as (a
/// partition of its columns), and every copy of any of its columns resident
/// on each chip (the produced pieces included).
struct Activation {
  int64_t width = 0;
  llvm::SmallVector<Piece> pieces;
  std::map<int64_t, llvm::SmallVector<Piece>> onChip;

  void produce(const Piece &piece) {
    pieces.push_back(piece);
    onChip[piece.chip].push_back(piece);
  }
  /// A copy of all columns produced on `piece.chip` (replicated work).
  void copy(const Piece &piece) { onChip[piece.chip].push_back(piece); }
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

  // --- moving activations -------------------------------------------------
  /// Bytes of `columns` columns of an activation.
  int64_t bytesOf(int64_t columns) const { return tokens * columns * 2; }

  /// When columns [begin, end) of `from` start and stop using a link that
  /// is free from `free`: after they are all ready; or, for a matmul's
  /// result still leaving the array, streamed as its vectors come out (from
  /// the first column tile's results on, and no earlier than the last
  /// vector can follow its results).
  struct Window {
    int64_t start, end;
    bool streamed;
  };
  Window window(const Piece &from, int64_t begin, int64_t end, int64_t free) {
    int64_t bytes = bytesOf(end - begin);
    int64_t occupancy = transferCycles(target, bytes, /*hops=*/0);
    auto matmul = from.value.getDefiningOp<lpu::MatmulOp>();
    int64_t normal = std::max(from.ready, free);
    if (matmul && bytes > 0) {
      // The column tiles leave the array in order: the range can start once
      // the tile holding its first column has.
      int64_t width = from.end - from.begin;
      int64_t tiles = llvm::divideCeil(width, target.mxmCols);
      int64_t firstTile = (begin - from.begin) / target.mxmCols;
      int64_t first = static_cast<int64_t>(matmul.getStart()) +
                      static_cast<int64_t>(matmul.getDuration()) *
                          (firstTile + 1) / tiles +
                      matmul.getLatencyCycles();
      int64_t lastVector = transferCycles(
          target, bytesOf(std::min<int64_t>(end - begin, target.lanes)), 0);
      int64_t start = std::max(first, free);
      int64_t stop = std::max(start + occupancy, from.ready + lastVector);
      if (start < normal && stop < normal + occupancy)
        return {start, stop, true};
    }
    return {normal, normal + occupancy, false};
  }

  /// The cycle columns [begin, end) of `from` would arrive on `to`.
  int64_t arrival(const Piece &from, int64_t begin, int64_t end,
                  int64_t to) {
    int64_t free = units(from.chip).links[linkTowards(from.chip, to)];
    return window(from, begin, end, free).end +
           transferLatencyCycles(target, target.hopsBetween(from.chip, to));
  }

  /// Sends columns [begin, end) of `from` (which holds them) to chip `to`.
  Piece transfer(const Piece &from, int64_t begin, int64_t end, int64_t to) {
    int64_t link = linkTowards(from.chip, to);
    int64_t &free = units(from.chip).links[link];
    // The link is busy while the bytes go out; the hops and aligning with
    // the receiver add latency, not occupancy (the next transfer follows on
    // the link meanwhile).
    Window w = window(from, begin, end, free);
    int64_t latency =
        bytesOf(end - begin) > 0
            ? transferLatencyCycles(target, target.hopsBetween(from.chip, to))
            : 0;
    bool whole = begin == from.begin && end == from.end;
    auto op = TransferOp::create(
        builder, loc(), activationType(end - begin), from.value, to,
        from.chip, w.start, w.end - w.start, DenseI64ArrayAttr(),
        DenseI64ArrayAttr(), DenseI64ArrayAttr(), indices({link}),
        latency > 0 ? builder.getI64IntegerAttr(latency) : IntegerAttr(),
        whole ? IntegerAttr() : builder.getI64IntegerAttr(begin - from.begin),
        w.streamed);
    free = w.end;
    return {op.getResult(), to, begin, end, w.end + latency};
  }

  /// The local copy on `chip` holding column `column` that reaches furthest.
  static const Piece *localCopy(const Activation &act, int64_t chip,
                                int64_t column) {
    auto it = act.onChip.find(chip);
    if (it == act.onChip.end())
      return nullptr;
    const Piece *best = nullptr;
    for (const Piece &p : it->second)
      if (p.begin <= column && column < p.end && (!best || p.end > best->end))
        best = &p;
    return best;
  }

  /// Brings columns [begin, end) of `act` onto `chip`, where none of them
  /// is yet: each produced piece's share is sent from whichever copy of it
  /// arrives first (a copy already in `chip`'s node is one local hop away
  /// when the piece was produced in another node). When several chips hold
  /// copies, a wide range is striped over them, each sending part over its
  /// own links.
  void fetch(Activation &act, int64_t begin, int64_t end, int64_t chip) {
    for (const Piece produced : llvm::SmallVector<Piece>(act.pieces)) {
      int64_t lo = std::max(begin, produced.begin);
      int64_t hi = std::min(end, produced.end);
      if (lo >= hi)
        continue;
      // Copies that hold all of [lo, hi), at most one per chip.
      llvm::SmallVector<const Piece *> sources;
      for (auto &[other, copies] : act.onChip) {
        if (other == chip)
          continue;
        const Piece *best = nullptr;
        for (const Piece &p : copies)
          if (p.begin <= lo && hi <= p.end && (!best || p.ready < best->ready))
            best = &p;
        if (best)
          sources.push_back(best);
      }
      // In the order they would deliver the whole range (each arrival
      // computed once).
      llvm::SmallVector<std::pair<int64_t, const Piece *>> byArrival;
      for (const Piece *s : sources)
        byArrival.push_back({arrival(*s, lo, hi, chip), s});
      llvm::sort(byArrival, [](const auto &a, const auto &b) {
        return a.first < b.first;
      });
      for (auto [i, entry] : llvm::enumerate(byArrival))
        sources[i] = entry.second;
      // Stripe over the sources in the order they would deliver, in
      // parts of at least one vector of lanes, over as many as finish
      // soonest.
      int64_t most = std::clamp<int64_t>((hi - lo) / target.lanes, 1,
                                         std::max<size_t>(sources.size(), 1));
      int64_t parts = 1, soonest = std::numeric_limits<int64_t>::max();
      for (int64_t k = 1; k <= most; ++k) {
        int64_t done = 0;
        for (int64_t p = 0; p < k; ++p)
          done = std::max(done, arrival(*sources[p], lo + (hi - lo) * p / k,
                                        lo + (hi - lo) * (p + 1) / k, chip));
        if (done < soonest)
          soonest = done, parts = k;
      }
      llvm::SmallVector<Piece> arrived;
      for (int64_t p = 0; p < parts; ++p) {
        int64_t a = lo + (hi - lo) * p / parts;
        int64_t b = lo + (hi - lo) * (p + 1) / parts;
        arrived.push_back(transfer(*sources[p], a, b, chip));
      }
      for (const Piece &piece : arrived)
        act.onChip[chip].push_back(piece);
    }
  }

  /// Pieces on `chip` that together hold columns [begin, end) of `act`
  /// (some may hold more), fetching what is missing.
  llvm::SmallVector<Piece> gather(Activation &act, int64_t chip,
                                  int64_t begin = 0, int64_t end = -1) {
    if (end < 0)
      end = act.width;
    // What is missing, as ranges.
    llvm::SmallVector<std::pair<int64_t, int64_t>> missing;
    for (int64_t column = begin; column < end;) {
      if (const Piece *local = localCopy(act, chip, column)) {
        column = local->end;
        continue;
      }
      int64_t next = end;
      if (auto it = act.onChip.find(chip); it != act.onChip.end())
        for (const Piece &p : it->second)
          if (p.begin > column)
            next = std::min(next, p.begin);
      missing.push_back({column, next});
      column = next;
    }
    for (auto [lo, hi] : missing)
      fetch(act, lo, hi, chip);
    llvm::SmallVector<Piece> out;
    for (int64_t column = begin; column < end;) {
      const Piece *local = localCopy(act, chip, column);
      assert(local && "fetched columns must be local");
      out.push_back(*local);
      column = local->end;
    }
    return out;
  }

  /// Exactly columns [begin, end) on `chip`, as pieces that tile them
  /// (what a matmul's input must be): a local piece that holds more is
  /// narrowed on the vector units.
  llvm::SmallVector<Piece> gatherExact(Activation &act, int64_t chip,
                                       int64_t begin, int64_t end) {
    llvm::SmallVector<Piece> out;
    for (const Piece &p : gather(act, chip, begin, end)) {
      int64_t lo = std::max(begin, p.begin), hi = std::min(end, p.end);
      out.push_back(lo == p.begin && hi == p.end
                        ? p
                        : vectorWork("select", {p}, chip, hi - lo, 1, 0, false,
                                     nullptr, lo, hi));
    }
    return out;
  }

  /// Brings the whole of `act` onto every chip of `chips`: each piece goes
  /// directly to the chips of its own node, and to another node once, to
  /// one of its chips (the pieces spread over the receiving chips), from
  /// which that node's other chips take it over their local links.
  void multicast(Activation &act, ArrayRef<int64_t> chips) {
    int64_t n = target.chipsPerNode;
    for (unsigned i = 0; i < act.pieces.size(); ++i) {
      Piece piece = act.pieces[i];
      std::map<int64_t, llvm::SmallVector<int64_t>> byNode;
      for (int64_t chip : chips) {
        const Piece *local = localCopy(act, chip, piece.begin);
        if (!local || local->end < piece.end)
          byNode[chip / n].push_back(chip);
      }
      for (auto &[node, dests] : byNode) {
        if (node != piece.chip / n && dests.size() > 1)
          std::rotate(dests.begin(), dests.begin() + i % dests.size(),
                      dests.end());
        for (int64_t chip : dests)
          gather(act, chip, piece.begin, piece.end);
      }
    }
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

  /// The chips that will read `v`: those of the weights of the matmuls
  /// and of the caches of the attention that use it.
  llvm::SmallVector<int64_t> readers(Value v) {
    llvm::SmallVector<int64_t> chips;
    for (Operation *user : v.getUsers()) {
      std::optional<unsigned> index;
      if (isa<llm::MatmulOp, llm::MatmulInt4Op>(user))
        index = residentOf(user);
      else if (auto attention = dyn_cast<llm::AttentionOp>(user))
        index = plan.tensorIndex.lookup(kvCacheName(*attention.getLayer()));
      if (!index)
        continue;
      for (const Shard &shard : plan.layout.shards[*index])
        if (!llvm::is_contained(chips, shard.chip))
          chips.push_back(shard.chip);
    }
    return chips;
  }

  /// The RMS norm of `x` with the resident (replicated) weights `index`:
  /// computed on every chip that holds a copy of the weights and reads the
  /// result (each gathers the whole input), or on the weights' first chip
  /// when none of them reads it.
  Activation rmsNorm(Activation &x, unsigned index, Value result) {
    llvm::SmallVector<int64_t> want = readers(result);
    llvm::SmallVector<std::pair<int64_t, unsigned>> on; // chip, shard
    const auto &shards = plan.layout.shards[index];
    for (unsigned s = 0; s < shards.size(); ++s)
      if (llvm::is_contained(want, shards[s].chip))
        on.push_back({shards[s].chip, s});
    if (on.empty())
      on.push_back({shards.front().chip, 0});
    llvm::SmallVector<int64_t> chips;
    for (auto [chip, s] : on)
      chips.push_back(chip);
    multicast(x, chips);
    Activation out;
    out.width = x.width;
    for (auto [chip, s] : on) {
      Piece piece = vectorWork("rms_norm", gather(x, chip), chip, x.width,
                               vector_ops::kRMSNorm, 1, true,
                               plan.shardSymbols[index][s]);
      if (out.pieces.empty())
        out.produce(piece);
      else
        out.copy(piece);
    }
    return out;
  }

  /// Elementwise work over `operands`: piece by piece where all operands
  /// are split the same way (and `pieceable`); else, when `pieceable`,
  /// piece by piece along the operand produced last (the others' columns
  /// fetched to each piece's chip: a residual add follows the layer's
  /// output onto its stage's chips, where the stream's copies already are);
  /// else on the chip holding most of that operand. `align`: the pieces
  /// must start and end on multiples of it (a head, for rotary embeddings).
  Activation elementwise(StringRef kind, ArrayRef<Activation *> operands,
                         double opsPerElement, bool shifts, bool pieceable,
                         int64_t align = 1) {
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
        out.produce(vectorWork(kind, inputs, first.chip,
                               first.end - first.begin, opsPerElement, 0,
                               shifts, nullptr, first.begin, first.end));
      }
      return out;
    }
    Activation *latest = operands.front();
    auto readyOf = [](const Activation *a) { return readyAll(a->pieces); };
    for (Activation *a : operands.drop_front())
      if (readyOf(a) > readyOf(latest))
        latest = a;
    bool aligned = llvm::all_of(latest->pieces, [&](const Piece &p) {
      return p.begin % align == 0 && (p.end % align == 0 || p.end == out.width);
    });
    if (pieceable && aligned && latest->pieces.size() > 1) {
      for (const Piece piece : llvm::SmallVector<Piece>(latest->pieces)) {
        llvm::SmallVector<Piece> inputs;
        for (Activation *a : operands)
          llvm::append_range(inputs, a == latest
                                         ? llvm::SmallVector<Piece>{piece}
                                         : gather(*a, piece.chip, piece.begin,
                                                  piece.end));
        out.produce(vectorWork(kind, inputs, piece.chip,
                               piece.end - piece.begin, opsPerElement, 0,
                               shifts, nullptr, piece.begin, piece.end));
      }
      return out;
    }
    int64_t chip = homeChip(*latest);
    llvm::SmallVector<Piece> inputs;
    for (Activation *a : operands)
      llvm::append_range(inputs, gather(*a, chip));
    out.produce(
        vectorWork(kind, inputs, chip, out.width, opsPerElement, 0, shifts));
    return out;
  }

  /// Partial sums of the whole output on several chips (a row-parallel
  /// matmul's), reduced and scattered: each chip sums one range of the
  /// columns, receiving that range of every other partial over its links.
  Activation reduceScatter(ArrayRef<Piece> partials, int64_t width) {
    Activation out;
    out.width = width;
    if (partials.size() == 1) {
      out.produce(partials.front());
      return out;
    }
    int64_t parts = partials.size();
    for (int64_t i = 0; i < parts; ++i) {
      int64_t begin = width * i / parts, end = width * (i + 1) / parts;
      // Each chip sends its ranges in turn starting after its own, so that
      // the ranges to different chips go out on different links at once.
      llvm::SmallVector<Piece> inputs{partials[i]};
      for (int64_t k = 1; k < parts; ++k)
        inputs.push_back(
            transfer(partials[(i + k) % parts], begin, end, partials[i].chip));
      out.produce(vectorWork("add", inputs, partials[i].chip, end - begin,
                             double(parts - 1), 0, false, nullptr, begin,
                             end));
    }
    return out;
  }

  /// The resident tensor a matmul streams (residentWeights).
  unsigned residentOf(Operation *op) {
    return residentWeights(op, plan.tensorIndex, plan.tensors).value_or(0);
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

std::string mlir::llm::lpu::linearWeightName(Operation *op) {
  if (auto matmul = dyn_cast<llm::MatmulOp>(op))
    return paramName(matmul.getWeight());
  if (auto matmul = dyn_cast<llm::MatmulInt4Op>(op))
    return paramName(matmul.getQweight());
  return {};
}

std::optional<unsigned> mlir::llm::lpu::residentWeights(
    Operation *op, const llvm::StringMap<unsigned> &index,
    const std::vector<ResidentTensor> &tensors) {
  std::string name = linearWeightName(op);
  auto it = index.find(name);
  if (it == index.end())
    return std::nullopt;
  if (tensors[it->second].streamed)
    return it->second;
  auto head = index.find(lmHeadResidencyName(name));
  return head == index.end() ? std::nullopt
                             : std::optional<unsigned>(head->second);
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
      out.produce(vectorWork("embedding", {}, shard.chip,
                             shard.end - shard.begin, 1, 0, false,
                             plan.shardSymbols[index][s], shard.begin,
                             shard.end));
    }
    activations[embedding.getResult()] = std::move(out);
    return success();
  }

  if (auto norm = dyn_cast<RMSNormOp>(op)) {
    Activation *x = activation(norm.getInput());
    if (!x)
      return missing(norm.getInput());
    unsigned index = plan.tensorIndex.lookup(paramName(norm.getWeight()));
    activations[norm.getResult()] = rmsNorm(*x, index, norm.getResult());
    return success();
  }

  if (isa<llm::MatmulOp, llm::MatmulInt4Op>(op)) {
    Value input = op->getOperand(0);
    Activation *x = activation(input);
    if (!x)
      return missing(input);
    unsigned index = residentOf(op);
    const ResidentTensor &tensor = plan.tensors[index];
    const auto &shards = plan.layout.shards[index];
    int64_t groupSize = plan.groupSize;
    if (auto int4 = dyn_cast<llm::MatmulInt4Op>(op))
      groupSize = int4.getGroupSize();
    int64_t outWidth =
        cast<RankedTensorType>(op->getResult(0).getType()).getDimSize(1);
    // A norm folded into the layer (rms_norm_eps): the inverse RMS of the
    // whole input rows, a reduction on the vector units of each chip of the
    // layer, before its matmuls (the norm's weight is in the weights).
    bool folded = op->hasAttr("rms_norm_eps");
    llvm::SmallVector<int64_t> chips;
    for (const Shard &shard : shards)
      if (!llvm::is_contained(chips, shard.chip))
        chips.push_back(shard.chip);
    if (folded)
      multicast(*x, chips);
    std::map<int64_t, Piece> normalized;
    bool rowParallel = tensor.stripeDim == 1;
    llvm::SmallVector<Piece> results;
    for (unsigned s = 0; s < shards.size(); ++s) {
      const Shard &shard = shards[s];
      // Column-parallel: the whole input, for output columns [begin, end);
      // row-parallel: input columns [begin, end), for all output columns.
      int64_t inBegin = rowParallel ? shard.begin : 0;
      int64_t inEnd = rowParallel ? shard.end : x->width;
      int64_t cols = rowParallel ? outWidth : shard.end - shard.begin;
      llvm::SmallVector<Piece> inputs;
      if (folded) {
        auto it = normalized.find(shard.chip);
        if (it == normalized.end())
          it = normalized
                   .insert({shard.chip,
                            vectorWork("rms_norm", gather(*x, shard.chip),
                                       shard.chip, x->width,
                                       vector_ops::kRMSNorm, 1, true)})
                   .first;
        inputs.push_back(it->second);
      } else {
        inputs = gatherExact(*x, shard.chip, inBegin, inEnd);
      }
      MatmulCost cost = matmulCost(target, tokens, inEnd - inBegin, cols,
                                   tensor.bits, target.memorySlices, groupSize);
      ChipUnits &u = units(shard.chip);
      bool vector = cost.usesVectorUnits();
      int64_t start =
          std::max({readyAll(inputs), u.mxm, vector ? u.vxm : int64_t(0)});
      // The units are free for the next weights once the rows are in; the
      // results drain through the array's depth meanwhile.
      int64_t latency = std::min(target.mxmLatencyCycles, cost.cycles - 1);
      int64_t busy = cost.cycles - latency;
      auto mm = lpu::MatmulOp::create(
          builder, loc(), activationType(cols), values(inputs),
          plan.shardSymbols[index][s].getValue(), shard.chip, start, busy,
          indices(allMxm), vector ? indices({0}) : DenseI64ArrayAttr(),
          DenseI64ArrayAttr(), DenseI64ArrayAttr(),
          latency > 0 ? builder.getI64IntegerAttr(latency) : IntegerAttr());
      u.mxm = start + busy;
      if (vector)
        u.vxm = start + busy;
      results.push_back({mm.getResult(), shard.chip,
                         rowParallel ? 0 : shard.begin,
                         rowParallel ? outWidth : shard.end,
                         start + cost.cycles});
    }
    Activation out;
    if (rowParallel) {
      out = reduceScatter(results, outWidth);
    } else {
      out.width = outWidth;
      for (const Piece &piece : results)
        out.produce(piece);
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
      // The shard's query heads and KV heads only.
      int64_t qBegin = shard.begin * group * headDim;
      int64_t qEnd = shard.end * group * headDim;
      llvm::SmallVector<Piece> queries = gather(*q, shard.chip, qBegin, qEnd);
      llvm::SmallVector<Piece> keys = gather(*k, shard.chip,
                                             shard.begin * headDim,
                                             shard.end * headDim);
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
      llvm::append_range(inputs, gather(*v, shard.chip, shard.begin * headDim,
                                        shard.end * headDim));
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
      out.produce({att.getResult(), shard.chip, qBegin, qEnd, start + cycles});
    }
    activations[attention.getOutput()] = std::move(out);
    return success();
  }

  if (auto rope = dyn_cast<RopeOp>(op)) {
    Activation *x = activation(rope.getInput());
    if (!x)
      return missing(rope.getInput());
    // Rotate-half pairs columns within a head: pieces of whole heads.
    activations[rope.getResult()] =
        elementwise("rope", {x}, vector_ops::kRope, true, true,
                    rope.getHeadDim());
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
        out.produce({piece.value, piece.chip, lo - begin, hi - begin,
                     piece.ready});
        continue;
      }
      out.produce(vectorWork("select", {piece}, piece.chip, hi - lo, 1, 0,
                             false, nullptr, lo - begin, hi - begin));
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
