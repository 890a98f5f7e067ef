//===- TokenizerJsonTest.cpp - Tests of the tokenizer.json tokenizers -----===//
//
// Byte-level BPE against the real Llama-3.1 tokenizer.json: every case of
// ../shared/models/llama3-tokenizer/expected.json (ids from Hugging Face's
// reference implementation) in both directions, special-token parsing,
// streaming decode split inside multi-byte characters. SentencePiece-style
// BPE against a small tokenizer.json written here, whose expected ids follow
// from its merges by hand. Malformed files give errors naming the problem.
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/Tokenizer.h"

#include "TestUtil.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace llm::runtime;
using llm::runtime::testing::isValidUtf8;
using llm::runtime::testing::llama3TokenizerDirectory;
using llm::runtime::testing::TempDir;
using llm::runtime::testing::writeFile;
using nlohmann::json;

namespace {


class Llama3TokenizerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string dir = llama3TokenizerDirectory();
    if (dir.empty())
      return;
    auto tok = Tokenizer::load(dir + "/tokenizer.json");
    if (!tok.ok()) {
      loadError_ = tok.message();
      return;
    }
    tok_ = new Tokenizer(std::move(*tok));
    std::ifstream in(dir + "/expected.json");
    expected_ = new json(json::parse(in));
  }
  static void TearDownTestSuite() {
    delete tok_;
    delete expected_;
    tok_ = nullptr;
    expected_ = nullptr;
  }
  void SetUp() override {
    if (!loadError_.empty())
      FAIL() << loadError_;
    if (!tok_)
      GTEST_SKIP() << "Llama-3.1 tokenizer not found: set LLM_TEST_LLAMA3_TOKENIZER or "
                      "provide " LLM_TEST_LLAMA3_DIR_DEFAULT;
  }

  static std::string streamed(const std::vector<int32_t> &ids, bool skipSpecial) {
    StreamDecoder dec(*tok_, skipSpecial);
    std::string text;
    for (int32_t id : ids) {
      auto chunk = dec.push(id);
      EXPECT_TRUE(chunk.ok()) << chunk.message();
      EXPECT_TRUE(isValidUtf8(*chunk)) << "invalid UTF-8 chunk after id " << id;
      text += *chunk;
    }
    return text + dec.flush();
  }

  static Tokenizer *tok_;
  static json *expected_;
  static std::string loadError_;
};

Tokenizer *Llama3TokenizerTest::tok_ = nullptr;
json *Llama3TokenizerTest::expected_ = nullptr;
std::string Llama3TokenizerTest::loadError_;

} // namespace

TEST_F(Llama3TokenizerTest, VocabularyAndSpecialIds) {
  EXPECT_EQ(tok_->formatName(), "tokenizer.json");
  EXPECT_EQ(tok_->vocabSize(), 128256);
  EXPECT_EQ(tok_->bosId(), 128000);
  EXPECT_EQ(tok_->bosId(), (*expected_)["bos_id"].get<int32_t>());
  EXPECT_EQ(tok_->eosId(), 128001);
  EXPECT_EQ(tok_->tokenId("<|eot_id|>"), 128009);
  EXPECT_TRUE(tok_->isSpecial(128009));
  EXPECT_FALSE(tok_->isSpecial(9906));
  EXPECT_EQ(tok_->piece(9906), "Hello");
  EXPECT_EQ(tok_->tokenId("ĠWorld"), 4435);
}

TEST_F(Llama3TokenizerTest, EncodesLikeTheReference) {
  for (const json &c : (*expected_)["encode"]) {
    std::string text = c["text"].get<std::string>();
    auto ids = tok_->encode(text, /*addSpecial=*/false, /*parseSpecial=*/true);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*ids, c["ids"].get<std::vector<int32_t>>()) << "text: " << text;
    auto withBos = tok_->encode(text, /*addSpecial=*/true, /*parseSpecial=*/true);
    ASSERT_TRUE(withBos.ok()) << withBos.message();
    EXPECT_EQ(*withBos, c["ids_bos"].get<std::vector<int32_t>>()) << "text: " << text;
  }
}

