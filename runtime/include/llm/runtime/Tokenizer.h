//===- Tokenizer.h - Tokenizers and the streaming decoder -----------------===//
//
// One Tokenizer type over the formats LLaMA-family checkpoints ship:
//  - a SentencePiece model (tokenizer.model: LLaMA-1/2, TinyLlama, Mistral);
//  - a Hugging Face tokenizer.json: byte-level BPE (Llama-3) or
//    SentencePiece-style BPE with byte fallback (LLaMA-2 without
//    tokenizer.model).
// Added/special tokens written in the text ("<|eot_id|>") are recognised when
// the caller asks for it, as Hugging Face and llama.cpp do for prompts.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_TOKENIZER_H
#define LLM_RUNTIME_TOKENIZER_H

#include "llm/runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llm::runtime {

class GgufFile;
namespace detail {
class TokenizerModel;
} // namespace detail

/// Movable, not copyable; thread-safe for concurrent const use.
class Tokenizer {
public:
  /// Loads `path`: a model directory (its tokenizer.model, else its
  /// tokenizer.json), a tokenizer.json file (by its .json extension) or a
  /// SentencePiece model file. Errors name the path and what is wrong.
  static Expected<Tokenizer> load(const std::string &path);
  /// The tokenizer file a model directory holds ("" if none), by the same
  /// preference as load().
  static std::string findInDirectory(const std::string &directory);
  /// The tokenizer of a GGUF file's metadata ("llama" SentencePiece pieces
  /// with scores, or "gpt2" byte-level BPE with merges).
  static Expected<Tokenizer> fromGguf(const GgufFile &file);

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  /// Token ids of `text`. `addSpecial` adds what the format adds around a
  /// sequence (BOS for LLaMA models). `parseSpecial` turns special tokens
  /// written in the text into their ids; added tokens that are not special are
  /// always recognised.
  Expected<std::vector<int32_t>> encode(std::string_view text, bool addSpecial,
                                        bool parseSpecial = false) const;
  /// Text of `ids`; invalid UTF-8 from byte pieces becomes U+FFFD. Special
  /// tokens are rendered as the format does (a SentencePiece control piece is
  /// invisible; a tokenizer.json special token is its text) unless
  /// `skipSpecial`. Errors for ids out of range.
  Expected<std::string> decode(const std::vector<int32_t> &ids,
                               bool skipSpecial = false) const;

  int32_t bosId() const;
  int32_t eosId() const;
  /// -1 when the vocabulary has none.
  int32_t padId() const;
  int32_t unkId() const;
  int32_t vocabSize() const;
  bool isValid(int32_t id) const { return id >= 0 && id < vocabSize(); }
  /// True for control/special tokens (<s>, <|eot_id|>, ...); false for
  /// invalid ids.
  bool isSpecial(int32_t id) const;
  /// The raw vocabulary entry ("▁the", "Ġthe", "<0xE2>", ...); empty for
  /// invalid ids.
  std::string piece(int32_t id) const;
  /// The id of a vocabulary entry or added token ("<|eot_id|>"), -1 if none.
  int32_t tokenId(std::string_view piece) const;
  /// "SentencePiece model" or "tokenizer.json".
  std::string_view formatName() const;
  /// The path the tokenizer was loaded from.
  const std::string &path() const { return path_; }

private:
  friend class StreamDecoder;
  Tokenizer();
  Status encodeText(std::string_view text, bool parseSpecial,
                    std::vector<int32_t> &out) const;
  /// Orders the added tokens for matching (longest first, by first byte).
  void indexAddedTokens();

  std::unique_ptr<detail::TokenizerModel> model_;
  std::string path_;
};

/// Turns a stream of token ids into text, one id at a time, such that
///  - the concatenation of everything returned (and flush()) equals
///    tokenizer.decode(ids, skipSpecial),
///  - every returned chunk is complete, valid UTF-8: a character whose bytes
///    span several tokens is held back until it is complete (or proven
///    invalid, then it becomes U+FFFD).
/// Each push costs O(1) amortised. The Tokenizer must outlive the decoder.
class StreamDecoder {
public:
  explicit StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial = true)
      : tok_(&tokenizer), skipSpecial_(skipSpecial) {}

  /// Adds one id; returns the newly completed text (possibly empty). An id
  /// out of range is an error and is not added.
  Expected<std::string> push(int32_t id);
  /// Returns whatever is still held back (an incomplete trailing character
  /// becomes U+FFFD). The next push() starts a new text; text() keeps
  /// accumulating until reset().
  std::string flush();
  /// Forgets everything, including text(); the next id starts a new text.
  void reset();

  /// All text emitted so far (since construction or the last reset()).
  const std::string &text() const { return emittedAll_; }
  const Tokenizer &tokenizer() const { return *tok_; }

private:
  const Tokenizer *tok_;
  bool skipSpecial_;
  bool atTextStart_ = true; ///< no text token pushed since the start
  std::string held_;        ///< bytes of an incomplete trailing character
  std::string emittedAll_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_TOKENIZER_H
