//===- ChatTemplate.h - Chat templates and tokenizer_config.json ----------===//
//
// A model's chat template (tokenizer_config.json's "chat_template", a Jinja
// program) turns a conversation into the text the model was trained on. The
// renderer supports the Jinja subset Hugging Face templates use (see
// lib/chat/Jinja.h); an unsupported construct is an error naming it.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_CHATTEMPLATE_H
#define LLM_RUNTIME_CHATTEMPLATE_H

#include "llm/runtime/Status.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llm::runtime {

struct ChatMessage {
  std::string role; ///< "system", "user", "assistant", ...
  std::string content;
};

class ChatTemplate {
public:
  /// Parses Jinja source; errors give the line and the construct.
  static Expected<ChatTemplate> parse(const std::string &source);

  /// Renders a conversation as Hugging Face's apply_chat_template does, with
  /// the variables messages, add_generation_prompt, bos_token, eos_token.
  Expected<std::string> render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
                               const std::string &bosToken, const std::string &eosToken) const;
  /// Renders with the variables of a JSON object (messages may carry any
  /// fields; tools, date_string, ... as the template expects).
  Expected<std::string> renderJson(const std::string &variablesJson) const;

  ChatTemplate(ChatTemplate &&) noexcept;
  ChatTemplate &operator=(ChatTemplate &&) noexcept;
  ~ChatTemplate();

private:
  ChatTemplate();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The parts of a model directory's tokenizer_config.json the runtime uses.
struct TokenizerConfig {
  /// The default chat template, if the file has one.
  std::optional<std::string> chatTemplate;
  /// "" when not given.
  std::string bosToken, eosToken;

  /// Reads DIRECTORY/tokenizer_config.json; a directory without one gives an
  /// empty config. Errors name the file and the field.
  static Expected<TokenizerConfig> loadFromDirectory(const std::string &directory);
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_CHATTEMPLATE_H