TEST_F(Llama3TokenizerTest, DecodesBackToTheText) {
  for (const json &c : (*expected_)["encode"]) {
    std::string text = c["text"].get<std::string>();
    auto ids = c["ids"].get<std::vector<int32_t>>();
    auto decoded = tok_->decode(ids);
    ASSERT_TRUE(decoded.ok()) << decoded.message();
    EXPECT_EQ(*decoded, text);
    EXPECT_EQ(streamed(ids, /*skipSpecial=*/false), text);
  }
}

TEST_F(Llama3TokenizerTest, ChatRenderingsTokenizeLikeTheReference) {
  for (const json &c : (*expected_)["chat"]) {
    std::string text = c["text"].get<std::string>();
    auto ids = tok_->encode(text, /*addSpecial=*/false, /*parseSpecial=*/true);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*ids, c["ids"].get<std::vector<int32_t>>()) << "text: " << text;
    EXPECT_EQ(*tok_->decode(*ids), text);
  }
}

TEST_F(Llama3TokenizerTest, SpecialTokensAreTextUnlessParsed) {
  const std::string text = "<|eot_id|>";
  auto parsed = tok_->encode(text, false, /*parseSpecial=*/true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, std::vector<int32_t>{128009});
  auto plain = tok_->encode(text, false, /*parseSpecial=*/false);
  ASSERT_TRUE(plain.ok());
  EXPECT_GT(plain->size(), 1u);
  EXPECT_EQ(std::count(plain->begin(), plain->end(), 128009), 0);
  EXPECT_EQ(*tok_->decode(*plain), text);
  // skipSpecial drops them from the text.
  EXPECT_EQ(*tok_->decode({128000, 9906, 128009}, /*skipSpecial=*/true), "Hello");
  EXPECT_EQ(*tok_->decode({128000, 9906, 128009}), "<|begin_of_text|>Hello<|eot_id|>");
}

TEST_F(Llama3TokenizerTest, StreamingHoldsBackSplitCharacters) {
  // "🦙" is 4 bytes; byte-level BPE may spread it over several tokens. Feed
  // every single-byte token of it one at a time: nothing until the last.
  const std::string llama = "\xF0\x9F\xA6\x99";
  std::vector<int32_t> byteTokens;
  for (unsigned char b : llama) {
    auto ids = tok_->encode(std::string(1, static_cast<char>(b)), false);
    // A lone byte that is not valid UTF-8 still encodes, to its byte token.
    ASSERT_TRUE(ids.ok()) << ids.message();
    ASSERT_EQ(ids->size(), 1u);
    byteTokens.push_back(ids->front());
  }
  StreamDecoder dec(*tok_);
  EXPECT_EQ(*dec.push(9906), "Hello");
  for (size_t i = 0; i + 1 < byteTokens.size(); ++i)
    EXPECT_EQ(*dec.push(byteTokens[i]), "") << "byte " << i;
  EXPECT_EQ(*dec.push(byteTokens.back()), llama);
  // A character cut short becomes U+FFFD once it cannot complete.
  EXPECT_EQ(*dec.push(byteTokens[0]), "");
  EXPECT_EQ(*dec.push(9906), "\xEF\xBF\xBDHello");
  EXPECT_EQ(*dec.push(byteTokens[0]), "");
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");
}

