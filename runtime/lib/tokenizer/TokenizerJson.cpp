//===- TokenizerJson.cpp - Hugging Face tokenizer.json --------------------===//
//
// The pipeline of a tokenizer.json: normalizer -> pre-tokenizer -> BPE model
// -> post-processor, and the decoder for the way back. Supported are the
// pieces LLaMA-family tokenizers use:
//  - byte-level BPE (Llama-3: Split with a Unicode regex, then ByteLevel;
//    Qwen2: the same after NFC normalization, by ICU);
//  - SentencePiece-style BPE (LLaMA-2: Prepend/Replace normalizers or a
//    Metaspace pre-tokenizer, byte fallback, decoders Replace, ByteFallback,
//    Fuse, Strip).
// Anything else is refused with the JSON path of the unsupported piece.
//
//===----------------------------------------------------------------------===//

#include "tokenizer/Bpe.h"
#include "tokenizer/Regex.h"
#include "tokenizer/TokenizerModel.h"
#include "tokenizer/Utf8.h"

#include "../TextFile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <map>
#include <optional>

namespace llm::runtime::detail {
namespace {

using nlohmann::json;

constexpr std::string_view kMetaspace = "\xE2\x96\x81"; // U+2581 "▁"

// GPT-2's pre-tokenization pattern (ByteLevel with use_regex).
constexpr const char *kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void replaceAll(std::string &text, std::string_view from, std::string_view to) {
  if (from.empty())
    return;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(text, pos, hit - pos);
    out.append(to);
  }
  if (pos == 0)
    return;
  out.append(text, pos, std::string::npos);
  text = std::move(out);
}

/// A Replace pattern: {"String": "..."} (a {"Regex": ...} is refused).
Expected<std::string> stringPattern(const json &step, const std::string &where) {
  const json *pattern = step.contains("pattern") ? &step["pattern"] : nullptr;
  if (pattern && pattern->is_object() && pattern->contains("String") &&
      (*pattern)["String"].is_string())
    return (*pattern)["String"].get<std::string>();
  return Error(fmt::format("{}: only {{\"String\": ...}} patterns are supported", where));
}

std::string stringField(const json &object, const char *field, const std::string &fallback) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

/// Metaspace's prepend_scheme (newer files) or add_prefix_space (older).
enum class PrependScheme { Always, First, Never };
PrependScheme prependScheme(const json &step) {
  std::string scheme = stringField(step, "prepend_scheme", "");
  if (scheme == "first")
    return PrependScheme::First;
  if (scheme == "never")
    return PrependScheme::Never;
  if (scheme.empty() && step.contains("add_prefix_space") && step["add_prefix_space"].is_boolean())
    return step["add_prefix_space"].get<bool>() ? PrependScheme::Always : PrependScheme::Never;
  return PrependScheme::Always;
}

//===----------------------------------------------------------------------===//
// Normalizers
//===----------------------------------------------------------------------===//

/// Unicode normalization form `form` ("NFC", "NFKC", "NFD", "NFKD") of
/// UTF-8 `text`, by ICU; invalid UTF-8 is left as it is.
Status unicodeNormalize(const std::string &form, std::string &text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2 *normalizer =
      form == "NFC"    ? icu::Normalizer2::getNFCInstance(status)
      : form == "NFKC" ? icu::Normalizer2::getNFKCInstance(status)
      : form == "NFD"  ? icu::Normalizer2::getNFDInstance(status)
                       : icu::Normalizer2::getNFKDInstance(status);
  if (U_FAILURE(status) || !normalizer)
    return Error(fmt::format("Unicode normalization {} is unavailable: {}", form,
                             u_errorName(status)));
  if (utf8::lossy(text) != text)
    return Status::success(); // not valid UTF-8: nothing to normalize safely
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(text);
  icu::UnicodeString result = normalizer->normalize(source, status);
  if (U_FAILURE(status))
    return Error(fmt::format("Unicode normalization {} failed: {}", form, u_errorName(status)));
  text.clear();
  result.toUTF8String(text);
  return Status::success();
}

struct Normalizer {
  enum Kind { Prepend, Replace, Unicode } kind;
  std::string a, b; // Prepend: a; Replace: a -> b; Unicode: a = the form

