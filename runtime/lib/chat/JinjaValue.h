//===- JinjaValue.h - Values of the chat-template language ----------------===//
//
// Chat templates compute with Python's data model (Jinja runs on Python):
// undefined, None, booleans, integers, floats, strings, lists and dicts (in
// insertion order), namespaces, and callables. Lists, dicts and namespaces
// are shared by reference, as in Python.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_CHAT_JINJAVALUE_H
#define LLM_RUNTIME_CHAT_JINJAVALUE_H

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace llm::runtime::jinja {

/// An error while parsing or rendering; the message says what and where.
class TemplateError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Value;
using List = std::vector<Value>;
struct Dict;

/// Positional and keyword arguments of a call.
struct Arguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;

  /// The argument at `index` or named `name`, if given.
  const Value *get(size_t index, const char *name) const;
};
using Function = std::function<Value(const Arguments &)>;

struct Value {
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Function };

  Kind kind = Kind::Undefined;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string string;
  std::shared_ptr<List> list;
  std::shared_ptr<Dict> dict; // Dict and Namespace
  std::shared_ptr<Function> function;
  /// For Undefined: the name that was looked up (for messages).
  std::string undefinedName;

  Value() = default;
  static Value undefined(std::string name = {});
  static Value none();
  static Value from(bool b);
  static Value from(int64_t i);
  static Value from(double d);
  static Value from(std::string s);
  static Value from(List l);
  static Value from(Dict d);
  static Value namespaceOf(Dict d);
  static Value from(Function f);
  /// Object keys keep their order (Python dicts do).
  static Value fromJson(const nlohmann::ordered_json &json);

  bool isUndefined() const { return kind == Kind::Undefined; }
  bool isNone() const { return kind == Kind::None; }
  bool isString() const { return kind == Kind::String; }
  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  bool isList() const { return kind == Kind::List; }
  bool isMapping() const { return kind == Kind::Dict || kind == Kind::Namespace; }
  double asReal() const { return kind == Kind::Int ? static_cast<double>(integer) : real; }

  /// Python truthiness.
  bool truthy() const;
  /// str(value) as Jinja prints it ("" for undefined, "None", "True", 1.5,
  /// ['a', 1]).
  std::string str() const;
  /// repr(value) (strings quoted).
  std::string repr() const;
  /// json.dumps(value, ensure_ascii=False, indent=indent) as Hugging Face's
  /// tojson filter writes it.
  std::string toJson(std::optional<int> indent) const;
  /// A name for messages: "string", "list", "undefined", ...
  const char *typeName() const;
};

struct Dict {
  std::vector<std::pair<std::string, Value>> items;

  const Value *find(const std::string &key) const;
  void set(const std::string &key, Value value);
};

/// Python ==.
bool equal(const Value &a, const Value &b);

} // namespace llm::runtime::jinja

#endif // LLM_RUNTIME_CHAT_JINJAVALUE_H
