//===- Tokenizer.cpp - SentencePiece tokenizer and streaming decoder ------===//

#include "llm/runtime/Tokenizer.h"

#include <sentencepiece_processor.h>

#include <fmt/format.h>

#include <cassert>
#include <filesystem>

namespace llm::runtime {

namespace {

/// "<0xE2>" -> 0xE2; -1 if `piece` is not of that form.
int parseBytePiece(const std::string &piece) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>')
    return -1;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  int hi = hex(piece[3]), lo = hex(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/// Length of the UTF-8 sequence a lead byte announces, using the permissive
/// structural rule (so we never emit something a longer byte run could still
/// change); 0 for bytes that cannot start a multi-byte sequence.
int multiByteLength(unsigned char b) {
  if (b >= 0xC0 && b <= 0xDF)
    return 2;
  if (b >= 0xE0 && b <= 0xEF)
    return 3;
  if (b >= 0xF0 && b <= 0xF7)
    return 4;
  return 0;
}

bool isContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

} // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Expected<Tokenizer> Tokenizer::load(const std::string &path) {
  try {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return Error(fmt::format("tokenizer model '{}' does not exist", path));
    if (!std::filesystem::is_regular_file(path, ec))
      return Error(fmt::format("tokenizer model '{}' is not a regular file", path));

    Tokenizer tok;
    tok.path_ = path;
    tok.sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
    sentencepiece::util::Status st = tok.sp_->Load(path);
    if (!st.ok())
      return Error(fmt::format(
          "tokenizer model '{}' could not be loaded as a SentencePiece model: {}",
          path, st.ToString()));
    const int n = tok.sp_->GetPieceSize();
    if (n <= 0)
      return Error(fmt::format("tokenizer model '{}' has an empty vocabulary", path));

    tok.byteValue_.assign(static_cast<size_t>(n), -1);
    for (int id = 0; id < n; ++id) {
      if (tok.sp_->IsByte(id)) {
        int b = parseBytePiece(tok.sp_->IdToPiece(id));
        if (b < 0)
          return Error(fmt::format(
              "tokenizer model '{}': byte piece {} has malformed text '{}'", path,
              id, tok.sp_->IdToPiece(id)));
        tok.byteValue_[id] = static_cast<int16_t>(b);
      }
    }
    // A plain piece with non-empty text, used by StreamDecoder to decode a
    // window of ids as if text preceded it.
    for (int id = 0; id < n; ++id) {
      if (tok.sp_->IsByte(id) || tok.sp_->IsControl(id) || tok.sp_->IsUnknown(id) ||
          tok.sp_->IsUnused(id))
        continue;
      const std::string &p = tok.sp_->IdToPiece(id);
      if (p.empty() || p.rfind("\xE2\x96\x81", 0) == 0) // skip "▁..." pieces
        continue;
      std::string text = tok.decodeUnchecked({id});
      if (text.empty())
        continue;
      tok.sentinelId_ = id;
      tok.sentinelText_ = std::move(text);
      break;
    }
    return tok;
  } catch (const std::exception &e) {
    return Error(fmt::format("tokenizer model '{}': {}", path, e.what()));
  }
}

Expected<std::vector<int32_t>> Tokenizer::encode(std::string_view text,
                                                 bool addBos) const {
  try {
    std::vector<int> ids;
    sentencepiece::util::Status st = sp_->Encode(text, &ids);
    if (!st.ok())
      return Error(fmt::format("tokenizer '{}': cannot encode text: {}", path_,
                               st.ToString()));
    std::vector<int32_t> out;
    out.reserve(ids.size() + 1);
    if (addBos && bosId() >= 0)
      out.push_back(bosId());
    out.insert(out.end(), ids.begin(), ids.end());
    return out;
  } catch (const std::exception &e) {
    return Error(fmt::format("tokenizer '{}': {}", path_, e.what()));
  }
}

std::string Tokenizer::decodeUnchecked(const std::vector<int> &ids) const {
  std::string out;
  sentencepiece::util::Status st = sp_->Decode(ids, &out);
  (void)st; // ids are range-checked by the callers
  return out;
}

Expected<std::string> Tokenizer::decode(const std::vector<int32_t> &ids) const {
  try {
    for (size_t i = 0; i < ids.size(); ++i)
      if (!isValid(ids[i]))
        return Error(fmt::format(
            "tokenizer '{}': token id {} at position {} is outside the vocabulary "
            "[0, {})",
            path_, ids[i], i, vocabSize()));
    std::string out;
    sentencepiece::util::Status st =
        sp_->Decode(std::vector<int>(ids.begin(), ids.end()), &out);
    if (!st.ok())
      return Error(fmt::format("tokenizer '{}': cannot decode: {}", path_,
                               st.ToString()));
    return out;
  } catch (const std::exception &e) {
    return Error(fmt::format("tokenizer '{}': {}", path_, e.what()));
  }
}

int32_t Tokenizer::bosId() const { return sp_->bos_id(); }
int32_t Tokenizer::eosId() const { return sp_->eos_id(); }
int32_t Tokenizer::padId() const { return sp_->pad_id(); }
int32_t Tokenizer::unkId() const { return sp_->unk_id(); }
int32_t Tokenizer::vocabSize() const { return static_cast<int32_t>(byteValue_.size()); }
bool Tokenizer::isByte(int32_t id) const { return isValid(id) && byteValue_[id] >= 0; }
bool Tokenizer::isControl(int32_t id) const { return isValid(id) && sp_->IsControl(id); }
std::string Tokenizer::piece(int32_t id) const {
  return isValid(id) ? sp_->IdToPiece(id) : std::string();
}

//===----------------------------------------------------------------------===//
// StreamDecoder
//===----------------------------------------------------------------------===//
//
// Invariants. `pending_` holds the ids since the last commit point. A commit
// happens after a non-byte piece once some text has been emitted: from then
// on SentencePiece neither strips a leading space (it only does so while the
// text is empty) nor joins later byte pieces with earlier ones (a non-byte
// piece ends a byte run). So decode(all ids) == decode(ids before pending_)
// + decode'(pending_), where decode' is decode with non-empty text in front,
// which we get by prepending a sentinel piece and removing its text.
//
// Within pending_, only a trailing run of byte pieces that ends in an
// incomplete UTF-8 sequence can still change; those ids are left out of the
// decode until the sequence completes, is proven invalid, or flush() is
// called.

std::string StreamDecoder::decodePending(size_t count) const {
  assert(count <= pending_.size());
  std::vector<int> ids;
  ids.reserve(count + 1);
  if (anchored_)
    ids.push_back(tok_->sentinelId_);
  ids.insert(ids.end(), pending_.begin(), pending_.begin() + count);
  std::string text = tok_->decodeUnchecked(ids);
  if (anchored_) {
    assert(text.compare(0, tok_->sentinelText_.size(), tok_->sentinelText_) == 0);
    text.erase(0, std::min(text.size(), tok_->sentinelText_.size()));
  }
  return text;
}

Expected<std::string> StreamDecoder::push(int32_t id) {
  if (!tok_->isValid(id))
    return Error(fmt::format("stream decoder: token id {} is outside the vocabulary [0, {})",
                             id, tok_->vocabSize()));
  try {
    pending_.push_back(id);

    // How many trailing byte pieces form an incomplete UTF-8 sequence.
    size_t holdBack = 0;
    if (tok_->isByte(id)) {
      size_t runStart = pending_.size();
      while (runStart > 0 && tok_->isByte(pending_[runStart - 1]))
        --runStart;
      const size_t runLen = pending_.size() - runStart;
      // A multi-byte sequence is at most 4 bytes: look at the last 3 for a lead.
      for (size_t back = 1; back <= std::min<size_t>(3, runLen); ++back) {
        auto b = static_cast<unsigned char>(
            tok_->byteValue_[pending_[pending_.size() - back]]);
        if (isContinuation(b))
          continue;
        int need = multiByteLength(b);
        if (need > 0 && static_cast<size_t>(need) > back)
          holdBack = back;
        break;
      }
    }

    std::string stable = decodePending(pending_.size() - holdBack);
    std::string out;
    if (stable.size() > emittedPending_) {
      assert(stable.compare(0, emittedPending_, emittedAll_,
                            emittedAll_.size() - emittedPending_,
                            emittedPending_) == 0 &&
             "SentencePiece decode is not prefix-stable");
      out = stable.substr(emittedPending_);
      emittedPending_ = stable.size();
      emittedAll_ += out;
    }

    if (!tok_->isByte(id) && !emittedAll_.empty() && tok_->sentinelId_ >= 0) {
      pending_.clear();
      emittedPending_ = 0;
      anchored_ = true;
    }
    return out;
  } catch (const std::exception &e) {
    return Error(fmt::format("stream decoder: {}", e.what()));
  }
}

std::string StreamDecoder::flush() {
  std::string out;
  try {
    std::string all = decodePending(pending_.size());
    if (all.size() > emittedPending_)
      out = all.substr(emittedPending_);
    emittedAll_ += out;
  } catch (const std::exception &) {
  }
  pending_.clear();
  emittedPending_ = 0;
  anchored_ = false;
  return out;
}

void StreamDecoder::reset() {
  pending_.clear();
  emittedPending_ = 0;
  anchored_ = false;
  emittedAll_.clear();
}

} // namespace llm::runtime
