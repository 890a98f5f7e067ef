//===- JinjaValue.cpp - Values of the chat-template language --------------===//

#include "chat/JinjaValue.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace llm::runtime::jinja {

const Value *Arguments::get(size_t index, const char *name) const {
  if (name)
    for (const auto &[key, value] : keywords)
      if (key == name)
        return &value;
  return index < positional.size() ? &positional[index] : nullptr;
}

Value Value::undefined(std::string name) {
  Value v;
  v.undefinedName = std::move(name);
  return v;
}
Value Value::none() {
  Value v;
  v.kind = Kind::None;
  return v;
}
Value Value::from(bool b) {
  Value v;
  v.kind = Kind::Bool;
  v.boolean = b;
  return v;
}
Value Value::from(int64_t i) {
  Value v;
  v.kind = Kind::Int;
  v.integer = i;
  return v;
}
Value Value::from(double d) {
  Value v;
  v.kind = Kind::Float;
  v.real = d;
  return v;
}
Value Value::from(std::string s) {
  Value v;
  v.kind = Kind::String;
  v.string = std::move(s);
  return v;
}
Value Value::from(List l) {
  Value v;
  v.kind = Kind::List;
  v.list = std::make_shared<List>(std::move(l));
  return v;
}
Value Value::from(Dict d) {
  Value v;
  v.kind = Kind::Dict;
  v.dict = std::make_shared<Dict>(std::move(d));
  return v;
}
Value Value::namespaceOf(Dict d) {
  Value v = from(std::move(d));
  v.kind = Kind::Namespace;
  return v;
}
Value Value::from(Function f) {
  Value v;
  v.kind = Kind::Function;
  v.function = std::make_shared<Function>(std::move(f));
  return v;
}

Value Value::fromJson(const nlohmann::ordered_json &json) {
  switch (json.type()) {
  case nlohmann::ordered_json::value_t::null:
    return none();
  case nlohmann::ordered_json::value_t::boolean:
    return from(json.get<bool>());
  case nlohmann::ordered_json::value_t::number_integer:
  case nlohmann::ordered_json::value_t::number_unsigned:
    return from(json.get<int64_t>());
  case nlohmann::ordered_json::value_t::number_float:
    return from(json.get<double>());
  case nlohmann::ordered_json::value_t::string:
    return from(json.get<std::string>());
  case nlohmann::ordered_json::value_t::array: {
    List list;
    for (const auto &item : json)
      list.push_back(fromJson(item));
    return from(std::move(list));
  }
  case nlohmann::ordered_json::value_t::object: {
    Dict dict;
    for (auto it = json.begin(); it != json.end(); ++it)
      dict.items.emplace_back(it.key(), fromJson(it.value()));
    return from(std::move(dict));
  }
  default:
    return undefined();
  }
}

bool Value::truthy() const {
  switch (kind) {
  case Kind::Undefined:
  case Kind::None:
    return false;
  case Kind::Bool:
    return boolean;
  case Kind::Int:
    return integer != 0;
  case Kind::Float:
    return real != 0.0;
  case Kind::String:
    return !string.empty();
  case Kind::List:
    return !list->empty();
  case Kind::Dict:
    return !dict->items.empty();
  case Kind::Namespace:
  case Kind::Function:
    return true;
  }
  return false;
}

namespace {

/// Python's repr of a float: the shortest text that reads back the same,
/// with ".0" on integral values, "inf", "nan".
std::string floatRepr(double d) {
  if (std::isnan(d))
    return "nan";
  if (std::isinf(d))
    return d > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), d);
  std::string text(buffer, result.ptr);
  // to_chars may choose exponent form ("1e+20"); Python writes 1e+20 too for
  // large values but "100.0" below 1e16.
  if (text.find_first_of(".eEn") == std::string::npos)
    text += ".0";
  return text;
}

/// Appends `s` quoted with `quote`, escaping backslash, newline, carriage
/// return, tab and the quote as Python's repr does, and with `json` also
/// backspace, form feed and other control characters as JSON does.
void appendQuoted(const std::string &s, char quote, bool json, std::string &out) {
  out.push_back(quote);
  for (char c : s) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c == quote) {
        out.push_back('\\');
        out.push_back(c);
      } else if (json && c == '\b') {
        out += "\\b";
      } else if (json && c == '\f') {
        out += "\\f";
      } else if (json && static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
        out += buffer;
      } else {
        out.push_back(c);
      }
    }
  }
  out.push_back(quote);
}

std::string stringRepr(const std::string &s) {
  char quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out;
  appendQuoted(s, quote, /*json=*/false, out);
  return out;
}

void jsonString(const std::string &s, std::string &out) { appendQuoted(s, '"', /*json=*/true, out); }

