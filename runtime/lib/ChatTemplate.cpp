//===- ChatTemplate.cpp - Chat templates and tokenizer_config.json --------===//

#include "llm/runtime/ChatTemplate.h"

#include "TextFile.h"
#include "chat/Jinja.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace llm::runtime {

struct ChatTemplate::Impl {
  jinja::Template program;

  Expected<std::string> render(const nlohmann::ordered_json &variables) const {
    try {
      return program.render(jinja::Value::fromJson(variables));
    } catch (const std::exception &e) {
      return Error(fmt::format("chat template: {}", e.what()));
    }
  }
};

ChatTemplate::ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate &&) noexcept = default;
ChatTemplate &ChatTemplate::operator=(ChatTemplate &&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

Expected<ChatTemplate> ChatTemplate::parse(const std::string &source) {
  try {
    ChatTemplate t;
    t.impl_ = std::make_unique<Impl>(Impl{jinja::Template::parse(source)});
    return t;
  } catch (const std::exception &e) {
    return Error(fmt::format("chat template: {}", e.what()));
  }
}

Expected<std::string> ChatTemplate::render(const std::vector<ChatMessage> &messages,
                                           bool addGenerationPrompt, const std::string &bosToken,
                                           const std::string &eosToken) const {
  nlohmann::ordered_json variables;
  variables["messages"] = nlohmann::ordered_json::array();
  for (const ChatMessage &m : messages)
    variables["messages"].push_back({{"role", m.role}, {"content", m.content}});
  variables["add_generation_prompt"] = addGenerationPrompt;
  variables["bos_token"] = bosToken;
  variables["eos_token"] = eosToken;
  // As apply_chat_template passes them when none are given.
  variables["tools"] = nullptr;
  variables["documents"] = nullptr;
  return impl_->render(variables);
}

Expected<std::string> ChatTemplate::renderJson(const std::string &variablesJson) const {
  auto variables = nlohmann::ordered_json::parse(variablesJson, nullptr, false);
  if (variables.is_discarded() || !variables.is_object())
    return Error("chat template: the variables are not a JSON object");
  return impl_->render(variables);
}

namespace {
/// A special token written as a string or as {"content": "..."}.
Expected<std::string> tokenText(const nlohmann::json &root, const char *field,
                                const std::string &path) {
  auto it = root.find(field);
  if (it == root.end() || it->is_null())
    return std::string();
  if (it->is_string())
    return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return Error(fmt::format("'{}': \"{}\" is neither a string nor {{\"content\": ...}}", path,
                           field));
}
} // namespace

Expected<TokenizerConfig> TokenizerConfig::loadFromDirectory(const std::string &directory) {
  std::string path = (std::filesystem::path(directory) / "tokenizer_config.json").string();
  TokenizerConfig config;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return config;
  auto text = detail::readTextFile(path);
  if (!text.ok())
    return text.status();
  nlohmann::json root = nlohmann::json::parse(*text, nullptr, false);
  if (root.is_discarded())
    return Error(fmt::format("'{}' is not valid JSON", path));
  if (!root.is_object())
    return Error(fmt::format("'{}' is not a JSON object", path));
  for (auto [field, target] : {std::pair{"bos_token", &config.bosToken},
                               std::pair{"eos_token", &config.eosToken}}) {
    auto value = tokenText(root, field, path);
    if (!value.ok())
      return value.status();
    *target = *value;
  }
  auto it = root.find("chat_template");
  if (it != root.end() && !it->is_null()) {
    if (it->is_string()) {
      config.chatTemplate = it->get<std::string>();
    } else if (it->is_array()) {
      // Named templates: [{"name": "default", "template": "..."}, ...].
      for (const auto &entry : *it)
        if (entry.is_object() && entry.value("name", "") == "default" &&
            entry.contains("template") && entry["template"].is_string())
          config.chatTemplate = entry["template"].get<std::string>();
      if (!config.chatTemplate)
        return Error(fmt::format("'{}': \"chat_template\" lists no template named \"default\"",
                                 path));
    } else {
      return Error(fmt::format("'{}': \"chat_template\" is neither a string nor a list", path));
    }
  }
  return config;
}

} // namespace llm::runtime
