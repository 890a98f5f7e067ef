//===- OpenAIProtocol.h - OpenAI-compatible request parsing -----*- C++ -*-===//
//
// The fields of /v1/completions and /v1/chat/completions requests that the
// server reads, checked one by one: a field of the wrong type or out of
// range is an error naming it (a 400), never an exception or a crash.
// Unknown fields are ignored, as OpenAI's API does.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TOOLS_LLM_SERVER_OPENAIPROTOCOL_H
#define LLM_TOOLS_LLM_SERVER_OPENAIPROTOCOL_H

#include "llm/runtime/ChatTemplate.h"
#include "llm/runtime/Sampler.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace llm::server {

/// A parsed completion request (both endpoints).
struct CompletionRequest {
  /// /v1/completions: text, or token ids.
  std::variant<std::string, std::vector<int32_t>> prompt;
  /// /v1/chat/completions: the conversation.
  std::vector<runtime::ChatMessage> messages;
  bool chat = false;
  /// Unset: as many as the context leaves.
  std::optional<int64_t> maxTokens;
  runtime::SamplerParams sampling;
  std::vector<std::string> stop;
  bool stream = false;
  /// stream_options.include_usage: the last streamed chunk carries usage.
  bool streamUsage = false;
  /// llama.cpp's extension: keep generating after end-of-sequence ids.
  bool ignoreEos = false;
};

/// Parses `body`; an error message (for a 400) when it is not a valid
/// request. `defaults` are the sampler settings of fields not given.
std::variant<CompletionRequest, std::string>
parseCompletionRequest(const std::string &body, bool chat,
                       const runtime::SamplerParams &defaults);

/// An OpenAI-style error body.
std::string errorBody(const std::string &message, const std::string &type,
                      const std::string &param = "");

} // namespace llm::server

#endif // LLM_TOOLS_LLM_SERVER_OPENAIPROTOCOL_H
