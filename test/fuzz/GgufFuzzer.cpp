//===- GgufFuzzer.cpp - Fuzz the GGUF reader ------------------------------===//
//
// Input: the bytes of a .gguf file. It is opened (header, metadata, tensor
// descriptions), its tensors are presented under Hugging Face names (with
// dequantization and row permutation) and its tokenizer is built when it has
// one. Errors are fine; crashes and sanitizer reports are not.
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/Gguf.h"
#include "llm/runtime/Tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = "/tmp/llm-gguf-fuzz-" + std::to_string(getpid()) + ".gguf";
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto file = llm::runtime::GgufFile::open(path);
  if (file.ok()) {
    (void)llm::runtime::ggufCheckpoint(*file);
    if ((*file)->find("tokenizer.ggml.model")) {
      auto tok = llm::runtime::Tokenizer::fromGguf(**file);
      if (tok.ok())
        (void)tok->encode("Hello world <s>", true, true);
    }
  }
  return 0;
}
