//===- BatchScheduler.h - Continuous batching over a slot pool --*- C++ -*-===//
//
// Runs many generation requests on one model at once. Each request gets a
// slot of the model's KV-cache pool; between decode steps, waiting requests
// are prefilled into free slots (continuous batching), and every running
// request advances by one token per step of `@decode_batch`, so that they
// all share one pass over the weights. A request's consumer (an HTTP
// handler) reads its text as it becomes final and may cancel it, which
// frees its slot at the next step.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_SERVING_BATCHSCHEDULER_H
#define LLM_SERVING_BATCHSCHEDULER_H

#include "llm/Serving/ModelSession.h"
#include "llm/runtime/Generation.h"
#include "llm/runtime/Sampler.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace llm::serving {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  ::llm::runtime::SamplerParams sampling;
  /// maxTokens, stop strings, ignoreEos; the end-of-sequence ids are the
  /// model's.
  ::llm::runtime::GenerateOptions options;
};

/// What a request's consumer receives, in order: one `Text` per generated
/// token (the text that became final with it, possibly empty), then one
/// `Finished` or `Failed`.
struct RequestEvent {
  enum Kind { Text, Finished, Failed } kind = Text;
  /// The text (Text), or the error (Failed).
  std::string text;
};

/// A submitted request, shared by the scheduler and its consumer.
class RequestHandle {
public:
  /// Waits up to `timeout` for events and moves them into `events`.
  /// Returns false once the request has ended and every event was taken.
  bool wait(std::vector<RequestEvent> &events,
            std::chrono::milliseconds timeout);
  /// Stops the request (its client is gone); its slot is freed at the
  /// scheduler's next step.
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

  /// Once Finished: "stop" (an end-of-sequence id or a stop string) or
  /// "length" (max tokens).
  std::string finishReason() const;
  int64_t promptTokens() const { return promptTokens_; }
  int64_t generatedTokens() const;
  /// Milliseconds from submission to the first token.
  double timeToFirstTokenMs() const;

private:
  friend class BatchScheduler;
  void push(RequestEvent event);

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<RequestEvent> events_;
  bool ended_ = false;
  std::atomic<bool> cancelled_{false};
  std::string finishReason_;
  int64_t promptTokens_ = 0, generated_ = 0;
  std::chrono::steady_clock::time_point submitted_, firstToken_;
};

class BatchScheduler {
public:
  /// Starts the scheduling thread; the session must outlive the scheduler.
  /// At most `maxWaiting` requests wait for a slot (submit refuses more).
  explicit BatchScheduler(ModelSession &session, size_t maxWaiting = 64);
  ~BatchScheduler();

  /// Queues `request`. Errors (nothing queued): an empty prompt, ids outside
  /// the vocabulary, a prompt plus max tokens longer than the context, or
  /// too many requests waiting already (isBusy).
  ::llm::runtime::Expected<std::shared_ptr<RequestHandle>>
  submit(GenerationRequest request);

  /// Requests waiting for a slot, and running.
  size_t waiting() const;
  size_t running() const;
  /// Cancels every request (the server is stopping).
  void cancelAll();
  /// Whether `message` (a submit error) says that too many requests wait.
  static bool isBusy(const std::string &message);

private:
  struct Running;
  void run();
  /// Prefills `request` into a free slot and samples its first token.
  void admit(std::unique_ptr<Running> request);
  /// One decode step of every running request.
  void step();
  /// Ends `request` (its events pushed) and frees its slot.
  void finish(Running &request, RequestEvent::Kind kind, std::string text);

  ModelSession &session_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Running>> queue_;
  std::vector<std::unique_ptr<Running>> running_;
  std::vector<int64_t> freeSlots_;
  std::atomic<size_t> runningCount_{0};
  size_t maxWaiting_;
  /// Every request not yet ended, for cancelAll.
  std::vector<std::weak_ptr<RequestHandle>> live_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace llm::serving

#endif // LLM_SERVING_BATCHSCHEDULER_H
