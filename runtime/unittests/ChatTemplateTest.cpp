//===- ChatTemplateTest.cpp - Tests of the chat-template renderer ---------===//
//
// Real templates against renderings by Hugging Face's reference Jinja
// implementation (@huggingface/jinja): the Llama-3.1 tokenizer_config.json of
// ../shared with its expected.json, and Inputs/chat_templates.json (Llama-2,
// Llama-3.x, Mistral templates; see Inputs/make_chat_references.mjs). Then
// the language itself, case by case, with outputs worked out by hand from
// Jinja's rules, and errors.
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/ChatTemplate.h"

#include "TestUtil.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace llm::runtime;
using llm::runtime::testing::llama3TokenizerDirectory;
using llm::runtime::testing::TempDir;
using llm::runtime::testing::writeFile;
using nlohmann::json;

namespace {


json readJson(const std::string &path) {
  std::ifstream in(path);
  return json::parse(in);
}

/// Renders `source` with `variables` (a JSON object); the error message when
/// it fails.
template <class Json = json>
std::string render(const std::string &source, const Json &variables = Json::object()) {
  auto t = ChatTemplate::parse(source);
  if (!t.ok())
    return "ERROR " + t.message();
  auto out = t->renderJson(variables.dump());
  return out.ok() ? *out : "ERROR " + out.message();
}

} // namespace

TEST(ChatTemplateReference, Llama31SharedTemplate) {
  std::string dir = llama3TokenizerDirectory();
  if (dir.empty())
    GTEST_SKIP() << "../shared/models/llama3-tokenizer not found";
  auto config = TokenizerConfig::loadFromDirectory(dir);
  ASSERT_TRUE(config.ok()) << config.message();
  ASSERT_TRUE(config->chatTemplate.has_value());
  EXPECT_EQ(config->bosToken, "<|begin_of_text|>");
  EXPECT_EQ(config->eosToken, "<|eot_id|>");
  auto tmpl = ChatTemplate::parse(*config->chatTemplate);
  ASSERT_TRUE(tmpl.ok()) << tmpl.message();
  json expected = readJson(dir + "/expected.json");
  for (const json &c : expected["chat"]) {
    std::vector<ChatMessage> messages;
    for (const json &m : c["messages"])
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    auto text = tmpl->render(messages, c["add_generation_prompt"].get<bool>(), config->bosToken,
                             config->eosToken);
    ASSERT_TRUE(text.ok()) << text.message();
    EXPECT_EQ(*text, c["text"].get<std::string>());
  }
}

TEST(ChatTemplateReference, FixtureRenderings) {
  // Ordered: tojson must keep the key order of the tools given.
  std::ifstream in(LLM_TEST_INPUTS_DIR "/chat_templates.json");
  auto fixture = nlohmann::ordered_json::parse(in);
  size_t checked = 0;
  for (const auto &c : fixture["cases"]) {
    std::string name = c["template"].get<std::string>();
    std::string source = fixture["templates"][name].get<std::string>();
    std::string got = render(source, c["context"]);
    if (c.contains("output")) {
      EXPECT_EQ(got, c["output"].get<std::string>()) << "template " << name << ", context "
                                                     << c["context"].dump();
    } else {
      // The reference raised: so must we, with the template's message.
      ASSERT_EQ(got.rfind("ERROR ", 0), 0u) << "template " << name << " rendered " << got;
      std::string message = c["error"].get<std::string>();
      EXPECT_NE(got.find(message), std::string::npos) << got << "\nwanted: " << message;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20u);
}

TEST(ChatTemplateLanguage, WhitespaceControl) {
  // trim_blocks: the newline after a block tag goes; lstrip_blocks: the
  // indentation before a block tag goes; "-" strips all whitespace.
  EXPECT_EQ(render("{% if true %}\nA\n{% endif %}\nB"), "A\nB");
  EXPECT_EQ(render("x\n    {% if true %}\n    y\n    {% endif %}\nz"), "x\n    y\nz");
  EXPECT_EQ(render("a  {{- ' b ' -}}  c"), "a b c");
  EXPECT_EQ(render("a\n\n{%- if true -%}\n\n b{% endif %}"), "ab");
  EXPECT_EQ(render("{{ 'x' }}\ny"), "x\ny"); // expressions keep their newline
  EXPECT_EQ(render("a {# note #}\nb"), "a b");
  EXPECT_EQ(render("  {%+ if true %}k{% endif %}"), "  k");
}

TEST(ChatTemplateLanguage, ExpressionsAndOperators) {
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }}"),
            "7 9 3 -4 1");
  EXPECT_EQ(render("{{ 1 / 2 }} {{ 2 ** 10 }} {{ 3.0 }} {{ 'ab' * 2 }}"), "0.5 1024 3.0 abab");
  EXPECT_EQ(render("{{ 'a' ~ 1 ~ none }} {{ [1, 'x', none, true] }}"),
            "a1None [1, 'x', None, True]");
  EXPECT_EQ(render("{{ 'yes' if 1 < 2 and not false else 'no' }}"), "yes");
  EXPECT_EQ(render("{{ 'b' in 'abc' }} {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }}"),
            "True True True");
  EXPECT_EQ(render("{{ x if x }}|{{ none or 'd' }}|{{ 0 and 1 }}"), "|d|0");
  EXPECT_EQ(render("{{ 'abcdef'[1:3] }} {{ 'abc'[::-1] }} {{ [1,2,3][-1] }} {{ [1,2,3][1:] }}"),
            "bc cba 3 [2, 3]");
  EXPECT_EQ(render("{{ m.role }}/{{ m['content'] }}/{{ m.missing is defined }}",
                   {{"m", {{"role", "user"}, {"content", "hi"}}}}),
            "user/hi/False");
}

