//===- Chat.h - llm-run's interactive conversation mode -------------------===//

#ifndef LLM_TOOLS_LLM_RUN_CHAT_H
#define LLM_TOOLS_LLM_RUN_CHAT_H

#include "llm/runtime/ChatTemplate.h"
#include "llm/runtime/Generation.h"
#include "llm/runtime/ModelRunner.h"
#include "llm/runtime/Sampler.h"
#include "llm/runtime/Tokenizer.h"

#include <cstdio>
#include <string>

namespace llm::run {

struct ChatOptions {
  std::string systemPrompt; ///< "" for none
  std::string bosToken, eosToken;
  runtime::SamplerParams sampling;
  /// End-of-sequence ids, stop strings, and the per-reply limit (-1: until
  /// the context is full).
  runtime::GenerateOptions generation;
  int64_t maxReplyTokens = -1;
  /// One JSON object per turn instead of the streamed reply.
  bool json = false;
};

/// Reads user messages from `in`, one per line, until its end (or a line
/// "/exit"); each turn renders the whole conversation with `chatTemplate`,
/// prefills only the tokens the KV cache does not already hold, and streams
/// the reply. Returns the process exit code; a full context ends the
/// conversation with a message.
int runChat(runtime::ModelRunner &runner, const runtime::Tokenizer &tokenizer,
            const runtime::ChatTemplate &chatTemplate, const ChatOptions &options,
            std::FILE *in);

} // namespace llm::run

#endif // LLM_TOOLS_LLM_RUN_CHAT_H
