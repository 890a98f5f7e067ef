//===- ToolArguments.h - llama.cpp-style command lines ----------*- C++ -*-===//
//
// What llm-run and llm-server do to a command line before LLVM's parser
// sees it: `--threads` (LLVM has an option of that name) is spelled
// `--num-threads`, and an option the tool does not have (a llama.cpp flag
// such as -ngl) is found first, to be refused with a message naming it.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_SUPPORT_TOOLARGUMENTS_H
#define LLM_SUPPORT_TOOLARGUMENTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <string>
#include <vector>

namespace llm {

/// `argv` with `--threads[=N]` (and `-threads`) spelled `--num-threads`.
inline std::vector<std::string> spellThreadsOption(int argc, char **argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (std::string &arg : args) {
    llvm::StringRef ref(arg);
    if (ref == "--threads" || ref == "-threads")
      arg = "--num-threads";
    else if (ref.starts_with("--threads=") || ref.starts_with("-threads="))
      arg = "--num-threads=" + ref.split('=').second.str();
  }
  return args;
}

/// The first argument that names no registered option, or "" when all do.
/// Values of options that take one (`-p "-x"`) are skipped; "--" ends the
/// options.
inline std::string unknownOption(llvm::ArrayRef<std::string> args) {
  auto options = llvm::cl::getRegisteredOptions();
  for (size_t i = 1; i < args.size(); ++i) {
    llvm::StringRef arg(args[i]);
    if (arg == "--")
      break;
    if (!arg.starts_with("-") || arg == "-")
      continue;
    llvm::StringRef name = arg.ltrim('-');
    bool inlineValue = name.contains('=');
    name = name.split('=').first;
    auto it = options.find(name);
    if (it == options.end())
      return arg.str();
    if (!inlineValue &&
        it->second->getValueExpectedFlag() == llvm::cl::ValueRequired)
      ++i;
  }
  return "";
}

} // namespace llm

#endif // LLM_SUPPORT_TOOLARGUMENTS_H
