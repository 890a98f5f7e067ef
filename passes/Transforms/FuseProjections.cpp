//===- FuseProjections.cpp - one matmul for projections of one input ------===//

#include "llm/Transforms/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMFUSEPROJECTIONSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {
/// A plain float checkpoint weight of `matmul` (f32, or f16/bf16 kept in
/// its stored precision), or null.
ParamOp plainWeight(MatmulOp matmul) {
  auto param = matmul.getWeight().getDefiningOp<ParamOp>();
  if (!param || !param.isPlainFloat() || param.getStackedAttr() ||
      matmul.getRmsNormEpsAttr())
    return {};
  return param;
}

/// "a.b.q_proj.weight", "a.b.k_proj.weight" -> "a.b.q_proj+k_proj.weight".
std::string stackedName(ArrayRef<StringRef> names) {
  StringRef first = names.front();
  size_t common = first.size();
  for (StringRef name : names.drop_front()) {
    size_t i = 0;
    while (i < common && i < name.size() && name[i] == first[i])
      ++i;
    common = i;
  }
  // Back up to a component boundary.
  common = first.substr(0, common).rfind('.') + 1;
  std::string out = first.substr(0, common).str();
  for (auto [i, name] : llvm::enumerate(names)) {
    StringRef rest = name.drop_front(common);
    rest.consume_back(".weight");
    out += (i ? "+" : "") + rest.str();
  }
  return out + ".weight";
}

struct LLMFuseProjectionsPass
    : llm::impl::LLMFuseProjectionsPassBase<LLMFuseProjectionsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation().walk([&](Block *block) {
      // Matmuls of this block by input and weight element type (stacked
      // rows share one storage type), in order.
      llvm::MapVector<std::pair<Value, Type>, SmallVector<MatmulOp>> byInput;
      for (auto matmul : block->getOps<MatmulOp>())
        if (ParamOp weight = plainWeight(matmul))
          byInput[{matmul.getInput(), weight.getType().getElementType()}]
              .push_back(matmul);
      for (auto &[key, group] : byInput) {
        auto [input, storage] = key;
        if (group.size() < 2)
          continue;
        SmallVector<StringRef> names;
        SmallVector<Attribute> sources;
        int64_t rows = 0;
        for (MatmulOp m : group) {
          ParamOp weight = plainWeight(m);
          names.push_back(weight.getName());
          sources.push_back(weight.getNameAttr());
          rows += weight.getType().getDimSize(0);
        }
        MatmulOp first = group.front();
        int64_t in = cast<RankedTensorType>(first.getWeight().getType())
                         .getDimSize(1);
        OpBuilder b(first);
        Location loc = first.getLoc();
        SmallVector<StringAttr> sourceNames;
        for (Attribute s : sources)
          sourceNames.push_back(cast<StringAttr>(s));
        Value stacked =
            ParamOp::create(b, loc, RankedTensorType::get({rows, in}, storage),
                            stackedName(names), Int4PackAttr(),
                            ConcatAttr::get(ctx, sourceNames), StringAttr())
                .getResult();
        auto inputType = cast<RankedTensorType>(input.getType());
        auto fusedType = RankedTensorType::get({inputType.getDimSize(0), rows},
                                               first.getType().getElementType());
        Value fused =
            MatmulOp::create(b, loc, fusedType, input, stacked).getResult();
        OpFoldResult tokens =
            inputType.isDynamicDim(0)
                ? OpFoldResult(tensor::DimOp::create(b, loc, fused, 0).getResult())
                : OpFoldResult(b.getIndexAttr(inputType.getDimSize(0)));
        // All slices first (the builder inserts before the first matmul),
        // then the originals go.
        int64_t offset = 0;
        SmallVector<Value> slices;
        for (MatmulOp m : group) {
          int64_t width = m.getType().getDimSize(1);
          slices.push_back(tensor::ExtractSliceOp::create(
              b, m.getLoc(), m.getType(), fused,
              ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
              ArrayRef<OpFoldResult>{tokens, b.getIndexAttr(width)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)}));
          offset += width;
        }
        for (auto [m, slice] : llvm::zip(group, slices)) {
          ParamOp weight = plainWeight(m);
          m.replaceAllUsesWith(slice);
          m.erase();
          if (weight->use_empty())
            weight.erase();
        }
      }
    });
  }
};
} // namespace
