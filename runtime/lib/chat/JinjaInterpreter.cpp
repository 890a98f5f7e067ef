//===- JinjaInterpreter.cpp - Evaluating chat templates -------------------===//

#include "chat/Jinja.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <unordered_map>

namespace llm::runtime::jinja {
namespace {

using Kind = Value::Kind;

/// raise_exception(): the template's own message, reported as is.
class RaisedError : public TemplateError {
public:
  using TemplateError::TemplateError;
};

[[noreturn]] void fail(int line, const std::string &message) {
  throw TemplateError(fmt::format("line {}: {}", line, message));
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string strip(const std::string &s, bool left, bool right, const std::string *chars = nullptr) {
  auto strippable = [&](char c) { return chars ? chars->find(c) != std::string::npos : isSpace(c); };
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && strippable(s[b]))
      ++b;
  if (right)
    while (e > b && strippable(s[e - 1]))
      --e;
  return s.substr(b, e - b);
}

std::string toLower(std::string s) {
  for (char &c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}
std::string toUpper(std::string s) {
  for (char &c : s)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return s;
}
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
std::string title(const std::string &s) {
  std::string out = s;
  bool start = true;
  for (char &c : out) {
    if (isAlpha(c)) {
      c = start ? toUpper(std::string(1, c))[0] : toLower(std::string(1, c))[0];
      start = false;
    } else {
      start = true;
    }
  }
  return out;
}
std::string capitalize(const std::string &s) {
  std::string out = toLower(s);
  if (!out.empty())
    out[0] = toUpper(out.substr(0, 1))[0];
  return out;
}

/// Code points of a UTF-8 string, each as its own string.
std::vector<std::string> characters(const std::string &s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string replaceAll(const std::string &s, const std::string &from, const std::string &to,
                       int64_t count = -1) {
  if (from.empty())
    return s;
  std::string out;
  size_t pos = 0;
  for (size_t hit; count != 0 && (hit = s.find(from, pos)) != std::string::npos;
       pos = hit + from.size(), --count) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

int64_t length(const Value &v, int line) {
  switch (v.kind) {
  case Kind::String:
    return static_cast<int64_t>(characters(v.string).size());
  case Kind::List:
    return static_cast<int64_t>(v.list->size());
  case Kind::Dict:
  case Kind::Namespace:
    return static_cast<int64_t>(v.dict->items.size());
  case Kind::Undefined:
    return 0;
  default:
    fail(line, fmt::format("a {} has no length", v.typeName()));
  }
}

/// The items a for loop or filter iterates: list items, dict keys, string
/// characters.
List iterate(const Value &v, int line) {
  switch (v.kind) {
  case Kind::List:
    return *v.list;
  case Kind::Dict:
  case Kind::Namespace: {
    List keys;
    for (const auto &[k, _] : v.dict->items)
      keys.push_back(Value::from(k));
    return keys;
  }
  case Kind::String: {
    List chars;
    for (std::string &c : characters(v.string))
      chars.push_back(Value::from(std::move(c)));
    return chars;
  }
  case Kind::Undefined:
    return {};
  default:
    fail(line, fmt::format("a {} is not iterable", v.typeName()));
  }
}

int compare(const Value &a, const Value &b, int line) {
  if (a.isNumber() && b.isNumber())
    return a.asReal() < b.asReal() ? -1 : a.asReal() > b.asReal() ? 1 : 0;
  if (a.isString() && b.isString())
    return a.string < b.string ? -1 : a.string > b.string ? 1 : 0;
  fail(line, fmt::format("cannot order a {} and a {}", a.typeName(), b.typeName()));
}

bool contains(const Value &container, const Value &item, int line) {
  switch (container.kind) {
  case Kind::String:
    if (!item.isString())
      fail(line, fmt::format("'in <string>' needs a string, not a {}", item.typeName()));
    return container.string.find(item.string) != std::string::npos;
  case Kind::List:
    for (const Value &v : *container.list)
      if (equal(v, item))
        return true;
    return false;
  case Kind::Dict:
  case Kind::Namespace:
    return item.isString() && container.dict->find(item.string) != nullptr;
  case Kind::Undefined:
    return false;
  default:
    fail(line, fmt::format("a {} does not support 'in'", container.typeName()));
  }
}

int64_t toIndex(const Value &v, int line) {
  if (v.kind == Kind::Int)
    return v.integer;
  if (v.kind == Kind::Bool)
    return v.boolean;
  fail(line, fmt::format("an index must be an integer, not a {}", v.typeName()));
}

std::string expectString(const Value *v, const char *what, int line) {
  if (!v || !v->isString())
    fail(line, fmt::format("{} needs a string argument", what));
  return v->string;
}

/// Bounds on one rendering: a template is a program, and one from a model
/// directory must not hang or exhaust memory.
constexpr uint64_t kMaxSteps = 1'000'000;
constexpr size_t kMaxOutputBytes = size_t(64) << 20;

class Interpreter {
public:
  Interpreter(const Value &context) {
    scopes_.emplace_back();
    if (context.isMapping())
      for (const auto &[k, v] : context.dict->items)
        scopes_.back()[k] = v;
  }

  std::string run(const NodeList &body) {
    std::string out;
    execute(body, out);
    return out;
  }

private:
  enum class Flow { Normal, Break, Continue };

  // --- statements -------------------------------------------------------

  Flow execute(const NodeList &body, std::string &out) {
    for (const auto &node : body) {
      Flow flow = execute(*node, out);
      if (flow != Flow::Normal)
        return flow;
    }
    return Flow::Normal;
  }

  void tick(int line, const std::string &out) {
    if (++steps_ > kMaxSteps)
      fail(line, fmt::format("rendering takes more than {} steps: the template does not end",
                             kMaxSteps));
    if (out.size() > kMaxOutputBytes)
      fail(line, fmt::format("the rendering exceeds {} MiB", kMaxOutputBytes >> 20));
  }

  Flow execute(const Node &node, std::string &out) {
    tick(node.line, out);
    switch (node.kind) {
    case Node::Kind::Text:
      out += node.text;
      return Flow::Normal;
    case Node::Kind::Output:
      out += eval(*node.expr).str();
      return Flow::Normal;
    case Node::Kind::If:
      for (size_t i = 0; i < node.conditions.size(); ++i)
        if (eval(*node.conditions[i]).truthy())
          return execute(node.bodies[i], out);
      if (node.bodies.size() > node.conditions.size())
        return execute(node.bodies.back(), out);
      return Flow::Normal;
    case Node::Kind::For:
      return executeFor(node, out);
    case Node::Kind::Set:
      assign(node, eval(*node.expr));
      return Flow::Normal;
    case Node::Kind::SetBlock: {
      std::string captured;
      execute(node.bodies[0], captured);
      assign(node, Value::from(std::move(captured)));
      return Flow::Normal;
    }
    case Node::Kind::Break:
      if (loopDepth_ == 0)
        fail(node.line, "'break' outside a for loop");
      return Flow::Break;
    case Node::Kind::Continue:
      if (loopDepth_ == 0)
        fail(node.line, "'continue' outside a for loop");
      return Flow::Continue;
    case Node::Kind::Block:
      return execute(node.bodies[0], out);
    }
    return Flow::Normal;
  }

  void assign(const Node &node, Value value) {
    if (node.targets.size() == 1) {
      scopes_.back()[node.targets[0]] = std::move(value);
      return;
    }
    Value target = lookup(node.targets[0]);
    if (target.kind != Kind::Namespace)
      fail(node.line, fmt::format("cannot set an attribute of '{}', a {} (only a namespace())",
                                  node.targets[0], target.typeName()));
    if (value.kind == Kind::Namespace)
      fail(node.line, "a namespace cannot hold a namespace");
    target.dict->set(node.targets[1], std::move(value));
  }

  Flow executeFor(const Node &node, std::string &out) {
    List all = iterate(eval(*node.expr), node.line);
    bool unpack = node.targets.size() > 1;
    // The loop's "if" filter runs before loop.* is computed.
    List items;
    for (Value &item : all) {
      if (!node.conditions.empty()) {
        scopes_.emplace_back();
        bind(node, item);
        bool keep = eval(*node.conditions[0]).truthy();
        scopes_.pop_back();
        if (!keep)
          continue;
      }
      items.push_back(std::move(item));
    }
    (void)unpack;
    if (items.empty()) {
      if (node.bodies.size() > 1)
        return execute(node.bodies[1], out);
      return Flow::Normal;
    }
    ++loopDepth_;
    const auto n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      tick(node.line, out);
      scopes_.emplace_back();
      bind(node, items[i]);
      Dict loop;
      loop.set("index", Value::from(i + 1));
      loop.set("index0", Value::from(i));
      loop.set("revindex", Value::from(n - i));
      loop.set("revindex0", Value::from(n - i - 1));
      loop.set("first", Value::from(i == 0));
      loop.set("last", Value::from(i == n - 1));
      loop.set("length", Value::from(n));
      loop.set("previtem", i > 0 ? items[i - 1] : Value::undefined("loop.previtem"));
      loop.set("nextitem", i + 1 < n ? items[i + 1] : Value::undefined("loop.nextitem"));
      loop.set("cycle", Value::from(Function([i](const Arguments &args) {
                 if (args.positional.empty())
                   throw TemplateError("loop.cycle needs at least one argument");
                 return args.positional[static_cast<size_t>(i) % args.positional.size()];
               })));
      scopes_.back()["loop"] = Value::from(std::move(loop));
      Flow flow = execute(node.bodies[0], out);
      scopes_.pop_back();
      if (flow == Flow::Break)
        break;
    }
    --loopDepth_;
    return Flow::Normal;
  }

  void bind(const Node &node, const Value &item) {
    if (node.targets.size() == 1) {
      scopes_.back()[node.targets[0]] = item;
      return;
    }
    if (!item.isList() || item.list->size() != node.targets.size())
      fail(node.line, fmt::format("cannot unpack a {} into {} loop variables", item.typeName(),
                                  node.targets.size()));
    for (size_t k = 0; k < node.targets.size(); ++k)
      scopes_.back()[node.targets[k]] = (*item.list)[k];
  }

  Value lookup(const std::string &name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
      if (auto found = it->find(name); found != it->end())
        return found->second;
    if (Value builtin = globalFunction(name); !builtin.isUndefined())
      return builtin;
    return Value::undefined(name);
  }

  // --- expressions ------------------------------------------------------

  Value eval(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Literal:
      return e.value;
    case Expr::Kind::Name:
      return lookup(e.name);
    case Expr::Kind::List:
    case Expr::Kind::Tuple: {
      List list;
      for (const auto &item : e.items)
        list.push_back(eval(*item));
      return Value::from(std::move(list));
    }
    case Expr::Kind::Dict: {
      Dict dict;
      for (size_t i = 0; i < e.keys.size(); ++i) {
        Value key = eval(*e.keys[i]);
        if (!key.isString())
          fail(e.line, fmt::format("dict keys must be strings here, not a {}", key.typeName()));
        dict.set(key.string, eval(*e.items[i]));
      }
      return Value::from(std::move(dict));
    }
    case Expr::Kind::Attribute:
      return attribute(eval(*e.operand), e.name, e.line, describe(*e.operand));
    case Expr::Kind::Subscript:
      return subscript(eval(*e.operand), eval(*e.right), e.line, describe(*e.operand));
    case Expr::Kind::Slice:
      return slice(e);
    case Expr::Kind::Call: {
      Value callee = eval(*e.operand);
      if (callee.kind != Kind::Function) {
        if (callee.isUndefined())
          fail(e.line, fmt::format("'{}' is undefined", describe(*e.operand)));
        fail(e.line, fmt::format("'{}' is a {}, not a function", describe(*e.operand),
                                 callee.typeName()));
      }
      Arguments args = evalArgs(e.args);
      try {
        return (*callee.function)(args);
      } catch (const RaisedError &) {
        throw;
      } catch (const TemplateError &err) {
        if (std::string(err.what()).rfind("line ", 0) == 0)
          throw;
        fail(e.line, err.what());
      }
    }
    case Expr::Kind::Filter:
      return filter(e);
    case Expr::Kind::Test:
      return Value::from(test(e) != e.negated);
    case Expr::Kind::Unary: {
      Value v = eval(*e.operand);
      if (e.name == "not")
        return Value::from(!v.truthy());
      if (!v.isNumber())
        fail(e.line, fmt::format("unary '{}' needs a number, not a {}", e.name, v.typeName()));
      if (e.name == "+")
        return v;
      return v.kind == Kind::Int ? Value::from(static_cast<int64_t>(0 - static_cast<uint64_t>(v.integer)))
                                 : Value::from(-v.real);
    }
    case Expr::Kind::Binary:
      return binary(e);
    case Expr::Kind::Ternary:
      if (eval(*e.items[1]).truthy())
        return eval(*e.items[0]);
      return e.items[2] ? eval(*e.items[2]) : Value::undefined();
    }
    return Value::undefined();
  }

  static std::string describe(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Name:
      return e.name;
    case Expr::Kind::Attribute:
      return describe(*e.operand) + "." + e.name;
    case Expr::Kind::Subscript:
      if (e.right->kind == Expr::Kind::Literal)
        return describe(*e.operand) + "[" + e.right->value.repr() + "]";
      return describe(*e.operand) + "[...]";
    case Expr::Kind::Call:
      return describe(*e.operand) + "()";
    default:
      return "expression";
    }
  }

  Arguments evalArgs(const CallArgs &args) {
    Arguments out;
    for (const auto &p : args.positional)
      out.positional.push_back(eval(*p));
    for (const auto &[name, value] : args.keywords)
      out.keywords.emplace_back(name, eval(*value));
    return out;
  }

  Value binary(const Expr &e) {
    const std::string &op = e.name;
    if (op == "and") {
      Value left = eval(*e.operand);
      return left.truthy() ? eval(*e.right) : left;
    }
    if (op == "or") {
      Value left = eval(*e.operand);
      return left.truthy() ? left : eval(*e.right);
    }
    Value a = eval(*e.operand), b = eval(*e.right);
    if (op == "==")
      return Value::from(equal(a, b));
    if (op == "!=")
      return Value::from(!equal(a, b));
    if (op == "<")
      return Value::from(compare(a, b, e.line) < 0);
    if (op == ">")
      return Value::from(compare(a, b, e.line) > 0);
    if (op == "<=")
      return Value::from(compare(a, b, e.line) <= 0);
    if (op == ">=")
      return Value::from(compare(a, b, e.line) >= 0);
    if (op == "in")
      return Value::from(contains(b, a, e.line));
    if (op == "not in")
      return Value::from(!contains(b, a, e.line));
    if (op == "~")
      return Value::from(a.str() + b.str());
    if (op == "+") {
      if (a.isString() && b.isString())
        return Value::from(a.string + b.string);
      if (a.isList() && b.isList()) {
        List joined = *a.list;
        joined.insert(joined.end(), b.list->begin(), b.list->end());
        return Value::from(std::move(joined));
      }
    }
    if (op == "*" && ((a.isString() && b.kind == Kind::Int) || (b.isString() && a.kind == Kind::Int))) {
      const Value &s = a.isString() ? a : b;
      int64_t n = a.isString() ? b.integer : a.integer;
      if (n <= 0 || s.string.empty())
        return Value::from(std::string());
      if (static_cast<uint64_t>(n) > kMaxOutputBytes / s.string.size())
        fail(e.line, "a string repetition larger than the rendering limit");
      std::string out;
      for (int64_t i = 0; i < n; ++i)
        out += s.string;
      return Value::from(std::move(out));
    }
    if (!a.isNumber() || !b.isNumber()) {
      if (a.isUndefined() || b.isUndefined())
        fail(e.line, fmt::format("'{}' is undefined",
                                 a.isUndefined() ? describe(*e.operand) : describe(*e.right)));
      fail(e.line, fmt::format("unsupported operand types for '{}': {} and {}", op, a.typeName(),
                               b.typeName()));
    }
    bool ints = a.kind == Kind::Int && b.kind == Kind::Int;
    // Integers wrap (defined behaviour) where Python's would grow.
    auto wrap = [](uint64_t v) { return Value::from(static_cast<int64_t>(v)); };
    auto ua = static_cast<uint64_t>(a.integer), ub = static_cast<uint64_t>(b.integer);
    if (op == "+")
      return ints ? wrap(ua + ub) : Value::from(a.asReal() + b.asReal());
    if (op == "-")
      return ints ? wrap(ua - ub) : Value::from(a.asReal() - b.asReal());
    if (op == "*")
      return ints ? wrap(ua * ub) : Value::from(a.asReal() * b.asReal());
    if ((op == "/" || op == "//" || op == "%") && b.asReal() == 0.0)
      fail(e.line, "division by zero");
    if (op == "/")
      return Value::from(a.asReal() / b.asReal());
    if (op == "//") {
      if (ints && b.integer == -1)
        return wrap(0 - ua);
      if (ints) {
        int64_t q = a.integer / b.integer;
        if ((a.integer % b.integer != 0) && ((a.integer < 0) != (b.integer < 0)))
          --q;
        return Value::from(q);
      }
      return Value::from(std::floor(a.asReal() / b.asReal()));
    }
    if (op == "%") {
      if (ints && b.integer == -1)
        return Value::from(int64_t(0));
      if (ints) {
        int64_t r = a.integer % b.integer;
        if (r != 0 && ((r < 0) != (b.integer < 0)))
          r += b.integer;
        return Value::from(r);
      }
      double r = std::fmod(a.asReal(), b.asReal());
      if (r != 0 && ((r < 0) != (b.asReal() < 0)))
        r += b.asReal();
      return Value::from(r);
    }
    if (op == "**") {
      if (ints && b.integer >= 0) {
        // By squaring, wrapping like the other integer operators here.
        uint64_t result = 1, base = static_cast<uint64_t>(a.integer);
        for (uint64_t n = static_cast<uint64_t>(b.integer); n; n >>= 1, base *= base)
          if (n & 1)
            result *= base;
        return Value::from(static_cast<int64_t>(result));
      }
      return Value::from(std::pow(a.asReal(), b.asReal()));
    }
    fail(e.line, fmt::format("unknown operator '{}'", op));
  }

  Value attribute(const Value &object, const std::string &name, int line,
                  const std::string &what) {
    if (object.isMapping()) {
      if (const Value *v = object.dict->find(name))
        return *v;
      if (object.kind == Kind::Dict)
        if (Value m = method(object, name, line); !m.isUndefined())
          return m;
      return Value::undefined(what + "." + name);
    }
    if (object.isUndefined())
      fail(line, fmt::format("'{}' is undefined (reading its attribute '{}')",
                             object.undefinedName.empty() ? what : object.undefinedName, name));
    if (Value m = method(object, name, line); !m.isUndefined())
      return m;
    return Value::undefined(what + "." + name);
  }

  Value subscript(const Value &object, const Value &index, int line, const std::string &what) {
    if (object.isMapping()) {
      if (!index.isString())
        return Value::undefined(what + "[" + index.repr() + "]");
      if (const Value *v = object.dict->find(index.string))
        return *v;
      return Value::undefined(what + "[" + index.repr() + "]");
    }
    if (object.isList() || object.isString()) {
      std::vector<std::string> chars;
      if (object.isString())
        chars = characters(object.string);
      int64_t size = object.isList() ? static_cast<int64_t>(object.list->size())
                                     : static_cast<int64_t>(chars.size());
      int64_t i = toIndex(index, line);
      if (i < 0)
        i += size;
      if (i < 0 || i >= size)
        return Value::undefined(what + "[" + index.repr() + "]");
      return object.isList() ? (*object.list)[i] : Value::from(chars[i]);
    }
    if (object.isUndefined())
      fail(line, fmt::format("'{}' is undefined (subscripted with {})",
                             object.undefinedName.empty() ? what : object.undefinedName,
                             index.repr()));
    fail(line, fmt::format("a {} cannot be subscripted", object.typeName()));
  }

  Value slice(const Expr &e) {
    Value object = eval(*e.operand);
    std::vector<std::string> chars;
    int64_t size;
    if (object.isList())
      size = static_cast<int64_t>(object.list->size());
    else if (object.isString()) {
      chars = characters(object.string);
      size = static_cast<int64_t>(chars.size());
    } else {
      fail(e.line, fmt::format("a {} cannot be sliced", object.typeName()));
    }
    auto part = [&](size_t k) -> std::optional<int64_t> {
      if (!e.items[k])
        return std::nullopt;
      Value v = eval(*e.items[k]);
      if (v.isNone())
        return std::nullopt;
      return toIndex(v, e.line);
    };
    int64_t step = part(2).value_or(1);
    if (step == 0)
      fail(e.line, "slice step cannot be zero");
    if (step < -size - 1 || step > size + 1) // one element at most either way
      step = step < 0 ? -size - 1 : size + 1;
    auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
      if (!v)
        return dflt;
      int64_t x = std::clamp<int64_t>(*v, -size - 1, size + 1);
      x = x < 0 ? x + size : x;
      if (step > 0)
        return std::clamp<int64_t>(x, 0, size);
      return std::clamp<int64_t>(x, -1, size - 1);
    };
    int64_t start = clamp(part(0), step > 0 ? 0 : size - 1);
    int64_t stop = clamp(part(1), step > 0 ? size : -1);
    List items;
    std::string text;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (object.isList())
        items.push_back((*object.list)[i]);
      else
        text += chars[i];
    }
    return object.isList() ? Value::from(std::move(items)) : Value::from(std::move(text));
  }

