//===- TileForLPU.cpp - plan an llm model on LPU chips --------------------===//
//
// Collects the tensors the model keeps resident, lays them out over the
// chips (the fewest that hold them unless told), tries each pipeline-stage
// width, keeps the one whose decode step is fastest, and replaces the
// module's functions with the resulting lpu.program.
//
//===----------------------------------------------------------------------===//

#include "Bound.h"
#include "Layout.h"
#include "Scheduler.h"

#include "llm/Conversion/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Dialect/LPU/IR/LPUOps.h"
#include "llm/Target/LPU/CostModel.h"
#include "llm/Transforms/LayerFunctions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>

namespace mlir::llm {
#define GEN_PASS_DEF_LLMTILEFORLPUPASS
#include "llm/Conversion/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::lpu;

namespace {
/// The resident tensors of `decode`, in the order the graph first uses them.
struct ResidentSet {
  std::vector<ResidentTensor> tensors;
  llvm::StringMap<unsigned> index;

  void add(ResidentTensor t) {
    if (index.count(t.name))
      return;
    index[t.name] = tensors.size();
    tensors.push_back(std::move(t));
  }
};

/// Whether `v` comes out of tensor-parallel work not yet added back into
/// the residual stream: an attention's output, or a matmul's (through
/// rotary embeddings, biases, column slices, or the gated MLP's SiLU and
/// product). A matmul reading such a value is row-parallel (Megatron): each
/// chip multiplies the input columns it already holds and the partial sums
/// are reduced, instead of gathering the whole input onto every chip.
static bool splitByColumns(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isa<llm::AttentionOp, llm::MatmulOp, MatmulInt4Op>(op))
    return true;
  if (isa<SiLUOp, MulOp, RopeOp, BiasAddOp, tensor::ExtractSliceOp>(op))
    return splitByColumns(op->getOperand(0)) ||
           (isa<MulOp>(op) && splitByColumns(op->getOperand(1)));
  return false;
}

/// Stripe widths of the linear layers around attention: one head's columns,
/// for the query, key and value projections' outputs and the output
/// projection's input, so that a stage's chips each hold whole heads of all
/// of them and of the KV cache, and attention needs no transfer.
static llvm::StringMap<int64_t> headStripes(func::FuncOp decode) {
  llvm::StringMap<int64_t> widths;
  decode.walk([&](llm::AttentionOp attention) {
    int64_t headDim = attention.getHeadDim();
    for (Value input : {attention.getQuery(), attention.getKey(),
                        attention.getValue()}) {
      Operation *op = input.getDefiningOp();
      while (op && isa<RopeOp, BiasAddOp, tensor::ExtractSliceOp>(op))
        op = op->getOperand(0).getDefiningOp();
      if (std::string name = op ? linearWeightName(op) : ""; !name.empty())
        widths[name] = headDim;
    }
    for (Operation *user : attention.getOutput().getUsers())
      if (std::string name = linearWeightName(user); !name.empty())
        widths[name] = headDim;
  });
  return widths;
}

FailureOr<ResidentSet> collectResidentTensors(func::FuncOp decode,
                                              const TargetDescription &target,
                                              unsigned weightBits,
                                              int64_t context) {
  ResidentSet set;
  llvm::StringMap<int64_t> stripes = headStripes(decode);
  auto headStripeOf = [&](StringRef name) {
    auto it = stripes.find(name);
    return it != stripes.end() ? it->second : int64_t(0);
  };
  // Row-parallel (dimension 1, the input columns) after tensor-parallel
  // work, unless the layer normalizes its whole input itself.
  auto stripeDimOf = [](Operation *op, Value input) -> unsigned {
    return !op->hasAttr("rms_norm_eps") && splitByColumns(input) ? 1 : 0;
  };
  auto shapeOf = [](Value v) {
    return llvm::to_vector(cast<RankedTensorType>(v.getType()).getShape());
  };
  WalkResult walk = decode.walk([&](Operation *op) {
    auto requireParam = [&](Value v) {
      if (!paramName(v).empty())
        return true;
      op->emitOpError("llm-tile-lpu: expects its weight to be an llm.param");
      return false;
    };
    if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
      if (!requireParam(embedding.getTable()))
        return WalkResult::interrupt();
      // Split along the hidden dimension: every shard serves every token.
      set.add({paramName(embedding.getTable()),
               shapeOf(embedding.getTable()), 1, target.mxmCols, 16});
    } else if (auto biasAdd = dyn_cast<BiasAddOp>(op)) {
      if (!requireParam(biasAdd.getBias()))
        return WalkResult::interrupt();
      auto shape = shapeOf(biasAdd.getBias());
      set.add({paramName(biasAdd.getBias()), shape, 0, shape[0], 16});
    } else if (auto norm = dyn_cast<RMSNormOp>(op)) {
      if (!requireParam(norm.getWeight()))
        return WalkResult::interrupt();
      auto shape = shapeOf(norm.getWeight());
      ResidentTensor weights{paramName(norm.getWeight()), shape, 0, shape[0],
                             16};
      weights.replicated = true;
      set.add(std::move(weights));
    } else if (auto matmul = dyn_cast<llm::MatmulOp>(op)) {
      if (!requireParam(matmul.getWeight()))
        return WalkResult::interrupt();
      std::string name = paramName(matmul.getWeight());
      // A table tied to the embedding is striped the other way here, so it
      // is kept resident a second time.
      if (set.index.count(name) && !set.tensors[set.index[name]].streamed)
        name = lmHeadResidencyName(name);
      ResidentTensor weights{name, shapeOf(matmul.getWeight()),
                             stripeDimOf(op, matmul.getInput()),
                             target.mxmCols, weightBits, /*streamed=*/true};
      weights.headStripeWidth = headStripeOf(name);
      set.add(std::move(weights));
    } else if (auto matmul = dyn_cast<MatmulInt4Op>(op)) {
      // A layer llm-quantize-int4 (or an AWQ import) made 4-bit: resident
      // as its source tensor's [out, in] at 4 bits, whatever weight-bits.
      std::string source = paramName(matmul.getQweight());
      if (source.empty()) {
        op->emitOpError("llm-tile-lpu: expects its packs to be made by "
                        "llm.quantize_int4 or llm.repack_awq from "
                        "parameters");
        return WalkResult::interrupt();
      }
      int64_t out = matmul.getType().getDimSize(1);
      int64_t in = matmul.getInput().getType().getDimSize(1);
      ResidentTensor weights{source, {out, in},
                             stripeDimOf(op, matmul.getInput()),
                             target.mxmCols, 4, /*streamed=*/true};
      weights.headStripeWidth = headStripeOf(source);
      set.add(std::move(weights));
    } else if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
      ResidentTensor cache{kvCacheName(*attention.getLayer()),
                           {2, context, static_cast<int64_t>(attention.getNumKvHeads()),
                            static_cast<int64_t>(attention.getHeadDim())},
                           2, 1, 16};
      cache.kvCache = true;
      set.add(std::move(cache));
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return set;
}

/// Adds an lpu.instructions for each chip that runs operations in any of
/// `program`'s schedules (a transfer counts on both of its chips, a matmul
/// also per weight tile it installs), spread over all slices like the
/// tensors. Returns the first chip whose instructions do not fit beside its
/// tensors, if any.
static std::optional<int64_t> placeInstructions(ProgramOp program,
                                                const TargetDescription &target,
                                                const Layout &layout) {
  std::map<int64_t, std::pair<int64_t, int64_t>> perChip; // ops, tiles
  Block &body = program.getBody().front();
  for (auto schedule : body.getOps<ScheduleOp>())
    for (auto op : schedule.getBody().front().getOps<ScheduledOpInterface>()) {
      ++perChip[op.getChipIndex()].first;
      if (op.getResultChip() != op.getChipIndex())
        ++perChip[op.getResultChip()].first;
      if (auto matmul = dyn_cast<lpu::MatmulOp>(op.getOperation())) {
        auto place = SymbolTable::lookupNearestSymbolFrom<PlaceOp>(
            program, matmul.getWeightsAttr());
        ArrayRef<int64_t> sizes = place.getSizes();
        perChip[op.getChipIndex()].second +=
            llvm::divideCeil(sizes[0], target.mxmCols) *
            llvm::divideCeil(sizes[1], target.mxmRows);
      }
    }
  OpBuilder b(program.getContext());
  auto firstSchedule = body.getOps<ScheduleOp>().begin();
  b.setInsertionPoint(*firstSchedule);
  std::optional<int64_t> full;
  for (auto &[chip, counts] : perChip) {
    int64_t bytes = instructionBytes(target, counts.first, counts.second);
    int64_t reserved = reservedBytes(target, bytes);
    InstructionsOp::create(b, program.getLoc(), chip, counts.first, bytes, 0,
                           target.memorySlices,
                           reserved / target.memorySlices);
    if (!full && layout.reservedBytes[chip] + reserved > target.chipBytes())
      full = chip;
  }
  return full;
}

struct LLMTileForLPUPass
    : llm::impl::LLMTileForLPUPassBase<LLMTileForLPUPass> {
  using Base::Base;

  void runOnOperation() override;

  /// Builds an lpu.program for `layout` at the end of `block`, with its
  /// placements and the decode schedule. Unless `trial`, the decode schedule
  /// carries its analytic lower bound (`lpu.lower_bound`, Bound.h), and the
  /// program has a prefill schedule of `prompt` tokens unless it is 0 and a
  /// verify schedule of verify-tokens tokens unless it is 0. A trial (one
  /// stage width of the search) has the decode schedule only: the search
  /// reads its makespan and nothing else.
  FailureOr<ProgramOp> buildProgram(Block &block, func::FuncOp decode,
                                    const TargetDescription &target,
                                    const ResidentSet &set,
                                    const Layout &layout, int64_t contextLen,
                                    int64_t prompt, bool trial);
};
} // namespace

FailureOr<ProgramOp> LLMTileForLPUPass::buildProgram(
    Block &block, func::FuncOp decode, const TargetDescription &target,
    const ResidentSet &set, const Layout &layout, int64_t contextLen,
    int64_t prompt, bool trial) {
  OpBuilder b = OpBuilder::atBlockEnd(&block);
  Location loc = decode.getLoc();
  auto program = ProgramOp::create(
      b, loc, target.name, layout.chips, weightBits,
      llvm::APFloat(target.clockMHz),
      target.memorySlices, target.sliceBytes, target.mxmCount, 1,
      target.sxmCount, target.c2cLinks);
  program.getBody().emplaceBlock();
  b.setInsertionPointToEnd(&program.getBody().front());

  PlanContext plan{target, set.tensors, layout, set.index, {}, weightBits,
                   groupSize};
  plan.shardSymbols.resize(set.tensors.size());
  for (unsigned t = 0; t < set.tensors.size(); ++t) {
    const ResidentTensor &tensor = set.tensors[t];
    for (unsigned s = 0; s < layout.shards[t].size(); ++s) {
      const Shard &shard = layout.shards[t][s];
      llvm::SmallVector<int64_t> offsets(tensor.shape.size(), 0);
      llvm::SmallVector<int64_t> sizes = tensor.shape;
      offsets[tensor.stripeDim] = shard.begin;
      sizes[tensor.stripeDim] = shard.end - shard.begin;
      std::string symbol = llvm::formatv("t{0}_{1}", t, s).str();
      int64_t perSlice =
          reservedBytes(target, shard.bytes) / target.memorySlices;
      PlaceOp::create(b, loc, symbol, tensor.name, offsets, sizes,
                      tensor.bits, shard.chip, 0, target.memorySlices,
                      perSlice);
      plan.shardSymbols[t].push_back(FlatSymbolRefAttr::get(
          b.getContext(), symbol));
    }
  }

  auto addSchedule = [&](StringRef name, int64_t tokens,
                         int64_t positions) -> FailureOr<ScheduleOp> {
    auto schedule = ScheduleOp::create(b, loc, name, tokens, positions);
    schedule.getBody().emplaceBlock();
    if (failed(emitSchedule(plan, decode, schedule)))
      return failure();
    return schedule;
  };
  FailureOr<ScheduleOp> decodeSchedule = addSchedule("decode", 1, contextLen);
  if (failed(decodeSchedule))
    return failure();
  if (trial)
    return program;
  // What no schedule of this layout can beat (Bound.h), beside the decode
  // schedule, for the plan's summary.
  // The dependent levels of the token's work: a matmul or an attention is
  // one level after the latest of its inputs' levels.
  BoundShape shape{0, 0, 1, 1, contextLen};
  std::vector<std::vector<unsigned>> levels;
  llvm::DenseMap<Value, unsigned> levelOf;
  auto enter = [&](Operation *op, std::optional<unsigned> tensor) {
    unsigned level = 0;
    for (Value operand : op->getOperands())
      level = std::max(level, levelOf.lookup(operand));
    if (levels.size() <= level)
      levels.resize(level + 1);
    if (tensor)
      levels[level].push_back(*tensor);
    for (Value result : op->getResults())
      levelOf[result] = level + 1;
  };
  decode.walk([&](Operation *op) {
    if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
      ++shape.layers;
      shape.queriesPerKV = attention.getNumHeads() / attention.getNumKvHeads();
      shape.headDim = attention.getHeadDim();
      auto cache = set.index.find(kvCacheName(*attention.getLayer()));
      enter(op, cache != set.index.end() ? std::optional<unsigned>(cache->second)
                                         : std::nullopt);
      return;
    }
    if (auto embedding = dyn_cast<EmbeddingOp>(op))
      shape.hidden = embedding.getType().getDimSize(1);
    if (isa<llm::MatmulOp, MatmulInt4Op>(op)) {
      enter(op, residentWeights(op, set.index, set.tensors));
      return;
    }
    // Anything else passes its inputs' level on.
    unsigned level = 0;
    for (Value operand : op->getOperands())
      level = std::max(level, levelOf.lookup(operand));
    for (Value result : op->getResults())
      levelOf[result] = level;
  });
  (*decodeSchedule)
      ->setAttr("lpu.lower_bound",
                decodeLowerBound(target, set.tensors, layout, levels, shape)
                    .toAttr(b.getContext()));
  if (prompt > 0 && failed(addSchedule("prefill", prompt, prompt)))
    return failure();
  // Speculative decoding: the target model checks `verifyTokens` drafted
  // tokens in one pass, each against the full context.
  if (verifyTokens > 0 &&
      failed(addSchedule("verify", verifyTokens, contextLen)))
    return failure();
  return program;
}

void LLMTileForLPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto fail = [&](const Twine &message) {
    mlir::emitError(module.getLoc()) << "llm-tile-lpu: " << message;
    signalPassFailure();
  };

  auto targetOr = resolveTargetDescription(target);
  if (!targetOr)
    return fail(llvm::toString(targetOr.takeError()));
  const TargetDescription &desc = *targetOr;
  if (weightBits != 4 && weightBits != 8 && weightBits != 16)
    return fail("weight-bits must be 16, 8 or 4, not " + Twine(weightBits));
  if (groupSize <= 0)
    return fail("group-size must be positive");
  if (chips < 0 || tensorParallel < 0)
    return fail("chips and tensor-parallel must not be negative");
  // Bounds that keep every product of the plan in 64 bits (the largest
  // systems built have about 10^4 chips).
  constexpr int64_t kMaxChips = int64_t(1) << 20;
  if (chips > kMaxChips || tensorParallel > kMaxChips)
    return fail("chips and tensor-parallel must be at most " +
                Twine(kMaxChips) + ", not " +
                Twine(std::max<int64_t>(chips, tensorParallel)));
  if (groupSize > (int64_t(1) << 20))
    return fail("group-size must be at most 1048576, not " + Twine(groupSize));

  auto decode = module.lookupSymbol<func::FuncOp>("decode");
  if (!decode || decode.isExternal())
    return fail("expects an imported llm module with a @decode function");
  // The plan places every layer's weights and cache on chips of its own:
  // the decoder-layer functions are inlined (unrolled), so that parameters
  // and attention name each layer's tensors and cache.
  OpPassManager spellOut(ModuleOp::getOperationName());
  addSpellOutLayersPasses(spellOut);
  if (failed(runPipeline(spellOut, module)) ||
      failed(verifyLayersSpelledOut(module, "llm-tile-lpu")))
    return signalPassFailure();

  int64_t contextLen = context;
  if (contextLen == 0) {
    ModelConfigAttr config = getModelConfig(module);
    if (!config)
      return fail("the module has no model config (#llm.config) to take "
                  "max_position_embeddings from: give context=N");
    contextLen = config.getMaxPositionEmbeddings();
  }
  if (contextLen <= 0 || contextLen > (int64_t(1) << 24))
    return fail("context must be between 1 and 16777216, not " +
                Twine(contextLen));
  int64_t prompt = promptLength;
  if (prompt == 0)
    prompt = std::min<int64_t>(128, contextLen);
  if (prompt < 0 || prompt > contextLen)
    return fail("prompt-length must be between 1 and the context (" +
                Twine(contextLen) + "), not " + Twine(prompt));
  if (verifyTokens < 0 || verifyTokens > contextLen)
    return fail("verify-tokens must be between 0 and the context (" +
                Twine(contextLen) + "), not " + Twine(verifyTokens));

  // Every tensor the plan sizes has a bounded number of elements, so that
  // no product of sizes, bytes and cycles below overflows (hand-written IR
  // is not bounded by the importer's config checks).
  WalkResult sizes = module.walk([&](Operation *op) {
    for (Type type : op->getResultTypes()) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor)
        continue;
      uint64_t elements = 1;
      for (int64_t dim : tensor.getShape())
        if (!ShapedType::isDynamic(dim) &&
            (__builtin_mul_overflow(elements, static_cast<uint64_t>(dim),
                                    &elements) ||
             elements > (uint64_t(1) << 40))) {
          op->emitError("llm-tile-lpu: ")
              << type << " has more than 2^40 elements";
          return WalkResult::interrupt();
        }
    }
    return WalkResult::advance();
  });
  if (sizes.wasInterrupted())
    return signalPassFailure();

  FailureOr<ResidentSet> set =
      collectResidentTensors(decode, desc, weightBits, contextLen);
  if (failed(set))
    return signalPassFailure();
  for (const ResidentTensor &t : set->tensors) {
    int64_t stripe = t.bytes(0, std::min(t.stripeWidth, t.shape[t.stripeDim]));
    if (reservedBytes(desc, stripe) > desc.chipBytes())
      return fail("one stripe of '" + t.name + "' (" + Twine(stripe) +
                  " bytes) does not fit the SRAM of one chip");
  }

  int64_t need = fewestChips(set->tensors, desc);
  int64_t use = chips ? chips : need;
  if (use < need) {
    double total = 0;
    for (const ResidentTensor &t : set->tensors)
      total += t.totalBytes();
    return fail(llvm::formatv(
        "the model does not fit {0} chip(s) of {1}: its weights ({2}-bit "
        "linear layers) and KV cache ({3} positions) take {4:F2} GiB, and "
        "one chip holds {5:F1} MiB; it needs at least {6} chips",
        use, desc.name, weightBits, contextLen, total / (1ull << 30),
        desc.chipBytes() / double(1 << 20), need));
  }

  // Try every stage width (chips per stage, within a node) that divides
  // the chips; keep the fastest decode step. The schedules' instructions
  // take SRAM beside the tensors: when they do not fit and the chips were
  // not given, plan again on one chip more.
  FailureOr<ProgramOp> program = failure();
  for (;;) {
    llvm::SmallVector<int64_t> widths;
    if (tensorParallel) {
      if (use % tensorParallel != 0)
        return fail("tensor-parallel=" + Twine(tensorParallel) +
                    " does not divide the " + Twine(use) + " chips");
      widths.push_back(tensorParallel);
    } else {
      for (int64_t g = 1; g <= desc.chipsPerNode && g <= use; g *= 2)
        if (use % g == 0)
          widths.push_back(g);
    }
    std::optional<Layout> best;
    int64_t bestCycles = 0;
    for (int64_t g : widths) {
      std::optional<Layout> layout = layoutTensors(set->tensors, desc, use, g);
      if (!layout)
        continue;
      OwningOpRef<ModuleOp> scratch = ModuleOp::create(module.getLoc());
      FailureOr<ProgramOp> trial =
          buildProgram(*scratch->getBody(), decode, desc, *set, *layout,
                       contextLen, /*prompt=*/0, /*trial=*/true);
      if (failed(trial))
        return signalPassFailure();
      int64_t cycles =
          (*trial.value().getBody().front().getOps<ScheduleOp>().begin())
              .getMakespan();
      if (!best || cycles < bestCycles) {
        best = std::move(layout);
        bestCycles = cycles;
      }
    }
    if (!best)
      return fail("no layout of the model fits " + Twine(use) +
                  " chips with tensor-parallel=" + Twine(tensorParallel));

    program = buildProgram(*module.getBody(), decode, desc, *set, *best,
                           contextLen, prompt, /*trial=*/false);
    if (failed(program))
      return signalPassFailure();
    (*program)->setAttr("tensor_parallel",
                        IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                         best->group));
    (*program)->setAttr("host_round_trip_us",
                        FloatAttr::get(Float64Type::get(&getContext()),
                                       desc.hostRoundTripUs));
    std::optional<int64_t> full = placeInstructions(*program, desc, *best);
    if (!full)
      break;
    int64_t over = *full;
    (*program)->erase();
    if (chips || use >= kMaxChips)
      return fail(llvm::formatv(
          "the instructions of chip {0} do not fit its SRAM beside its "
          "tensors on {1} chips{2}",
          over, use, chips ? ": give more chips" : ""));
    ++use;
    need = std::max(need, use);
  }
  (*program)->setAttr("fewest_chips",
                      IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                       need));
  for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    func.erase();
}
