//===- TextFile.h - reading small text files safely ------------*- C++ -*-===//

#ifndef LLM_RUNTIME_LIB_TEXTFILE_H
#define LLM_RUNTIME_LIB_TEXTFILE_H

#include "llm/runtime/Status.h"

#include <string>

namespace llm::runtime::detail {

/// Reads a whole small text file: only a regular file (a FIFO would block,
/// /dev/zero never end) of at most 256 MiB.
Expected<std::string> readTextFile(const std::string &path);

} // namespace llm::runtime::detail

#endif // LLM_RUNTIME_LIB_TEXTFILE_H
