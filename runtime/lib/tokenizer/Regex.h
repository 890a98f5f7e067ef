//===- Regex.h - Unicode regular expressions for pre-tokenizers -----------===//
//
// Hugging Face pre-tokenizers split text with Oniguruma-flavoured patterns
// (\p{L}, \p{N}, (?i:...), lookahead). PCRE2 in UTF + UCP mode accepts the
// same syntax and semantics; patterns are JIT-compiled once. Invalid UTF-8
// in the subject is matched byte by byte rather than refused.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_TOKENIZER_REGEX_H
#define LLM_RUNTIME_TOKENIZER_REGEX_H

#include "llm/runtime/Status.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace llm::runtime::detail {

class Regex {
public:
  /// Compiles `pattern`; the error gives PCRE2's message and the offset.
  static Expected<Regex> compile(const std::string &pattern);
  /// A pattern that matches `literal` exactly.
  static std::string escape(std::string_view literal);

  Regex(Regex &&) noexcept;
  Regex &operator=(Regex &&) noexcept;
  ~Regex();

  /// Calls `onMatch(begin, end)` for every non-overlapping, non-empty match
  /// of the pattern in `text`, left to right.
  Status forEachMatch(std::string_view text,
                      const std::function<void(size_t, size_t)> &onMatch) const;

private:
  struct Impl;
  explicit Regex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace llm::runtime::detail

#endif // LLM_RUNTIME_TOKENIZER_REGEX_H
