//===- BindParameters.cpp - named parameters to function arguments --------===//

#include "llm/Conversion/Passes.h"
#include "llm/Dialect/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMBINDPARAMETERSPASS
#include "llm/Conversion/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;
using namespace mlir::llm;

namespace {

/// Strings as an array attribute.
ArrayAttr stringArray(Builder &b, ArrayRef<StringAttr> strings) {
  return b.getArrayAttr(SmallVector<Attribute>(strings.begin(), strings.end()));
}

/// How `param` is computed from the checkpoint, as builtin attributes (the
/// lowered module holds no llm dialect) for the runtime; null for a plain
/// checkpoint tensor.
DictionaryAttr derivationRecord(Builder &b, ParamOp param) {
  auto text = [&](StringRef s) { return b.getStringAttr(s); };
  ConcatAttr stacked = param.getStackedAttr();
  ArrayRef<StringAttr> parts =
      stacked ? stacked.getSources() : ArrayRef<StringAttr>();
  if (StringAttr by = param.getColumnScaleAttr())
    // A weight with a norm folded in: its base tensor (a checkpoint tensor,
    // or its stacked parts) with columns scaled by `by`.
    return b.getDictionaryAttr(
        {b.getNamedAttr("scheme", text("scale_columns")),
         b.getNamedAttr("source", text(param.getBaseName())),
         b.getNamedAttr("by", by),
         b.getNamedAttr("sources", stringArray(b, parts))});
  Int4PackAttr pack = param.getDerivedAttr();
  if (!pack)
    return stacked ? b.getDictionaryAttr(
                         {b.getNamedAttr("scheme", text("concat")),
                          b.getNamedAttr("sources", stringArray(b, parts))})
                   : DictionaryAttr();
  return b.getDictionaryAttr(
      {b.getNamedAttr("scheme", text("int4")),
       b.getNamedAttr("source", text(pack.getSource())),
       b.getNamedAttr("part", text(pack.getPart())),
       b.getNamedAttr("group_size", b.getI64IntegerAttr(pack.getGroupSize())),
       b.getNamedAttr("symmetric", b.getBoolAttr(pack.getSymmetric())),
       b.getNamedAttr("format", text(pack.getFormat())),
       b.getNamedAttr("input_scale", text(pack.getInputScale())),
       b.getNamedAttr("column_scale", text(pack.getColumnScale())),
       b.getNamedAttr("stacked_sources",
                      stringArray(b, pack.getStackedSources()))});
}

struct LLMBindParametersPass
    : llm::impl::LLMBindParametersPassBase<LLMBindParametersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Builder b(ctx);

    // The module-wide table, in first-use order.
    llvm::MapVector<StringRef, RankedTensorType> table;
    llvm::StringMap<DictionaryAttr> derivations;
    WalkResult walk = module.walk([&](ParamOp param) {
      auto type = llvm::cast<RankedTensorType>(param.getResult().getType());
      DictionaryAttr how = derivationRecord(b, param);
      auto [known, first] = derivations.try_emplace(param.getName(), how);
      if (!first && known->second != how) {
        param.emitOpError("parameter '")
            << param.getName()
            << "' is derived in two different ways (or derived and plain)";
        return WalkResult::interrupt();
      }
      auto [it, inserted] = table.insert({param.getName(), type});
      if (!inserted && it->second != type) {
        param.emitOpError("parameter '")
            << param.getName() << "' is used with types " << it->second
            << " and " << type;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (table.empty())
      return;

    // Every function that binds parameters gets the whole table, so all entry
    // points share one calling convention.
    for (auto func : module.getOps<func::FuncOp>()) {
      bool usesParameters = false;
      func.walk([&](ParamOp) { usesParameters = true; });
      if (!usesParameters)
        continue;
      unsigned first = func.getNumArguments();
      SmallVector<unsigned> indices(table.size(), first);
      SmallVector<Type> types;
      SmallVector<DictionaryAttr> attrs;
      SmallVector<Location> locs(table.size(), func.getLoc());
      for (auto &[name, type] : table) {
        types.push_back(type);
        attrs.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("llm.param", b.getStringAttr(name)),
             b.getNamedAttr(bufferization::BufferizationDialect::
                                kWritableAttrName,
                            b.getBoolAttr(false))}));
      }
      if (failed(func.insertArguments(indices, types, attrs, locs)))
        return signalPassFailure();
      llvm::StringMap<unsigned> position;
      for (auto [i, entry] : llvm::enumerate(table))
        position[entry.first] = first + i;
      func.walk([&](ParamOp param) {
        param.replaceAllUsesWith(
            func.getArgument(position.lookup(param.getName())));
        param.erase();
      });
    }

    SmallVector<Attribute> entries;
    for (auto &[name, type] : table) {
      std::string dtype;
      llvm::raw_string_ostream os(dtype);
      type.getElementType().print(os);
      SmallVector<NamedAttribute> fields = {
          b.getNamedAttr("name", b.getStringAttr(name)),
          b.getNamedAttr("shape", b.getI64ArrayAttr(type.getShape())),
          b.getNamedAttr("dtype", b.getStringAttr(dtype))};
      if (DictionaryAttr how = derivations.lookup(name))
        fields.push_back(b.getNamedAttr("derived", how));
      entries.push_back(b.getDictionaryAttr(fields));
    }
    module->setAttr(kParametersAttrName, b.getArrayAttr(entries));
  }
};
} // namespace
