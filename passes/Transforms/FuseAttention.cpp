//===- FuseAttention.cpp - rotary embeddings folded into llm.attention ----===//

#include "llm/Transforms/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMFUSEATTENTIONPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// The llm.rope producing `value` if the attention can absorb it: its only
/// use is `attention`, at the same position and head size.
RopeOp absorbableRope(Value value, AttentionOp attention) {
  auto rope = value.getDefiningOp<RopeOp>();
  if (!rope || !rope->hasOneUse() ||
      rope.getPosition() != attention.getPosition() ||
      rope.getHeadDim() != attention.getHeadDim())
    return {};
  return rope;
}

struct LLMFuseAttentionPass
    : llm::impl::LLMFuseAttentionPassBase<LLMFuseAttentionPass> {
  void runOnOperation() override {
    getOperation().walk([](AttentionOp attention) {
      if (attention.getRopeThetaAttr())
        return;
      RopeOp query = absorbableRope(attention.getQuery(), attention);
      RopeOp key = absorbableRope(attention.getKey(), attention);
      if (!query || !key || query.getThetaAttr() != key.getThetaAttr() ||
          query.getScalingAttr() != key.getScalingAttr())
        return;
      attention.getQueryMutable().assign(query.getInput());
      attention.getKeyMutable().assign(key.getInput());
      attention.setRopeThetaAttr(query.getThetaAttr());
      if (auto scaling = query.getScalingAttr())
        attention.setRopeScalingAttr(scaling);
      query.erase();
      key.erase();
    });
  }
};

} // namespace
