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
struct LLMBindParametersPass
    : llm::impl::LLMBindParametersPassBase<LLMBindParametersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Builder b(ctx);

    // The module-wide table, in first-use order.
    llvm::MapVector<StringRef, RankedTensorType> table;
    llvm::StringMap<Attribute> derivations;
    WalkResult walk = module.walk([&](ParamOp param) {
      auto type = llvm::cast<RankedTensorType>(param.getResult().getType());
      Attribute how = param.getDerivedAttr();
      if (!how)
        how = param.getStackedAttr();
      if (StringAttr by = param.getColumnScaleAttr()) {
        // A weight with a norm folded in: its base tensor (a checkpoint
        // tensor, or its stacked parts) with columns scaled by `by`.
        SmallVector<Attribute> parts;
        if (ConcatAttr stacked = param.getStackedAttr())
          parts.assign(stacked.getSources().begin(),
                       stacked.getSources().end());
        how = b.getDictionaryAttr(
            {b.getNamedAttr("scheme", b.getStringAttr("scale_columns")),
             b.getNamedAttr("source", b.getStringAttr(param.getBaseName())),
             b.getNamedAttr("by", by),
             b.getNamedAttr("sources", b.getArrayAttr(parts))});
      }
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
      // How a derived parameter is computed from the checkpoint, as builtin
      // attributes so that the lowered module needs no llm dialect.
      Attribute how = derivations.lookup(name);
      if (auto record = dyn_cast_or_null<DictionaryAttr>(how))
        fields.push_back(b.getNamedAttr("derived", record));
      if (auto concat = dyn_cast_or_null<ConcatAttr>(how)) {
        SmallVector<Attribute> sources(concat.getSources().begin(),
                                       concat.getSources().end());
        fields.push_back(b.getNamedAttr(
            "derived",
            b.getDictionaryAttr(
                {b.getNamedAttr("scheme", b.getStringAttr("concat")),
                 b.getNamedAttr("sources", b.getArrayAttr(sources))})));
      }
      if (auto derived = dyn_cast_or_null<Int4PackAttr>(how))
        fields.push_back(b.getNamedAttr(
            "derived",
            b.getDictionaryAttr(
                {b.getNamedAttr("scheme", b.getStringAttr("int4")),
                 b.getNamedAttr("source", b.getStringAttr(derived.getSource())),
                 b.getNamedAttr("part", b.getStringAttr(derived.getPart())),
                 b.getNamedAttr("group_size",
                                b.getI64IntegerAttr(derived.getGroupSize())),
                 b.getNamedAttr("symmetric",
                                b.getBoolAttr(derived.getSymmetric())),
                 b.getNamedAttr("format", b.getStringAttr(derived.getFormat())),
                 b.getNamedAttr("input_scale",
                                b.getStringAttr(derived.getInputScale())),
                 b.getNamedAttr("column_scale",
                                b.getStringAttr(derived.getColumnScale())),
                 b.getNamedAttr("stacked_sources",
                                b.getArrayAttr(SmallVector<Attribute>(
                                    derived.getStackedSources().begin(),
                                    derived.getStackedSources().end())))})));
      entries.push_back(b.getDictionaryAttr(fields));
    }
    module->setAttr(kParametersAttrName, b.getArrayAttr(entries));
  }
};
} // namespace
