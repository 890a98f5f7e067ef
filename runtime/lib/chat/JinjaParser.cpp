//===- JinjaParser.cpp - Parsing chat templates ---------------------------===//
//
// Source -> segments (text, {{ }}, {% %}, {# #}) with Jinja's whitespace
// control: "-" strips all whitespace on that side; Hugging Face's
// trim_blocks (the newline after a block tag goes) and lstrip_blocks (spaces
// and tabs before a block tag at the start of a line go). Then a recursive
// descent parser with Jinja's operator precedence builds the tree.
//
//===----------------------------------------------------------------------===//

#include "chat/JinjaAst.h"

#include <fmt/format.h>

#include <cstring>
#include <set>

namespace llm::runtime::jinja {
namespace {

struct Token {
  enum Type { Name, String, Int, Float, Op, End } type = End;
  std::string text;
  int64_t integer = 0;
  double real = 0.0;
  int line = 0;
};

struct Segment {
  enum Kind { Text, Expression, Statement, Comment } kind;
  std::string text; // Text
  std::vector<Token> tokens;
  int line = 0;
  bool stripBefore = false, stripAfter = false, keepBefore = false;
};

[[noreturn]] void fail(int line, const std::string &message) {
  throw TemplateError(fmt::format("line {}: {}", line, message));
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// Tokens in one tag at most (expressions are trees as deep as their
/// operator chains are long).
constexpr size_t kMaxTagTokens = 512;

class Lexer {
public:
  explicit Lexer(const std::string &source) : src_(source) {}

  std::vector<Segment> run() {
    std::vector<Segment> segments;
    while (pos_ < src_.size()) {
      size_t open = findTagOpen(pos_);
      if (open > pos_) {
        Segment text{Segment::Text};
        text.text = src_.substr(pos_, open - pos_);
        text.line = line_;
        advanceTo(open);
        segments.push_back(std::move(text));
      }
      if (pos_ >= src_.size())
        break;
      segments.push_back(readTag());
    }
    return segments;
  }

private:
  size_t findTagOpen(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i)
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    return src_.size();
  }
  void advanceTo(size_t to) {
    for (; pos_ < to; ++pos_)
      line_ += src_[pos_] == '\n';
  }

  Segment readTag() {
    char which = src_[pos_ + 1];
    Segment seg{which == '{' ? Segment::Expression
                             : which == '%' ? Segment::Statement : Segment::Comment};
    seg.line = line_;
    advanceTo(pos_ + 2);
    if (pos_ < src_.size() && src_[pos_] == '-') {
      seg.stripBefore = true;
      ++pos_;
    } else if (pos_ < src_.size() && src_[pos_] == '+') {
      seg.keepBefore = true;
      ++pos_;
    }
    if (seg.kind == Segment::Comment) {
      size_t close = src_.find("#}", pos_);
      if (close == std::string::npos)
        fail(seg.line, "a comment '{#' is not closed");
      seg.stripAfter = close > pos_ && src_[close - 1] == '-';
      advanceTo(close + 2);
      return seg;
    }
    const char *closer = seg.kind == Segment::Expression ? "}}" : "%}";
    while (true) {
      while (pos_ < src_.size() && isSpace(src_[pos_]))
        advanceTo(pos_ + 1);
      if (pos_ >= src_.size())
        fail(seg.line, fmt::format("a tag is not closed with '{}'", closer));
      if (src_.compare(pos_, 3, std::string("-") + closer) == 0) {
        seg.stripAfter = true;
        advanceTo(pos_ + 3);
        break;
      }
      if (src_.compare(pos_, 2, closer) == 0) {
        advanceTo(pos_ + 2);
        break;
      }
      seg.tokens.push_back(readToken());
      // Operator chains parse into trees as deep as they are long.
      if (seg.tokens.size() > kMaxTagTokens)
        fail(seg.line, fmt::format("a tag of more than {} tokens", kMaxTagTokens));
    }
    Token end;
    end.line = line_;
    seg.tokens.push_back(end);
    return seg;
  }

  Token readToken() {
    Token t;
    t.line = line_;
    char c = src_[pos_];
    if (isNameStart(c)) {
      size_t start = pos_;
      while (pos_ < src_.size() && (isNameStart(src_[pos_]) || isDigit(src_[pos_])))
        ++pos_;
      t.type = Token::Name;
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    if (isDigit(c)) {
      size_t start = pos_;
      while (pos_ < src_.size() && (isDigit(src_[pos_]) || src_[pos_] == '_'))
        ++pos_;
      bool isFloat = false;
      if (pos_ + 1 < src_.size() && src_[pos_] == '.' && isDigit(src_[pos_ + 1])) {
        isFloat = true;
        ++pos_;
        while (pos_ < src_.size() && isDigit(src_[pos_]))
          ++pos_;
      }
      if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
        isFloat = true;
        ++pos_;
        if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-'))
          ++pos_;
        while (pos_ < src_.size() && isDigit(src_[pos_]))
          ++pos_;
      }
      std::string digits;
      for (size_t i = start; i < pos_; ++i)
        if (src_[i] != '_')
          digits.push_back(src_[i]);
      t.text = digits;
      if (isFloat) {
        t.type = Token::Float;
        t.real = std::strtod(digits.c_str(), nullptr);
      } else {
        t.type = Token::Int;
        t.integer = std::strtoll(digits.c_str(), nullptr, 10);
      }
      return t;
    }
    if (c == '\'' || c == '"') {
      t.type = Token::String;
      ++pos_;
      while (true) {
        if (pos_ >= src_.size())
          fail(t.line, "a string literal is not closed");
        char d = src_[pos_];
        if (d == c) {
          ++pos_;
          break;
        }
        if (d == '\\' && pos_ + 1 < src_.size()) {
          char e = src_[pos_ + 1];
          pos_ += 2;
          switch (e) {
          case 'n':
            t.text.push_back('\n');
            break;
          case 't':
            t.text.push_back('\t');
            break;
          case 'r':
            t.text.push_back('\r');
            break;
          case '\\':
          case '\'':
          case '"':
            t.text.push_back(e);
            break;
          default:
            t.text.push_back('\\');
            t.text.push_back(e);
          }
          continue;
        }
        if (d == '\n')
          ++line_;
        t.text.push_back(d);
        ++pos_;
      }
      return t;
    }
    static const char *ops[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%",
                                "~",  "<",  ">",  "(",  ")",  "[",  "]", "{", "}", ",", ":",
                                ".",  "|",  "="};
    for (const char *op : ops) {
      size_t n = std::strlen(op);
      if (src_.compare(pos_, n, op) == 0) {
        t.type = Token::Op;
        t.text = op;
        pos_ += n;
        return t;
      }
    }
    fail(line_, fmt::format("unexpected character '{}'", c));
  }

  const std::string &src_;
  size_t pos_ = 0;
  int line_ = 1;
};

/// Applies "-" markers, trim_blocks and lstrip_blocks to the text segments.
void applyWhitespaceControl(std::vector<Segment> &segments) {
  for (size_t i = 0; i < segments.size(); ++i) {
    Segment &seg = segments[i];
    if (seg.kind != Segment::Text)
      continue;
    const Segment *prev = i > 0 ? &segments[i - 1] : nullptr;
    const Segment *next = i + 1 < segments.size() ? &segments[i + 1] : nullptr;
    std::string &text = seg.text;
    // The end first, judged on the text as written: lstrip_blocks removes
    // spaces and tabs between the start of a line and a block tag.
    if (next && next->stripBefore) {
      size_t n = text.size();
      while (n > 0 && isSpace(text[n - 1]))
        --n;
      text.erase(n);
    } else if (next && next->kind != Segment::Expression && !next->keepBefore) {
      size_t n = text.size();
      while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        --n;
      bool lineStart = n > 0 ? text[n - 1] == '\n' : prev == nullptr;
      if (lineStart)
        text.erase(n);
    }
    // Then the start: "-" strips all whitespace, trim_blocks one newline.
    if (prev && prev->stripAfter) {
      size_t n = 0;
      while (n < text.size() && isSpace(text[n]))
        ++n;
      text.erase(0, n);
    } else if (prev && prev->kind != Segment::Expression) {
      if (text.compare(0, 1, "\n") == 0)
        text.erase(0, 1);
      else if (text.compare(0, 2, "\r\n") == 0)
        text.erase(0, 2);
    }
  }
}

/// Nesting beyond this (blocks in blocks, parentheses in parentheses) is an
/// error rather than a deep recursion.
constexpr int kMaxNesting = 256;

class Parser {
public:
  explicit Parser(std::vector<Segment> segments) : segs_(std::move(segments)) {}

