//===- Utf8.h - UTF-8 helpers of the tokenizers ---------------------------===//
//
// Decoding turns token bytes into text: byte-level BPE and byte-fallback
// pieces may split a character over several tokens, and a model can emit
// bytes that never form a character. These helpers tell complete characters
// from a prefix that may still complete, and replace invalid bytes with
// U+FFFD the way Unicode's "maximal subpart" practice (and Hugging Face's
// from_utf8_lossy) does.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_TOKENIZER_UTF8_H
#define LLM_RUNTIME_TOKENIZER_UTF8_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llm::runtime::utf8 {

/// The replacement character U+FFFD in UTF-8.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// Length of the valid UTF-8 character at the start of `s` (1-4), or 0 when
/// `s` starts with an invalid or (if `s` is short) incomplete sequence;
/// `maximalSubpart` is then set to how many bytes the invalid part covers
/// (0 when the bytes are a valid but incomplete prefix of a character).
size_t validCharLength(std::string_view s, size_t &maximalSubpart);

/// How invalid bytes become U+FFFD: one per maximal invalid subpart
/// (Unicode's practice, Rust's from_utf8_lossy, Hugging Face), or one per
/// byte (SentencePiece).
enum class Replacement { PerSubpart, PerByte };

/// Appends `bytes` to `out` with invalid sequences replaced by U+FFFD.
/// When `final` is false, a trailing incomplete (but so far valid) sequence is
/// not consumed; returns the number of bytes consumed.
size_t appendLossy(std::string_view bytes, bool final, std::string &out,
                   Replacement policy = Replacement::PerSubpart);

/// The whole of `bytes`, invalid sequences replaced.
inline std::string lossy(std::string_view bytes,
                         Replacement policy = Replacement::PerSubpart) {
  std::string out;
  appendLossy(bytes, /*final=*/true, out, policy);
  return out;
}

/// Appends code point `cp` as UTF-8.
void appendCodePoint(uint32_t cp, std::string &out);

/// The byte a byte-fallback piece "<0xE2>" stands for; -1 for other text.
int parseBytePiece(std::string_view piece);

/// GPT-2's byte-level alphabet: each byte is shown as a printable code point
/// (printable Latin-1 bytes as themselves, the others from U+0100 on).
struct ByteLevelAlphabet {
  ByteLevelAlphabet();
  /// The UTF-8 text of byte `b`'s code point.
  std::array<std::string, 256> encoded;
  /// Code point -> byte, or -1 (code points < 324 cover the alphabet).
  std::array<int16_t, 324> decoded;

  static const ByteLevelAlphabet &get();
};

} // namespace llm::runtime::utf8

#endif // LLM_RUNTIME_TOKENIZER_UTF8_H
