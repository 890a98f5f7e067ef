//===- LowerMPI.cpp - the llm-lower-mpi pass ------------------------------===//
//
// Upstream lowers the mpi dialect to the C API of either MPICH or Open MPI,
// chosen by the module's DLTI entry "MPI:Implementation"; the runtime links
// Debian's Open MPI, so the module says so before the patterns run.
//
//===----------------------------------------------------------------------===//

#include "llm/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MPIToLLVM/MPIToLLVM.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::llm {
#define GEN_PASS_DEF_LLMLOWERMPIPASS
#include "llm/Conversion/Passes.h.inc"
} // namespace mlir::llm

using namespace mlir;

namespace {

/// mpi.allreduce: reads `sendbuf`, writes `recvbuf`.
struct AllReduceMemoryEffects
    : MemoryEffectOpInterface::ExternalModel<AllReduceMemoryEffects,
                                             mpi::AllReduceOp> {
  void getEffects(Operation *op,
                  SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                      &effects) const {
    auto allReduce = cast<mpi::AllReduceOp>(op);
    effects.emplace_back(MemoryEffects::Read::get(),
                         &allReduce.getSendbufMutable());
    effects.emplace_back(MemoryEffects::Write::get(),
                         &allReduce.getRecvbufMutable());
  }
};

/// mpi.send reads its buffer, and writes what lies outside the program (an
/// op that only read would be dead); mpi.recv writes its buffer.
struct SendMemoryEffects
    : MemoryEffectOpInterface::ExternalModel<SendMemoryEffects, mpi::SendOp> {
  void getEffects(Operation *op,
                  SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                      &effects) const {
    effects.emplace_back(MemoryEffects::Read::get(),
                         &cast<mpi::SendOp>(op).getRefMutable());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};
struct RecvMemoryEffects
    : MemoryEffectOpInterface::ExternalModel<RecvMemoryEffects, mpi::RecvOp> {
  void getEffects(Operation *op,
                  SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                      &effects) const {
    effects.emplace_back(MemoryEffects::Write::get(),
                         &cast<mpi::RecvOp>(op).getRefMutable());
  }
};

/// mpi.comm_world: no effect on memory.
struct CommWorldMemoryEffects
    : MemoryEffectOpInterface::ExternalModel<CommWorldMemoryEffects,
                                             mpi::CommWorldOp> {
  void getEffects(Operation *,
                  SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                      &) const {}
};

struct LowerMPIPass : llm::impl::LLMLowerMPIPassBase<LowerMPIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool any = false;
    module.walk([&](Operation *op) {
      if (isa<mpi::MPIDialect>(op->getDialect()))
        any = true;
    });
    if (!any)
      return;
    MLIRContext *ctx = &getContext();
    auto entry = DataLayoutEntryAttr::get(
        StringAttr::get(ctx, "MPI:Implementation"),
        StringAttr::get(ctx, "OpenMPI"));
    module->setAttr("dlti.map", MapAttr::get(ctx, {entry}));
    LLVMTypeConverter converter(ctx);
    RewritePatternSet patterns(ctx);
    mpi::populateMPIToLLVMConversionPatterns(converter, patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<mpi::MPIDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    // Nothing else reads it, and LLVM IR has no translation for it.
    module->removeAttr("dlti.map");
    // Upstream names Open MPI's predefined reduction ops `ompi_mpi_<op>`;
    // libmpi exports them as `ompi_mpi_op_<op>` (ompi/op/op.h).
    for (auto global :
         llvm::make_early_inc_range(module.getOps<LLVM::GlobalOp>())) {
      StringRef name = global.getSymName();
      static constexpr StringRef kReductions[] = {
          "max", "min", "sum", "prod", "land", "band", "lor",
          "bor", "lxor", "bxor", "minloc", "maxloc", "replace"};
      if (!name.consume_front("ompi_mpi_") ||
          !llvm::is_contained(kReductions, name))
        continue;
      auto renamed = StringAttr::get(ctx, "ompi_mpi_op_" + name.str());
      if (failed(SymbolTable::replaceAllSymbolUses(global, renamed, module)))
        return signalPassFailure();
      SymbolTable::setSymbolName(global, renamed);
    }
  }
};

} // namespace

void mlir::llm::registerMPIMemoryEffects(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, mpi::MPIDialect *) {
    mpi::AllReduceOp::attachInterface<AllReduceMemoryEffects>(*ctx);
    mpi::CommWorldOp::attachInterface<CommWorldMemoryEffects>(*ctx);
    mpi::SendOp::attachInterface<SendMemoryEffects>(*ctx);
    mpi::RecvOp::attachInterface<RecvMemoryEffects>(*ctx);
  });
}
