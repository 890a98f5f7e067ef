//===- Tokenizer.h - SentencePiece tokenizer and streaming decoder --------===//

#ifndef LLM_RUNTIME_TOKENIZER_H
#define LLM_RUNTIME_TOKENIZER_H

#include "llm/runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
} // namespace sentencepiece

namespace llm::runtime {

/// A SentencePiece model (LLaMA's tokenizer.model). Movable, not copyable.
class Tokenizer {
public:
  /// Loads a serialized SentencePiece model; errors name the path and say
  /// whether the file is missing or does not parse.
  static Expected<Tokenizer> load(const std::string &path);

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  /// Token ids of `text`, preceded by BOS when `addBos`.
  Expected<std::vector<int32_t>> encode(std::string_view text, bool addBos) const;
  /// Full decode of `ids` (SentencePiece semantics: control tokens vanish,
  /// the leading space of the first piece is dropped, byte pieces are joined
  /// into UTF-8 with U+FFFD for invalid bytes). Errors for ids out of range.
  Expected<std::string> decode(const std::vector<int32_t> &ids) const;

  int32_t bosId() const;
  int32_t eosId() const;
  /// -1 when the model has none.
  int32_t padId() const;
  int32_t unkId() const;
  int32_t vocabSize() const;
  bool isValid(int32_t id) const { return id >= 0 && id < vocabSize(); }
  /// True for <0xNN> byte-fallback pieces; false for invalid ids.
  bool isByte(int32_t id) const;
  /// True for control pieces (<s>, </s>, ...); false for invalid ids.
  bool isControl(int32_t id) const;
  /// The raw piece ("▁the", "<0xE2>", ...); empty for invalid ids.
  std::string piece(int32_t id) const;
  /// The path the model was loaded from.
  const std::string &path() const { return path_; }

private:
  friend class StreamDecoder;
  Tokenizer();
  /// DecodeIds without range checking (ids must be valid).
  std::string decodeUnchecked(const std::vector<int> &ids) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string path_;
  std::vector<int16_t> byteValue_; ///< id -> byte value for <0xNN>, else -1
  int32_t sentinelId_ = -1;        ///< a plain piece used to anchor windowed decodes
  std::string sentinelText_;       ///< its decoded text
};

/// Turns a stream of token ids into text, one id at a time, such that
///  - the concatenation of everything returned equals tokenizer.decode(ids),
///  - every returned chunk is complete, valid UTF-8: the bytes of a character
///    split over several byte-fallback pieces (<0xE2><0x86><0x92>) are held
///    back until the character is complete (or proven invalid).
/// Only the ids since the last point where the text was final are decoded, so
/// each push costs O(1) amortised rather than O(length of the stream).
/// The Tokenizer must outlive the decoder.
class StreamDecoder {
public:
  explicit StreamDecoder(const Tokenizer &tokenizer) : tok_(&tokenizer) {}

  /// Adds one id; returns the newly completed text (possibly empty). An id
  /// out of range is an error and is not added.
  Expected<std::string> push(int32_t id);
  /// Returns whatever is still held back (an incomplete trailing character is
  /// emitted as SentencePiece decodes it, i.e. as U+FFFD). The next push()
  /// starts a new sequence; text() keeps accumulating until reset().
  std::string flush();
  /// Forgets everything, including text(); the next id starts a new sequence.
  void reset();

  /// All text emitted so far (since construction or the last reset()).
  const std::string &text() const { return emittedAll_; }

private:
  std::string decodePending(size_t count) const;

  const Tokenizer *tok_;
  std::vector<int> pending_;      ///< ids since the last commit point
  bool anchored_ = false;         ///< text before pending_ is non-empty
  size_t emittedPending_ = 0;     ///< bytes emitted from pending_'s decode
  std::string emittedAll_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_TOKENIZER_H
