//===- ChatTemplateFuzzer.cpp - Fuzz the chat-template renderer -----------===//
//
// Input: Jinja source. It is parsed and, if that succeeds, rendered with a
// conversation like llm-run's (messages, tools, flags). Errors are fine;
// crashes, hangs and sanitizer reports are not (the renderer bounds steps,
// output size and nesting).
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/ChatTemplate.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string source(reinterpret_cast<const char *>(data), size);
  auto tmpl = llm::runtime::ChatTemplate::parse(source);
  if (!tmpl.ok())
    return 0;
  static const std::string variables = R"({
    "messages": [{"role": "system", "content": " Be terse. "},
                 {"role": "user", "content": "Hi! ünïcode {{ x }}"},
                 {"role": "assistant", "content": "Hello.",
                  "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
                 {"role": "user", "content": ""}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"a": [1, 2.5, null]}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>",
    "date_string": "5 Dec 2026"})";
  (void)tmpl->renderJson(variables);
  return 0;
}
