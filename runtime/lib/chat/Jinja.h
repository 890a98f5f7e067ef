//===- Jinja.h - Rendering chat templates ---------------------------------===//
//
// The subset of Jinja that Hugging Face chat templates use (Llama-2-chat,
// Llama-3.x with tools, Mistral-instruct, ...): text with whitespace control,
// {{ }}, if/elif/else, for (with loop.*, else, an "if" filter, unpacking),
// set (also block set and namespace attributes), break/continue, Python's
// operators, literals, attribute/subscript/slice access, the common filters,
// tests and str/dict methods, and the globals raise_exception, namespace,
// range and strftime_now. Anything else is an error naming the construct.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_CHAT_JINJA_H
#define LLM_RUNTIME_CHAT_JINJA_H

#include "chat/JinjaAst.h"

#include <memory>
#include <string>

namespace llm::runtime::jinja {

class Template {
public:
  /// Throws TemplateError ("line N: ...").
  static Template parse(const std::string &source);
  /// Renders with the variables of `context` (a Dict value). Throws
  /// TemplateError ("line N: ..."); raise_exception's message is kept whole.
  std::string render(const Value &context) const;

private:
  std::shared_ptr<const TemplateAst> ast_;
};

} // namespace llm::runtime::jinja

#endif // LLM_RUNTIME_CHAT_JINJA_H