  /// Methods of str and dict values, bound to `object`.
  Value method(const Value &object, const std::string &name, int line) {
    auto bound = [](auto fn) { return Value::from(Function(std::move(fn))); };
    if (object.isString()) {
      const std::string s = object.string;
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        bool l = name != "rstrip", r = name != "lstrip";
        return bound([s, l, r](const Arguments &a) {
          const Value *chars = a.get(0, "chars");
          std::string set = chars && chars->isString() ? chars->string : std::string();
          return Value::from(strip(s, l, r, chars && chars->isString() ? &set : nullptr));
        });
      }
      if (name == "upper")
        return bound([s](const Arguments &) { return Value::from(toUpper(s)); });
      if (name == "lower")
        return bound([s](const Arguments &) { return Value::from(toLower(s)); });
      if (name == "title")
        return bound([s](const Arguments &) { return Value::from(title(s)); });
      if (name == "capitalize")
        return bound([s](const Arguments &) { return Value::from(capitalize(s)); });
      if (name == "startswith" || name == "endswith") {
        bool starts = name == "startswith";
        return bound([s, starts, line](const Arguments &a) {
          const Value *p = a.get(0, nullptr);
          List options;
          if (p && p->isList())
            options = *p->list;
          else if (p)
            options.push_back(*p);
          for (const Value &o : options) {
            if (!o.isString())
              fail(line, "startswith/endswith need string arguments");
            bool hit = starts ? s.compare(0, o.string.size(), o.string) == 0
                              : s.size() >= o.string.size() &&
                                    s.compare(s.size() - o.string.size(), o.string.size(),
                                              o.string) == 0;
            if (hit)
              return Value::from(true);
          }
          return Value::from(false);
        });
      }
      if (name == "split")
        return bound([s, line](const Arguments &a) {
          const Value *sep = a.get(0, "sep");
          const Value *max = a.get(1, "maxsplit");
          int64_t remaining = max && max->kind == Kind::Int ? max->integer : -1;
          List parts;
          if (!sep || sep->isNone()) {
            size_t i = 0;
            while (i < s.size()) {
              while (i < s.size() && isSpace(s[i]))
                ++i;
              if (i >= s.size())
                break;
              size_t j = i;
              if (remaining == 0) {
                parts.push_back(Value::from(strip(s.substr(i), false, true)));
                break;
              }
              while (j < s.size() && !isSpace(s[j]))
                ++j;
              parts.push_back(Value::from(s.substr(i, j - i)));
              --remaining;
              i = j;
            }
            return Value::from(std::move(parts));
          }
          std::string d = expectString(sep, "split", line);
          if (d.empty())
            fail(line, "split: empty separator");
          size_t pos = 0;
          for (size_t hit; remaining != 0 && (hit = s.find(d, pos)) != std::string::npos;
               pos = hit + d.size(), --remaining)
            parts.push_back(Value::from(s.substr(pos, hit - pos)));
          parts.push_back(Value::from(s.substr(pos)));
          return Value::from(std::move(parts));
        });
      if (name == "replace")
        return bound([s, line](const Arguments &a) {
          const Value *count = a.get(2, "count");
          return Value::from(replaceAll(s, expectString(a.get(0, "old"), "replace", line),
                                        expectString(a.get(1, "new"), "replace", line),
                                        count && count->kind == Kind::Int ? count->integer : -1));
        });
      if (name == "join")
        return bound([s, line](const Arguments &a) {
          const Value *items = a.get(0, nullptr);
          std::string out;
          if (items) {
            List list = iterate(*items, line);
            for (size_t i = 0; i < list.size(); ++i)
              out += (i ? s : "") + list[i].str();
          }
          return Value::from(std::move(out));
        });
      if (name == "find")
        return bound([s, line](const Arguments &a) {
          size_t at = s.find(expectString(a.get(0, nullptr), "find", line));
          return Value::from(at == std::string::npos ? int64_t(-1) : static_cast<int64_t>(at));
        });
      if (name == "count")
        return bound([s, line](const Arguments &a) {
          std::string needle = expectString(a.get(0, nullptr), "count", line);
          int64_t n = 0;
          if (!needle.empty())
            for (size_t pos = s.find(needle); pos != std::string::npos;
                 pos = s.find(needle, pos + needle.size()))
              ++n;
          return Value::from(n);
        });
      return Value::undefined();
    }
    if (object.kind == Kind::Dict) {
      auto dict = object.dict;
      if (name == "items")
        return bound([dict](const Arguments &) {
          List items;
          for (const auto &[k, v] : dict->items)
            items.push_back(Value::from(List{Value::from(k), v}));
          return Value::from(std::move(items));
        });
      if (name == "keys")
        return bound([dict](const Arguments &) {
          List keys;
          for (const auto &[k, _] : dict->items)
            keys.push_back(Value::from(k));
          return Value::from(std::move(keys));
        });
      if (name == "values")
        return bound([dict](const Arguments &) {
          List values;
          for (const auto &[_, v] : dict->items)
            values.push_back(v);
          return Value::from(std::move(values));
        });
      if (name == "get")
        return bound([dict](const Arguments &a) {
          const Value *key = a.get(0, "key");
          if (key && key->isString())
            if (const Value *v = dict->find(key->string))
              return *v;
          const Value *dflt = a.get(1, "default");
          return dflt ? *dflt : Value::none();
        });
    }
    return Value::undefined();
  }

  // --- filters ----------------------------------------------------------

  Value filter(const Expr &e) {
    Value v = eval(*e.operand);
    Arguments a = evalArgs(e.args);
    const std::string &name = e.name;
    int line = e.line;
    auto str = [&]() {
      if (v.isUndefined())
        return std::string();
      return v.str();
    };
    if (name == "trim" || name == "strip") {
      const Value *chars = a.get(0, "chars");
      std::string set = chars && chars->isString() ? chars->string : std::string();
      return Value::from(strip(str(), true, true, chars && chars->isString() ? &set : nullptr));
    }
    if (name == "length" || name == "count")
      return Value::from(length(v, line));
    if (name == "upper")
      return Value::from(toUpper(str()));
    if (name == "lower")
      return Value::from(toLower(str()));
    if (name == "title")
      return Value::from(title(str()));
    if (name == "capitalize")
      return Value::from(capitalize(str()));
    if (name == "string")
      return Value::from(str());
    if (name == "safe" || name == "e" || name == "escape" || name == "forceescape")
      return name == "safe" ? v : Value::from(htmlEscape(str()));
    if (name == "default" || name == "d") {
      const Value *dflt = a.get(0, "default_value");
      const Value *boolean = a.get(1, "boolean");
      bool useDefault = v.isUndefined() || (boolean && boolean->truthy() && !v.truthy());
      return useDefault ? (dflt ? *dflt : Value::from(std::string())) : v;
    }
    if (name == "join") {
      const Value *sep = a.get(0, "d");
      const Value *attr = a.get(1, "attribute");
      std::string out;
      List items = iterate(v, line);
      for (size_t i = 0; i < items.size(); ++i) {
        Value item = attr ? attribute(items[i], attr->str(), line, "item") : items[i];
        out += (i && sep ? sep->str() : "") + item.str();
      }
      return Value::from(std::move(out));
    }
    if (name == "tojson") {
      const Value *indent = a.get(0, "indent");
      std::optional<int> n;
      if (indent && indent->kind == Kind::Int)
        n = static_cast<int>(std::clamp<int64_t>(indent->integer, 0, 64));
      return Value::from(v.toJson(n));
    }
    if (name == "int") {
      if (v.kind == Kind::Int)
        return v;
      if (v.kind == Kind::Float) {
        if (!(std::fabs(v.real) < 9.2e18))
          fail(line, fmt::format("int: {} does not fit an integer", v.repr()));
        return Value::from(static_cast<int64_t>(v.real));
      }
      if (v.kind == Kind::Bool)
        return Value::from(static_cast<int64_t>(v.boolean));
      if (v.isString()) {
        char *end = nullptr;
        std::string s = strip(v.string, true, true);
        long long x = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && end && *end == 0)
          return Value::from(static_cast<int64_t>(x));
      }
      const Value *dflt = a.get(0, "default");
      return dflt ? *dflt : Value::from(int64_t(0));
    }
    if (name == "float") {
      if (v.isNumber())
        return Value::from(v.asReal());
      if (v.isString()) {
        char *end = nullptr;
        std::string s = strip(v.string, true, true);
        double x = std::strtod(s.c_str(), &end);
        if (!s.empty() && end && *end == 0)
          return Value::from(x);
      }
      const Value *dflt = a.get(0, "default");
      return dflt ? *dflt : Value::from(0.0);
    }
    if (name == "abs") {
      if (v.kind == Kind::Int)
        return Value::from(static_cast<int64_t>(
            v.integer < 0 ? 0 - static_cast<uint64_t>(v.integer) : static_cast<uint64_t>(v.integer)));
      if (v.kind == Kind::Float)
        return Value::from(std::fabs(v.real));
      fail(line, fmt::format("abs needs a number, not a {}", v.typeName()));
    }
    if (name == "round") {
      const Value *precision = a.get(0, "precision");
      int64_t p = precision && precision->kind == Kind::Int ? precision->integer : 0;
      double scale = std::pow(10.0, static_cast<double>(p));
      return Value::from(std::round(v.asReal() * scale) / scale);
    }
    if (name == "list")
      return Value::from(iterate(v, line));
    if (name == "first" || name == "last") {
      List items = iterate(v, line);
      if (items.empty())
        return Value::undefined(name + " of an empty sequence");
      return name == "first" ? items.front() : items.back();
    }
    if (name == "reverse") {
      if (v.isString()) {
        std::vector<std::string> chars = characters(v.string);
        std::string out;
        for (auto it = chars.rbegin(); it != chars.rend(); ++it)
          out += *it;
        return Value::from(std::move(out));
      }
      List items = iterate(v, line);
      std::reverse(items.begin(), items.end());
      return Value::from(std::move(items));
    }
    if (name == "replace") {
      const Value *count = a.get(2, "count");
      return Value::from(replaceAll(str(), expectString(a.get(0, "old"), "replace", line),
                                    expectString(a.get(1, "new"), "replace", line),
                                    count && count->kind == Kind::Int ? count->integer : -1));
    }
    if (name == "items") {
      if (!v.isMapping())
        fail(line, fmt::format("items needs a dict, not a {}", v.typeName()));
      List items;
      for (const auto &[k, val] : v.dict->items)
        items.push_back(Value::from(List{Value::from(k), val}));
      return Value::from(std::move(items));
    }
    if (name == "dictsort") {
      if (!v.isMapping())
        fail(line, fmt::format("dictsort needs a dict, not a {}", v.typeName()));
      auto items = v.dict->items;
      std::stable_sort(items.begin(), items.end(),
                       [](const auto &x, const auto &y) { return x.first < y.first; });
      List out;
      for (auto &[k, val] : items)
        out.push_back(Value::from(List{Value::from(k), val}));
      return Value::from(std::move(out));
    }
    if (name == "unique") {
      List out;
      for (Value &item : iterate(v, line))
        if (std::none_of(out.begin(), out.end(), [&](const Value &o) { return equal(o, item); }))
          out.push_back(std::move(item));
      return Value::from(std::move(out));
    }
    if (name == "sum") {
      Value total = Value::from(int64_t(0));
      for (const Value &item : iterate(v, line)) {
        if (!item.isNumber())
          fail(line, "sum needs numbers");
        total = total.kind == Kind::Int && item.kind == Kind::Int
                    ? Value::from(static_cast<int64_t>(static_cast<uint64_t>(total.integer) +
                                                       static_cast<uint64_t>(item.integer)))
                    : Value::from(total.asReal() + item.asReal());
      }
      return total;
    }
    if (name == "min" || name == "max") {
      List items = iterate(v, line);
      if (items.empty())
        return Value::undefined();
      Value best = items[0];
      for (const Value &item : items)
        if ((compare(item, best, line) < 0) == (name == "min") && !equal(item, best))
          best = item;
      return best;
    }
    if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
      bool attr = name == "selectattr" || name == "rejectattr";
      bool keepIf = name == "selectattr" || name == "select";
      size_t argBase = attr ? 1 : 0;
      std::string attrName = attr ? expectString(a.get(0, nullptr), name.c_str(), line) : "";
      const Value *testName = a.get(argBase, nullptr);
      List out;
      for (Value &item : iterate(v, line)) {
        Value subject = attr ? attribute(item, attrName, line, "item") : item;
        bool pass;
        if (!testName) {
          pass = subject.truthy();
        } else {
          Arguments testArgs;
          for (size_t k = argBase + 1; k < a.positional.size(); ++k)
            testArgs.positional.push_back(a.positional[k]);
          pass = applyTest(testName->str(), subject, testArgs, line);
        }
        if (pass == keepIf)
          out.push_back(std::move(item));
      }
      return Value::from(std::move(out));
    }
    if (name == "map") {
      const Value *attr = a.get(100, "attribute");
      List out;
      for (Value &item : iterate(v, line)) {
        if (attr) {
          out.push_back(attribute(item, attr->str(), line, "item"));
        } else {
          const Value *filterName = a.get(0, nullptr);
          if (!filterName || !filterName->isString())
            fail(line, "map needs attribute= or a filter name");
          Expr call;
          call.kind = Expr::Kind::Filter;
          call.line = line;
          call.name = filterName->string;
          auto literal = std::make_unique<Expr>();
          literal->kind = Expr::Kind::Literal;
          literal->value = item;
          call.operand = std::move(literal);
          out.push_back(filter(call));
        }
      }
      return Value::from(std::move(out));
    }
    if (name == "indent") {
      const Value *width = a.get(0, "width");
      const Value *first = a.get(1, "first");
      int64_t columns = width && width->kind == Kind::Int ? width->integer : 4;
      std::string pad = width && width->isString()
                            ? width->string
                            : std::string(static_cast<size_t>(std::clamp<int64_t>(columns, 0, 64)),
                                          ' ');
      std::string s = str(), out;
      bool atLineStart = first && first->truthy();
      for (size_t i = 0; i < s.size(); ++i) {
        if (atLineStart && s[i] != '\n')
          out += pad;
        atLineStart = false;
        out.push_back(s[i]);
        if (s[i] == '\n')
          atLineStart = true;
      }
      return Value::from(std::move(out));
    }
    fail(line, fmt::format("unsupported construct: the filter '{}'", name));
  }

  static std::string htmlEscape(const std::string &s) {
    std::string out;
    for (char c : s) {
      switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
      }
    }
    return out;
  }

  // --- tests ------------------------------------------------------------

  bool test(const Expr &e) {
    // "x is defined" must not fail on an undefined attribute chain.
    Value v = eval(*e.operand);
    return applyTest(e.name, v, evalArgs(e.args), e.line);
  }

  bool applyTest(const std::string &name, const Value &v, const Arguments &a, int line) {
    auto arg = [&]() -> const Value & {
      const Value *x = a.get(0, nullptr);
      if (!x)
        fail(line, fmt::format("the test '{}' needs an argument", name));
      return *x;
    };
    if (name == "defined")
      return !v.isUndefined();
    if (name == "undefined")
      return v.isUndefined();
    if (name == "none")
      return v.isNone();
    if (name == "boolean")
      return v.kind == Kind::Bool;
    if (name == "true")
      return v.kind == Kind::Bool && v.boolean;
    if (name == "false")
      return v.kind == Kind::Bool && !v.boolean;
    if (name == "string")
      return v.isString();
    if (name == "number")
      return v.isNumber();
    if (name == "integer")
      return v.kind == Kind::Int;
    if (name == "float")
      return v.kind == Kind::Float;
    if (name == "mapping")
      return v.isMapping();
    if (name == "iterable")
      return v.isList() || v.isMapping() || v.isString();
    if (name == "sequence")
      return v.isList() || v.isString() || v.isMapping();
    if (name == "callable")
      return v.kind == Kind::Function;
    if (name == "odd" || name == "even") {
      if (v.kind != Kind::Int)
        fail(line, fmt::format("the test '{}' needs an integer", name));
      return (v.integer % 2 != 0) == (name == "odd");
    }
    if (name == "divisibleby") {
      const Value &d = arg();
      if (v.kind != Kind::Int || d.kind != Kind::Int || d.integer == 0)
        fail(line, "divisibleby needs integers");
      return v.integer % d.integer == 0;
    }
    if (name == "eq" || name == "equalto" || name == "==")
      return equal(v, arg());
    if (name == "ne" || name == "!=")
      return !equal(v, arg());
    if (name == "lt" || name == "lessthan" || name == "<")
      return compare(v, arg(), line) < 0;
    if (name == "gt" || name == "greaterthan" || name == ">")
      return compare(v, arg(), line) > 0;
    if (name == "le" || name == "<=")
      return compare(v, arg(), line) <= 0;
    if (name == "ge" || name == ">=")
      return compare(v, arg(), line) >= 0;
    if (name == "in")
      return contains(arg(), v, line);
    if (name == "sameas") {
      const Value &o = arg();
      if (v.kind != o.kind)
        return false;
      if (v.isList())
        return v.list == o.list;
      if (v.isMapping())
        return v.dict == o.dict;
      return equal(v, o);
    }
    if (name == "lower")
      return v.isString() && toLower(v.string) == v.string;
    if (name == "upper")
      return v.isString() && toUpper(v.string) == v.string;
    fail(line, fmt::format("unsupported construct: the test '{}'", name));
  }

  // --- globals ----------------------------------------------------------

  static Value globalFunction(const std::string &name) {
    if (name == "raise_exception")
      return Value::from(Function([](const Arguments &a) -> Value {
        const Value *message = a.get(0, "message");
        throw RaisedError(message ? message->str() : std::string("raise_exception()"));
      }));
    if (name == "namespace" || name == "dict")
      return Value::from(Function([name](const Arguments &a) {
        Dict d;
        for (const Value &p : a.positional)
          if (p.isMapping())
            for (const auto &[k, v] : p.dict->items)
              d.set(k, v);
        for (const auto &[k, v] : a.keywords)
          d.set(k, v);
        return name == "namespace" ? Value::namespaceOf(std::move(d)) : Value::from(std::move(d));
      }));
    if (name == "range")
      return Value::from(Function([](const Arguments &a) {
        int64_t start = 0, stop = 0, step = 1;
        auto get = [&](size_t i) {
          if (a.positional[i].kind != Kind::Int)
            throw TemplateError("range() needs integers");
          return a.positional[i].integer;
        };
        if (a.positional.size() == 1) {
          stop = get(0);
        } else if (a.positional.size() >= 2) {
          start = get(0);
          stop = get(1);
          if (a.positional.size() >= 3)
            step = get(2);
        } else {
          throw TemplateError("range() needs 1 to 3 arguments");
        }
        if (step == 0)
          throw TemplateError("range() step cannot be zero");
        const __int128 span = static_cast<__int128>(stop) - start;
        __int128 count = 0;
        if (step > 0 && span > 0)
          count = (span + step - 1) / step;
        else if (step < 0 && span < 0)
          count = (span + step + 1) / step;
        if (count > 100000)
          throw TemplateError("range() is too long");
        List out;
        for (__int128 k = 0; k < count; ++k)
          out.push_back(Value::from(static_cast<int64_t>(start + k * step)));
        return Value::from(std::move(out));
      }));
    if (name == "strftime_now")
      return Value::from(Function([](const Arguments &a) {
        const Value *format = a.get(0, "format");
        if (!format || !format->isString())
          throw TemplateError("strftime_now() needs a format string");
        std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        char buffer[256];
        size_t n = std::strftime(buffer, sizeof(buffer), format->string.c_str(), &local);
        return Value::from(std::string(buffer, n));
      }));
    return Value::undefined();
  }

  std::vector<std::unordered_map<std::string, Value>> scopes_;
  int loopDepth_ = 0;
  uint64_t steps_ = 0;
};

} // namespace

Template Template::parse(const std::string &source) {
  Template t;
  t.ast_ = std::make_shared<const TemplateAst>(parseTemplate(source));
  return t;
}

std::string Template::render(const Value &context) const {
  try {
    return Interpreter(context).run(ast_->body);
  } catch (const RaisedError &e) {
    throw TemplateError(fmt::format("raise_exception: {}", e.what()));
  }
}

} // namespace llm::runtime::jinja
