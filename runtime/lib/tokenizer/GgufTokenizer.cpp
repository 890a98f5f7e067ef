//===- GgufTokenizer.cpp - The tokenizer of a GGUF file -------------------===//
//
// GGUF carries the vocabulary as metadata: "llama" (SentencePiece pieces with
// scores and types) or "gpt2" (byte-level BPE pieces with merges). Both are
// turned into the equivalent tokenizer.json pipeline, the way Hugging Face's
// converters do (for "llama", the merges come from the pieces: every split of
// a piece into two pieces, ordered by the merged piece's score).
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/Gguf.h"
#include "tokenizer/TokenizerModel.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace llm::runtime::detail {
namespace {

using nlohmann::json;

// Qwen2's: Llama-3's with single digits.
constexpr const char *kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char *kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// Byte offsets of the UTF-8 character boundaries inside `s` (excluding 0
/// and s.size()).
std::vector<size_t> innerBoundaries(const std::string &s) {
  std::vector<size_t> out;
  for (size_t i = 1; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      out.push_back(i);
  return out;
}

/// The post-processor that puts BOS before a sequence (null without one).
json bosPostProcessor(const std::vector<std::string> &pieces, int64_t bos, bool addBos) {
  if (!addBos || bos < 0 || static_cast<size_t>(bos) >= pieces.size())
    return nullptr;
  return {{"type", "TemplateProcessing"},
          {"single", json::array({{{"SpecialToken", {{"id", pieces[bos]}}}},
                                  {{"Sequence", {{"id", "A"}}}}})},
          {"special_tokens", {{pieces[bos], {{"ids", {bos}}}}}}};
}

json sentencePieceJson(const std::vector<std::string> &pieces, const std::vector<double> &scores,
                       const std::vector<int64_t> &types, int64_t bos, bool addBos) {
  std::unordered_map<std::string, int64_t> ids;
  for (size_t i = 0; i < pieces.size(); ++i)
    ids.emplace(pieces[i], static_cast<int64_t>(i));
  struct Merge {
    int64_t left, right;
    double score;
  };
  std::vector<Merge> merges;
  for (size_t i = 0; i < pieces.size(); ++i) {
    std::vector<Merge> local;
    // SentencePiece pieces are short; a long one cannot be a merge result
    // worth the quadratic split search.
    if (pieces[i].size() > 256)
      continue;
    for (size_t cut : innerBoundaries(pieces[i])) {
      auto l = ids.find(pieces[i].substr(0, cut)), r = ids.find(pieces[i].substr(cut));
      if (l != ids.end() && r != ids.end())
        local.push_back({l->second, r->second, scores[i]});
    }
    std::sort(local.begin(), local.end(), [](const Merge &a, const Merge &b) {
      return a.left != b.left ? a.left < b.left : a.right < b.right;
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(),
                   [](const Merge &a, const Merge &b) { return a.score > b.score; });

  json vocab = json::object(), added = json::array(), mergeList = json::array();
  std::string unk;
  for (size_t i = 0; i < pieces.size(); ++i) {
    vocab[pieces[i]] = i;
    if (types[i] == 3)
      added.push_back({{"id", i}, {"content", pieces[i]}, {"special", true}});
    if (types[i] == 2)
      unk = pieces[i];
  }
  for (const Merge &m : merges)
    mergeList.push_back(pieces[m.left] + " " + pieces[m.right]);
  const char *space = "\xE2\x96\x81";
  json t;
  t["added_tokens"] = added;
  t["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", space}},
                                                  {{"type", "Replace"},
                                                   {"pattern", {{"String", " "}}},
                                                   {"content", space}}})}};
  t["pre_tokenizer"] = nullptr;
  t["decoder"] = {{"type", "Sequence"},
                  {"decoders", json::array({{{"type", "Replace"},
                                             {"pattern", {{"String", space}}},
                                             {"content", " "}},
                                            {{"type", "ByteFallback"}},
                                            {{"type", "Fuse"}},
                                            {{"type", "Strip"},
                                             {"content", " "},
                                             {"start", 1},
                                             {"stop", 0}}})}};
  t["model"] = {{"type", "BPE"},           {"byte_fallback", true}, {"fuse_unk", true},
                {"ignore_merges", false},  {"vocab", vocab},        {"merges", mergeList}};
  if (!unk.empty())
    t["model"]["unk_token"] = unk;
  t["post_processor"] = bosPostProcessor(pieces, bos, addBos);
  return t;
}

