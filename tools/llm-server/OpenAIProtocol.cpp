//===- OpenAIProtocol.cpp - OpenAI-compatible request parsing -------------===//

#include "OpenAIProtocol.h"

#include <limits>

namespace llm::server {

using json = nlohmann::json;

namespace {
/// Reads the optional field `name` of `body` with `read`, which returns an
/// error message for a value of the wrong type or range.
class Fields {
public:
  explicit Fields(const json &body) : body_(body) {}

  template <typename Read> bool field(const char *name, Read read) {
    if (!error_.empty())
      return false;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null())
      return true;
    std::string problem = read(*it);
    if (!problem.empty())
      error_ = std::string("'") + name + "' " + problem;
    return error_.empty();
  }

  bool number(const char *name, double low, double high, float &out) {
    return field(name, [&](const json &v) -> std::string {
      if (!v.is_number())
        return "must be a number";
      double d = v.get<double>();
      if (!(d >= low && d <= high))
        return "must be in [" + trim(low) + ", " + trim(high) + "], got " +
               trim(d);
      out = static_cast<float>(d);
      return "";
    });
  }

  bool integer(const char *name, int64_t low, int64_t high, int64_t &out) {
    return field(name, [&](const json &v) -> std::string {
      if (!v.is_number_integer())
        return "must be an integer";
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() > static_cast<uint64_t>(high))
        return "must be at most " + std::to_string(high);
      int64_t i = v.get<int64_t>();
      if (i < low || i > high)
        return "must be in [" + std::to_string(low) + ", " +
               std::to_string(high) + "], got " + std::to_string(i);
      out = i;
      return "";
    });
  }

  const std::string &error() const { return error_; }

private:
  static std::string trim(double d) {
    std::string s = std::to_string(d);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.')
      s.pop_back();
    return s;
  }
  const json &body_;
  std::string error_;
};
} // namespace

