//===- Shard.cpp - tensor-parallel partitioning of an llm module ----------===//
//
// Megatron-style tensor parallelism as a rewrite of the imported graph: the
// column-parallel projections (q, k, v, gate, up) read their rank's rows,
// the row-parallel ones (o, down) their rank's columns followed by an
// llm.all_reduce, and every type downstream of a sliced weight (the heads a
// rank computes, its part of the KV cache) shrinks with it. The result is
// one SPMD module: which slice a rank binds is decided at run time by its
// rank, from each parameter's #llm.shard.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Transforms/KVCaches.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/Sharding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMSHARDPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// How a checkpoint tensor is cut: along `dim` into `parts`, or not at all
/// (parts 1).
struct Cut {
  int64_t dim = 0, parts = 1;
  /// A row-parallel weight: its products are partial sums.
  bool reduces = false;
  /// A vocabulary-split LM head: its products are parts of the logits.
  bool gathers = false;
};

/// The partitioning of one model over `ranks` ranks.
class Partition {
public:
  Partition(ModelConfigAttr config, int64_t ranks, bool vocabParallel)
      : config(config), ranks(ranks),
        vocabParallel(vocabParallel &&
                      config.getVocabSize() % ranks == 0),
        kvParts(config.getNumKeyValueHeads() /
                kvHeadsPerRank(config.getNumKeyValueHeads(), ranks)) {}

  /// Why the model cannot be split over `ranks`, or "" when it can.
  std::string unsupported() const {
    int64_t heads = config.getNumAttentionHeads(),
            kvHeads = config.getNumKeyValueHeads(),
            ffn = config.getIntermediateSize();
    if (heads % ranks != 0)
      return llvm::formatv("{0} attention heads cannot be split over {1} "
                           "ranks",
                           heads, ranks).str();
    if (kvHeads % kvParts != 0 || ranks % kvParts != 0)
      return llvm::formatv("{0} KV heads cannot be split over, or shared "
                           "evenly by, {1} ranks",
                           kvHeads, ranks).str();
    if (ffn % ranks != 0)
      return llvm::formatv("an MLP of width {0} cannot be split over {1} "
                           "ranks",
                           ffn, ranks).str();
    return "";
  }

  /// How the checkpoint tensor `name` is cut (by its Hugging Face name).
  Cut cutOf(StringRef name) const {
    auto endsWith = [&](StringRef suffix) {
      return name.ends_with((suffix + ".weight").str()) ||
             name.ends_with((suffix + ".bias").str());
    };
    if (endsWith("self_attn.q_proj"))
      return {0, ranks, false};
    if (endsWith("self_attn.k_proj") || endsWith("self_attn.v_proj"))
      return {0, kvParts, false};
    if (endsWith("mlp.gate_proj") || endsWith("mlp.up_proj"))
      return {0, ranks, false};
    if (name.ends_with("self_attn.o_proj.weight") ||
        name.ends_with("mlp.down_proj.weight"))
      return {1, ranks, true};
    if (vocabParallel && name == "lm_head.weight")
      return {0, ranks, false, true};
    return {};
  }

  /// A K or V cache's type with this rank's KV heads (kvCacheShape, or a
  /// pool of them); other types unchanged.
  Type localType(Type type) const {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.getRank() < 4 || tensor.getRank() > 5)
      return type;
    ArrayRef<int64_t> shape = tensor.getShape();
    int64_t rank = tensor.getRank();
    if (shape[rank - 1] != config.getHeadDim() ||
        shape[rank - kKVCacheHeadsFromEnd] != config.getNumKeyValueHeads() ||
        shape[rank - kKVCacheLayersFromEnd] != config.getNumHiddenLayers())
      return type;
    SmallVector<int64_t> local(shape);
    local[rank - kKVCacheHeadsFromEnd] /= kvParts;
    return tensor.clone(local);
  }

  /// Rewrites `func`'s body for one rank (after every signature).
  LogicalResult rewriteBody(func::FuncOp func);

private:
  LogicalResult rewriteOp(Operation *op, OpBuilder &b);

  ModelConfigAttr config;
  int64_t ranks;
  bool vocabParallel;
  int64_t kvParts;
};

