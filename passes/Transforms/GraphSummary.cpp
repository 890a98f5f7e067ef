//===- GraphSummary.cpp - print a summary of an llm graph -----------------===//

#include "llm/Dialect/LLM/IR/LLMOps.h"
#include "llm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMGRAPHSUMMARYPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// Formats a count with a metric suffix: 68.98G, 4.10M...
std::string humanCount(double value) {
  const char *suffixes[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (value >= 1000.0 && i < 4) {
    value /= 1000.0;
    ++i;
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::format(i == 0 ? "%.0f" : "%.2f", value) << suffixes[i];
  return out;
}

/// Counts what a function runs, the functions it calls included, once per
/// call: a model whose layers are one function called per layer counts as
/// the layers spelled out.
struct ExecutedOps {
  ModuleOp module;
  llvm::MapVector<StringRef, int64_t> opCounts;
  llvm::StringSet<> params;
  int64_t elements = 0, bytes = 0, layers = 0;

  /// The constant `value` has in a call whose arguments are `args` (those
  /// of the function `value` is in; nullopt where not a constant).
  static std::optional<int64_t>
  constantOf(Value value, ArrayRef<std::optional<int64_t>> args) {
    APInt constant;
    if (matchPattern(value, m_ConstantInt(&constant)))
      return constant.getSExtValue();
    if (auto arg = dyn_cast<BlockArgument>(value);
        arg && arg.getOwner()->isEntryBlock() &&
        isa<func::FuncOp>(arg.getOwner()->getParentOp()) &&
        arg.getArgNumber() < args.size())
      return args[arg.getArgNumber()];
    return std::nullopt;
  }

  void count(func::FuncOp func, ArrayRef<std::optional<int64_t>> args,
             unsigned depth = 0) {
    func.walk([&](Operation *op) {
      if (op->getDialect() && isa<LLMDialect>(op->getDialect()))
        ++opCounts[op->getName().stripDialect()];
      if (auto attention = dyn_cast<AttentionOp>(op)) {
        std::optional<int64_t> layer =
            attention.getLayer()
                ? std::optional<int64_t>(*attention.getLayer())
                : constantOf(attention.getLayerIndex(), args);
        if (layer)
          layers = std::max<int64_t>(layers, *layer + 1);
      }
      if (auto call = dyn_cast<func::CallOp>(op)) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee || callee.isExternal() || depth > 16)
          return;
        SmallVector<std::optional<int64_t>> calleeArgs;
        for (Value operand : call.getOperands())
          calleeArgs.push_back(constantOf(operand, args));
        count(callee, calleeArgs, depth + 1);
        return;
      }
      auto param = dyn_cast<ParamOp>(op);
      if (!param)
        return;
      std::string name = param.getName().str();
      if (Value layer = param.getLayer()) {
        std::optional<int64_t> index = constantOf(layer, args);
        if (!index)
          return;
        name = param.getNameForLayer(*index);
      }
      if (!params.insert(name).second)
        return;
      auto type = param.getResult().getType();
      elements += type.getNumElements();
      bytes += type.getNumElements() *
               ((type.getElementTypeBitWidth() + 7) / 8);
    });
  }
};

void summarizeFunction(ModuleOp module, func::FuncOp func, raw_ostream &os) {
  ExecutedOps executed{module};
  executed.count(func, {});
  auto &opCounts = executed.opCounts;
  auto &params = executed.params;
  int64_t elements = executed.elements, bytes = executed.bytes,
          layers = executed.layers;
  os << "func @" << func.getSymName() << ": " << layers
     << " decoder layers, " << params.size() << " parameters, "
     << humanCount(static_cast<double>(elements)) << " weights ("
     << humanCount(static_cast<double>(bytes)) << "B)\n";
  os << "  inputs: ";
  llvm::interleaveComma(func.getArgumentTypes(), os);
  os << "\n  results: ";
  llvm::interleaveComma(func.getResultTypes(), os);
  os << "\n  ops:";
  for (auto [name, count] : opCounts)
    os << " " << name << "=" << count;
  os << "\n";
}

struct LLMGraphSummaryPass
    : llm::impl::LLMGraphSummaryPassBase<LLMGraphSummaryPass> {
  using Base::Base;

  void runOnOperation() override {
    std::string error;
    auto output = openOutputFile(outputFile, &error);
    if (!output) {
      getOperation().emitError() << error;
      return signalPassFailure();
    }
    raw_ostream &os = output->os();
    ModuleOp module = getOperation();
    if (ModelConfigAttr config = getModelConfig(module)) {
      os << "model";
      if (auto name = module.getSymName())
        os << " " << *name;
      os << ": vocab_size=" << config.getVocabSize()
         << " hidden_size=" << config.getHiddenSize()
         << " intermediate_size=" << config.getIntermediateSize()
         << " num_hidden_layers=" << config.getNumHiddenLayers()
         << " num_attention_heads=" << config.getNumAttentionHeads()
         << " num_key_value_heads=" << config.getNumKeyValueHeads()
         << " head_dim=" << config.getHeadDim()
         << " max_position_embeddings=" << config.getMaxPositionEmbeddings()
         << " rms_norm_eps=" << config.getRmsNormEps().convertToDouble()
         << " rope_theta=" << config.getRopeTheta().convertToDouble()
         << " tie_word_embeddings="
         << (config.getTieWordEmbeddings() ? "true" : "false")
         << " bos_token_id=" << config.getBosTokenId() << " eos_token_ids=[";
      llvm::interleaveComma(config.getEosTokenIds(), os);
      os << "]";
      if (Llama3RopeScalingAttr scaling = config.getRopeScaling())
        os << " rope_scaling=" << scaling;
      if (std::optional<int64_t> group = config.getAwqGroupSize())
        os << " awq_group_size=" << *group;
      os << "\n";
    }
    // The entry points (a function the module calls is counted in its
    // callers).
    for (auto func : module.getOps<func::FuncOp>())
      if (SymbolTable::symbolKnownUseEmpty(func, module))
        summarizeFunction(module, func, os);
    output->keep();
    markAllAnalysesPreserved();
  }
};

} // namespace
