//===- Utf8.cpp - UTF-8 helpers of the tokenizers -------------------------===//

#include "tokenizer/Utf8.h"

namespace llm::runtime::utf8 {

size_t validCharLength(std::string_view s, size_t &maximalSubpart) {
  maximalSubpart = 0;
  if (s.empty())
    return 0;
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80)
    return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF; // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0)
      lo = 0xA0;
    else if (b0 == 0xED)
      hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0)
      lo = 0x90;
    else if (b0 == 0xF4)
      hi = 0x8F;
  } else {
    maximalSubpart = 1;
    return 0;
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= s.size())
      return 0; // valid so far, incomplete
    auto b = static_cast<unsigned char>(s[i]);
    bool ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      maximalSubpart = i;
      return 0;
    }
  }
  return need;
}

size_t appendLossy(std::string_view bytes, bool final, std::string &out,
                   Replacement policy) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Copy the ASCII run at once.
    size_t run = pos;
    while (run < bytes.size() && static_cast<unsigned char>(bytes[run]) < 0x80)
      ++run;
    if (run > pos) {
      out.append(bytes.substr(pos, run - pos));
      pos = run;
      continue;
    }
    size_t bad;
    size_t len = validCharLength(bytes.substr(pos), bad);
    if (len > 0) {
      out.append(bytes.substr(pos, len));
      pos += len;
    } else if (bad > 0) {
      out.append(kReplacement);
      pos += policy == Replacement::PerByte ? 1 : bad;
    } else {
      // A valid prefix that ends the input.
      if (!final)
        return pos;
      out.append(kReplacement);
      pos = policy == Replacement::PerByte ? pos + 1 : bytes.size();
    }
  }
  return pos;
}

void appendCodePoint(uint32_t cp, std::string &out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int parseBytePiece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
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

ByteLevelAlphabet::ByteLevelAlphabet() {
  decoded.fill(-1);
  auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    uint32_t cp = printable(b) ? static_cast<uint32_t>(b) : next++;
    appendCodePoint(cp, encoded[b]);
    decoded[cp] = static_cast<int16_t>(b);
  }
}

const ByteLevelAlphabet &ByteLevelAlphabet::get() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

} // namespace llm::runtime::utf8
