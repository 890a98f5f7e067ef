//===- SentencePieceModel.cpp - tokenizer.model (SentencePiece) -----------===//

#include "tokenizer/TokenizerModel.h"
#include "tokenizer/Utf8.h"

#include <sentencepiece_processor.h>

#include <fmt/format.h>

#include <filesystem>
#include <unordered_map>

namespace llm::runtime::detail {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81"; // U+2581 "▁"
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 "; // " ⁇ "


enum class PieceKind : uint8_t { Text, Byte, Control, Unknown };

class SentencePieceModel final : public TokenizerModel {
public:
  std::string_view formatName() const override { return "SentencePiece model"; }

  Status encodeSegment(std::string_view text, bool /*atTextStart*/,
                       std::vector<int32_t> &out) const override {
    std::vector<int> ids;
    sentencepiece::util::Status st = sp_.Encode(text, &ids);
    if (!st.ok())
      return Error(fmt::format("cannot encode text: {}", st.ToString()));
    out.insert(out.end(), ids.begin(), ids.end());
    return Status::success();
  }

  void appendDecoded(int32_t id, bool atTextStart, std::string &bytes) const override {
    switch (kind_[id]) {
    case PieceKind::Control:
      return;
    case PieceKind::Unknown:
      bytes += kUnknownSurface;
      return;
    case PieceKind::Byte:
      bytes.push_back(static_cast<char>(byteValue_[id]));
      return;
    case PieceKind::Text:
      break;
    }
    std::string_view piece = sp_.IdToPiece(id);
    // SentencePiece drops the space its encoder prepended, once, at the start.
    if (atTextStart && piece.substr(0, kSpaceSymbol.size()) == kSpaceSymbol)
      piece.remove_prefix(kSpaceSymbol.size());
    for (size_t pos = 0; pos < piece.size();) {
      if (piece.substr(pos, kSpaceSymbol.size()) == kSpaceSymbol) {
        bytes.push_back(' ');
        pos += kSpaceSymbol.size();
      } else {
        bytes.push_back(piece[pos++]);
      }
    }
  }

  /// SentencePiece's own decoder, the reference the streaming decoder's
  /// appendDecoded() is tested against.
  std::string decode(const std::vector<int32_t> &ids) const override {
    std::string out;
    sentencepiece::util::Status st = sp_.Decode(std::vector<int>(ids.begin(), ids.end()), &out);
    (void)st; // ids are range-checked by the caller
    return out;
  }

  bool endsCharacter(int32_t id) const override { return kind_[id] != PieceKind::Byte; }

  int32_t vocabSize() const override { return static_cast<int32_t>(kind_.size()); }
  std::string piece(int32_t id) const override { return sp_.IdToPiece(id); }
  bool isSpecial(int32_t id) const override { return kind_[id] == PieceKind::Control; }
  int32_t tokenId(std::string_view piece) const override {
    auto it = ids_.find(std::string(piece));
    return it == ids_.end() ? -1 : it->second;
  }

  static Expected<std::unique_ptr<TokenizerModel>> load(const std::string &path);

private:
  sentencepiece::SentencePieceProcessor sp_;
  std::vector<PieceKind> kind_;
  std::vector<int16_t> byteValue_;
  std::unordered_map<std::string, int32_t> ids_;
};

Expected<std::unique_ptr<TokenizerModel>>
SentencePieceModel::load(const std::string &path) {
  auto model = std::make_unique<SentencePieceModel>();
  sentencepiece::util::Status st = model->sp_.Load(path);
  if (!st.ok())
    return Error(fmt::format("could not be loaded as a SentencePiece model: {}",
                             st.ToString()));
  const int n = model->sp_.GetPieceSize();
  if (n <= 0)
    return Error("has an empty vocabulary");
  model->kind_.assign(static_cast<size_t>(n), PieceKind::Text);
  model->byteValue_.assign(static_cast<size_t>(n), -1);
  model->ids_.reserve(static_cast<size_t>(n));
  for (int id = 0; id < n; ++id) {
    const std::string &piece = model->sp_.IdToPiece(id);
    model->ids_.emplace(piece, id);
    if (model->sp_.IsByte(id)) {
      int b = utf8::parseBytePiece(piece);
      if (b < 0)
        return Error(fmt::format("byte piece {} has malformed text '{}'", id, piece));
      model->kind_[id] = PieceKind::Byte;
      model->byteValue_[id] = static_cast<int16_t>(b);
    } else if (model->sp_.IsControl(id)) {
      model->kind_[id] = PieceKind::Control;
      model->addedTokens.push_back({piece, id, /*special=*/true, false, false});
    } else if (model->sp_.IsUnknown(id)) {
      model->kind_[id] = PieceKind::Unknown;
    }
  }
  model->replacement = utf8::Replacement::PerByte;
  model->bosId = model->sp_.bos_id();
  model->eosId = model->sp_.eos_id();
  model->padId = model->sp_.pad_id();
  model->unkId = model->sp_.unk_id();
  if (model->bosId >= 0)
    model->prefixIds.push_back(model->bosId);
  return std::unique_ptr<TokenizerModel>(std::move(model));
}

} // namespace

Expected<std::unique_ptr<TokenizerModel>> loadSentencePieceModel(const std::string &path) {
  try {
    return SentencePieceModel::load(path);
  } catch (const std::exception &e) {
    return Error(e.what());
  }
}

} // namespace llm::runtime::detail
