//===- BatchScheduler.cpp - Continuous batching over a slot pool ----------===//

#include "llm/Serving/BatchScheduler.h"

#include <algorithm>

using namespace llm::serving;
namespace rt = llm::runtime;
using Clock = std::chrono::steady_clock;

//===----------------------------------------------------------------------===//
// RequestHandle
//===----------------------------------------------------------------------===//

bool RequestHandle::wait(std::vector<RequestEvent> &events,
                         std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !events_.empty() || ended_; });
  while (!events_.empty()) {
    events.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return !ended_ || !events.empty();
}

void RequestHandle::push(RequestEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (event.kind != RequestEvent::Text)
      ended_ = true;
    events_.push_back(std::move(event));
  }
  ready_.notify_all();
}

std::string RequestHandle::finishReason() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return finishReason_;
}

int64_t RequestHandle::generatedTokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generated_;
}

double RequestHandle::timeToFirstTokenMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::chrono::duration<double, std::milli>(firstToken_ - submitted_)
      .count();
}

//===----------------------------------------------------------------------===//
// BatchScheduler
//===----------------------------------------------------------------------===//

/// A request with its sampling state, waiting or in a slot.
struct BatchScheduler::Running {
  Running(std::shared_ptr<RequestHandle> handle, GenerationRequest request,
          rt::Sampler sampler, const rt::Tokenizer *tokenizer)
      : handle(std::move(handle)), request(std::move(request)),
        sampler(std::move(sampler)),
        stream(tokenizer ? std::optional<rt::StreamDecoder>(*tokenizer)
                         : std::nullopt),
        stepper(this->sampler, stream ? &*stream : nullptr,
                this->request.options) {}

  std::shared_ptr<RequestHandle> handle;
  GenerationRequest request;
  rt::Sampler sampler;
  std::optional<rt::StreamDecoder> stream;
  rt::TokenStepper stepper;
  int64_t slot = -1;
  /// The position of the next token to run.
  int64_t position = 0;
};

BatchScheduler::BatchScheduler(ModelSession &session, size_t maxWaiting)
    : session_(session), maxWaiting_(maxWaiting) {
  for (int64_t slot = session.runner().slots(); slot-- > 0;)
    freeSlots_.push_back(slot);
  thread_ = std::thread([this] {
    session_.useThreadsHere();
    run();
  });
}

BatchScheduler::~BatchScheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (auto &request : queue_)
    request->handle->push({RequestEvent::Failed, "the server is stopping"});
  for (auto &request : running_)
    request->handle->push({RequestEvent::Failed, "the server is stopping"});
}

size_t BatchScheduler::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

size_t BatchScheduler::running() const { return runningCount_; }

static const char kBusy[] = "too many requests are waiting for a slot";

bool BatchScheduler::isBusy(const std::string &message) {
  return message.rfind(kBusy, 0) == 0;
}

void BatchScheduler::cancelAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto &weak : live_)
    if (auto handle = weak.lock())
      handle->cancel();
  wake_.notify_all();
}

rt::Expected<std::shared_ptr<RequestHandle>>
BatchScheduler::submit(GenerationRequest request) {
  const rt::ModelShape &shape = session_.shape();
  int64_t context = session_.contextSize();
  auto promptTokens = static_cast<int64_t>(request.prompt.size());
  if (request.prompt.empty())
    return rt::Error("the prompt is empty");
  for (int32_t id : request.prompt)
    if (id < 0 || id >= shape.vocabSize)
      return rt::Error("token id " + std::to_string(id) +
                       " is outside the vocabulary (size " +
                       std::to_string(shape.vocabSize) + ")");
  if (promptTokens > context)
    return rt::Error("the prompt has " + std::to_string(promptTokens) +
                     " tokens but the context holds " +
                     std::to_string(context));
  if (request.options.maxTokens < 0 ||
      request.options.maxTokens > context - promptTokens)
    return rt::Error("the prompt (" + std::to_string(promptTokens) +
                     " tokens) plus " +
                     std::to_string(request.options.maxTokens) +
                     " tokens to generate exceeds the context size " +
                     std::to_string(context));
  for (const std::string &stop : request.options.stopStrings)
    if (stop.empty())
      return rt::Error("a stop string is empty");
  auto sampler = rt::Sampler::create(request.sampling);
  if (!sampler.ok())
    return rt::Error(sampler.message());
  for (int32_t id : request.prompt)
    sampler->accept(id);
  request.options.eosIds = session_.eosIds();
  auto handle = std::make_shared<RequestHandle>();
  handle->submitted_ = Clock::now();
  handle->promptTokens_ = promptTokens;
  auto running = std::make_unique<Running>(handle, std::move(request),
                                           std::move(*sampler),
                                           session_.tokenizer());
  if (running->stream)
    for (int32_t id : running->request.prompt)
      if (session_.tokenizer()->isValid(id))
        if (auto ignored = running->stream->push(id); !ignored.ok())
          return rt::Error(ignored.message());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= maxWaiting_)
      return rt::Error(std::string(kBusy) + " (" +
                       std::to_string(queue_.size()) + "); try again later");
    queue_.push_back(std::move(running));
    // Ended requests leave the registry as new ones come.
    live_.erase(std::remove_if(live_.begin(), live_.end(),
                               [](const auto &w) { return w.expired(); }),
                live_.end());
    live_.push_back(handle);
  }
  wake_.notify_all();
  return handle;
}

