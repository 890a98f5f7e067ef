//===- IRFuzzer.cpp - libFuzzer target: llm and lpu IR --------------------===//
//
// Each input is MLIR text in the llm, lpu and upstream dialects (seeded with
// the dialect tests): parsing and verifying it must succeed or fail with
// diagnostics, never crash; a module that verifies must print and parse
// back.
//
//===----------------------------------------------------------------------===//

#include "llm/Dialect/LLM/IR/LLMDialect.h"
#include "llm/Dialect/LPU/IR/LPUDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
              mlir::tensor::TensorDialect, mlir::llm::LLMDialect,
              mlir::llm::lpu::LPUDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry);
  context.loadAllAvailableDialects();
  // Diagnostics are expected: swallow them.
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  // A copy, NUL-terminated like every buffer the tools parse (files and
  // stdin): MLIR's lexer stops at the terminator.
  std::string copy(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text(copy);
  mlir::ParserConfig config(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config);
  if (!module)
    return 0;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  mlir::OwningOpRef<mlir::ModuleOp> again =
      mlir::parseSourceString<mlir::ModuleOp>(printed, config);
  if (!again)
    __builtin_trap(); // what verifies must print in a form that parses
  return 0;
}
