//===- AtomicOutput.h - tools write -o files only on success ----*- C++ -*-===//
//
// mlir-opt-style drivers open their `-o` file before they run, so a failing
// run leaves a truncated file where a good one was, and `-o` naming the
// input file truncates the input while it is still mapped (SIGBUS). The
// tools instead write to a temporary file beside the output and rename it
// over the output only when the run succeeds.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_SUPPORT_ATOMICOUTPUT_H
#define LLM_SUPPORT_ATOMICOUTPUT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::llm {

/// Runs `main` on `args` with its `-o FILE` (`-o=FILE`, `--o FILE`, ...)
/// redirected to `FILE.tmp-<pid>`, then renames the temporary over FILE if
/// `main` returns 0 and removes it otherwise. Without `-o`, with `-o -`, or
/// when FILE exists and is not a regular file (/dev/null, a FIFO), `main`
/// runs on `args` unchanged. Returns `main`'s exit code (1 if the
/// rename fails, with a message on stderr naming `tool`).
inline int runWithAtomicOutput(
    llvm::StringRef tool, std::vector<std::string> args,
    const std::function<int(std::vector<std::string> &)> &main) {
  // The argument that names the output, and where its file name starts.
  std::string *outputArg = nullptr;
  size_t nameStart = 0;
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i) {
    llvm::StringRef arg = args[i];
    if ((arg == "-o" || arg == "--o") && i + 1 < args.size()) {
      outputArg = &args[i + 1];
      break;
    }
    if (arg.starts_with("-o=") || arg.starts_with("--o=")) {
      outputArg = &args[i];
      nameStart = arg.find('=') + 1;
      break;
    }
  }
  std::string output = outputArg ? outputArg->substr(nameStart) : "";
  // Only a regular file (or a new one) is replaced: stdout, a device such as
  // /dev/null, or a FIFO is written as it is.
  if (output.empty() || output == "-" ||
      (llvm::sys::fs::exists(output) && !llvm::sys::fs::is_regular_file(output)))
    return main(args);
  std::string temporary =
      output + ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
  outputArg->replace(nameStart, std::string::npos, temporary);
  int code = main(args);
  if (code != 0) {
    llvm::sys::fs::remove(temporary);
    return code;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, output)) {
    llvm::errs() << tool << ": error: cannot write '" << output
                 << "': " << ec.message() << "\n";
    llvm::sys::fs::remove(temporary);
    return 1;
  }
  return 0;
}

} // namespace mlir::llm

#endif // LLM_SUPPORT_ATOMICOUTPUT_H
