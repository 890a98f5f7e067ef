//===- MergeParallelRegions.cpp - one OpenMP team for consecutive loops ---===//
//
// convert-scf-to-openmp gives every parallel loop its own `omp.parallel`:
// a fork and a join of the thread team per op, a few dozen per decoder
// layer and token. Consecutive regions of a block become one region whose
// worksharing loops follow each other (each ends in its implicit barrier,
// so a loop still sees everything the previous one wrote); the code
// between them (a norm, a rotary embedding, a cache update, a collective)
// runs where it ran before, on the team's primary thread (`omp.masked`),
// followed by a barrier that holds the others back until it is done.
// Allocations (shared by the team) and what the gaps compute without
// touching memory (views, sizes) move before the merged region,
// deallocations after it.
//
// A worksharing loop followed by one that touches none of the buffers it
// writes, and writes none it reads, need not wait for the rest of the team
// (`nowait`): the team meets once after both (a projection's gate and up
// halves, a query projection beside the key/value ones). With a static
// schedule a thread that finishes its share of the first loop early starts
// on its share of the second, so one wait covers the imbalance of both.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"

#include "mlir/Analysis/AliasAnalysis/LocalAliasAnalysis.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMMERGEPARALLELREGIONSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;

namespace {

/// The ops between two parallel regions, sorted by where they go.
struct Gap {
  /// Allocations, and ops that touch no memory and read nothing computed
  /// in the group (views, sizes, index arithmetic): before the merged
  /// region, in order.
  SmallVector<Operation *> hoisted;
  /// Deallocations: after it.
  SmallVector<Operation *> sunk;
  /// The rest, in order: on the primary thread.
  SmallVector<Operation *> serial;
};

/// A region convert-scf-to-openmp makes: no clauses, one block.
bool isPlainRegion(omp::ParallelOp parallel) {
  return parallel->getNumOperands() == 0 &&
         parallel.getRegion().hasOneBlock();
}

/// Sorts the ops of [begin, end) (between two parallel regions of a group
/// starting at `groupStart`) into `gap`; false when they cannot join the
/// group: an allocation sized by a value computed on the primary thread,
/// an op that parallelizes on its own or calls, or a value computed on the
/// primary thread that another thread would need.
bool sortGap(Block::iterator begin, Block::iterator end, Operation *groupStart,
             Gap &gap) {
  llvm::SmallPtrSet<Operation *, 16> onPrimary;
  // Block arguments and values of enclosing blocks dominate the group.
  auto definedBeforeGroup = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return !def || def->getBlock() != groupStart->getBlock() ||
           def->isBeforeInBlock(groupStart);
  };
  for (Operation &op : llvm::make_range(begin, end)) {
    bool readsPrimary = llvm::any_of(op.getOperands(), [&](Value v) {
      Operation *def = v.getDefiningOp();
      return def && onPrimary.contains(def);
    });
    if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
      if (readsPrimary)
        return false;
      gap.hoisted.push_back(&op);
      continue;
    }
    if (isa<memref::DeallocOp>(op)) {
      // Of a buffer allocated outside the merged region.
      Operation *def = op.getOperand(0).getDefiningOp();
      if (!definedBeforeGroup(op.getOperand(0)) &&
          !isa_and_nonnull<memref::AllocOp>(def))
        return false;
      gap.sunk.push_back(&op);
      continue;
    }
    if (!readsPrimary && op.getNumRegions() == 0 && isMemoryEffectFree(&op)) {
      gap.hoisted.push_back(&op);
      continue;
    }
    // Nested parallelism, calls (which may fork teams of their own) and
    // terminators stay outside any merged region.
    bool forks = false;
    op.walk([&](Operation *nested) {
      forks |= isa<omp::ParallelOp, CallOpInterface>(nested);
    });
    if (forks || op.hasTrait<OpTrait::IsTerminator>())
      return false;
    gap.serial.push_back(&op);
    onPrimary.insert(&op);
  }
  // Values computed on the primary thread are used there only.
  for (Operation *op : gap.serial)
    for (Operation *user : op->getUsers()) {
      Operation *inGap = op->getBlock()->findAncestorOpInBlock(*user);
      if (!inGap || !onPrimary.contains(inGap))
        return false;
    }
  return true;
}