TEST_F(Llama3TokenizerTest, RoundTripsArbitraryText) {
  // Invalid UTF-8 in the input still encodes (byte by byte); valid text of
  // every kind round-trips exactly.
  for (const char *text :
       {"Ünïcödé\u00a0\u2028line separator", "tabs\t\t\tand\r\n\r\nCRLF   ", "'S'T'RE'VE'M'LL'D",
        "1234567890123", "\xF0\x9F\x98\x80\xF0\x9F\x98\x81 emoji", "a\u0301\u0302 combining",
        "<|begin_of_text|><|eot_id|>x<|eot_id|>"}) {
    auto ids = tok_->encode(text, false, true);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*tok_->decode(*ids), text);
    EXPECT_EQ(streamed(*ids, false), text);
  }
  auto ids = tok_->encode("ok \xFF\xFE bytes", false);
  ASSERT_TRUE(ids.ok()) << ids.message();
  EXPECT_EQ(*tok_->decode(*ids), "ok \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

//===----------------------------------------------------------------------===//
// SentencePiece-style tokenizer.json (LLaMA-2 layout), written here.
//===----------------------------------------------------------------------===//

namespace {

/// A LLaMA-2-layout tokenizer.json: <unk>, <s>, </s>, 256 byte pieces, then
/// "▁", "a", "b", "▁a", "ab", "▁ab" with merges ▁+a, a+b, ▁a+b.
json sentencePieceStyleJson() {
  json vocab = json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  const char *pieces[] = {"\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a", "ab",
                          "\xE2\x96\x81" "ab"};
  for (int i = 0; i < 6; ++i)
    vocab[pieces[i]] = 259 + i;
  json t;
  t["version"] = "1.0";
  t["added_tokens"] = json::array(
      {{{"id", 0}, {"content", "<unk>"}, {"special", true}},
       {{"id", 1}, {"content", "<s>"}, {"special", true}},
       {{"id", 2}, {"content", "</s>"}, {"special", true}}});
  t["normalizer"] = {{"type", "Sequence"},
                     {"normalizers",
                      json::array({{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                   {{"type", "Replace"},
                                    {"pattern", {{"String", " "}}},
                                    {"content", "\xE2\x96\x81"}}})}};
  t["pre_tokenizer"] = nullptr;
  t["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
  t["decoder"] = {{"type", "Sequence"},
                  {"decoders", json::array({{{"type", "Replace"},
                                             {"pattern", {{"String", "\xE2\x96\x81"}}},
                                             {"content", " "}},
                                            {{"type", "ByteFallback"}},
                                            {{"type", "Fuse"}},
                                            {{"type", "Strip"},
                                             {"content", " "},
                                             {"start", 1},
                                             {"stop", 0}}})}};
  t["model"] = {{"type", "BPE"},
                {"unk_token", "<unk>"},
                {"byte_fallback", true},
                {"fuse_unk", true},
                {"vocab", vocab},
                {"merges", json::array({"\xE2\x96\x81 a", "a b", "\xE2\x96\x81" "a b"})}};
  return t;
}

Expected<Tokenizer> writeAndLoad(const TempDir &dir, const json &t) {
  std::string path = dir.file("tokenizer.json");
  writeFile(path, t.dump());
  return Tokenizer::load(dir.path().string());
}

} // namespace

TEST(SentencePieceStyleJson, MergesByteFallbackAndDecoding) {
  TempDir dir;
  auto tok = writeAndLoad(dir, sentencePieceStyleJson());
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(tok->bosId(), 1);
  EXPECT_EQ(tok->eosId(), 2);
  // "ab ab": "▁ab▁ab" -> ▁+a (rank 0) twice, then ▁a+b (rank 2) twice.
  EXPECT_EQ(*tok->encode("ab ab", true), (std::vector<int32_t>{1, 264, 264}));
  // "ba": "▁ba": no merge applies to ▁+b or b+a.
  EXPECT_EQ(*tok->encode("ba", false), (std::vector<int32_t>{259, 261, 260}));
  // "é" is not in the vocabulary: its two UTF-8 bytes as byte pieces.
  EXPECT_EQ(*tok->encode("é", false), (std::vector<int32_t>{259, 3 + 0xC3, 3 + 0xA9}));
  // Special tokens split the text; each stretch gets its "▁".
  EXPECT_EQ(*tok->encode("a<s>b", false, /*parseSpecial=*/true),
            (std::vector<int32_t>{262, 1, 259, 261}));
  // Decoding: the leading space of the text is stripped once.
  EXPECT_EQ(*tok->decode({1, 264, 264}, /*skipSpecial=*/true), "ab ab");
  EXPECT_EQ(*tok->decode({264, 259, 3 + 0xC3, 3 + 0xA9}), "ab é");
  // A byte run cut by another piece becomes one U+FFFD per byte.
  EXPECT_EQ(*tok->decode({262, 3 + 0xC3, 260}), "a\xEF\xBF\xBD" "a");
  StreamDecoder dec(*tok);
  EXPECT_EQ(*dec.push(264), "ab");
  EXPECT_EQ(*dec.push(3 + 0xC3), "");
  EXPECT_EQ(*dec.push(3 + 0xA9), "\xC3\xA9");
  EXPECT_EQ(*dec.push(3 + 0xC3), "");
  EXPECT_EQ(*dec.push(264), "\xEF\xBF\xBD ab");
}

TEST(SentencePieceStyleJson, UnicodeNormalization) {
  // NFC first (as Qwen2's tokenizer.json does): "e" + U+0301 becomes "é".
  json t = sentencePieceStyleJson();
  t["normalizer"]["normalizers"].insert(t["normalizer"]["normalizers"].begin(),
                                        json{{"type", "NFC"}});
  TempDir dir;
  auto tok = writeAndLoad(dir, t);
  ASSERT_TRUE(tok.ok()) << tok.message();
  std::vector<int32_t> composed = {259, 3 + 0xC3, 3 + 0xA9};
  EXPECT_EQ(*tok->encode("\xC3\xA9", false), composed);
  EXPECT_EQ(*tok->encode("e\xCC\x81", false), composed);
  // NFKC also folds compatibility characters: the ligature "ﬁ" is "fi".
  t["normalizer"]["normalizers"][0]["type"] = "NFKC";
  TempDir dir2;
  auto nfkc = writeAndLoad(dir2, t);
  ASSERT_TRUE(nfkc.ok()) << nfkc.message();
  EXPECT_EQ(*nfkc->encode("\xEF\xAC\x81", false), *nfkc->encode("fi", false));
  // Invalid UTF-8 is left alone (and encodes byte by byte).
  EXPECT_TRUE(tok->encode("a\xFF", false).ok());
}

TEST(TokenizerJsonLoad, ErrorsNameTheProblem) {
  TempDir dir;
  std::string path = dir.file("tokenizer.json");
  auto expectError = [&](const std::string &content, const std::string &needle) {
    writeFile(path, content);
    auto tok = Tokenizer::load(path);
    ASSERT_FALSE(tok.ok()) << "accepted: " << content.substr(0, 80);
    EXPECT_NE(tok.message().find(path), std::string::npos) << tok.message();
    EXPECT_NE(tok.message().find(needle), std::string::npos) << tok.message();
  };
  expectError("{\"model\": ", "not valid JSON");
  expectError("[1, 2]", "not a JSON object");
  expectError("{}", "\"model\" is not an object");
  expectError("{\"model\": {\"type\": \"BPE\"}}", "model.vocab");

  json t = sentencePieceStyleJson();
  t["model"]["type"] = "Unigram";
  expectError(t.dump(), "model type 'Unigram' is not supported");

  t = sentencePieceStyleJson();
  t["model"]["merges"].push_back("x y");
  expectError(t.dump(), "merge 3 ('x' + 'y')");

  t = sentencePieceStyleJson();
  t["normalizer"] = {{"type", "Lowercase"}};
  expectError(t.dump(), "normalizer 'Lowercase' is not supported");

  t = sentencePieceStyleJson();
  t["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}};
  expectError(t.dump(), "pre_tokenizer: bad regular expression");

  t = sentencePieceStyleJson();
  t["decoder"]["decoders"][3]["stop"] = 2;
  expectError(t.dump(), "decoder.decoders[3]: Strip with a non-zero 'stop'");

  t = sentencePieceStyleJson();
  t["added_tokens"].push_back({{"id", -4}, {"content", "<x>"}});
  expectError(t.dump(), "added_tokens[3] has id -4");

  t = sentencePieceStyleJson();
  t["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", ""}};
  expectError(t.dump(), "Metaspace needs a non-empty replacement");

  t = sentencePieceStyleJson();
  t["post_processor"]["single"][0]["SpecialToken"]["id"] = "<nope>";
  t["post_processor"]["special_tokens"] = json::object();
  expectError(t.dump(), "special token '<nope>' has no id");
}

TEST(TokenizerJsonLoad, NonSentencePieceModelFallsBackToJson) {
  // Meta's Llama-3 directories ship a tiktoken tokenizer.model beside the
  // tokenizer.json: the directory loads the latter.
  TempDir dir;
  writeFile(dir.file("tokenizer.model"), "IQ== 0\nIg== 1\n");
  auto tok = writeAndLoad(dir, sentencePieceStyleJson());
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(tok->formatName(), "tokenizer.json");
  EXPECT_EQ(*tok->encode("ab", false), (std::vector<int32_t>{264}));
}