  TemplateAst run() {
    TemplateAst ast;
    std::string stop;
    ast.body = parseBody({}, stop);
    return ast;
  }

private:
  // --- statements -------------------------------------------------------

  /// Parses nodes until a statement whose keyword is in `stops` (consumed;
  /// returned in `stop`) or the end (only allowed when `stops` is empty).
  NodeList parseBody(const std::set<std::string> &stops, std::string &stop) {
    Nesting nesting(*this, segs_.empty() ? 0 : segs_[std::min(seg_, segs_.size() - 1)].line);
    NodeList body;
    while (seg_ < segs_.size()) {
      Segment &seg = segs_[seg_];
      if (seg.kind == Segment::Text) {
        if (!seg.text.empty()) {
          auto node = std::make_unique<Node>();
          node->kind = Node::Kind::Text;
          node->text = seg.text;
          node->line = seg.line;
          body.push_back(std::move(node));
        }
        ++seg_;
        continue;
      }
      if (seg.kind == Segment::Comment) {
        ++seg_;
        continue;
      }
      tokens_ = &seg.tokens;
      tok_ = 0;
      if (seg.kind == Segment::Expression) {
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::Output;
        node->line = seg.line;
        node->expr = parseExpression();
        expectEnd();
        body.push_back(std::move(node));
        ++seg_;
        continue;
      }
      const Token &keyword = peek();
      if (keyword.type != Token::Name)
        fail(seg.line, "a statement must start with a keyword");
      if (stops.count(keyword.text)) {
        stop = keyword.text;
        advance();
        return body; // the caller parses the rest of this tag
      }
      body.push_back(parseStatement(seg.line));
    }
    if (!stops.empty())
      fail(segs_.empty() ? 0 : segs_.back().line,
           fmt::format("the template ends inside a block: expected one of '{}'",
                       fmt::join(stops, "', '")));
    return body;
  }

