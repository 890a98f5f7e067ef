//===- TokenizerModel.h - What a tokenizer format implements --------------===//
//
// The public Tokenizer splits text on added tokens, adds the post-processor's
// tokens and streams decoded text; a TokenizerModel is what differs between
// formats: a SentencePiece model (tokenizer.model) or a Hugging Face
// tokenizer.json pipeline (normalizer, pre-tokenizer, BPE, decoder).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_TOKENIZER_TOKENIZERMODEL_H
#define LLM_RUNTIME_TOKENIZER_TOKENIZERMODEL_H

#include "llm/runtime/Status.h"
#include "tokenizer/Utf8.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llm::runtime {
class GgufFile;
}

namespace llm::runtime::detail {

/// A token matched in the text before the model sees it (Hugging Face's
/// "added tokens"; SentencePiece's control pieces).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false; ///< only split out when the caller parses specials
  bool lstrip = false;  ///< swallows whitespace on its left
  bool rstrip = false;  ///< swallows whitespace on its right
};

class TokenizerModel {
public:
  virtual ~TokenizerModel();

  /// A short name of the format, for messages ("SentencePiece model", ...).
  virtual std::string_view formatName() const = 0;
  /// Appends the ids of `text`, a stretch between added tokens; `atTextStart`
  /// is true for the stretch that begins the whole text.
  virtual Status encodeSegment(std::string_view text, bool atTextStart,
                               std::vector<int32_t> &out) const = 0;
  /// Appends the raw bytes `id` contributes to decoded text (possibly part of
  /// a UTF-8 character); `atTextStart` while nothing has been decoded yet.
  /// Ids are valid.
  virtual void appendDecoded(int32_t id, bool atTextStart, std::string &bytes) const = 0;
  /// Whether `id` ends any character still incomplete in the bytes before
  /// it (SentencePiece and byte fallback only join consecutive byte pieces).
  virtual bool endsCharacter(int32_t /*id*/) const { return false; }
  /// Text of `ids` (valid); by default appendDecoded over the ids, with
  /// invalid UTF-8 replaced by U+FFFD.
  virtual std::string decode(const std::vector<int32_t> &ids) const;

  virtual int32_t vocabSize() const = 0;
  virtual std::string piece(int32_t id) const = 0;
  /// Whether `id` is a control/special token (not text).
  virtual bool isSpecial(int32_t id) const = 0;
  /// Id of a vocabulary entry or added token, -1 if none.
  virtual int32_t tokenId(std::string_view piece) const = 0;

  /// Tokens matched in the text before encoding.
  std::vector<AddedToken> addedTokens;
  /// Indices into addedTokens by the first byte of their content, longest
  /// first (filled by Tokenizer::load).
  std::array<std::vector<uint32_t>, 256> addedByFirstByte;
  /// What "add special tokens" puts around a sequence (BOS and the like).
  std::vector<int32_t> prefixIds, suffixIds;
  int32_t bosId = -1, eosId = -1, padId = -1, unkId = -1;
  /// How the format's decoder replaces invalid UTF-8.
  utf8::Replacement replacement = utf8::Replacement::PerSubpart;
};

/// Loaders; errors name `path`.
Expected<std::unique_ptr<TokenizerModel>> loadSentencePieceModel(const std::string &path);
Expected<std::unique_ptr<TokenizerModel>> loadTokenizerJson(const std::string &path);
/// The tokenizer a GGUF file's metadata describes.
Expected<std::unique_ptr<TokenizerModel>> tokenizerFromGguf(const GgufFile &file);
/// A tokenizer.json already parsed (or built, e.g. from GGUF metadata).
Expected<std::unique_ptr<TokenizerModel>> tokenizerJsonFromValue(const nlohmann::json &root);

} // namespace llm::runtime::detail

#endif // LLM_RUNTIME_TOKENIZER_TOKENIZERMODEL_H