json byteLevelJson(const std::vector<std::string> &pieces, const std::vector<int64_t> &types,
                   const std::vector<std::string> &merges, const std::string &pre, int64_t bos,
                   bool addBos) {
  json vocab = json::object(), added = json::array();
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (types[i] == 3 || types[i] == 4)
      added.push_back({{"id", i}, {"content", pieces[i]}, {"special", types[i] == 3}});
    else
      vocab[pieces[i]] = i;
  }
  json t;
  t["added_tokens"] = added;
  t["normalizer"] = nullptr;
  auto split = [](const char *pattern) {
    return json{
        {"type", "Sequence"},
        {"pretokenizers",
         json::array({{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}};
  };
  if (pre == "llama-bpe" || pre == "llama3")
    t["pre_tokenizer"] = split(kLlama3Pattern);
  else if (pre == "qwen2")
    t["pre_tokenizer"] = split(kQwen2Pattern);
  else
    t["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  t["decoder"] = {{"type", "ByteLevel"}};
  t["model"] = {{"type", "BPE"},
                {"ignore_merges", pre == "llama-bpe" || pre == "llama3"},
                {"vocab", vocab},
                {"merges", merges}};
  t["post_processor"] = bosPostProcessor(pieces, bos, addBos);
  return t;
}

} // namespace

Expected<std::unique_ptr<TokenizerModel>> tokenizerFromGguf(const GgufFile &file) {
  auto strings = [&](const char *key, std::vector<std::string> &out) -> Status {
    const GgufValue *v = file.find(key);
    if (!v || !v->array())
      return Error(fmt::format("{} is missing or not an array", key));
    for (const GgufValue &item : *v->array()) {
      if (!item.string())
        return Error(fmt::format("{} has a non-string element", key));
      out.push_back(*item.string());
    }
    return Status::success();
  };
  const GgufValue *model = file.find("tokenizer.ggml.model");
  if (!model || !model->string())
    return Error("tokenizer.ggml.model is missing: the file has no tokenizer");
  std::vector<std::string> pieces;
  if (Status st = strings("tokenizer.ggml.tokens", pieces); !st.ok())
    return st;
  std::vector<int64_t> types(pieces.size(), 1);
  if (const GgufValue *t = file.find("tokenizer.ggml.token_type")) {
    if (!t->array() || t->array()->size() != pieces.size())
      return Error("tokenizer.ggml.token_type does not have one entry per token");
    for (size_t i = 0; i < pieces.size(); ++i)
      types[i] = (*t->array())[i].integer();
  }
  const GgufValue *bosValue = file.find("tokenizer.ggml.bos_token_id");
  int64_t bos = bosValue && bosValue->isInteger() ? bosValue->integer() : -1;
  // Whether BOS goes before a sequence: the file's flag, else what the
  // vocabulary's kind does (SentencePiece LLaMA models add one, byte-level
  // vocabularies do not).
  std::optional<bool> addBosFlag;
  if (const GgufValue *v = file.find("tokenizer.ggml.add_bos_token"))
    if (const bool *flag = std::get_if<bool>(&v->value))
      addBosFlag = *flag;
  json t;
  if (*model->string() == "llama") {
    std::vector<double> scores(pieces.size(), 0.0);
    if (const GgufValue *s = file.find("tokenizer.ggml.scores")) {
      if (!s->array() || s->array()->size() != pieces.size())
        return Error("tokenizer.ggml.scores does not have one entry per token");
      for (size_t i = 0; i < pieces.size(); ++i)
        scores[i] = (*s->array())[i].number();
    }
    t = sentencePieceJson(pieces, scores, types, bos, addBosFlag.value_or(true));
  } else if (*model->string() == "gpt2") {
    std::vector<std::string> merges;
    if (Status st = strings("tokenizer.ggml.merges", merges); !st.ok())
      return st;
    const GgufValue *preValue = file.find("tokenizer.ggml.pre");
    std::string pre = preValue && preValue->string() ? *preValue->string() : "default";
    if (pre != "default" && pre != "gpt-2" && pre != "gpt2" && pre != "llama-bpe" &&
        pre != "llama3" && pre != "qwen2")
      return Error(fmt::format("tokenizer.ggml.pre '{}' is not supported (supported: 'default', "
                               "'gpt-2', 'llama-bpe', 'qwen2')",
                               pre));
    t = byteLevelJson(pieces, types, merges, pre, bos, addBosFlag.value_or(false));
  } else {
    return Error(fmt::format("tokenizer.ggml.model '{}' is not supported (supported: 'llama', "
                             "'gpt2')",
                             *model->string()));
  }
  auto result = tokenizerJsonFromValue(t);
  if (!result.ok())
    return result;
  if (const GgufValue *eos = file.find("tokenizer.ggml.eos_token_id"); eos && eos->isInteger())
    (*result)->eosId = static_cast<int32_t>(eos->integer());
  if (bos >= 0)
    (*result)->bosId = static_cast<int32_t>(bos);
  return result;
}

} // namespace llm::runtime::detail