  std::unique_ptr<Node> parseStatement(int line) {
    std::string keyword = advance().text;
    auto node = std::make_unique<Node>();
    node->line = line;
    if (keyword == "if") {
      node->kind = Node::Kind::If;
      node->conditions.push_back(parseExpression());
      expectEnd();
      ++seg_;
      while (true) {
        std::string stop;
        node->bodies.push_back(parseBody({"elif", "else", "endif"}, stop));
        if (stop == "elif") {
          node->conditions.push_back(parseExpression());
          expectEnd();
          ++seg_;
          continue;
        }
        if (stop == "else") {
          expectEnd();
          ++seg_;
          std::string end;
          node->bodies.push_back(parseBody({"endif"}, end));
        }
        expectEnd();
        ++seg_;
        break;
      }
      return node;
    }
    if (keyword == "for") {
      node->kind = Node::Kind::For;
      node->targets.push_back(expectName());
      while (peekOp(",")) {
        advance();
        node->targets.push_back(expectName());
      }
      if (!peekName("in"))
        fail(line, "expected 'in' in a for loop");
      advance();
      node->expr = parseTernaryFree();
      if (peekName("if")) {
        advance();
        node->conditions.push_back(parseExpression());
      }
      if (peekName("recursive"))
        fail(line, "unsupported construct: recursive for loops");
      expectEnd();
      ++seg_;
      std::string stop;
      node->bodies.push_back(parseBody({"else", "endfor"}, stop));
      if (stop == "else") {
        expectEnd();
        ++seg_;
        std::string end;
        node->bodies.push_back(parseBody({"endfor"}, end));
      }
      expectEnd();
      ++seg_;
      return node;
    }
    if (keyword == "set") {
      node->targets.push_back(expectName());
      if (peekOp(".")) {
        advance();
        node->targets.push_back(expectName());
      }
      if (peekOp(",")) // tuple unpacking
        fail(line, "unsupported construct: set with several targets");
      if (peekOp("=")) {
        advance();
        node->kind = Node::Kind::Set;
        node->expr = parseExpression();
        expectEnd();
        ++seg_;
        return node;
      }
      node->kind = Node::Kind::SetBlock;
      expectEnd();
      ++seg_;
      std::string stop;
      node->bodies.push_back(parseBody({"endset"}, stop));
      expectEnd();
      ++seg_;
      return node;
    }
    if (keyword == "break" || keyword == "continue") {
      node->kind = keyword == "break" ? Node::Kind::Break : Node::Kind::Continue;
      expectEnd();
      ++seg_;
      return node;
    }
    if (keyword == "generation") {
      // Hugging Face's marker of assistant text: renders its body.
      node->kind = Node::Kind::Block;
      expectEnd();
      ++seg_;
      std::string stop;
      node->bodies.push_back(parseBody({"endgeneration"}, stop));
      expectEnd();
      ++seg_;
      return node;
    }
    if (keyword.rfind("end", 0) == 0 || keyword == "else" || keyword == "elif")
      fail(line, fmt::format("'{}' without an open block it could end", keyword));
    fail(line, fmt::format("unsupported construct: the '{}' statement", keyword));
  }

