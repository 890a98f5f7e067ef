//===- Tokenizer.cpp - Tokenizers and the streaming decoder ---------------===//

#include "llm/runtime/Tokenizer.h"

#include "llm/runtime/Gguf.h"

#include "tokenizer/TokenizerModel.h"
#include "tokenizer/Utf8.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace llm::runtime {

namespace detail {

TokenizerModel::~TokenizerModel() = default;

std::string TokenizerModel::decode(const std::vector<int32_t> &ids) const {
  std::string text, bytes;
  bool atStart = true;
  for (int32_t id : ids) {
    if (endsCharacter(id)) {
      utf8::appendLossy(bytes, /*final=*/true, text, replacement);
      bytes.clear();
    }
    appendDecoded(id, atStart, bytes);
    atStart = atStart && isSpecial(id);
  }
  utf8::appendLossy(bytes, /*final=*/true, text, replacement);
  return text;
}

} // namespace detail

namespace fs = std::filesystem;

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::string Tokenizer::findInDirectory(const std::string &directory) {
  std::error_code ec;
  for (const char *name : {"tokenizer.model", "tokenizer.json"}) {
    fs::path candidate = fs::path(directory) / name;
    if (fs::exists(candidate, ec))
      return candidate.string();
  }
  return {};
}

Expected<Tokenizer> Tokenizer::load(const std::string &path) {
  try {
    std::error_code ec;
    std::string file = path;
    if (fs::is_directory(path, ec)) {
      file = findInDirectory(path);
      if (file.empty())
        return Error(fmt::format("model directory '{}' has no tokenizer (neither "
                                 "tokenizer.model nor tokenizer.json)",
                                 path));
    }
    if (!fs::exists(file, ec))
      return Error(fmt::format("tokenizer '{}' does not exist", file));
    if (!fs::is_regular_file(file, ec))
      return Error(fmt::format("tokenizer '{}' is not a regular file", file));

    bool isJson = fs::path(file).extension() == ".json";
    auto model = isJson ? detail::loadTokenizerJson(file) : detail::loadSentencePieceModel(file);
    if (!model.ok() && !isJson && fs::is_directory(path, ec)) {
      // A tokenizer.model that is not SentencePiece (Meta's tiktoken files)
      // beside a tokenizer.json: use the latter.
      std::string json = (fs::path(path) / "tokenizer.json").string();
      if (fs::exists(json, ec)) {
        file = json;
        model = detail::loadTokenizerJson(file);
      }
    }
    if (!model.ok())
      return Error(fmt::format("tokenizer '{}': {}", file, model.message()));
    Tokenizer tok;
    tok.model_ = std::move(*model);
    tok.path_ = file;
    tok.indexAddedTokens();
    return tok;
  } catch (const std::exception &e) {
    return Error(fmt::format("tokenizer '{}': {}", path, e.what()));
  }
}

Expected<Tokenizer> Tokenizer::fromGguf(const GgufFile &file) {
  auto model = detail::tokenizerFromGguf(file);
  if (!model.ok())
    return Error(fmt::format("GGUF file '{}': {}", file.path(), model.message()));
  Tokenizer tok;
  tok.model_ = std::move(*model);
  tok.path_ = file.path();
  tok.indexAddedTokens();
  return tok;
}

void Tokenizer::indexAddedTokens() {
  // Longest added tokens first, so "<|eot_id|>" is not cut by a prefix.
  std::stable_sort(model_->addedTokens.begin(), model_->addedTokens.end(),
                   [](const detail::AddedToken &a, const detail::AddedToken &b) {
                     return a.content.size() > b.content.size();
                   });
  for (size_t i = 0; i < model_->addedTokens.size(); ++i) {
    auto first = static_cast<unsigned char>(model_->addedTokens[i].content[0]);
    model_->addedByFirstByte[first].push_back(static_cast<uint32_t>(i));
  }
}

namespace {
bool isAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
} // namespace