TEST(ChatTemplateLanguage, LoopsAndScopes) {
  EXPECT_EQ(render("{% for x in xs %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}"
                   "{% endfor %}",
                   {{"xs", {"a", "b", "c"}}}),
            "1a,2b,3c");
  EXPECT_EQ(render("{% for x in xs if x > 1 %}{{ loop.index0 }}:{{ x }}/{{ loop.length }} "
                   "{% else %}none{% endfor %}",
                   {{"xs", {1, 2, 3}}}),
            "0:2/2 1:3/2 ");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
                   {{"d", {{"b", 1}, {"a", 2}}}}),
            "a=2;b=1;"); // nlohmann::json orders object keys
  // A set inside a loop does not leak out; a namespace does.
  EXPECT_EQ(render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for i in range(3) %}"
                   "{% set n = n + 1 %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ n }} {{ ns.n }}"),
            "0 3");
  EXPECT_EQ(render("{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}"
                   "{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}"),
            "02");
  EXPECT_EQ(render("{% set body %}x{{ 1 + 1 }}{% endset %}[{{ body }}]"), "[x2]");
}

TEST(ChatTemplateLanguage, FiltersTestsAndMethods) {
  EXPECT_EQ(render("{{ '  hi  ' | trim }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}|{{ 'hello world' "
                   "| title }}|{{ [1, 2] | length }}|{{ 'día' | length }}"),
            "hi|ABab|Hello World|2|3");
  EXPECT_EQ(render("{{ x | default('d') }} {{ '' | default('e', true) }} {{ [1, 2] | join('-') "
                   "}} {{ ['a', 'b'] | first }}{{ ['a', 'b'] | last }}"),
            "d e 1-2 ab");
  EXPECT_EQ(render("{{ {'a': [1, 2.5, 'x\"'], 'b': none} | tojson }}"),
            "{\"a\": [1, 2.5, \"x\\\"\"], \"b\": null}");
  EXPECT_EQ(render("{{ {'a': [1]} | tojson(indent=2) }}"), "{\n  \"a\": [\n    1\n  ]\n}");
  EXPECT_EQ(render("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='c') | "
                   "join(',') }}",
                   {{"ms", {{{"role", "user"}, {"c", "1"}}, {{"role", "bot"}, {"c", "2"}},
                            {{"role", "user"}, {"c", "3"}}}}}),
            "1,3");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }} {{ ' x '.strip() }} {{ 'abc'.startswith('ab') }} "
                   "{{ 'a-b'.replace('-', '+') }} {{ {'k': 1}.get('z', 5) }}"),
            "['a', 'b', '', 'c'] x True a+b 5");
  EXPECT_EQ(render("{{ none is none }} {{ 1 is number }} {{ 'x' is string }} {{ 4 is even }} "
                   "{{ 9 is divisibleby 3 }} {{ {} is mapping }} {{ x is not defined }}"),
            "True True True True True True True");
}