/// Merges `regions` (in block order) with the gaps between them.
void merge(ArrayRef<omp::ParallelOp> regions, ArrayRef<Gap> gaps) {
  omp::ParallelOp first = regions.front();
  OpBuilder b(first);
  for (const Gap &gap : gaps)
    for (Operation *op : gap.hoisted)
      op->moveBefore(first);
  auto merged = omp::ParallelOp::create(b, first.getLoc());
  Block *body = b.createBlock(&merged.getRegion());
  auto appendRegion = [&](omp::ParallelOp parallel) {
    Block &from = parallel.getRegion().front();
    body->getOperations().splice(body->end(), from.getOperations(),
                                 from.begin(), std::prev(from.end()));
  };
  for (size_t i = 0; i < regions.size(); ++i) {
    appendRegion(regions[i]);
    if (i == gaps.size())
      break;
    const Gap &gap = gaps[i];
    if (!gap.serial.empty()) {
      b.setInsertionPointToEnd(body);
      Location loc = gap.serial.front()->getLoc();
      auto masked = omp::MaskedOp::create(b, loc, omp::MaskedOperands{});
      Block *maskedBody = b.createBlock(&masked.getRegion());
      for (Operation *op : gap.serial)
        op->moveBefore(maskedBody, maskedBody->end());
      b.setInsertionPointToEnd(maskedBody);
      omp::TerminatorOp::create(b, loc);
      b.setInsertionPointAfter(masked);
      omp::BarrierOp::create(b, loc);
    }
  }
  b.setInsertionPointToEnd(body);
  omp::TerminatorOp::create(b, merged.getLoc());
  for (auto it = gaps.rbegin(); it != gaps.rend(); ++it)
    for (Operation *op : llvm::reverse(it->sunk))
      op->moveAfter(merged);
  for (omp::ParallelOp parallel : regions)
    parallel.erase();
}

/// The buffer a memref view reads or writes: `v` through its views and
/// casts.
Value underlyingBuffer(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view || view.getViewDest() != v)
      break;
    v = view.getViewSource();
  }
  return v;
}

/// The buffers a worksharing loop reads and writes, outside its own
/// iterations' allocations; nullopt when some access is not to a known
/// buffer, or some op declares no memory effects.
///
/// A prefetch counts as neither: memref.prefetch declares a write to its
/// buffer (so that nothing erases or reorders it), yet it changes no
/// memory, and the weights that a decode step's loops prefetch would
/// otherwise look written by each loop and keep every barrier.
struct Accesses {
  llvm::SmallDenseSet<Value, 8> reads, writes;
};
std::optional<Accesses> collectAccesses(omp::WsloopOp loop) {
  Accesses accesses;
  auto visit = [&](Operation *op) -> WalkResult {
    if (isa<memref::PrefetchOp>(op))
      return WalkResult::advance();
    bool recursive = op->hasTrait<OpTrait::HasRecursiveMemoryEffects>();
    auto effecting = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effecting)
      return recursive ? WalkResult::advance() : WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> effects;
    effecting.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      bool read = isa<MemoryEffects::Read>(effect.getEffect());
      bool write = isa<MemoryEffects::Write>(effect.getEffect());
      if (!read && !write)
        continue;
      Value value = effect.getValue();
      if (!value)
        return WalkResult::interrupt();
      Value buffer = underlyingBuffer(value);
      // A buffer allocated within an iteration is that iteration's own.
      if (loop->isAncestor(buffer.getParentRegion()->getParentOp()))
        continue;
      (write ? accesses.writes : accesses.reads).insert(buffer);
    }
    // An op that declares its regions' effects with its own.
    return recursive ? WalkResult::advance() : WalkResult::skip();
  };
  if (loop->walk<WalkOrder::PreOrder>(visit).wasInterrupted())
    return std::nullopt;
  return accesses;
}

