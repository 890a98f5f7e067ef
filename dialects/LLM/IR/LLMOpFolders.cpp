//===- LLMOpFolders.cpp - llm dialect folders -----------------------------===//

#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::llm;

/// Returns true if `attr` is a float splat equal to `value` (0 or 1).
static bool isFloatSplat(Attribute attr, double value) {
  auto splat = llvm::dyn_cast_if_present<SplatElementsAttr>(attr);
  if (!splat || !llvm::isa<FloatType>(splat.getElementType()))
    return false;
  APFloat element = splat.getSplatValue<APFloat>();
  return value == 0.0 ? element.isZero() : element.isExactlyValue(value);
}

/// Folds a commutative binary op whose one side is the identity splat.
template <typename OpTy>
static OpFoldResult foldIdentity(OpTy op, ArrayRef<Attribute> operands,
                                 double identity) {
  if (isFloatSplat(operands[1], identity))
    return op.getLhs();
  if (isFloatSplat(operands[0], identity))
    return op.getRhs();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(*this, adaptor.getOperands(), 0.0);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(*this, adaptor.getOperands(), 1.0);
}
