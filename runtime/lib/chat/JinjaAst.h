//===- JinjaAst.h - Syntax tree of a chat template ------------------------===//

#ifndef LLM_RUNTIME_CHAT_JINJAAST_H
#define LLM_RUNTIME_CHAT_JINJAAST_H

#include "chat/JinjaValue.h"

#include <memory>
#include <string>
#include <vector>

namespace llm::runtime::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// A call's arguments as written.
struct CallArgs {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
};

struct Expr {
  enum class Kind {
    Literal,   // value
    Name,      // name
    List,      // items
    Tuple,     // items (evaluates to a list)
    Dict,      // keys[i] : items[i]
    Attribute, // operand.name
    Subscript, // operand[index]
    Slice,     // operand[items[0]:items[1]:items[2]] (null = omitted)
    Call,      // operand(args)
    Filter,    // operand | name(args)
    Test,      // operand is [not] name(args)
    Unary,     // op operand ("not", "-", "+")
    Binary,    // operand op right
    Ternary,   // items[0] if items[1] else items[2] (items[2] may be null)
  } kind;
  int line = 0;
  Value value;
  std::string name; // Name/Attribute/Filter/Test; operator of Unary/Binary
  bool negated = false; // Test: "is not"
  ExprPtr operand, right;
  std::vector<ExprPtr> items, keys;
  CallArgs args;
};

struct Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

struct Node {
  enum class Kind { Text, Output, If, For, Set, SetBlock, Break, Continue, Block } kind;
  int line = 0;
  std::string text;                   // Text
  ExprPtr expr;                       // Output; Set value; For iterable
  std::vector<ExprPtr> conditions;    // If: one per branch; For: the optional "if" filter
  std::vector<NodeList> bodies;       // If: one per branch (+ else); For: body (+ else)
  std::vector<std::string> targets;   // For loop variables; Set: name (+ attribute)
};

struct TemplateAst {
  NodeList body;
};

/// Parses Jinja source with Hugging Face's settings (trim_blocks and
/// lstrip_blocks on). Throws TemplateError naming the line and the construct.
TemplateAst parseTemplate(const std::string &source);

} // namespace llm::runtime::jinja

#endif // LLM_RUNTIME_CHAT_JINJAAST_H
