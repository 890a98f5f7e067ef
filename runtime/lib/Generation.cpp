//===- Generation.cpp - Prefill, then sample until a stop -----------------===//

#include "llm/runtime/Generation.h"

#include <algorithm>
#include <chrono>

namespace llm::runtime {

namespace {
using Clock = std::chrono::steady_clock;
double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

/// How many trailing bytes of `text` could begin one of `stops`.
size_t stopPrefixLength(const std::string &text, const std::vector<std::string> &stops) {
  size_t keep = 0;
  for (const std::string &stop : stops)
    for (size_t n = std::min(stop.size() - 1, text.size()); n > keep; --n)
      if (text.compare(text.size() - n, n, stop, 0, n) == 0) {
        keep = n;
        break;
      }
  return keep;
}
} // namespace

Expected<GenerateResult> generate(ModelRunner &runner, Sampler &sampler, StreamDecoder *stream,
                                  const std::vector<int32_t> &tokens, int64_t position,
                                  const GenerateOptions &options,
                                  const std::function<void(const std::string &)> &onText,
                                  const std::function<Status(const std::vector<float> &)> &onPrefill) {
  if (tokens.empty())
    return Error("generate: no tokens to prefill");
  for (const std::string &stop : options.stopStrings)
    if (stop.empty())
      return Error("generate: an empty stop string");
  const int64_t vocab = runner.shape().vocabSize;
  GenerateResult result;
  auto emit = [&](const std::string &text) {
    if (text.empty())
      return;
    result.text += text;
    if (onText)
      onText(text);
  };

  auto start = Clock::now();
  auto logits = runner.forward(tokens, position);
  if (!logits.ok())
    return logits.status();
  result.prefillMs = millis(Clock::now() - start);
  if (onPrefill)
    if (Status s = onPrefill(*logits); !s.ok())
      return s;
  position += static_cast<int64_t>(tokens.size());
  result.cachedPositions = position;

  std::vector<float> step;
  const float *last = logits->data() + (tokens.size() - 1) * static_cast<size_t>(vocab);
  Clock::time_point firstToken;
  std::string pending; // text that may begin a stop string
  while (static_cast<int64_t>(result.generated.size()) < options.maxTokens) {
    auto next = sampler.sampleAndAccept(last, static_cast<size_t>(vocab));
    if (!next.ok())
      return next.status();
    if (result.generated.empty())
      firstToken = Clock::now();
    result.generated.push_back(*next);
    if (!options.ignoreEos &&
        std::find(options.eosIds.begin(), options.eosIds.end(), *next) != options.eosIds.end()) {
      result.endedByEos = true;
      break;
    }
    // An id the model has but the tokenizer lacks (a vocabulary padded past
    // the tokenizer's) has no text.
    if (stream && stream->tokenizer().isValid(*next)) {
      auto piece = stream->push(*next);
      if (!piece.ok())
        return piece.status();
      pending += *piece;
      size_t cut = std::string::npos;
      for (const std::string &stop : options.stopStrings)
        if (size_t at = pending.find(stop); at < cut) {
          cut = at;
          result.stoppedBy = stop;
        }
      if (cut != std::string::npos) {
        emit(pending.substr(0, cut));
        pending.clear();
        break;
      }
      size_t keep = stopPrefixLength(pending, options.stopStrings);
      emit(pending.substr(0, pending.size() - keep));
      pending.erase(0, pending.size() - keep);
    }
    if (static_cast<int64_t>(result.generated.size()) == options.maxTokens)
      break;
    auto stepLogits = runner.forward({*next}, position);
    if (!stepLogits.ok())
      return stepLogits.status();
    ++position;
    result.cachedPositions = position;
    step = std::move(*stepLogits);
    last = step.data();
  }
  auto end = Clock::now();
  if (stream && result.stoppedBy.empty())
    emit(pending + stream->flush());
  else if (stream)
    stream->flush();
  result.firstTokenMs = result.generated.empty() ? result.prefillMs : millis(firstToken - start);
  result.decodeMs = result.generated.empty() ? 0.0 : millis(end - firstToken);
  return result;
}

} // namespace llm::runtime