void BatchScheduler::finish(Running &request, RequestEvent::Kind kind,
                            std::string text) {
  RequestHandle &handle = *request.handle;
  if (kind == RequestEvent::Finished) {
    std::string rest = request.stepper.finish();
    if (!rest.empty())
      handle.push({RequestEvent::Text, std::move(rest)});
    std::lock_guard<std::mutex> lock(handle.mutex_);
    handle.finishReason_ = request.stepper.endedByEos() ||
                                   !request.stepper.stoppedBy().empty()
                               ? "stop"
                               : "length";
  }
  handle.push({kind, std::move(text)});
  if (request.slot >= 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    freeSlots_.push_back(request.slot);
    request.slot = -1;
  }
}

void BatchScheduler::admit(std::unique_ptr<Running> request) {
  const std::vector<int32_t> &prompt = request->request.prompt;
  auto logits = rt::prefillLast(session_.runner(), prompt, 0, request->slot);
  if (!logits.ok()) {
    finish(*request, RequestEvent::Failed, logits.message());
    return;
  }
  request->position = static_cast<int64_t>(prompt.size());
  size_t vocab = session_.shape().vocabSize;
  const float *last = logits->data();
  if (request->request.options.maxTokens == 0) {
    finish(*request, RequestEvent::Finished, "");
    return;
  }
  auto text = request->stepper.step(last, vocab);
  {
    std::lock_guard<std::mutex> lock(request->handle->mutex_);
    request->handle->firstToken_ = Clock::now();
    request->handle->generated_ = 1;
  }
  if (!text.ok()) {
    finish(*request, RequestEvent::Failed, text.message());
    return;
  }
  // One event per token (its text may be empty: part of a character, or a
  // model without a tokenizer), so that consumers see progress.
  request->handle->push({RequestEvent::Text, std::move(*text)});
  if (request->stepper.done()) {
    finish(*request, RequestEvent::Finished, "");
    return;
  }
  running_.push_back(std::move(request));
}

void BatchScheduler::step() {
  // Cancelled requests leave first.
  for (auto &request : running_)
    if (request->handle->cancelled())
      finish(*request, RequestEvent::Failed, "cancelled");
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [](const auto &r) { return r->slot < 0; }),
                 running_.end());
  if (running_.empty())
    return;
  std::vector<int32_t> tokens;
  std::vector<int64_t> slots, positions;
  for (auto &request : running_) {
    tokens.push_back(request->stepper.lastToken());
    slots.push_back(request->slot);
    positions.push_back(request->position);
  }
  size_t vocab = session_.shape().vocabSize;
  rt::ModelRunner &runner = session_.runner();
  rt::Expected<std::vector<float>> logits = std::vector<float>();
  if (runner.shape().batchedDecode) {
    logits = runner.forwardBatch(tokens, slots, positions);
  } else {
    // A module without @decode_batch: one sequence at a time.
    for (size_t b = 0; b < tokens.size() && logits.ok(); ++b) {
      auto row = runner.forward({tokens[b]}, positions[b], slots[b]);
      if (!row.ok())
        logits = rt::Error(row.message());
      else
        logits->insert(logits->end(), row->begin(), row->end());
    }
  }
  if (!logits.ok()) {
    for (auto &request : running_)
      finish(*request, RequestEvent::Failed, logits.message());
    running_.clear();
    return;
  }
  for (size_t b = 0; b < running_.size(); ++b) {
    Running &request = *running_[b];
    ++request.position;
    auto text = request.stepper.step(logits->data() + b * vocab, vocab);
    if (!text.ok()) {
      finish(request, RequestEvent::Failed, text.message());
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(request.handle->mutex_);
      request.handle->generated_ =
          static_cast<int64_t>(request.stepper.generated().size());
    }
    request.handle->push({RequestEvent::Text, std::move(*text)});
    if (request.stepper.done())
      finish(request, RequestEvent::Finished, "");
  }
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [](const auto &r) { return r->slot < 0; }),
                 running_.end());
}

void BatchScheduler::run() {
  for (;;) {
    std::vector<std::unique_ptr<Running>> admitted;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !running_.empty() ||
               (!queue_.empty() && !freeSlots_.empty());
      });
      if (stopping_)
        return;
      // Requests join the batch between decode steps, as slots allow.
      while (!queue_.empty() && !freeSlots_.empty()) {
        std::unique_ptr<Running> request = std::move(queue_.front());
        queue_.pop_front();
        if (request->handle->cancelled()) {
          request->handle->push({RequestEvent::Failed, "cancelled"});
          continue;
        }
        request->slot = freeSlots_.back();
        freeSlots_.pop_back();
        admitted.push_back(std::move(request));
      }
    }
    for (auto &request : admitted)
      admit(std::move(request));
    step();
    runningCount_ = running_.size();
  }
}