Status Tokenizer::encodeText(std::string_view text, bool parseSpecial,
                             std::vector<int32_t> &out) const {
  // Split on added tokens (leftmost match, longest at a position), then encode
  // the stretches between them with the model.
  const auto &added = model_->addedTokens;
  size_t segmentStart = 0, pos = 0;
  bool atTextStart = true;
  auto flushSegment = [&](size_t end) -> Status {
    if (end > segmentStart) {
      if (Status st = model_->encodeSegment(text.substr(segmentStart, end - segmentStart),
                                            atTextStart, out);
          !st.ok())
        return st;
    }
    atTextStart = false;
    return Status::success();
  };
  while (pos < text.size()) {
    const detail::AddedToken *match = nullptr;
    for (uint32_t index : model_->addedByFirstByte[static_cast<unsigned char>(text[pos])]) {
      const detail::AddedToken &t = added[index];
      if ((!t.special || parseSpecial) && text.compare(pos, t.content.size(), t.content) == 0) {
        match = &t;
        break;
      }
    }
    if (!match) {
      ++pos;
      continue;
    }
    size_t segmentEnd = pos;
    if (match->lstrip)
      while (segmentEnd > segmentStart && isAsciiSpace(text[segmentEnd - 1]))
        --segmentEnd;
    if (Status st = flushSegment(segmentEnd); !st.ok())
      return st;
    out.push_back(match->id);
    pos += match->content.size();
    if (match->rstrip)
      while (pos < text.size() && isAsciiSpace(text[pos]))
        ++pos;
    segmentStart = pos;
  }
  return flushSegment(text.size());
}

Expected<std::vector<int32_t>> Tokenizer::encode(std::string_view text, bool addSpecial,
                                                 bool parseSpecial) const {
  try {
    std::vector<int32_t> out;
    if (addSpecial)
      out = model_->prefixIds;
    if (Status st = encodeText(text, parseSpecial, out); !st.ok())
      return Error(fmt::format("tokenizer '{}': cannot encode text: {}", path_, st.message()));
    if (addSpecial)
      out.insert(out.end(), model_->suffixIds.begin(), model_->suffixIds.end());
    return out;
  } catch (const std::exception &e) {
    return Error(fmt::format("tokenizer '{}': {}", path_, e.what()));
  }
}

Expected<std::string> Tokenizer::decode(const std::vector<int32_t> &ids, bool skipSpecial) const {
  try {
    for (size_t i = 0; i < ids.size(); ++i)
      if (!isValid(ids[i]))
        return Error(fmt::format(
            "tokenizer '{}': token id {} at position {} is outside the vocabulary [0, {})", path_,
            ids[i], i, vocabSize()));
    if (!skipSpecial)
      return model_->decode(ids);
    std::vector<int32_t> text;
    text.reserve(ids.size());
    for (int32_t id : ids)
      if (!model_->isSpecial(id))
        text.push_back(id);
    return model_->decode(text);
  } catch (const std::exception &e) {
    return Error(fmt::format("tokenizer '{}': {}", path_, e.what()));
  }
}

int32_t Tokenizer::bosId() const { return model_->bosId; }
int32_t Tokenizer::eosId() const { return model_->eosId; }
int32_t Tokenizer::padId() const { return model_->padId; }
int32_t Tokenizer::unkId() const { return model_->unkId; }
int32_t Tokenizer::vocabSize() const { return model_->vocabSize(); }
bool Tokenizer::isSpecial(int32_t id) const { return isValid(id) && model_->isSpecial(id); }
std::string Tokenizer::piece(int32_t id) const {
  return isValid(id) ? model_->piece(id) : std::string();
}
int32_t Tokenizer::tokenId(std::string_view piece) const { return model_->tokenId(piece); }
std::string_view Tokenizer::formatName() const { return model_->formatName(); }

//===----------------------------------------------------------------------===//
// StreamDecoder
//===----------------------------------------------------------------------===//

Expected<std::string> StreamDecoder::push(int32_t id) {
  if (!tok_->isValid(id))
    return Error(fmt::format("stream decoder: token id {} is outside the vocabulary [0, {})", id,
                             tok_->vocabSize()));
  try {
    bool special = tok_->model_->isSpecial(id);
    if (special && skipSpecial_)
      return std::string();
    const detail::TokenizerModel &model = *tok_->model_;
    std::string out;
    if (model.endsCharacter(id) && !held_.empty()) {
      utf8::appendLossy(held_, /*final=*/true, out, model.replacement);
      held_.clear();
    }
    model.appendDecoded(id, atTextStart_, held_);
    atTextStart_ = atTextStart_ && special;
    size_t consumed = utf8::appendLossy(held_, /*final=*/false, out, tok_->model_->replacement);
    held_.erase(0, consumed);
    emittedAll_ += out;
    return out;
  } catch (const std::exception &e) {
    return Error(fmt::format("stream decoder: {}", e.what()));
  }
}

std::string StreamDecoder::flush() {
  std::string out = utf8::lossy(held_, tok_->model_->replacement);
  emittedAll_ += out;
  held_.clear();
  atTextStart_ = true;
  return out;
}

void StreamDecoder::reset() {
  held_.clear();
  atTextStart_ = true;
  emittedAll_.clear();
}

} // namespace llm::runtime
