//===- JsonText.h - JSON values quoted in error messages ------*- C++ -*-===//
//
// Error messages quote the offending value of a hostile file. `dump()` would
// recurse once per nesting level (a stack overflow on `[[[[...]]]]`) and
// print values of any size, so messages quote scalars (strings cut to a
// bounded length) and name containers by kind and size instead.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_JSONTEXT_H
#define LLM_RUNTIME_JSONTEXT_H

#include <nlohmann/json.hpp>

#include <string>

namespace llm::runtime {

/// A short, bounded description of `value` for an error message: scalars as
/// JSON text (strings of more than `maxChars` characters cut, with "..."),
/// arrays and objects as "an array of N elements" / "an object of N keys".
inline std::string describeJson(const nlohmann::json &value,
                                size_t maxChars = 64) {
  if (value.is_array())
    return "an array of " + std::to_string(value.size()) + " elements";
  if (value.is_object())
    return "an object of " + std::to_string(value.size()) + " keys";
  if (value.is_string()) {
    const std::string &text = value.get_ref<const std::string &>();
    if (text.size() <= maxChars)
      return value.dump(-1, ' ', false,
                        nlohmann::json::error_handler_t::replace);
    return nlohmann::json(text.substr(0, maxChars))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "...";
  }
  return value.dump(); // a number, a boolean or null: bounded
}

/// `text` for an error message, cut to `maxChars` characters (with "...").
inline std::string boundedText(const std::string &text, size_t maxChars = 200) {
  if (text.size() <= maxChars)
    return text;
  return text.substr(0, maxChars) + "...";
}

} // namespace llm::runtime

#endif // LLM_RUNTIME_JSONTEXT_H