std::variant<CompletionRequest, std::string>
parseCompletionRequest(const std::string &text, bool chat,
                       const runtime::SamplerParams &defaults) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return std::string("the request body is not valid JSON");
  if (!body.is_object())
    return std::string("the request body must be a JSON object");
  CompletionRequest request;
  request.chat = chat;
  request.sampling = defaults;
  Fields fields(body);

  if (chat) {
    auto messages = body.find("messages");
    if (messages == body.end() || !messages->is_array() || messages->empty())
      return std::string("'messages' must be a non-empty array of messages");
    for (const json &m : *messages) {
      if (!m.is_object())
        return std::string("each message must be an object");
      auto role = m.find("role");
      auto content = m.find("content");
      if (role == m.end() || !role->is_string())
        return std::string("each message needs a 'role' string");
      runtime::ChatMessage message{role->get<std::string>(), ""};
      if (content != m.end() && content->is_string()) {
        message.content = content->get<std::string>();
      } else if (content != m.end() && content->is_array()) {
        // The parts form: [{"type": "text", "text": "..."}].
        for (const json &part : *content) {
          auto type = part.is_object() ? part.find("type") : part.end();
          auto partText = part.is_object() ? part.find("text") : part.end();
          if (!part.is_object() || type == part.end() || *type != "text" ||
              partText == part.end() || !partText->is_string())
            return std::string("message content parts must be "
                               "{\"type\": \"text\", \"text\": string}");
          message.content += partText->get<std::string>();
        }
      } else if (content != m.end() && !content->is_null()) {
        return std::string("a message's 'content' must be a string");
      }
      request.messages.push_back(std::move(message));
    }
  } else {
    auto prompt = body.find("prompt");
    if (prompt == body.end() || prompt->is_null())
      return std::string("'prompt' is required");
    if (prompt->is_string()) {
      request.prompt = prompt->get<std::string>();
    } else if (prompt->is_array() && prompt->size() == 1 &&
               (*prompt)[0].is_string()) {
      request.prompt = (*prompt)[0].get<std::string>();
    } else if (prompt->is_array() && !prompt->empty() &&
               std::all_of(prompt->begin(), prompt->end(), [](const json &v) {
                 return v.is_number_integer();
               })) {
      std::vector<int32_t> ids;
      for (const json &v : *prompt) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX)
          return std::string("'prompt' has a token id out of range");
        int64_t id = v.get<int64_t>();
        if (id < 0 || id > INT32_MAX)
          return std::string("'prompt' has a token id out of range: ") +
                 std::to_string(id);
        ids.push_back(static_cast<int32_t>(id));
      }
      request.prompt = std::move(ids);
    } else {
      return std::string("'prompt' must be a string, an array of one "
                         "string, or an array of token ids");
    }
  }

  int64_t maxTokens = -1, n = 1, topK = request.sampling.top_k;
  int64_t seed = -1;
  fields.integer("max_tokens", 0, std::numeric_limits<int32_t>::max(),
                 maxTokens);
  if (chat)
    fields.integer("max_completion_tokens", 0,
                   std::numeric_limits<int32_t>::max(), maxTokens);
  fields.number("temperature", 0.0, 2.0, request.sampling.temp);
  fields.number("top_p", 0.0, 1.0, request.sampling.top_p);
  fields.number("min_p", 0.0, 1.0, request.sampling.min_p);
  fields.integer("top_k", -1, std::numeric_limits<int32_t>::max(), topK);
  // 2^32 - 1 is the sampler's "random seed" sentinel.
  fields.integer("seed", -1, 0xFFFFFFFELL, seed);
  fields.number("repeat_penalty", 0.0, 100.0, request.sampling.repeat_penalty);
  fields.integer("n", 1, std::numeric_limits<int32_t>::max(), n);
  fields.field("stream", [&](const json &v) -> std::string {
    if (!v.is_boolean())
      return "must be true or false";
    request.stream = v.get<bool>();
    return "";
  });
  fields.field("ignore_eos", [&](const json &v) -> std::string {
    if (!v.is_boolean())
      return "must be true or false";
    request.ignoreEos = v.get<bool>();
    return "";
  });
  fields.field("stream_options", [&](const json &v) -> std::string {
    if (!v.is_object())
      return "must be an object";
    auto usage = v.find("include_usage");
    if (usage != v.end() && !usage->is_boolean())
      return "has an 'include_usage' that is not true or false";
    request.streamUsage = usage != v.end() && usage->get<bool>();
    return "";
  });
  fields.field("stop", [&](const json &v) -> std::string {
    if (v.is_string()) {
      request.stop.push_back(v.get<std::string>());
    } else if (v.is_array() && v.size() <= 4) {
      for (const json &s : v) {
        if (!s.is_string())
          return "must be a string or an array of at most 4 strings";
        request.stop.push_back(s.get<std::string>());
      }
    } else {
      return "must be a string or an array of at most 4 strings";
    }
    for (const std::string &s : request.stop)
      if (s.empty() || s.size() > 256)
        return "must hold strings of 1 to 256 bytes";
    return "";
  });
  if (!fields.error().empty())
    return fields.error();
  if (n != 1)
    return std::string("'n' must be 1: one completion per request");
  if (request.sampling.top_p == 0.0f)
    return std::string("'top_p' must be in (0, 1], got 0");
  if (request.sampling.repeat_penalty == 0.0f)
    return std::string("'repeat_penalty' must be positive");
  if (maxTokens >= 0)
    request.maxTokens = maxTokens;
  request.sampling.top_k = static_cast<int32_t>(topK);
  request.sampling.seed =
      seed == -1 ? runtime::kRandomSeed : static_cast<uint32_t>(seed);
  if (runtime::Status s = request.sampling.validate(); !s.ok())
    return s.message();
  return request;
}

std::string errorBody(const std::string &message, const std::string &type,
                      const std::string &param) {
  json error = {{"message", message}, {"type", type}, {"code", nullptr}};
  error["param"] = param.empty() ? json(nullptr) : json(param);
  return json{{"error", error}}.dump();
}

} // namespace llm::server