  Status apply(std::string &text) const {
    if (kind == Prepend) {
      if (!text.empty())
        text.insert(0, a);
    } else if (kind == Replace) {
      replaceAll(text, a, b);
    } else {
      return unicodeNormalize(a, text);
    }
    return Status::success();
  }
};

Status parseNormalizers(const json &node, const std::string &where,
                        std::vector<Normalizer> &out) {
  if (node.is_null())
    return Status::success();
  std::string type = stringField(node, "type", "");
  if (type == "Sequence") {
    const json &steps = node.value("normalizers", json::array());
    for (size_t i = 0; i < steps.size(); ++i)
      if (Status st = parseNormalizers(steps[i], fmt::format("{}.normalizers[{}]", where, i), out);
          !st.ok())
        return st;
    return Status::success();
  }
  if (type == "Prepend") {
    out.push_back({Normalizer::Prepend, stringField(node, "prepend", ""), ""});
    return Status::success();
  }
  if (type == "Replace") {
    auto pattern = stringPattern(node, where);
    if (!pattern.ok())
      return pattern.status();
    out.push_back({Normalizer::Replace, *pattern, stringField(node, "content", "")});
    return Status::success();
  }
  if (type == "NFC" || type == "NFKC" || type == "NFD" || type == "NFKD") {
    out.push_back({Normalizer::Unicode, type, ""});
    return Status::success();
  }
  if (type == "Lowercase" || type == "Strip" || type == "StripAccents" ||
      type == "BertNormalizer" || type == "Precompiled" || type == "Nmt")
    return Error(fmt::format("{}: normalizer '{}' is not supported (supported: Sequence, "
                             "Prepend, Replace, NFC, NFKC, NFD, NFKD)",
                             where, type));
  return Error(fmt::format("{}: unknown normalizer type '{}'", where, type));
}

//===----------------------------------------------------------------------===//
// Pre-tokenizers
//===----------------------------------------------------------------------===//

struct PreTokenizer {
  enum Kind { Split, ByteLevel, Metaspace, Digits } kind;
  enum Behavior { Isolated, Removed, MergedWithPrevious, MergedWithNext } behavior = Isolated;
  std::shared_ptr<Regex> regex; // Split; ByteLevel with use_regex
  bool addPrefixSpace = false;  // ByteLevel
  std::string replacement;      // Metaspace
  PrependScheme scheme = PrependScheme::Always;
  bool split = true;              // Metaspace
  bool individualDigits = false; // Digits

