//===- TokenizerFuzzer.cpp - libFuzzer target: the SentencePiece wrapper --===//
//
// With the stories260K tokenizer ($LLM_FUZZ_TOKENIZER, else the one in
// ../shared/models), the first byte picks what the rest of the input is:
// text to encode (decode(encode(text)) must not crash), or token ids to
// decode in full and through the streaming decoder, whose pieces must add
// up to the full decode.
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/Tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// The variable naming the tokenizer file (one per target: SentencePiece and
// tokenizer.json).
#ifndef LLM_FUZZ_TOKENIZER_ENV
#define LLM_FUZZ_TOKENIZER_ENV "LLM_FUZZ_TOKENIZER"
#endif

namespace {
const llm::runtime::Tokenizer &tokenizer() {
  static const llm::runtime::Tokenizer *loaded = [] {
    const char *path = std::getenv(LLM_FUZZ_TOKENIZER_ENV);
    std::string file = path && *path ? path : LLM_FUZZ_TOKENIZER_DEFAULT;
    auto t = llm::runtime::Tokenizer::load(file);
    if (!t.ok()) {
      std::fprintf(stderr, "TokenizerFuzzer: %s (set " LLM_FUZZ_TOKENIZER_ENV ")\n",
                   t.message().c_str());
      std::exit(1);
    }
    return new llm::runtime::Tokenizer(std::move(*t));
  }();
  return *loaded;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const llm::runtime::Tokenizer &tok = tokenizer();
  const uint8_t mode = data[0];
  ++data;
  --size;
  if (mode % 2 == 0) {
    std::string_view text(reinterpret_cast<const char *>(data), size);
    auto ids = tok.encode(text, mode & 2, /*parseSpecial=*/mode & 4);
    if (ids.ok())
      (void)tok.decode(*ids);
    return 0;
  }
  std::vector<int32_t> ids(size / 2);
  for (size_t i = 0; i < ids.size(); ++i) {
    // Ids mostly inside the vocabulary, sometimes far outside.
    int16_t raw;
    std::memcpy(&raw, data + 2 * i, 2);
    ids[i] = raw;
  }
  // Streamed text adds up to the full decode, with special tokens kept and
  // with them skipped.
  for (bool skipSpecial : {false, true}) {
    auto full = tok.decode(ids, skipSpecial);
    llm::runtime::StreamDecoder stream(tok, skipSpecial);
    std::string streamed;
    bool ok = true;
    for (int32_t id : ids) {
      auto piece = stream.push(id);
      if (!piece.ok()) {
        ok = false;
        break;
      }
      streamed += *piece;
    }
    if (ok) {
      streamed += stream.flush();
      if (full.ok() && *full != streamed)
        __builtin_trap();
    }
  }
  return 0;
}
