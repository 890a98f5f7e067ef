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

Expected<std::vector<float>> prefillLast(ModelRunner &runner,
                                         const std::vector<int32_t> &tokens,
                                         int64_t position, int64_t slot,
                                         size_t chunk) {
  if (tokens.empty())
    return Error("no tokens to prefill");
  chunk = std::max<size_t>(chunk, 1);
  const size_t vocab = static_cast<size_t>(runner.shape().vocabSize);
  std::vector<float> last;
  for (size_t first = 0; first < tokens.size(); first += chunk) {
    size_t end = std::min(tokens.size(), first + chunk);
    auto logits = runner.forward(
        std::vector<int32_t>(tokens.begin() + first, tokens.begin() + end),
        position + static_cast<int64_t>(first), slot);
    if (!logits.ok())
      return logits.status();
    last.assign(logits->end() - vocab, logits->end());
  }
  return last;
}

Status warmUp(ModelRunner &runner, int64_t slot) {
  const ModelShape &shape = runner.shape();
  int32_t token = shape.bosTokenId >= 0 && shape.bosTokenId < shape.vocabSize
                      ? static_cast<int32_t>(shape.bosTokenId)
                      : 0;
  int64_t context = runner.contextSize();
  if (context < 1)
    return Error("warm-up: the KV cache is not allocated");
  if (context >= 2)
    if (auto logits = runner.forward({token, token}, 0, slot); !logits.ok())
      return Error("warm-up: " + logits.message());
  int64_t decodeAt = std::min<int64_t>(context - 1, 2);
  if (auto logits = runner.forward({token}, decodeAt, slot); !logits.ok())
    return Error("warm-up: " + logits.message());
  return Status::success();
}

Expected<std::string> TokenStepper::step(const float *logits, size_t vocab) {
  if (done_)
    return Error("generation has ended");
  if (static_cast<int64_t>(generated_.size()) >= options_.maxTokens) {
    done_ = true;
    return std::string();
  }
  auto next = sampler_.sampleAndAccept(logits, vocab);
  if (!next.ok())
    return next.status();
  generated_.push_back(*next);
  if (!options_.ignoreEos &&
      std::find(options_.eosIds.begin(), options_.eosIds.end(), *next) !=
          options_.eosIds.end()) {
    endedByEos_ = done_ = true;
    return std::string();
  }
  std::string text;
  // An id the model has but the tokenizer lacks (a vocabulary padded past
  // the tokenizer's) has no text.
  if (stream_ && stream_->tokenizer().isValid(*next)) {
    auto piece = stream_->push(*next);
    if (!piece.ok())
      return piece.status();
    pending_ += *piece;
    size_t cut = std::string::npos;
    for (const std::string &stop : options_.stopStrings)
      if (size_t at = pending_.find(stop); at < cut) {
        cut = at;
        stoppedBy_ = stop;
      }
    if (cut != std::string::npos) {
      text = pending_.substr(0, cut);
      pending_.clear();
      done_ = true;
      return text;
    }
    size_t keep = stopPrefixLength(pending_, options_.stopStrings);
    text = pending_.substr(0, pending_.size() - keep);
    pending_.erase(0, pending_.size() - keep);
  }
  if (static_cast<int64_t>(generated_.size()) >= options_.maxTokens)
    done_ = true;
  return text;
}

std::string TokenStepper::finish() {
  if (!stream_)
    return std::string();
  std::string rest = stream_->flush();
  if (!stoppedBy_.empty())
    return std::string();
  std::string text = pending_ + rest;
  pending_.clear();
  return text;
}

Expected<GenerateResult> generate(ModelRunner &runner, Sampler &sampler, StreamDecoder *stream,
                                  const std::vector<int32_t> &tokens, int64_t position,
                                  const GenerateOptions &options,
                                  const std::function<void(const std::string &)> &onText,
                                  const std::function<Status(const std::vector<float> &)> &onPrefill,
                                  int64_t slot) {
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
  // Every position's logits when onPrefill wants them; else only the last.
  auto logits = onPrefill ? runner.forward(tokens, position, slot)
                          : prefillLast(runner, tokens, position, slot);
  if (!logits.ok())
    return logits.status();
  result.prefillMs = millis(Clock::now() - start);
  if (onPrefill)
    if (Status s = onPrefill(*logits); !s.ok())
      return s;
  position += static_cast<int64_t>(tokens.size());
  result.cachedPositions = position;

  TokenStepper stepper(sampler, stream, options);
  std::vector<float> step;
  const float *last = logits->data() + logits->size() - static_cast<size_t>(vocab);
  Clock::time_point firstToken;
  while (options.maxTokens > 0) {
    auto text = stepper.step(last, static_cast<size_t>(vocab));
    if (!text.ok())
      return text.status();
    if (stepper.generated().size() == 1)
      firstToken = Clock::now();
    emit(*text);
    if (stepper.done())
      break;
    auto stepLogits = runner.forward({stepper.lastToken()}, position, slot);
    if (!stepLogits.ok())
      return stepLogits.status();
    ++position;
    result.cachedPositions = position;
    step = std::move(*stepLogits);
    last = step.data();
  }
  auto end = Clock::now();
  emit(stepper.finish());
  result.generated = stepper.generated();
  result.stoppedBy = stepper.stoppedBy();
  result.endedByEos = stepper.endedByEos();
  result.firstTokenMs = result.generated.empty() ? result.prefillMs : millis(firstToken - start);
  result.decodeMs = result.generated.empty() ? 0.0 : millis(end - firstToken);
  return result;
}

} // namespace llm::runtime
