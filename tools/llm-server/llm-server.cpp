//===- llm-server.cpp - OpenAI-compatible HTTP server ---------------------===//
//
// Serves one model over HTTP with OpenAI's API: POST /v1/completions and
// /v1/chat/completions (whole, or streamed as server-sent events), GET
// /v1/models and /health. Requests share the model through continuous
// batching (BatchScheduler): each holds a slot of the KV-cache pool while it
// runs, and all running requests advance together, one @decode_batch step
// per token.
//
//   llm-server -m MODEL_DIR [compiled.mlir] --port 8080 --parallel 4 -c 2048
//
//===----------------------------------------------------------------------===//

#include "ClientConnection.h"
#include "OpenAIProtocol.h"
#include "llm/Serving/BatchScheduler.h"
#include "llm/Serving/ModelSession.h"
#include "llm/Support/ToolArguments.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <csignal>
#include <ctime>
#include <malloc.h>
#include <pthread.h>
#include <thread>

namespace cl = llvm::cl;
namespace rt = llm::runtime;
using json = nlohmann::json;
using llm::serving::BatchScheduler;
using llm::serving::ModelSession;
using llm::serving::RequestEvent;
using llm::serving::RequestHandle;

static cl::OptionCategory category("llm-server options");
static cl::opt<std::string> modulePath(cl::Positional,
    cl::desc("[compiled module (.mlir or llm-compile's .so); default: "
             "import the model's config and compile it]"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> modelDir("model",
    cl::desc("Hugging Face checkpoint directory or .gguf file"),
    cl::cat(category));
static cl::alias modelShort("m", cl::aliasopt(modelDir), cl::cat(category));
static cl::opt<std::string> host("host",
    cl::desc("Address to listen on (default 127.0.0.1)"),
    cl::init("127.0.0.1"), cl::cat(category));
static cl::opt<int> port("port", cl::desc("Port (default 8080)"),
                         cl::init(8080), cl::cat(category));
static cl::opt<int> ctxSize("ctx-size",
    cl::desc("Context size of each sequence (0: the model's "
             "max_position_embeddings; default 0)"),
    cl::init(0), cl::cat(category));
static cl::alias ctxShort("c", cl::aliasopt(ctxSize), cl::cat(category));
// "threads" is an option of LLVM's own: --threads is rewritten to this.
static cl::opt<int> threads("num-threads",
                            cl::desc("Threads (default: all cores); also --threads"),
                            cl::init(0), cl::cat(category));
static cl::alias threadsShort("t", cl::aliasopt(threads), cl::cat(category));
static cl::opt<int> parallel("parallel",
    cl::desc("Sequences decoded together (KV-cache slots; default 4)"),
    cl::init(4), cl::cat(category));
static cl::alias parallelShort("np", cl::aliasopt(parallel), cl::cat(category));
static cl::opt<std::string> cacheDir("cache-dir",
    cl::desc("Where compiled code and prepared weights are cached"),
    cl::cat(category));
static cl::opt<bool> noCache("no-cache",
    cl::desc("Neither read nor write cached code or prepared weights"),
    cl::cat(category));
static cl::opt<bool> noWarmup("no-warmup",
    cl::desc("Skip the warm-up run after loading (as llama-server's "
             "--no-warmup): the first request then also pays for starting "
             "the threads and faulting in the code and buffers"),
    cl::cat(category));
static cl::opt<int> maxBody("max-body-size",
    cl::desc("Largest request body in bytes (default 1 MiB)"),
    cl::init(1 << 20), cl::cat(category));
static cl::opt<int> queueLimit("queue-limit",
    cl::desc("Requests that may wait for a slot; more get HTTP 429 "
             "(default 64)"),
    cl::init(64), cl::cat(category));
static cl::opt<std::string> alias("alias",
    cl::desc("Model name in responses (default: the model's directory name)"),
    cl::cat(category));

namespace {

int fail(const std::string &message) {
  llvm::errs() << "llm-server: error: " << message << "\n";
  return 1;
}

int64_t unixTime() { return static_cast<int64_t>(std::time(nullptr)); }

/// The server: the model, its scheduler, and the HTTP handlers.
class Server {
public:
  Server(ModelSession &session, std::string name, size_t maxWaiting)
      : session_(session), scheduler_(session, maxWaiting),
        name_(std::move(name)) {
    if (const auto &source = session.tokenizerConfig().chatTemplate) {
      auto parsed = rt::ChatTemplate::parse(*source);
      if (parsed.ok())
        chatTemplate_.emplace(std::move(*parsed));
      else
        llvm::errs() << "llm-server: warning: the model's chat template does "
                        "not parse (" << parsed.message()
                     << "); /v1/chat/completions is unavailable\n";
    }
  }

  void install(httplib::Server &http) {
    http.Get("/health", [](const httplib::Request &, httplib::Response &res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request &,
                                  httplib::Response &res) {
      json model = {{"id", name_},
                    {"object", "model"},
                    {"created", unixTime()},
                    {"owned_by", "llm"},
                    {"context_length", session_.contextSize()}};
      res.set_content(json{{"object", "list"}, {"data", {model}}}.dump(),
                      "application/json");
    });
    http.Post("/v1/completions",
              [this](const httplib::Request &req, httplib::Response &res) {
                complete(req, res, /*chat=*/false);
              });
    http.Post("/v1/chat/completions",
              [this](const httplib::Request &req, httplib::Response &res) {
                complete(req, res, /*chat=*/true);
              });
    http.set_error_handler([](const httplib::Request &, httplib::Response &res) {
      if (!res.body.empty())
        return;
      std::string message = res.status == 404   ? "no such endpoint"
                            : res.status == 413 ? "the request body is too large"
                            : res.status == 405 ? "method not allowed"
                                                : "bad request";
      res.set_content(llm::server::errorBody(message, "invalid_request_error"),
                      "application/json");
    });
    http.set_exception_handler([](const httplib::Request &,
                                  httplib::Response &res, std::exception_ptr) {
      res.status = 500;
      res.set_content(llm::server::errorBody("internal error", "server_error"),
                      "application/json");
    });
  }

  /// Cancels every request (the server is stopping).
  void cancelAll() { scheduler_.cancelAll(); }

private:
  static void reject(httplib::Response &res, int status,
                     const std::string &message) {
    res.status = status;
    res.set_content(llm::server::errorBody(message, status >= 500
                                                        ? "server_error"
                                                        : "invalid_request_error"),
                    "application/json");
  }

  /// The prompt's ids: the text tokenized, the ids given, or the
  /// conversation rendered with the chat template.
  std::variant<std::vector<int32_t>, std::string>
  promptIds(const llm::server::CompletionRequest &request) {
    if (request.chat) {
      if (!chatTemplate_)
        return std::string("the model has no chat template: use "
                           "/v1/completions");
      const rt::TokenizerConfig &config = session_.tokenizerConfig();
      const rt::Tokenizer *tokenizer = session_.tokenizer();
      std::string bos = config.bosToken, eos = config.eosToken;
      if (bos.empty() && tokenizer && tokenizer->bosId() >= 0)
        bos = tokenizer->piece(tokenizer->bosId());
      if (eos.empty() && tokenizer && tokenizer->eosId() >= 0)
        eos = tokenizer->piece(tokenizer->eosId());
      auto text = chatTemplate_->render(request.messages, true, bos, eos);
      if (!text.ok())
        return text.message();
      // The rendering carries its own special tokens (BOS included).
      auto ids = session_.encode(*text, /*addSpecial=*/false,
                                 "the conversation");
      if (!ids.ok())
        return ids.message();
      return std::move(*ids);
    }
    if (auto *ids = std::get_if<std::vector<int32_t>>(&request.prompt))
      return *ids;
    auto ids = session_.encode(std::get<std::string>(request.prompt),
                               /*addSpecial=*/true);
    if (!ids.ok())
      return ids.message();
    return std::move(*ids);
  }

  void complete(const httplib::Request &req, httplib::Response &res,
                bool chat) {
    auto parsed = llm::server::parseCompletionRequest(req.body, chat,
                                                      rt::SamplerParams());
    if (auto *error = std::get_if<std::string>(&parsed))
      return reject(res, 400, *error);
    auto &request = std::get<llm::server::CompletionRequest>(parsed);
    auto ids = promptIds(request);
    if (auto *error = std::get_if<std::string>(&ids))
      return reject(res, 400, *error);
    llm::serving::GenerationRequest generation;
    generation.prompt = std::move(std::get<std::vector<int32_t>>(ids));
    if (generation.prompt.empty())
      return reject(res, 400, "the prompt is empty");
    auto promptTokens = static_cast<int64_t>(generation.prompt.size());
    if (promptTokens > session_.contextSize())
      return reject(res, 400,
                    "the prompt has " + std::to_string(promptTokens) +
                        " tokens but the context holds " +
                        std::to_string(session_.contextSize()));
    generation.sampling = request.sampling;
    generation.options.maxTokens =
        request.maxTokens ? *request.maxTokens
                          : session_.contextSize() - promptTokens;
    generation.options.stopStrings = request.stop;
    generation.options.ignoreEos = request.ignoreEos;
    auto handle = scheduler_.submit(std::move(generation));
    if (!handle.ok())
      return reject(res, BatchScheduler::isBusy(handle.message()) ? 429 : 400,
                    handle.message());
    std::string id = (chat ? "chatcmpl-" : "cmpl-") +
                     std::to_string(++requests_);
    // A client that goes away frees its slot, streamed or not.
    auto connection = std::make_shared<llm::server::ClientConnection>(
        req.local_addr, req.local_port, req.remote_addr, req.remote_port);
    if (request.stream)
      return stream(res, *handle, connection, id, chat, request.streamUsage);

    std::string text;
    std::vector<RequestEvent> events;
    std::string failure;
    while ((*handle)->wait(events, std::chrono::milliseconds(100))) {
      if (connection->closed())
        (*handle)->cancel();
      for (RequestEvent &event : events) {
        if (event.kind == RequestEvent::Text)
          text += event.text;
        else if (event.kind == RequestEvent::Failed)
          failure = event.text;
      }
      events.clear();
    }
    logEnd(id, **handle, failure);
    if (!failure.empty())
      return reject(res, 500, "generation failed: " + failure);
    json choice = {{"index", 0},
                   {"finish_reason", (*handle)->finishReason()},
                   {"logprobs", nullptr}};
    if (chat)
      choice["message"] = {{"role", "assistant"}, {"content", text}};
    else
      choice["text"] = text;
    int64_t generated = (*handle)->generatedTokens();
    json body = {{"id", id},
                 {"object", chat ? "chat.completion" : "text_completion"},
                 {"created", unixTime()},
                 {"model", name_},
                 {"choices", {choice}},
                 {"usage",
                  {{"prompt_tokens", (*handle)->promptTokens()},
                   {"completion_tokens", generated},
                   {"total_tokens", (*handle)->promptTokens() + generated}}}};
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                    "application/json");
  }

  /// One line on stderr per request: its tokens and how it ended.
  static void logEnd(const std::string &id, const RequestHandle &handle,
                     const std::string &failure) {
    std::string line = "llm-server: " + id + ": " +
                       std::to_string(handle.promptTokens()) + " prompt + " +
                       std::to_string(handle.generatedTokens()) +
                       " generated tokens, ";
    line += failure.empty() ? "finished (" + handle.finishReason() + ")"
            : failure == "cancelled" ? std::string("cancelled (its client "
                                                   "went away, or the server "
                                                   "is stopping)")
                                     : "failed: " + failure;
    std::lock_guard<std::mutex> lock(logMutex());
    llvm::errs() << line << "\n";
  }
  static std::mutex &logMutex() {
    static std::mutex mutex;
    return mutex;
  }

  /// Server-sent events: one `data: {chunk}` per piece of text, a last
  /// chunk with the finish reason, then `data: [DONE]`.
  void stream(httplib::Response &res, std::shared_ptr<RequestHandle> handle,
              std::shared_ptr<llm::server::ClientConnection> connection,
              std::string id, bool chat, bool usage) {
    auto chunk = [this, id, chat](json delta, const std::string *text,
                                  const std::string *finish) {
      json choice = {{"index", 0},
                     {"finish_reason", finish ? json(*finish) : json(nullptr)}};
      if (chat)
        choice["delta"] = std::move(delta);
      else
        choice["text"] = text ? *text : "";
      json body = {{"id", id},
                   {"object", chat ? "chat.completion.chunk" : "text_completion"},
                   {"created", unixTime()},
                   {"model", name_},
                   {"choices", {choice}}};
      return "data: " +
             body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
    };
    // The usage, as OpenAI sends it: a last chunk without choices.
    auto usageChunk = [this, id, chat, handle]() {
      int64_t generated = handle->generatedTokens();
      json body = {{"id", id},
                   {"object", chat ? "chat.completion.chunk" : "text_completion"},
                   {"created", unixTime()},
                   {"model", name_},
                   {"choices", json::array()},
                   {"usage",
                    {{"prompt_tokens", handle->promptTokens()},
                     {"completion_tokens", generated},
                     {"total_tokens", handle->promptTokens() + generated}}}};
      return "data: " + body.dump() + "\n\n";
    };
    // Logged once: when it ends, or when its client goes away.
    auto logged = std::make_shared<std::atomic<bool>>(false);
    auto logOnce = [id, handle, logged](const std::string &failure) {
      if (!logged->exchange(true))
        logEnd(id, *handle, failure);
    };
    res.set_chunked_content_provider(
        "text/event-stream",
        [handle, connection, chunk, usageChunk, usage, chat, logOnce,
         started = false](size_t, httplib::DataSink &sink) mutable {
          if (chat && !started) {
            // The first chunk of a chat stream names the role.
            std::string data =
                chunk(json{{"role", "assistant"}, {"content", ""}}, nullptr,
                      nullptr);
            started = true;
            if (!sink.write(data.data(), data.size())) {
              handle->cancel();
              return false;
            }
          }
          std::vector<RequestEvent> events;
          while (handle->wait(events, std::chrono::milliseconds(100))) {
            if (!sink.is_writable() || connection->closed()) {
              handle->cancel();
              return false;
            }
            for (RequestEvent &event : events) {
              std::string data;
              if (event.kind == RequestEvent::Text) {
                data = chunk(json{{"content", event.text}}, &event.text,
                             nullptr);
              } else if (event.kind == RequestEvent::Finished) {
                std::string reason = handle->finishReason();
                data = chunk(json::object(), nullptr, &reason);
                if (usage)
                  data += usageChunk();
                data += "data: [DONE]\n\n";
                logOnce("");
              } else {
                logOnce(event.text);
                data = "data: " +
                       llm::server::errorBody("generation failed: " +
                                                  event.text,
                                              "server_error") +
                       "\n\ndata: [DONE]\n\n";
              }
              if (!sink.write(data.data(), data.size())) {
                handle->cancel();
                return false;
              }
            }
            events.clear();
          }
          sink.done();
          return true;
        },
        [handle, logOnce](bool success) {
          // A client that went away frees its slot.
          if (!success) {
            handle->cancel();
            logOnce("cancelled");
          }
        });
  }

  ModelSession &session_;
  BatchScheduler scheduler_;
  std::string name_;
  std::optional<rt::ChatTemplate> chatTemplate_;
  std::atomic<int64_t> requests_{0};
};

} // namespace

int main(int argc, char **argv) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::vector<std::string> args = llm::spellThreadsOption(argc, argv);
  std::vector<const char *> cargs;
  for (const std::string &arg : args)
    cargs.push_back(arg.c_str());
  cl::HideUnrelatedOptions(category);
  if (std::string unknown = llm::unknownOption(args); !unknown.empty())
    return fail("unknown option '" + unknown + "' (see llm-server --help)");
  cl::ParseCommandLineOptions(static_cast<int>(cargs.size()), cargs.data(),
                              "llm OpenAI-compatible server\n");
  if (modelDir.empty())
    return fail("no model: pass -m MODEL_DIR (a Hugging Face checkpoint "
                "directory or a .gguf file)");
  if (port <= 0 || port > 65535)
    return fail("--port must be in [1, 65535], got " + std::to_string(port));
  if (parallel <= 0)
    return fail("--parallel must be positive, got " + std::to_string(parallel));
  if (threads < 0)
    return fail("--threads must be >= 0 (0: all cores), got " +
                std::to_string(threads));
  if (ctxSize < 0)
    return fail("--ctx-size must be >= 0, got " + std::to_string(ctxSize));
  if (maxBody <= 0)
    return fail("--max-body-size must be positive");

  // SIGINT and SIGTERM stop the server (handled by a thread of their own).
  static sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // The first SIGINT or SIGTERM stops the server (its requests cancelled);
  // while the model loads, or at a second signal, the process exits.
  static std::atomic<httplib::Server *> listening{nullptr};
  static std::atomic<Server *> serving{nullptr};
  std::thread stopper([] {
    int signal = 0;
    sigwait(&stopSignals, &signal);
    httplib::Server *http = listening.load();
    if (!http) {
      llvm::errs() << "llm-server: interrupted\n";
      std::_Exit(128 + signal);
    }
    llvm::errs() << "llm-server: stopping (a second signal exits at once)\n";
    if (Server *server = serving.load())
      server->cancelAll();
    http->stop();
    sigwait(&stopSignals, &signal);
    std::_Exit(128 + signal);
  });
  stopper.detach();

  llm::serving::SessionOptions options;
  options.model = modelDir;
  options.module = modulePath;
  options.cacheDirectory = cacheDir;
  options.noCache = noCache;
  options.contextSize = ctxSize;
  options.slots = parallel;
  options.progress = true;
  options.threads = threads;
  options.lastLogitsOnly = true;
  options.warmup = !noWarmup;
  llvm::errs() << "llm-server: loading " << modelDir << "\n";
  auto session = ModelSession::open(options);
  if (!session.ok())
    return fail(session.message());
  if (!(*session)->shape().batchedDecode)
    llvm::errs() << "llm-server: warning: the module has no @decode_batch "
                    "(import it with llm-translate --batched-decode): "
                    "sequences decode one at a time\n";
  if (queueLimit <= 0)
    return fail("--queue-limit must be positive");
  Server server(**session, alias.empty() ? (*session)->name() : alias,
                static_cast<size_t>(queueLimit));
  httplib::Server http;
  http.set_payload_max_length(static_cast<size_t>(maxBody));
  size_t workers = static_cast<size_t>(parallel) * 2 + 4;
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.install(http);
  if (!http.bind_to_port(host.c_str(), port))
    return fail("cannot listen on " + host + ":" + std::to_string(port));
  serving = &server;
  listening = &http;
  llvm::errs() << "llm-server: serving " << modelDir << " on http://" << host
               << ":" << port << " (" << parallel << " slots of "
               << (*session)->contextSize() << " positions)\n";
  http.listen_after_bind();
  llvm::errs() << "llm-server: stopped\n";
  // Every request was cancelled by the signal; the process ends without
  // waiting for handler threads still writing to their clients.
  std::_Exit(0);
}
