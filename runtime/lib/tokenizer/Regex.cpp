//===- Regex.cpp - Unicode regular expressions for pre-tokenizers ---------===//

#include "tokenizer/Regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <fmt/format.h>

namespace llm::runtime::detail {

struct Regex::Impl {
  pcre2_code *code = nullptr;
  ~Impl() { pcre2_code_free(code); }
};

Regex::Regex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regex::Regex(Regex &&) noexcept = default;
Regex &Regex::operator=(Regex &&) noexcept = default;
Regex::~Regex() = default;

Expected<Regex> Regex::compile(const std::string &pattern) {
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code *code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &errorCode, &errorOffset,
      nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(errorCode, message, sizeof(message));
    return Error(fmt::format("bad regular expression '{}' at offset {}: {}", pattern,
                             errorOffset, reinterpret_cast<const char *>(message)));
  }
  auto impl = std::make_unique<Impl>();
  impl->code = code;
  // JIT is an optimization: without it (e.g. no executable memory) matching
  // still works through the interpreter.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return Regex(std::move(impl));
}

std::string Regex::escape(std::string_view literal) {
  // \Q...\E quotes everything except a literal "\E".
  std::string out = "\\Q";
  for (size_t pos = 0; pos < literal.size(); ++pos) {
    if (literal.substr(pos, 2) == "\\E") {
      out += "\\E\\\\E\\Q";
      ++pos;
    } else {
      out.push_back(literal[pos]);
    }
  }
  out += "\\E";
  return out;
}

Status Regex::forEachMatch(std::string_view text,
                           const std::function<void(size_t, size_t)> &onMatch) const {
  pcre2_match_data *match = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  if (!match)
    return Error("out of memory for regular expression matching");
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t offset = 0;
  Status status;
  while (offset <= text.size()) {
    int rc = pcre2_match(impl_->code, subject, text.size(), offset, 0, match, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      status = Error(fmt::format("regular expression matching failed: {}",
                                 reinterpret_cast<const char *>(message)));
      break;
    }
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match);
    size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      onMatch(begin, end);
      offset = end;
      continue;
    }
    // An empty match: move on by one character.
    offset = begin + 1;
    while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80)
      ++offset;
  }
  pcre2_match_data_free(match);
  return status;
}

} // namespace llm::runtime::detail