  Status apply(std::vector<std::string> &words, bool atTextStart) const;
};

Status splitWords(const Regex &regex, PreTokenizer::Behavior behavior,
                  std::vector<std::string> &words) {
  std::vector<std::string> out;
  for (const std::string &word : words) {
    size_t pos = 0;
    std::vector<std::pair<size_t, size_t>> pieces; // (begin, end, isMatch in sign)
    std::vector<bool> isMatch;
    Status st = regex.forEachMatch(word, [&](size_t begin, size_t end) {
      if (begin > pos) {
        pieces.emplace_back(pos, begin);
        isMatch.push_back(false);
      }
      pieces.emplace_back(begin, end);
      isMatch.push_back(true);
      pos = end;
    });
    if (!st.ok())
      return st;
    if (pos < word.size()) {
      pieces.emplace_back(pos, word.size());
      isMatch.push_back(false);
    }
    std::vector<std::string> parts;
    for (size_t i = 0; i < pieces.size(); ++i) {
      std::string text = word.substr(pieces[i].first, pieces[i].second - pieces[i].first);
      switch (behavior) {
      case PreTokenizer::Isolated:
        parts.push_back(std::move(text));
        break;
      case PreTokenizer::Removed:
        if (!isMatch[i])
          parts.push_back(std::move(text));
        break;
      case PreTokenizer::MergedWithPrevious:
        if (isMatch[i] && !parts.empty())
          parts.back() += text;
        else
          parts.push_back(std::move(text));
        break;
      case PreTokenizer::MergedWithNext:
        if (i > 0 && isMatch[i - 1])
          parts.back() += text;
        else
          parts.push_back(std::move(text));
        break;
      }
    }
    for (std::string &part : parts)
      out.push_back(std::move(part));
  }
  words = std::move(out);
  return Status::success();
}

Status PreTokenizer::apply(std::vector<std::string> &words, bool atTextStart) const {
  switch (kind) {
  case Split:
    return splitWords(*regex, behavior, words);
  case ByteLevel: {
    if (addPrefixSpace && !words.empty() && !words.front().empty() && words.front()[0] != ' ')
      words.front().insert(0, " ");
    if (regex)
      if (Status st = splitWords(*regex, Isolated, words); !st.ok())
        return st;
    const auto &alphabet = utf8::ByteLevelAlphabet::get();
    for (std::string &word : words) {
      std::string mapped;
      mapped.reserve(word.size() * 2);
      for (char c : word)
        mapped += alphabet.encoded[static_cast<unsigned char>(c)];
      word = std::move(mapped);
    }
    return Status::success();
  }
  case Metaspace: {
    for (std::string &word : words)
      replaceAll(word, " ", replacement);
    if (!words.empty() && (scheme == PrependScheme::Always ||
                           (scheme == PrependScheme::First && atTextStart))) {
      std::string &first = words.front();
      if (first.compare(0, replacement.size(), replacement) != 0)
        first.insert(0, replacement);
    }
    if (split) {
      // Each word begins at a replacement character.
      std::vector<std::string> out;
      for (const std::string &word : words) {
        size_t start = 0;
        for (size_t hit = word.find(replacement, 1); hit != std::string::npos;
             hit = word.find(replacement, hit + replacement.size())) {
          if (hit > start) {
            out.push_back(word.substr(start, hit - start));
            start = hit;
          }
        }
        out.push_back(word.substr(start));
      }
      words = std::move(out);
    }
    return Status::success();
  }
  case Digits: {
    std::vector<std::string> out;
    for (const std::string &word : words) {
      std::string current;
      bool currentDigits = false;
      for (char c : word) {
        bool digit = c >= '0' && c <= '9';
        if (!current.empty() && (digit != currentDigits || (digit && individualDigits))) {
          out.push_back(std::move(current));
          current.clear();
        }
        current.push_back(c);
        currentDigits = digit;
      }
      if (!current.empty())
        out.push_back(std::move(current));
    }
    words = std::move(out);
    return Status::success();
  }
  }
  return Status::success();
}

Status parsePreTokenizers(const json &node, const std::string &where,
                          std::vector<PreTokenizer> &out) {
  if (node.is_null())
    return Status::success();
  std::string type = stringField(node, "type", "");
  if (type == "Sequence") {
    const json &steps = node.value("pretokenizers", json::array());
    for (size_t i = 0; i < steps.size(); ++i)
      if (Status st =
              parsePreTokenizers(steps[i], fmt::format("{}.pretokenizers[{}]", where, i), out);
          !st.ok())
        return st;
    return Status::success();
  }
  PreTokenizer step{};
  if (type == "Split") {
    step.kind = PreTokenizer::Split;
    if (node.value("invert", false))
      return Error(fmt::format("{}: Split with invert is not supported", where));
    std::string behavior = stringField(node, "behavior", "Isolated");
    if (behavior == "Isolated")
      step.behavior = PreTokenizer::Isolated;
    else if (behavior == "Removed")
      step.behavior = PreTokenizer::Removed;
    else if (behavior == "MergedWithPrevious")
      step.behavior = PreTokenizer::MergedWithPrevious;
    else if (behavior == "MergedWithNext")
      step.behavior = PreTokenizer::MergedWithNext;
    else
      return Error(fmt::format("{}: Split behavior '{}' is not supported", where, behavior));
    const json &pattern = node.value("pattern", json::object());
    std::string source;
    if (pattern.contains("Regex") && pattern["Regex"].is_string())
      source = pattern["Regex"].get<std::string>();
    else if (pattern.contains("String") && pattern["String"].is_string())
      source = Regex::escape(pattern["String"].get<std::string>());
    else
      return Error(fmt::format("{}: Split needs a pattern {{\"Regex\"|\"String\": ...}}", where));
    auto regex = Regex::compile(source);
    if (!regex.ok())
      return Error(fmt::format("{}: {}", where, regex.message()));
    step.regex = std::make_shared<Regex>(std::move(*regex));
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizer::ByteLevel;
    step.addPrefixSpace = node.value("add_prefix_space", false);
    if (node.value("use_regex", true)) {
      auto regex = Regex::compile(kGpt2Pattern);
      if (!regex.ok())
        return Error(fmt::format("{}: {}", where, regex.message()));
      step.regex = std::make_shared<Regex>(std::move(*regex));
    }
  } else if (type == "Metaspace") {
    step.kind = PreTokenizer::Metaspace;
    step.replacement = stringField(node, "replacement", std::string(kMetaspace));
    if (step.replacement.empty())
      return Error(fmt::format("{}: Metaspace needs a non-empty replacement", where));
    step.scheme = prependScheme(node);
    step.split = node.value("split", true);
  } else if (type == "Digits") {
    step.kind = PreTokenizer::Digits;
    step.individualDigits = node.value("individual_digits", false);
  } else {
    return Error(fmt::format("{}: pre-tokenizer '{}' is not supported (supported: Sequence, "
                             "Split, ByteLevel, Metaspace, Digits)",
                             where, type));
  }
  out.push_back(std::move(step));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Decoders (applied per token; see appendDecoded)
//===----------------------------------------------------------------------===//

struct Decoder {
  enum Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind;
  std::string a, b; // Replace: a -> b; Strip: a = content; Metaspace: a = replacement
  int start = 0;    // Strip
  PrependScheme scheme = PrependScheme::Always;
};

Status parseDecoders(const json &node, const std::string &where, std::vector<Decoder> &out) {
  if (node.is_null())
    return Status::success();
  std::string type = stringField(node, "type", "");
  if (type == "Sequence") {
    const json &steps = node.value("decoders", json::array());
    for (size_t i = 0; i < steps.size(); ++i)
      if (Status st = parseDecoders(steps[i], fmt::format("{}.decoders[{}]", where, i), out);
          !st.ok())
        return st;
    return Status::success();
  }
  Decoder step{};
  if (type == "ByteLevel") {
    step.kind = Decoder::ByteLevel;
  } else if (type == "Replace") {
    step.kind = Decoder::Replace;
    auto pattern = stringPattern(node, where);
    if (!pattern.ok())
      return pattern.status();
    step.a = *pattern;
    step.b = stringField(node, "content", "");
  } else if (type == "ByteFallback") {
    step.kind = Decoder::ByteFallback;
  } else if (type == "Fuse") {
    step.kind = Decoder::Fuse;
  } else if (type == "Strip") {
    step.kind = Decoder::Strip;
    step.a = stringField(node, "content", " ");
    step.start = node.value("start", 0);
    if (node.value("stop", 0) != 0)
      return Error(fmt::format("{}: Strip with a non-zero 'stop' is not supported", where));
    if (utf8::lossy(step.a).size() != step.a.size() || step.a.empty())
      return Error(fmt::format("{}: Strip content must be one character", where));
  } else if (type == "Metaspace") {
    step.kind = Decoder::Metaspace;
    step.a = stringField(node, "replacement", std::string(kMetaspace));
    if (step.a.empty())
      return Error(fmt::format("{}: Metaspace needs a non-empty replacement", where));
    step.scheme = prependScheme(node);
  } else {
    return Error(fmt::format("{}: decoder '{}' is not supported (supported: Sequence, "
                             "ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace)",
                             where, type));
  }
  out.push_back(std::move(step));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

class TokenizerJsonModel final : public TokenizerModel {
public:
  std::string_view formatName() const override { return "tokenizer.json"; }

  Status encodeSegment(std::string_view text, bool atTextStart,
                       std::vector<int32_t> &out) const override {
    std::string normalized(text);
    for (const Normalizer &n : normalizers_)
      if (Status st = n.apply(normalized); !st.ok())
        return st;
    std::vector<std::string> words;
    words.push_back(std::move(normalized));
    for (const PreTokenizer &p : preTokenizers_)
      if (Status st = p.apply(words, atTextStart); !st.ok())
        return st;
    for (const std::string &word : words)
      bpe_.encodeWord(word, out);
    return Status::success();
  }

  void appendDecoded(int32_t id, bool atTextStart, std::string &bytes) const override {
    if (isAdded_[id]) {
      bytes += pieces_[id];
      return;
    }
    std::string token = pieces_[id];
    bool fused = false;
    for (const Decoder &d : decoders_) {
      switch (d.kind) {
      case Decoder::ByteLevel: {
        const auto &alphabet = utf8::ByteLevelAlphabet::get();
        std::string raw;
        for (size_t pos = 0; pos < token.size();) {
          size_t bad;
          size_t len = utf8::validCharLength(std::string_view(token).substr(pos), bad);
          if (len == 0) {
            raw.push_back(token[pos++]);
            continue;
          }
          uint32_t cp = decodeCodePoint(std::string_view(token).substr(pos, len));
          if (cp < alphabet.decoded.size() && alphabet.decoded[cp] >= 0)
            raw.push_back(static_cast<char>(alphabet.decoded[cp]));
          else
            raw.append(token, pos, len);
          pos += len;
        }
        token = std::move(raw);
        break;
      }
      case Decoder::Replace:
        replaceAll(token, d.a, d.b);
        break;
      case Decoder::ByteFallback:
        if (int b = bpe_.byteValue(id); b >= 0)
          token = std::string(1, static_cast<char>(b));
        break;
      case Decoder::Fuse:
        fused = true;
        break;
      case Decoder::Strip:
        // After Fuse the whole text is one string: only its start is stripped.
        if (!fused || atTextStart)
          for (int i = 0; i < d.start && token.compare(0, d.a.size(), d.a) == 0; ++i)
            token.erase(0, d.a.size());
        break;
      case Decoder::Metaspace:
        replaceAll(token, d.a, " ");
        if (atTextStart && d.scheme != PrependScheme::Never && !token.empty() && token[0] == ' ')
          token.erase(0, 1);
        break;
      }
    }
    bytes += token;
  }

  bool endsCharacter(int32_t id) const override {
    return byteFallbackRuns_ && bpe_.byteValue(id) < 0;
  }

  int32_t vocabSize() const override { return static_cast<int32_t>(pieces_.size()); }
  std::string piece(int32_t id) const override { return pieces_[id]; }
  bool isSpecial(int32_t id) const override { return isSpecial_[id]; }
  int32_t tokenId(std::string_view piece) const override {
    if (auto it = addedIds_.find(std::string(piece)); it != addedIds_.end())
      return it->second;
    return bpe_.find(piece);
  }

  static Expected<std::unique_ptr<TokenizerModel>> load(const std::string &path);
  static Expected<std::unique_ptr<TokenizerModel>> fromJson(const json &root);

private:
  static uint32_t decodeCodePoint(std::string_view c) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(c[i])); };
    switch (c.size()) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) |
             (b(3) & 0x3F);
    }
  }

  Status parsePostProcessor(const json &node, const std::string &where,
                            const std::map<std::string, std::vector<int32_t>> &specials);

  Bpe bpe_;
  std::vector<Normalizer> normalizers_;
  std::vector<PreTokenizer> preTokenizers_;
  std::vector<Decoder> decoders_;
  std::vector<std::string> pieces_;
  std::vector<bool> isAdded_, isSpecial_;
  std::unordered_map<std::string, int32_t> addedIds_;
  /// A ByteFallback decoder joins only consecutive byte pieces.
  bool byteFallbackRuns_ = false;
};