LogicalResult Partition::rewriteBody(func::FuncOp func) {
  OpBuilder b(func.getContext());
  WalkResult walk = func.walk([&](Operation *op) {
    return failed(rewriteOp(op, b)) ? WalkResult::interrupt()
                                    : WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult Partition::rewriteOp(Operation *op, OpBuilder &b) {
  auto sameAs = [](Value result, Value operand) {
    result.setType(operand.getType());
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ParamOp param) -> LogicalResult {
        Cut cut = cutOf(param.getName());
        if (cut.parts == 1)
          return success();
        RankedTensorType type = param.getType();
        if (cut.dim >= type.getRank() ||
            type.getDimSize(cut.dim) % cut.parts != 0)
          return param.emitOpError("cannot be cut into ")
                 << cut.parts << " parts along dim " << cut.dim;
        SmallVector<int64_t> shape(type.getShape());
        shape[cut.dim] /= cut.parts;
        param.getResult().setType(type.clone(shape));
        param.setShardAttr(
            ShardAttr::get(op->getContext(), cut.dim, cut.parts, ranks));
        return success();
      })
      .Case([&](MatmulOp matmul) -> LogicalResult {
        auto input = cast<RankedTensorType>(matmul.getInput().getType());
        auto weight = cast<RankedTensorType>(matmul.getWeight().getType());
        matmul.getResult().setType(
            input.clone({input.getDimSize(0), weight.getDimSize(0)}));
        auto param = matmul.getWeight().getDefiningOp<ParamOp>();
        if (!param || !param.getShardAttr())
          return success();
        if (cutOf(param.getName()).gathers) {
          // Each rank's logits of its vocabulary rows, concatenated.
          b.setInsertionPointAfter(matmul);
          auto type = cast<RankedTensorType>(matmul.getType());
          auto whole = AllGatherOp::create(
              b, matmul.getLoc(),
              type.clone({type.getDimSize(0), type.getDimSize(1) * ranks}),
              matmul.getResult(), /*dim=*/1, ranks);
          matmul.getResult().replaceAllUsesExcept(whole.getResult(), whole);
          return success();
        }
        if (!cutOf(param.getName()).reduces)
          return success();
        // A row-parallel product is a partial sum: every rank's, summed.
        b.setInsertionPointAfter(matmul);
        auto sum = AllReduceOp::create(b, matmul.getLoc(), matmul.getResult());
        matmul.getResult().replaceAllUsesExcept(sum.getResult(), sum);
        return success();
      })
      .Case<AttentionOp, BatchedAttentionOp>([&](auto attention) {
        attention.setNumHeads(attention.getNumHeads() / ranks);
        attention.setNumKvHeads(attention.getNumKvHeads() / kvParts);
        sameAs(attention.getOutput(), attention.getQuery());
        sameAs(attention.getNewKeyCache(), attention.getKeyCache());
        sameAs(attention.getNewValueCache(), attention.getValueCache());
        return success();
      })
      .Case<BiasAddOp, RopeOp, SiLUOp, AddOp, MulOp>([&](Operation *op) {
        sameAs(op->getResult(0), op->getOperand(0));
        return success();
      })
      .Case([&](func::CallOp call) -> LogicalResult {
        auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr());
        if (!callee)
          return call.emitOpError("calls an unknown function");
        for (auto [result, type] :
             llvm::zip(call.getResults(), callee.getResultTypes()))
          result.setType(type);
        return success();
      })
      .Default([](Operation *) { return success(); });
}

struct ShardPass : mlir::llm::impl::LLMShardPassBase<ShardPass> {
  using LLMShardPassBase::LLMShardPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (tensorParallel < 1 || pipelineParallel < 1) {
      module.emitError("llm-shard: tensor-parallel and pipeline-parallel "
                       "must be at least 1, not ")
          << tensorParallel << " and " << pipelineParallel;
      return signalPassFailure();
    }
    if (tensorParallel == 1 && pipelineParallel == 1)
      return;
    ModelConfigAttr config = getModelConfig(module);
    if (!config) {
      module.emitError("llm-shard needs the model's config (llm.config)");
      return signalPassFailure();
    }
    if (module->hasAttr(kTensorParallelAttrName) ||
        module->hasAttr(kPipelineStagesAttrName)) {
      module.emitError("llm-shard: the module is already partitioned");
      return signalPassFailure();
    }
    if (pipelineParallel > 1) {
      if (tensorParallel > 1) {
        module.emitError("llm-shard: a module is split one way, tensor- or "
                         "pipeline-parallel, not both");
        return signalPassFailure();
      }
      if (failed(partitionPipelineStage(module, pipelineParallel, stage)))
        return signalPassFailure();
      return;
    }
    Partition partition(config, tensorParallel, vocabParallel);
    if (std::string why = partition.unsupported(); !why.empty()) {
      module.emitError("llm-shard: ") << why;
      return signalPassFailure();
    }
    module->setAttr(kTensorParallelAttrName,
                    IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                     tensorParallel));
    // Signatures first (calls read their callees'), then the bodies.
    retypeKVCaches(module,
                   [&](Type type) { return partition.localType(type); });
    for (auto func : module.getOps<func::FuncOp>())
      if (failed(partition.rewriteBody(func)))
        return signalPassFailure();
  }
};

} // namespace
