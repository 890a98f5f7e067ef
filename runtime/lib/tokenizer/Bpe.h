//===- Bpe.h - Byte-pair encoding by merge rank ----------------------------===//
//
// The "BPE" model of Hugging Face's tokenizer.json: a vocabulary, merges in
// priority order, optional byte fallback (<0xNN> pieces) and unknown token,
// and ignore_merges (a word that is itself in the vocabulary is one token).
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_TOKENIZER_BPE_H
#define LLM_RUNTIME_TOKENIZER_BPE_H

#include "llm/runtime/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llm::runtime::detail {

class Bpe {
public:
  /// Reads tokenizer.json's "model" object; errors name the field.
  static Expected<Bpe> fromJson(const nlohmann::json &model);

  Bpe() = default;
  Bpe(Bpe &&) = default;
  Bpe &operator=(Bpe &&) = default;
  Bpe(const Bpe &) = delete;
  Bpe &operator=(const Bpe &) = delete;

  /// Appends the ids of one pre-tokenized word.
  void encodeWord(std::string_view word, std::vector<int32_t> &out) const;

  /// Id of `piece`, -1 if it is not in the vocabulary.
  int32_t find(std::string_view piece) const;
  /// Number of vocabulary entries (ids are 0 .. size-1, possibly with gaps
  /// that added tokens fill).
  const std::vector<std::string> &pieces() const { return pieces_; }
  /// The byte a "<0xNN>" piece stands for, or -1.
  int byteValue(int32_t id) const;
  int32_t unkId() const { return unkId_; }

private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t pairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }

  std::vector<std::string> pieces_;
  /// Keys view the strings of pieces_ (which is never resized after).
  std::unordered_map<std::string_view, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byteIds_{};
  std::vector<int16_t> byteOfId_;
  int32_t unkId_ = -1;
  bool byteFallback_ = false;
  bool fuseUnk_ = false;
  bool ignoreMerges_ = false;
};

} // namespace llm::runtime::detail

#endif // LLM_RUNTIME_TOKENIZER_BPE_H
