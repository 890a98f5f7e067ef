//===- Bpe.cpp - Byte-pair encoding by merge rank --------------------------===//

#include "tokenizer/Bpe.h"

#include "tokenizer/Utf8.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <queue>

namespace llm::runtime::detail {

Expected<Bpe> Bpe::fromJson(const nlohmann::json &model) {
  using nlohmann::json;
  if (!model.is_object())
    return Error("\"model\" is not an object");
  std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE")
    return Error(fmt::format("model type '{}' is not supported (supported: 'BPE')", type));
  for (const char *field : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(field);
    if (it != model.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty()))
      return Error(fmt::format("model.{} is not supported", field));
  }
  if (auto it = model.find("dropout"); it != model.end() && it->is_number() &&
                                       it->get<double>() > 0.0)
    return Error("model.dropout is not supported (it makes encoding random)");

  Bpe bpe;
  auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object())
    return Error("model.vocab is missing or not an object");
  int64_t maxId = -1;
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it.value().is_number_integer())
      return Error(fmt::format("model.vocab['{}'] is not an integer id", it.key()));
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= (int64_t(1) << 24))
      return Error(fmt::format("model.vocab['{}'] has id {} out of range", it.key(), id));
    maxId = std::max(maxId, id);
  }
  bpe.pieces_.assign(static_cast<size_t>(maxId + 1), std::string());
  bpe.byteOfId_.assign(static_cast<size_t>(maxId + 1), -1);
  std::vector<bool> seen(static_cast<size_t>(maxId + 1), false);
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    auto id = static_cast<size_t>(it.value().get<int64_t>());
    if (seen[id])
      return Error(fmt::format("model.vocab gives id {} to both '{}' and '{}'", id,
                               bpe.pieces_[id], it.key()));
    seen[id] = true;
    bpe.pieces_[id] = it.key();
    bpe.byteOfId_[id] = static_cast<int16_t>(utf8::parseBytePiece(it.key()));
  }
  bpe.vocab_.reserve(vocab->size());
  for (size_t id = 0; id < bpe.pieces_.size(); ++id)
    if (seen[id])
      bpe.vocab_.emplace(bpe.pieces_[id], static_cast<int32_t>(id));

  bpe.ignoreMerges_ = model.value("ignore_merges", false);
  bpe.byteFallback_ = model.value("byte_fallback", false);
  bpe.fuseUnk_ = model.value("fuse_unk", false);
  if (auto unk = model.find("unk_token"); unk != model.end() && unk->is_string()) {
    bpe.unkId_ = bpe.find(unk->get<std::string>());
    if (bpe.unkId_ < 0)
      return Error(fmt::format("model.unk_token '{}' is not in the vocabulary",
                               unk->get<std::string>()));
  }
  bpe.byteIds_.fill(-1);
  if (bpe.byteFallback_)
    for (int b = 0; b < 256; ++b)
      bpe.byteIds_[b] = bpe.find(fmt::format("<0x{:02X}>", b));

  auto merges = model.find("merges");
  if (merges == model.end() || !merges->is_array())
    return Error("model.merges is missing or not an array");
  bpe.merges_.reserve(merges->size());
  int32_t rank = 0;
  std::string joined;
  for (const json &merge : *merges) {
    std::string_view left, right;
    if (merge.is_string()) {
      std::string_view text = merge.get_ref<const std::string &>();
      size_t space = text.find(' ', 1);
      if (space == std::string::npos)
        return Error(fmt::format("merge {} '{}' is not two pieces separated by a space",
                                 rank, text));
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      left = merge[0].get_ref<const std::string &>();
      right = merge[1].get_ref<const std::string &>();
    } else {
      return Error(fmt::format("merge {} is neither \"a b\" nor [\"a\", \"b\"]", rank));
    }
    joined.assign(left);
    joined.append(right);
    int32_t l = bpe.find(left), r = bpe.find(right), m = bpe.find(joined);
    if (l < 0 || r < 0 || m < 0)
      return Error(fmt::format("merge {} ('{}' + '{}') uses a piece that is not in the "
                               "vocabulary",
                               rank, left, right));
    // The first (highest-priority) occurrence of a pair wins.
    bpe.merges_.emplace(pairKey(l, r), Merge{rank, m});
    ++rank;
  }
  return bpe;
}

int32_t Bpe::find(std::string_view piece) const {
  auto it = vocab_.find(piece);
  return it == vocab_.end() ? -1 : it->second;
}

int Bpe::byteValue(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < byteOfId_.size() ? byteOfId_[id] : -1;
}

void Bpe::encodeWord(std::string_view word, std::vector<int32_t> &out) const {
  if (word.empty())
    return;
  if (ignoreMerges_) {
    if (int32_t id = find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }

  // One symbol per character (or per byte of a character the vocabulary
  // lacks, with byte fallback), linked so merges can remove symbols.
  struct Symbol {
    int32_t id;
    int32_t prev, next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id) {
    if (id == unkId_ && fuseUnk_ && !symbols.empty() && symbols.back().id == unkId_)
      return;
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1});
  };
  for (size_t pos = 0; pos < word.size();) {
    size_t bad;
    size_t len = utf8::validCharLength(word.substr(pos), bad);
    if (len == 0)
      len = std::max<size_t>(bad, 1);
    len = std::min(len, word.size() - pos);
    std::string_view ch = word.substr(pos, len);
    pos += len;
    if (int32_t id = find(ch); id >= 0) {
      add(id);
      continue;
    }
    bool allBytes = byteFallback_;
    for (char c : ch)
      allBytes = allBytes && byteIds_[static_cast<unsigned char>(c)] >= 0;
    if (allBytes) {
      for (char c : ch)
        add(byteIds_[static_cast<unsigned char>(c)]);
    } else if (unkId_ >= 0) {
      add(unkId_);
    }
    // Without byte fallback or an unknown token the character is dropped, as
    // Hugging Face's BPE does.
  }
  if (symbols.empty())
    return;
  symbols.back().next = -1;

  // Merge the lowest-ranked adjacent pair, leftmost first, until none is left.
  struct Candidate {
    int32_t rank, left, leftId, rightId;
    bool operator>(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto consider = [&](int32_t left) {
    if (left < 0)
      return;
    int32_t right = symbols[left].next;
    if (right < 0)
      return;
    auto it = merges_.find(pairKey(symbols[left].id, symbols[right].id));
    if (it != merges_.end())
      queue.push({it->second.rank, left, symbols[left].id, symbols[right].id});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
    consider(i);
  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    Symbol &left = symbols[c.left];
    if (left.id != c.leftId || left.next < 0)
      continue; // stale: the left symbol changed or was merged away
    Symbol &right = symbols[left.next];
    if (right.id != c.rightId)
      continue;
    left.id = merges_.at(pairKey(c.leftId, c.rightId)).result;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = c.left;
    right.id = -1; // removed
    consider(left.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next)
    out.push_back(symbols[i].id);
}

} // namespace llm::runtime::detail