Status TokenizerJsonModel::parsePostProcessor(
    const json &node, const std::string &where,
    const std::map<std::string, std::vector<int32_t>> &specials) {
  if (node.is_null())
    return Status::success();
  std::string type = stringField(node, "type", "");
  if (type == "Sequence") {
    const json &steps = node.value("processors", json::array());
    for (size_t i = 0; i < steps.size(); ++i)
      if (Status st = parsePostProcessor(steps[i], fmt::format("{}.processors[{}]", where, i),
                                         specials);
          !st.ok())
        return st;
    return Status::success();
  }
  if (type == "ByteLevel")
    return Status::success(); // only adjusts offsets
  if (type != "TemplateProcessing")
    return Error(fmt::format("{}: post-processor '{}' is not supported (supported: Sequence, "
                             "ByteLevel, TemplateProcessing)",
                             where, type));
  const json &single = node.value("single", json::array());
  bool afterSequence = false;
  prefixIds.clear();
  suffixIds.clear();
  for (const json &item : single) {
    if (item.contains("Sequence")) {
      afterSequence = true;
      continue;
    }
    if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id"))
      return Error(fmt::format("{}.single: an item is neither Sequence nor SpecialToken", where));
    std::string name = item["SpecialToken"]["id"].get<std::string>();
    std::vector<int32_t> ids;
    if (auto it = specials.find(name); it != specials.end())
      ids = it->second;
    else if (int32_t id = tokenId(name); id >= 0)
      ids = {id};
    else
      return Error(fmt::format("{}: special token '{}' has no id", where, name));
    auto &target = afterSequence ? suffixIds : prefixIds;
    target.insert(target.end(), ids.begin(), ids.end());
  }
  return Status::success();
}