void toJsonInto(const Value &v, std::optional<int> indent, int depth, std::string &out) {
  auto newline = [&](int level) {
    out.push_back('\n');
    out.append(static_cast<size_t>(*indent * level), ' ');
  };
  switch (v.kind) {
  case Value::Kind::Undefined:
  case Value::Kind::None:
    out += "null";
    return;
  case Value::Kind::Bool:
    out += v.boolean ? "true" : "false";
    return;
  case Value::Kind::Int:
    out += std::to_string(v.integer);
    return;
  case Value::Kind::Float:
    if (std::isnan(v.real))
      out += "NaN";
    else if (std::isinf(v.real))
      out += v.real > 0 ? "Infinity" : "-Infinity";
    else
      out += floatRepr(v.real);
    return;
  case Value::Kind::String:
    jsonString(v.string, out);
    return;
  case Value::Kind::List: {
    if (v.list->empty()) {
      out += "[]";
      return;
    }
    out.push_back('[');
    for (size_t i = 0; i < v.list->size(); ++i) {
      if (i)
        out += indent ? "," : ", ";
      if (indent)
        newline(depth + 1);
      toJsonInto((*v.list)[i], indent, depth + 1, out);
    }
    if (indent)
      newline(depth);
    out.push_back(']');
    return;
  }
  case Value::Kind::Dict:
  case Value::Kind::Namespace: {
    if (v.dict->items.empty()) {
      out += "{}";
      return;
    }
    out.push_back('{');
    for (size_t i = 0; i < v.dict->items.size(); ++i) {
      if (i)
        out += indent ? "," : ", ";
      if (indent)
        newline(depth + 1);
      jsonString(v.dict->items[i].first, out);
      out += ": ";
      toJsonInto(v.dict->items[i].second, indent, depth + 1, out);
    }
    if (indent)
      newline(depth);
    out.push_back('}');
    return;
  }
  case Value::Kind::Function:
    throw TemplateError("tojson: a function is not JSON serializable");
  }
}

} // namespace

std::string Value::str() const {
  switch (kind) {
  case Kind::Undefined:
    return "";
  case Kind::String:
    return string;
  default:
    return repr();
  }
}

std::string Value::repr() const {
  switch (kind) {
  case Kind::Undefined:
    return "";
  case Kind::None:
    return "None";
  case Kind::Bool:
    return boolean ? "True" : "False";
  case Kind::Int:
    return std::to_string(integer);
  case Kind::Float:
    return floatRepr(real);
  case Kind::String:
    return stringRepr(string);
  case Kind::List: {
    std::string out = "[";
    for (size_t i = 0; i < list->size(); ++i)
      out += (i ? ", " : "") + (*list)[i].repr();
    return out + "]";
  }
  case Kind::Dict: {
    std::string out = "{";
    for (size_t i = 0; i < dict->items.size(); ++i)
      out += (i ? ", " : "") + stringRepr(dict->items[i].first) + ": " +
             dict->items[i].second.repr();
    return out + "}";
  }
  case Kind::Namespace:
    return "<Namespace>";
  case Kind::Function:
    return "<function>";
  }
  return "";
}

std::string Value::toJson(std::optional<int> indent) const {
  std::string out;
  toJsonInto(*this, indent, 0, out);
  return out;
}

const char *Value::typeName() const {
  switch (kind) {
  case Kind::Undefined:
    return "undefined";
  case Kind::None:
    return "none";
  case Kind::Bool:
    return "boolean";
  case Kind::Int:
    return "integer";
  case Kind::Float:
    return "float";
  case Kind::String:
    return "string";
  case Kind::List:
    return "list";
  case Kind::Dict:
    return "dict";
  case Kind::Namespace:
    return "namespace";
  case Kind::Function:
    return "function";
  }
  return "?";
}

const Value *Dict::find(const std::string &key) const {
  for (const auto &[k, v] : items)
    if (k == key)
      return &v;
  return nullptr;
}

void Dict::set(const std::string &key, Value value) {
  for (auto &[k, v] : items)
    if (k == key) {
      v = std::move(value);
      return;
    }
  items.emplace_back(key, std::move(value));
}

bool equal(const Value &a, const Value &b) {
  using Kind = Value::Kind;
  if (a.isNumber() && b.isNumber())
    return a.kind == Kind::Int && b.kind == Kind::Int ? a.integer == b.integer
                                                      : a.asReal() == b.asReal();
  if ((a.kind == Kind::Bool && b.isNumber()) || (b.kind == Kind::Bool && a.isNumber())) {
    const Value &n = a.kind == Kind::Bool ? b : a;
    bool flag = a.kind == Kind::Bool ? a.boolean : b.boolean;
    return n.asReal() == (flag ? 1.0 : 0.0);
  }
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case Kind::Undefined:
  case Kind::None:
    return true;
  case Kind::Bool:
    return a.boolean == b.boolean;
  case Kind::String:
    return a.string == b.string;
  case Kind::List:
    if (a.list->size() != b.list->size())
      return false;
    for (size_t i = 0; i < a.list->size(); ++i)
      if (!equal((*a.list)[i], (*b.list)[i]))
        return false;
    return true;
  case Kind::Dict:
  case Kind::Namespace:
    if (a.dict->items.size() != b.dict->items.size())
      return false;
    for (const auto &[k, v] : a.dict->items) {
      const Value *other = b.dict->find(k);
      if (!other || !equal(v, *other))
        return false;
    }
    return true;
  case Kind::Function:
    return a.function == b.function;
  default:
    return false;
  }
}

} // namespace llm::runtime::jinja