TEST(ChatTemplateLanguage, ErrorsNameTheProblem) {
  auto expectError = [](const std::string &source, const std::string &needle,
                        const json &vars = json::object()) {
    std::string got = render(source, vars);
    EXPECT_EQ(got.rfind("ERROR chat template: ", 0), 0u) << source << " -> " << got;
    EXPECT_NE(got.find(needle), std::string::npos) << source << " -> " << got;
  };
  expectError("{% macro f() %}x{% endmacro %}", "line 1: unsupported construct: the 'macro'");
  expectError("a\n{{ x | wordwrap }}", "line 2: unsupported construct: the filter 'wordwrap'");
  expectError("{{ 1 is prime }}", "unsupported construct: the test 'prime'");
  expectError("{% if true %}never closed", "the template ends inside a block");
  expectError("{{ 1 + }}", "unexpected the end of the tag");
  expectError("{{ 'open }}", "not closed");
  expectError("{{ raise_exception('Roles must alternate') }}",
              "raise_exception: Roles must alternate");
  expectError("{{ 1 + 'a' }}", "unsupported operand types for '+': integer and string");
  expectError("{{ missing.attr }}", "'missing' is undefined");
  expectError("{% for x in 5 %}{% endfor %}", "a integer is not iterable");
}

TEST(ChatTemplateLanguage, BoundedWork) {
  // A template is a program from a model directory: runaway ones stop with
  // an error instead of hanging, exhausting memory or the stack.
  auto expectError = [](const std::string &source, const std::string &needle) {
    std::string got = render(source);
    EXPECT_NE(got.find(needle), std::string::npos) << source.substr(0, 60) << " -> " << got;
  };
  expectError("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
              "rendering takes more than 1000000 steps");
  expectError("{{ range(1000000) }}", "range() is too long");
  expectError("{{ 'x' * 100000000000 }}", "larger than the rendering limit");
  expectError("{{ " + std::string(100, '(') + "1" + std::string(100, ')') + " }}",
              "nests deeper than 256 levels");
  std::string chain = "{{ 1";
  for (int i = 0; i < 1000; ++i)
    chain += " ~ 1";
  expectError(chain + " }}", "a tag of more than 512 tokens");
  expectError("{% set ns = namespace() %}{% set ns.me = ns %}", "a namespace cannot hold a namespace");
  expectError("{% endfor %}", "'endfor' without an open block");
  EXPECT_EQ(render("[{{ '' * 9000000000000000000 }}][{{ 'ab' * -1 }}]"), "[][]");
  EXPECT_EQ(render("{{ [9223372036854775807, 1] | sum }}"), "-9223372036854775808");
  EXPECT_EQ(render("{{ 'a\nb' | indent(-5) }}|{{ [1] | tojson(indent=-3) }}"), "a\nb|[\n1\n]");
  // Jinja drops one trailing newline of the template.
  EXPECT_EQ(render("x\n"), "x");
  EXPECT_EQ(render("x\n\n"), "x\n");
  std::string nestedIfs;
  for (int i = 0; i < 1000; ++i)
    nestedIfs += "{% if true %}";
  expectError(nestedIfs, "nests deeper than 256 levels");
  // Integer arithmetic wraps rather than overflowing.
  EXPECT_EQ(render("{{ 2 ** 64 }} {{ 9223372036854775807 + 1 }} {{ range(9223372036854775806, "
                   "9223372036854775807, 5) }}"),
            "0 -9223372036854775808 [9223372036854775806]");
}

TEST(TokenizerConfigLoad, FieldsAndErrors) {
  TempDir dir;
  auto empty = TokenizerConfig::loadFromDirectory(dir.path().string());
  ASSERT_TRUE(empty.ok()) << empty.message();
  EXPECT_FALSE(empty->chatTemplate.has_value());

  std::string path = dir.file("tokenizer_config.json");
  writeFile(path, R"({"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                      "chat_template": [{"name": "tool_use", "template": "T"},
                                        {"name": "default", "template": "D"}]})");
  auto config = TokenizerConfig::loadFromDirectory(dir.path().string());
  ASSERT_TRUE(config.ok()) << config.message();
  EXPECT_EQ(config->bosToken, "<s>");
  EXPECT_EQ(config->eosToken, "</s>");
  EXPECT_EQ(config->chatTemplate.value_or(""), "D");

  writeFile(path, R"({"chat_template": 3})");
  auto bad = TokenizerConfig::loadFromDirectory(dir.path().string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("\"chat_template\" is neither"), std::string::npos)
      << bad.message();
  writeFile(path, "{");
  bad = TokenizerConfig::loadFromDirectory(dir.path().string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("not valid JSON"), std::string::npos) << bad.message();
}