Expected<std::unique_ptr<TokenizerModel>> TokenizerJsonModel::load(const std::string &path) {
  auto text = readTextFile(path);
  if (!text.ok())
    return text.status();
  json root = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return Error("is not valid JSON");
  return fromJson(root);
}

Expected<std::unique_ptr<TokenizerModel>> TokenizerJsonModel::fromJson(const json &root) {
  if (!root.is_object())
    return Error("is not a JSON object");

  auto model = std::make_unique<TokenizerJsonModel>();
  // (value() would copy: look the big objects up in place.)
  auto member = [&](const char *name) -> const json & {
    static const json null;
    auto it = root.find(name);
    return it == root.end() ? null : *it;
  };
  auto bpe = Bpe::fromJson(member("model"));
  if (!bpe.ok())
    return Error(bpe.message());
  model->bpe_ = std::move(*bpe);
  model->pieces_ = model->bpe_.pieces();

  // Added tokens extend the vocabulary (or name entries of it).
  const json &added = member("added_tokens");
  if (!added.is_array() && !added.is_null())
    return Error("\"added_tokens\" is not an array");
  for (size_t i = 0; added.is_array() && i < added.size(); ++i) {
    const json &token = added[i];
    if (!token.is_object() || !token.contains("id") || !token["id"].is_number_integer() ||
        !token.contains("content") || !token["content"].is_string())
      return Error(fmt::format("added_tokens[{}] needs an integer \"id\" and a string "
                               "\"content\"",
                               i));
    int64_t id = token["id"].get<int64_t>();
    if (id < 0 || id >= (int64_t(1) << 24))
      return Error(fmt::format("added_tokens[{}] has id {} out of range", i, id));
    AddedToken t;
    t.content = token["content"].get<std::string>();
    t.id = static_cast<int32_t>(id);
    t.special = token.value("special", false);
    t.lstrip = token.value("lstrip", false);
    t.rstrip = token.value("rstrip", false);
    if (t.content.empty())
      return Error(fmt::format("added_tokens[{}] has empty content", i));
    if (static_cast<size_t>(id) >= model->pieces_.size())
      model->pieces_.resize(static_cast<size_t>(id) + 1);
    model->pieces_[id] = t.content;
    model->addedIds_[t.content] = t.id;
    model->addedTokens.push_back(std::move(t));
  }
  model->isAdded_.assign(model->pieces_.size(), false);
  model->isSpecial_.assign(model->pieces_.size(), false);
  for (const AddedToken &t : model->addedTokens) {
    model->isAdded_[t.id] = true;
    model->isSpecial_[t.id] = t.special;
  }

  if (Status st = parseNormalizers(member("normalizer"), "normalizer",
                                   model->normalizers_);
      !st.ok())
    return st;
  if (Status st = parsePreTokenizers(member("pre_tokenizer"), "pre_tokenizer",
                                     model->preTokenizers_);
      !st.ok())
    return st;
  if (Status st = parseDecoders(member("decoder"), "decoder", model->decoders_);
      !st.ok())
    return st;

  for (const Decoder &d : model->decoders_) {
    if (d.kind == Decoder::ByteFallback) {
      model->byteFallbackRuns_ = true;
      model->replacement = utf8::Replacement::PerByte;
    }
  }

  std::map<std::string, std::vector<int32_t>> specials;
  const json &post = member("post_processor");
  std::function<void(const json &)> collect = [&](const json &node) {
    if (!node.is_object())
      return;
    if (node.contains("special_tokens") && node["special_tokens"].is_object())
      for (auto it = node["special_tokens"].begin(); it != node["special_tokens"].end(); ++it)
        if (it.value().contains("ids") && it.value()["ids"].is_array())
          specials[it.key()] = it.value()["ids"].get<std::vector<int32_t>>();
    if (node.contains("processors") && node["processors"].is_array())
      for (const json &p : node["processors"])
        collect(p);
  };
  collect(post);
  if (Status st = model->parsePostProcessor(post, "post_processor", specials); !st.ok())
    return st;
  for (int32_t id : model->prefixIds)
    if (id < 0 || id >= model->vocabSize())
      return Error(fmt::format("post_processor: id {} is outside the vocabulary", id));
  for (int32_t id : model->suffixIds)
    if (id < 0 || id >= model->vocabSize())
      return Error(fmt::format("post_processor: id {} is outside the vocabulary", id));

  // Well-known ids: BOS is what the post-processor adds first; EOS, padding
  // and unknown by the names LLaMA-family vocabularies use.
  auto firstOf = [&](std::initializer_list<const char *> names) {
    for (const char *name : names)
      if (int32_t id = model->tokenId(name); id >= 0)
        return id;
    return int32_t(-1);
  };
  model->bosId = !model->prefixIds.empty() ? model->prefixIds.front()
                                           : firstOf({"<s>", "<|begin_of_text|>"});
  model->eosId = firstOf({"</s>", "<|end_of_text|>", "<|endoftext|>"});
  model->padId = firstOf({"<pad>", "<|finetune_right_pad_id|>"});
  model->unkId = model->bpe_.unkId();
  return std::unique_ptr<TokenizerModel>(std::move(model));
}

} // namespace

Expected<std::unique_ptr<TokenizerModel>> tokenizerJsonFromValue(const nlohmann::json &root) {
  try {
    return TokenizerJsonModel::fromJson(root);
  } catch (const std::exception &e) {
    return Error(e.what());
  }
}

Expected<std::unique_ptr<TokenizerModel>> loadTokenizerJson(const std::string &path) {
  try {
    return TokenizerJsonModel::load(path);
  } catch (const std::exception &e) {
    return Error(e.what());
  }
}

} // namespace llm::runtime::detail
