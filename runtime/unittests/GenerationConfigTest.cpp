//===- GenerationConfigTest.cpp - generation_config.json parsing ----------===//

#include "llm/runtime/GenerationConfig.h"

#include <gtest/gtest.h>

#include <string>

using namespace llm::runtime;

namespace {

Expected<GenerationConfig> parse(const std::string &text) {
  return GenerationConfig::parse(text, "generation_config.json");
}

TEST(GenerationConfigTest, ReadsEveryField) {
  auto config = parse(R"({"do_sample": true, "temperature": 0.6,
      "top_p": 0.9, "top_k": 50, "repetition_penalty": 1.1,
      "max_new_tokens": 256, "eos_token_id": [128001, 128008, 128009],
      "bos_token_id": 128000, "transformers_version": "4.45.0"})");
  ASSERT_TRUE(config.ok()) << config.message();
  EXPECT_EQ(config->doSample, true);
  EXPECT_FLOAT_EQ(*config->temperature, 0.6f);
  EXPECT_FLOAT_EQ(*config->topP, 0.9f);
  EXPECT_EQ(config->topK, 50);
  EXPECT_FLOAT_EQ(*config->repetitionPenalty, 1.1f);
  EXPECT_EQ(config->maxNewTokens, 256);
  EXPECT_EQ(config->eosTokenIds, (std::vector<int64_t>{128001, 128008, 128009}));
}

TEST(GenerationConfigTest, AbsentAndNullFieldsAreUnset) {
  auto config = parse(R"({"eos_token_id": 2, "temperature": null})");
  ASSERT_TRUE(config.ok()) << config.message();
  EXPECT_FALSE(config->doSample);
  EXPECT_FALSE(config->temperature);
  EXPECT_FALSE(config->topK);
  EXPECT_FALSE(config->maxNewTokens);
  EXPECT_EQ(config->eosTokenIds, (std::vector<int64_t>{2}));
}

TEST(GenerationConfigTest, RejectsBadValuesNamingTheField) {
  struct Case {
    const char *text, *field;
  } cases[] = {
      {R"({"do_sample": "yes"})", "'do_sample'"},
      {R"({"temperature": -0.5})", "'temperature'"},
      {R"({"temperature": "hot"})", "'temperature'"},
      {R"({"top_p": 0})", "'top_p'"},
      {R"({"top_p": 1.5})", "'top_p'"},
      {R"({"top_k": -1})", "'top_k'"},
      {R"({"top_k": 2.5})", "'top_k'"},
      {R"({"top_k": 18446744073709551615})", "'top_k'"},
      {R"({"repetition_penalty": 0})", "'repetition_penalty'"},
      {R"({"max_new_tokens": -3})", "'max_new_tokens'"},
      {R"({"max_new_tokens": 4611686018427387904})", "'max_new_tokens'"},
      {R"({"eos_token_id": [1, -2]})", "'eos_token_id'"},
      {R"({"eos_token_id": [[[[1]]]]})", "'eos_token_id'"},
      {R"({"eos_token_id": {"a": 1}})", "'eos_token_id'"},
  };
  for (const Case &c : cases) {
    auto config = parse(c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_NE(config.message().find(c.field), std::string::npos)
        << c.text << ": " << config.message();
  }
}

TEST(GenerationConfigTest, RejectsMalformedJson) {
  for (const char *text : {"", "{", "[1, 2]", "\"text\"", R"({"top_p": 1e400})"}) {
    auto config = parse(text);
    EXPECT_FALSE(config.ok()) << text;
  }
}

} // namespace