  // --- tokens -----------------------------------------------------------

  const Token &peek(size_t ahead = 0) const {
    size_t i = std::min(tok_ + ahead, tokens_->size() - 1);
    return (*tokens_)[i];
  }
  const Token &advance() {
    const Token &t = peek();
    if (tok_ < tokens_->size() - 1)
      ++tok_;
    return t;
  }
  bool peekOp(const char *op, size_t ahead = 0) const {
    return peek(ahead).type == Token::Op && peek(ahead).text == op;
  }
  bool peekName(const char *name, size_t ahead = 0) const {
    return peek(ahead).type == Token::Name && peek(ahead).text == name;
  }
  void expectOp(const char *op) {
    if (!peekOp(op))
      fail(peek().line, fmt::format("expected '{}', found {}", op, describe(peek())));
    advance();
  }
  std::string expectName() {
    if (peek().type != Token::Name)
      fail(peek().line, fmt::format("expected a name, found {}", describe(peek())));
    return advance().text;
  }
  void expectEnd() {
    if (peek().type != Token::End)
      fail(peek().line, fmt::format("unexpected {} at the end of a tag", describe(peek())));
  }
  static std::string describe(const Token &t) {
    switch (t.type) {
    case Token::End:
      return "the end of the tag";
    case Token::String:
      return fmt::format("string '{}'", t.text);
    default:
      return fmt::format("'{}'", t.text);
    }
  }