/// Whether either of two loops writes memory the other reads or writes
/// (LocalAliasAnalysis: distinct allocations do not overlap each other or
/// anything else; arguments and results of unknown ops may).
bool conflict(LocalAliasAnalysis &aliases, const Accesses &x,
              const Accesses &y) {
  auto anyAlias = [&](const llvm::SmallDenseSet<Value, 8> &as,
                      const llvm::SmallDenseSet<Value, 8> &bs) {
    for (Value a : as)
      for (Value b : bs)
        if (!aliases.alias(a, b).isNo())
          return true;
    return false;
  };
  return anyAlias(x.writes, y.writes) || anyAlias(x.writes, y.reads) ||
         anyAlias(x.reads, y.writes);
}

/// Marks `nowait` each worksharing loop of `parallel` whose barrier nothing
/// needs: runs of adjacent plain loops that are pairwise independent meet
/// once, after the last.
void dropNeedlessBarriers(LocalAliasAnalysis &aliases,
                          omp::ParallelOp parallel) {
  SmallVector<std::pair<omp::WsloopOp, Accesses>> run;
  for (Operation &op : parallel.getRegion().front()) {
    auto loop = dyn_cast<omp::WsloopOp>(op);
    if (!loop) {
      // Values computed by every thread (constants, sizes) neither read
      // nor write what the loops share.
      if (!isMemoryEffectFree(&op))
        run.clear();
      continue;
    }
    std::optional<Accesses> accesses;
    if (loop->getNumOperands() == 0 && !loop.getNowait())
      accesses = collectAccesses(loop);
    if (!accesses) {
      run.clear();
      continue;
    }
    bool independent = llvm::all_of(run, [&](const auto &earlier) {
      return !conflict(aliases, earlier.second, *accesses);
    });
    if (!independent)
      run.clear();
    if (!run.empty())
      run.back().first.setNowait(true);
    run.emplace_back(loop, std::move(*accesses));
  }
}

/// Merges each run of plain parallel regions of `block` whose gaps allow it.
void mergeInBlock(Block &block) {
  SmallVector<omp::ParallelOp> regions;
  for (Operation &op : block)
    if (auto parallel = dyn_cast<omp::ParallelOp>(op))
      regions.push_back(parallel);
  size_t i = 0;
  while (i < regions.size()) {
    if (!isPlainRegion(regions[i])) {
      ++i;
      continue;
    }
    SmallVector<omp::ParallelOp> run{regions[i]};
    SmallVector<Gap> gaps;
    size_t j = i + 1;
    for (; j < regions.size() && isPlainRegion(regions[j]); ++j) {
      Gap gap;
      if (!sortGap(std::next(run.back()->getIterator()),
                   regions[j]->getIterator(), run.front(), gap))
        break;
      run.push_back(regions[j]);
      gaps.push_back(std::move(gap));
    }
    if (run.size() > 1)
      merge(run, gaps);
    i = j;
  }
}

struct LLMMergeParallelRegionsPass
    : llm::impl::LLMMergeParallelRegionsPassBase<LLMMergeParallelRegionsPass> {
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) {
      if (!block->getParentOp()->getParentOfType<omp::ParallelOp>() &&
          !isa<omp::ParallelOp>(block->getParentOp()))
        blocks.push_back(block);
    });
    for (Block *block : blocks)
      mergeInBlock(*block);
    LocalAliasAnalysis aliases;
    getOperation()->walk([&](omp::ParallelOp parallel) {
      dropNeedlessBarriers(aliases, parallel);
    });
  }
};

} // namespace
