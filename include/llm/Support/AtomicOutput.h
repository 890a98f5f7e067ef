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
  std::string output;
  for (size_t i = 1; i < args.size(); ++i) {
    llvm::StringRef arg = args[i];
    if (arg == "--")
      break;
    if ((arg == "-o" || arg == "--o") && i + 1 < args.size()) {
      output = args[i + 1];
      if (output != "-")
        args[i + 1] = output + ".tmp-" +
                      std::to_string(llvm::sys::Process::getProcessId());
      break;
    }
    if (arg.starts_with("-o=") || arg.starts_with("--o=")) {
      output = arg.split('=').second.str();
      if (output != "-")
        args[i] = "-o=" + output + ".tmp-" +
                  std::to_string(llvm::sys::Process::getProcessId());
      break;
    }
  }
  // Only a regular file (or a new one) is replaced: a device such as
  // /dev/null, or a FIFO, is written as it is.
  bool special = !output.empty() && output != "-" &&
                 llvm::sys::fs::exists(output) &&
                 !llvm::sys::fs::is_regular_file(output);
  if (special) {
    for (std::string &arg : args)
      if (llvm::StringRef(arg).ends_with(
              ".tmp-" + std::to_string(llvm::sys::Process::getProcessId())))
        arg = llvm::StringRef(arg).starts_with("-o=") ? "-o=" + output
                                                       : output;
  }
  if (output.empty() || output == "-" || special)
    return main(args);
  std::string temporary =
      output + ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
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
