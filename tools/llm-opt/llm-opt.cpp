//===- llm-opt.cpp - the mlir-opt of the llm project ----------------------===//

#include "llm/InitAll.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::llm::registerAllLLMPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::llm::registerAllLLMDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "llm optimizer driver: llm and upstream dialects and passes\n",
      registry));
}