  ExprPtr make(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  // --- expressions (Jinja's precedence, lowest first) ---------------------

  /// Counts the nesting depth of the parse while alive.
  struct Nesting {
    Nesting(Parser &p, int line) : parser(p) {
      if (++parser.depth_ > kMaxNesting)
        fail(line, fmt::format("the template nests deeper than {} levels", kMaxNesting));
    }
    ~Nesting() { --parser.depth_; }
    Parser &parser;
  };

  ExprPtr parseExpression() {
    Nesting nesting(*this, peek().line);
    ExprPtr value = parseOr();
    if (peekName("if")) {
      int line = advance().line;
      auto e = make(Expr::Kind::Ternary, line);
      e->items.push_back(std::move(value));
      e->items.push_back(parseOr());
      if (peekName("else")) {
        advance();
        e->items.push_back(parseExpression());
      } else {
        e->items.push_back(nullptr);
      }
      return e;
    }
    return value;
  }
  /// An expression without a trailing "x if c" (for-loop iterables, where
  /// "if" starts the loop filter).
  ExprPtr parseTernaryFree() { return parseOr(); }

  ExprPtr binary(const std::string &op, ExprPtr left, ExprPtr right, int line) {
    auto e = make(Expr::Kind::Binary, line);
    e->name = op;
    e->operand = std::move(left);
    e->right = std::move(right);
    return e;
  }

  ExprPtr parseOr() {
    ExprPtr left = parseAnd();
    while (peekName("or")) {
      int line = advance().line;
      left = binary("or", std::move(left), parseAnd(), line);
    }
    return left;
  }
  ExprPtr parseAnd() {
    ExprPtr left = parseNot();
    while (peekName("and")) {
      int line = advance().line;
      left = binary("and", std::move(left), parseNot(), line);
    }
    return left;
  }
  ExprPtr parseNot() {
    Nesting nesting(*this, peek().line);
    if (peekName("not")) {
      int line = advance().line;
      auto e = make(Expr::Kind::Unary, line);
      e->name = "not";
      e->operand = parseNot();
      return e;
    }
    return parseCompare();
  }
  ExprPtr parseCompare() {
    ExprPtr left = parseConcat();
    while (true) {
      int line = peek().line;
      std::string op;
      if (peek().type == Token::Op &&
          (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
           peek().text == ">" || peek().text == "<=" || peek().text == ">=")) {
        op = advance().text;
      } else if (peekName("in")) {
        advance();
        op = "in";
      } else if (peekName("not") && peekName("in", 1)) {
        advance();
        advance();
        op = "not in";
      } else {
        return left;
      }
      left = binary(op, std::move(left), parseConcat(), line);
    }
  }
  ExprPtr parseConcat() {
    ExprPtr left = parseAdditive();
    while (peekOp("~")) {
      int line = advance().line;
      left = binary("~", std::move(left), parseAdditive(), line);
    }
    return left;
  }
  ExprPtr parseAdditive() {
    ExprPtr left = parseMultiplicative();
    while (peekOp("+") || peekOp("-")) {
      const Token &t = advance();
      left = binary(t.text, std::move(left), parseMultiplicative(), t.line);
    }
    return left;
  }
  ExprPtr parseMultiplicative() {
    ExprPtr left = parsePower();
    while (peekOp("*") || peekOp("/") || peekOp("//") || peekOp("%")) {
      const Token &t = advance();
      left = binary(t.text, std::move(left), parsePower(), t.line);
    }
    return left;
  }
  ExprPtr parsePower() {
    ExprPtr left = parseUnary();
    while (peekOp("**")) {
      int line = advance().line;
      left = binary("**", std::move(left), parseUnary(), line);
    }
    return left;
  }
  ExprPtr parseUnary() {
    Nesting nesting(*this, peek().line);
    if (peekOp("-") || peekOp("+")) {
      const Token &t = advance();
      auto e = make(Expr::Kind::Unary, t.line);
      e->name = t.text;
      e->operand = parseUnary();
      return e;
    }
    ExprPtr e = parsePostfix(parsePrimary());
    // Filters, then tests.
    while (peekOp("|")) {
      advance();
      auto f = make(Expr::Kind::Filter, peek().line);
      f->name = expectName();
      while (peekOp(".")) { // dotted filter names are not Jinja builtins
        advance();
        f->name += "." + expectName();
      }
      if (peekOp("(")) {
        advance();
        parseArgs(f->args);
      }
      f->operand = std::move(e);
      e = std::move(f);
    }
    if (peekName("is")) {
      int line = advance().line;
      auto t = make(Expr::Kind::Test, line);
      if (peekName("not")) {
        advance();
        t->negated = true;
      }
      t->name = expectName();
      if (peekOp("(")) {
        advance();
        parseArgs(t->args);
      } else if (peek().type == Token::String || peek().type == Token::Int ||
                 peek().type == Token::Float ||
                 (peek().type == Token::Name && !peekName("and") && !peekName("or") &&
                  !peekName("else") && !peekName("if") && !peekName("in") &&
                  !peekName("not"))) {
        // "is divisibleby 3", "is sameas none": one argument without parentheses.
        t->args.positional.push_back(parsePostfix(parsePrimary()));
      }
      t->operand = std::move(e);
      e = std::move(t);
    }
    return e;
  }

  void parseArgs(CallArgs &args) {
    while (!peekOp(")")) {
      if (peek().type == Token::Name && peekOp("=", 1)) {
        std::string name = advance().text;
        advance();
        args.keywords.emplace_back(name, parseExpression());
      } else {
        if (!args.keywords.empty())
          fail(peek().line, "a positional argument follows a keyword argument");
        args.positional.push_back(parseExpression());
      }
      if (peekOp(","))
        advance();
      else if (!peekOp(")"))
        fail(peek().line, fmt::format("expected ',' or ')', found {}", describe(peek())));
    }
    advance();
  }

  ExprPtr parsePostfix(ExprPtr e) {
    while (true) {
      if (peekOp(".")) {
        int line = advance().line;
        auto a = make(Expr::Kind::Attribute, line);
        if (peek().type == Token::Int) // tuple.0
          a->name = advance().text;
        else
          a->name = expectName();
        a->operand = std::move(e);
        e = std::move(a);
      } else if (peekOp("[")) {
        int line = advance().line;
        ExprPtr parts[3];
        bool slice = false;
        for (int i = 0; i < 3; ++i) {
          if (!peekOp(":") && !peekOp("]"))
            parts[i] = parseExpression();
          if (peekOp(":") && i < 2) {
            advance();
            slice = true;
            continue;
          }
          break;
        }
        expectOp("]");
        if (slice) {
          auto s = make(Expr::Kind::Slice, line);
          for (auto &p : parts)
            s->items.push_back(std::move(p));
          s->operand = std::move(e);
          e = std::move(s);
        } else {
          if (!parts[0])
            fail(line, "an empty subscript '[]'");
          auto s = make(Expr::Kind::Subscript, line);
          s->right = std::move(parts[0]);
          s->operand = std::move(e);
          e = std::move(s);
        }
      } else if (peekOp("(")) {
        int line = advance().line;
        auto c = make(Expr::Kind::Call, line);
        parseArgs(c->args);
        c->operand = std::move(e);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }

  ExprPtr parsePrimary() {
    const Token &t = peek();
    int line = t.line;
    switch (t.type) {
    case Token::String: {
      auto e = make(Expr::Kind::Literal, line);
      std::string text = advance().text;
      while (peek().type == Token::String) // adjacent literals concatenate
        text += advance().text;
      e->value = Value::from(std::move(text));
      return e;
    }
    case Token::Int: {
      auto e = make(Expr::Kind::Literal, line);
      e->value = Value::from(advance().integer);
      return e;
    }
    case Token::Float: {
      auto e = make(Expr::Kind::Literal, line);
      e->value = Value::from(advance().real);
      return e;
    }
    case Token::Name: {
      std::string name = advance().text;
      auto e = make(Expr::Kind::Literal, line);
      if (name == "true" || name == "True")
        e->value = Value::from(true);
      else if (name == "false" || name == "False")
        e->value = Value::from(false);
      else if (name == "none" || name == "None")
        e->value = Value::none();
      else {
        e->kind = Expr::Kind::Name;
        e->name = name;
      }
      return e;
    }
    case Token::Op:
      if (t.text == "(") {
        advance();
        if (peekOp(")")) {
          advance();
          return make(Expr::Kind::Tuple, line);
        }
        ExprPtr first = parseExpression();
        if (peekOp(",")) {
          auto tuple = make(Expr::Kind::Tuple, line);
          tuple->items.push_back(std::move(first));
          while (peekOp(",")) {
            advance();
            if (peekOp(")"))
              break;
            tuple->items.push_back(parseExpression());
          }
          expectOp(")");
          return tuple;
        }
        expectOp(")");
        return first;
      }
      if (t.text == "[") {
        advance();
        auto list = make(Expr::Kind::List, line);
        while (!peekOp("]")) {
          list->items.push_back(parseExpression());
          if (peekOp(","))
            advance();
          else if (!peekOp("]"))
            fail(peek().line, fmt::format("expected ',' or ']', found {}", describe(peek())));
        }
        advance();
        return list;
      }
      if (t.text == "{") {
        advance();
        auto dict = make(Expr::Kind::Dict, line);
        while (!peekOp("}")) {
          dict->keys.push_back(parseExpression());
          expectOp(":");
          dict->items.push_back(parseExpression());
          if (peekOp(","))
            advance();
          else if (!peekOp("}"))
            fail(peek().line, fmt::format("expected ',' or '}}', found {}", describe(peek())));
        }
        advance();
        return dict;
      }
      break;
    default:
      break;
    }
    fail(line, fmt::format("unexpected {}", describe(t)));
  }

  std::vector<Segment> segs_;
  size_t seg_ = 0;
  int depth_ = 0;
  const std::vector<Token> *tokens_ = nullptr;
  size_t tok_ = 0;
};

} // namespace

TemplateAst parseTemplate(const std::string &source) {
  // Jinja drops one trailing newline of the source (keep_trailing_newline off).
  std::string text = source;
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, "\r\n") == 0)
    text.resize(text.size() - 2);
  else if (!text.empty() && text.back() == '\n')
    text.pop_back();
  std::vector<Segment> segments = Lexer(text).run();
  applyWhitespaceControl(segments);
  return Parser(std::move(segments)).run();
}

} // namespace llm::runtime::jinja
