//===- llm-opt.cpp - the mlir-opt of the llm project ----------------------===//

#include "llm/InitAll.h"
#include "llm/Support/AtomicOutput.h"

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

  // `-o` is written only when the run succeeds (see AtomicOutput.h).
  return mlir::llm::runWithAtomicOutput(
      "llm-opt", std::vector<std::string>(argv, argv + argc),
      [&](std::vector<std::string> &args) {
        std::vector<char *> cargs;
        for (std::string &arg : args)
          cargs.push_back(arg.data());
        cargs.push_back(nullptr);
        return mlir::asMainReturnCode(mlir::MlirOptMain(
            static_cast<int>(args.size()), cargs.data(),
            "llm optimizer driver: llm and upstream dialects and passes\n",
            registry));
      });
}
