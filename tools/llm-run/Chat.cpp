//===- Chat.cpp - llm-run's interactive conversation mode -----------------===//

#include "Chat.h"
#include "Prompt.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

namespace llm::run {

namespace rt = llm::runtime;

namespace {

bool readLine(std::FILE *in, std::string &line) {
  line.clear();
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n')
    line.push_back(static_cast<char>(c));
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return c != EOF || !line.empty();
}

int fail(const std::string &message) {
  llvm::errs() << "llm-run: error: " << message << "\n";
  return 1;
}

} // namespace

int runChat(rt::ModelRunner &runner, const rt::Tokenizer &tokenizer,
            const rt::ChatTemplate &chatTemplate, const ChatOptions &options, std::FILE *in) {
  const int64_t context = runner.contextSize();
  const bool interactive = isatty(fileno(in)) && !options.json;
  auto sampler = rt::Sampler::create(options.sampling);
  if (!sampler.ok())
    return fail(sampler.message());
  rt::StreamDecoder stream(tokenizer);

  std::vector<rt::ChatMessage> messages;
  if (!options.systemPrompt.empty())
    messages.push_back({"system", options.systemPrompt});
  // The ids the KV cache holds, position by position.
  std::vector<int32_t> cached;
  std::string line;
  for (int turn = 1;; ++turn) {
    if (interactive) {
      llvm::outs() << "> ";
      llvm::outs().flush();
    }
    if (!readLine(in, line) || line == "/exit")
      break;
    if (line.empty()) {
      --turn;
      continue;
    }
    messages.push_back({"user", line});
    auto text = chatTemplate.render(messages, /*addGenerationPrompt=*/true, options.bosToken,
                                    options.eosToken);
    if (!text.ok())
      return fail(text.message());
    // The rendering carries its own special tokens (BOS included).
    auto tokens = encodeForModel(tokenizer, *text, /*addSpecial=*/false,
                                 runner.shape().vocabSize, "the conversation");
    if (!tokens.ok())
      return fail(tokens.message());
    if (tokens->empty())
      return fail("the chat template rendered the conversation as no tokens");
    const auto total = static_cast<int64_t>(tokens->size());
    if (total >= context) {
      llvm::errs() << "llm-run: the conversation (" << total
                   << " tokens with this message) does not fit the context of " << context
                   << " tokens: it ends here (raise -c/--ctx-size for longer ones)\n";
      return 1;
    }
    // Reuse the cache up to the first token that differs; at least one new
    // token is run so the reply has logits to start from.
    size_t reused = 0;
    while (reused < cached.size() && reused < tokens->size() && cached[reused] == (*tokens)[reused])
      ++reused;
    reused = std::min(reused, tokens->size() - 1);
    std::vector<int32_t> fresh(tokens->begin() + static_cast<ptrdiff_t>(reused), tokens->end());
    for (int32_t id : fresh)
      sampler->accept(id);

    rt::GenerateOptions generation = options.generation;
    generation.maxTokens = context - total;
    if (options.maxReplyTokens >= 0)
      generation.maxTokens = std::min(generation.maxTokens, options.maxReplyTokens);
    auto result = rt::generate(
        runner, *sampler, &stream, fresh, static_cast<int64_t>(reused), generation,
        [&](const std::string &piece) {
          if (!options.json) {
            llvm::outs() << piece;
            llvm::outs().flush();
          }
        });
    if (!result.ok())
      return fail(result.message());
    cached.assign(tokens->begin(), tokens->end());
    cached.insert(cached.end(), result->generated.begin(), result->generated.end());
    cached.resize(static_cast<size_t>(result->cachedPositions));
    messages.push_back({"assistant", result->text});

    size_t steps = result->generated.empty() ? 0 : result->generated.size() - 1;
    double tokensPerSecond = steps && result->decodeMs > 0 ? steps / (result->decodeMs / 1000) : 0;
    if (options.json) {
      llvm::json::Array prompt, generated;
      for (int32_t id : *tokens)
        prompt.push_back(id);
      for (int32_t id : result->generated)
        generated.push_back(id);
      llvm::outs() << llvm::json::Value(llvm::json::Object{
                          {"turn", turn},
                          {"prompt_ids", std::move(prompt)},
                          {"reused_tokens", static_cast<int64_t>(reused)},
                          {"prefilled_tokens", static_cast<int64_t>(fresh.size())},
                          {"generated_ids", std::move(generated)},
                          {"text", result->text},
                          {"stopped_by_string", result->stoppedBy.empty()
                                                    ? llvm::json::Value(nullptr)
                                                    : llvm::json::Value(result->stoppedBy)}})
                   << "\n";
    } else {
      llvm::outs() << "\n";
    }
    llvm::outs().flush();
    llvm::errs() << llvm::format("llm-run: turn %d: prefilled %zu new tokens (%zu reused from "
                                 "the cache) | reply %zu tokens, %.2f tokens/s\n",
                                 turn, fresh.size(), reused, result->generated.size(),
                                 tokensPerSecond);
    bool ended = result->endedByEos || !result->stoppedBy.empty();
    if (!ended && static_cast<int64_t>(result->generated.size()) == context - total) {
      llvm::errs() << "llm-run: the context of " << context
                   << " tokens is full: the conversation ends here (raise -c/--ctx-size for "
                      "longer ones)\n";
      return 1;
    }
  }
  return 0;
}

} // namespace llm::run
