//===- TokenizerTest.cpp - Tests of the SentencePiece wrapper -------------===//
//
// Uses the stories260K tokenizer (512 pieces, byte fallback): from the
// LLM_TEST_TOKENIZER environment variable, else the shared models directory.
// Expected ids/text were produced with the sentencepiece command-line tools
// (spm_encode / spm_decode).
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/Tokenizer.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

using namespace llm::runtime;
using llm::runtime::testing::isValidUtf8;
using llm::runtime::testing::TempDir;
using llm::runtime::testing::writeFile;

namespace {

std::string tokenizerPath() {
  if (const char *env = std::getenv("LLM_TEST_TOKENIZER"); env && *env)
    return env;
  for (const char *candidate : {LLM_TEST_TOKENIZER_DEFAULT, LLM_TEST_TOKENIZER_FALLBACK})
    if (std::filesystem::exists(candidate))
      return candidate;
  return "";
}

class TokenizerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string path = tokenizerPath();
    if (path.empty())
      return;
    auto tok = Tokenizer::load(path);
    if (tok.ok())
      tok_ = new Tokenizer(std::move(*tok));
    else
      loadError_ = tok.message();
  }
  static void TearDownTestSuite() {
    delete tok_;
    tok_ = nullptr;
  }
  void SetUp() override {
    if (!loadError_.empty())
      FAIL() << loadError_;
    if (!tok_)
      GTEST_SKIP() << "stories260K tokenizer not found: set LLM_TEST_TOKENIZER or "
                      "provide " LLM_TEST_TOKENIZER_DEFAULT;
  }

  /// Streams `ids` through a StreamDecoder; checks every chunk is valid UTF-8
  /// and returns the chunks.
  static std::vector<std::string> stream(const std::vector<int32_t> &ids,
                                         bool skipSpecial = true) {
    StreamDecoder dec(*tok_, skipSpecial);
    std::vector<std::string> chunks;
    for (int32_t id : ids) {
      auto chunk = dec.push(id);
      EXPECT_TRUE(chunk.ok()) << chunk.message();
      EXPECT_TRUE(isValidUtf8(*chunk)) << "invalid UTF-8 chunk after id " << id;
      chunks.push_back(*chunk);
    }
    chunks.push_back(dec.flush());
    return chunks;
  }
  static std::string join(const std::vector<std::string> &chunks) {
    std::string s;
    for (const auto &c : chunks)
      s += c;
    return s;
  }

  static Tokenizer *tok_;
  static std::string loadError_;
};

Tokenizer *TokenizerTest::tok_ = nullptr;
std::string TokenizerTest::loadError_;

} // namespace

TEST_F(TokenizerTest, SpecialIdsAndVocab) {
  EXPECT_EQ(tok_->vocabSize(), 512);
  EXPECT_EQ(tok_->bosId(), 1);
  EXPECT_EQ(tok_->eosId(), 2);
  EXPECT_EQ(tok_->unkId(), 0);
  EXPECT_TRUE(tok_->isSpecial(1));
  EXPECT_FALSE(tok_->isSpecial(403));
  EXPECT_EQ(tok_->piece(3), "<0x00>"); // follows <unk>, <s>, </s>
  EXPECT_EQ(tok_->piece(3), "<0x00>");
  EXPECT_FALSE(tok_->isSpecial(-1));
  EXPECT_FALSE(tok_->isSpecial(512));
  EXPECT_EQ(tok_->piece(512), "");
  EXPECT_EQ(tok_->piece(512), "");
}

TEST_F(TokenizerTest, EncodeOnceUponATime) {
  auto ids = tok_->encode("Once upon a time", /*addBos=*/true);
  ASSERT_TRUE(ids.ok()) << ids.message();
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, 403, 407, 261, 378}));
  auto noBos = tok_->encode("Once upon a time", /*addBos=*/false);
  EXPECT_EQ(*noBos, (std::vector<int32_t>{403, 407, 261, 378}));
  EXPECT_EQ(*tok_->encode("", false), std::vector<int32_t>{});
  EXPECT_EQ(*tok_->encode("", true), std::vector<int32_t>{1});
}

TEST_F(TokenizerTest, StreamDecodeThereWasALittle) {
  std::vector<int32_t> ids = {432, 383, 286, 261, 376};
  std::vector<std::string> chunks = stream(ids);
  EXPECT_EQ(join(chunks), ", there was a little");
  EXPECT_EQ(*tok_->decode(ids), ", there was a little");
  // One chunk per piece; spaces come with the piece that carries the "▁".
  EXPECT_EQ(chunks[0], ",");
  EXPECT_EQ(chunks[1], " there");
  EXPECT_EQ(chunks[4], " little");
}

TEST_F(TokenizerTest, LeadingSpaceDroppedOnlyAtStart) {
  // After BOS the first piece "▁Once" loses its space, later ones keep it.
  std::vector<std::string> chunks = stream({1, 403, 407, 261, 378});
  EXPECT_EQ(chunks[0], "");
  EXPECT_EQ(chunks[1], "Once");
  EXPECT_EQ(chunks[2], " upon");
  EXPECT_EQ(join(chunks), "Once upon a time");
  // A BOS in the middle of the stream does not strip the next space.
  std::vector<int32_t> ids = {1, 403, 1, 407};
  EXPECT_EQ(join(stream(ids)), *tok_->decode(ids));
  EXPECT_EQ(*tok_->decode(ids), "Once upon");
}

TEST_F(TokenizerTest, MultiByteUtf8RoundTripsThroughByteFallback) {
  const std::string text = "héllo → ✓ 日本";
  auto ids = tok_->encode(text, /*addBos=*/true);
  ASSERT_TRUE(ids.ok()) << ids.message();
  size_t bytePieces = 0;
  for (int32_t id : *ids)
    bytePieces += tok_->piece(id).rfind("<0x", 0) == 0;
  EXPECT_GE(bytePieces, 12u) << "expected →, ✓, 日, 本 to use byte fallback";
  std::vector<std::string> chunks = stream(*ids);
  EXPECT_EQ(join(chunks), text);
  EXPECT_EQ(*tok_->decode(*ids), text);
  // Each multi-byte character arrives whole, in one chunk.
  for (const char *ch : {"→", "✓", "日", "本"}) {
    bool whole = false;
    for (const std::string &c : chunks)
      whole |= c.find(ch) != std::string::npos;
    EXPECT_TRUE(whole) << ch << " was split across chunks";
  }
}

TEST_F(TokenizerTest, ByteFallbackIsHeldBackUntilComplete) {
  const int32_t e2 = 3 + 0xE2, x86 = 3 + 0x86, x92 = 3 + 0x92; // <0xNN> = 3 + NN
  ASSERT_EQ(tok_->piece(e2), "<0xE2>");
  StreamDecoder dec(*tok_);
  EXPECT_EQ(*dec.push(403), "Once");
  EXPECT_EQ(*dec.push(e2), "");
  EXPECT_EQ(*dec.push(x86), "");
  EXPECT_EQ(*dec.push(x92), "→");
  EXPECT_EQ(*dec.push(407), " upon");
  EXPECT_EQ(dec.text(), "Once→ upon");

  // An incomplete sequence cut short by a normal piece becomes U+FFFD, as in
  // a full decode.
  std::vector<int32_t> ids = {403, e2, x86, 407};
  EXPECT_EQ(join(stream(ids)), *tok_->decode(ids));
  EXPECT_NE(tok_->decode(ids)->find("\xEF\xBF\xBD"), std::string::npos);
  // flush() releases a dangling incomplete sequence the same way.
  StreamDecoder d2(*tok_);
  EXPECT_EQ(*d2.push(e2), "");
  EXPECT_EQ(d2.flush(), *tok_->decode({e2}));
}

TEST_F(TokenizerTest, StreamMatchesFullDecodeOnRandomSequences) {
  // Random ids with many byte pieces, controls and leading-space pieces; the
  // concatenated stream must equal the full decode and every chunk must be
  // valid UTF-8.
  std::mt19937 rng(12345);
  const int32_t n = tok_->vocabSize();
  std::vector<int32_t> utf8Leads = {0xC3, 0xE2, 0xE6, 0xF0};
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<int32_t> ids;
    int len = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) {
      switch (rng() % 6) {
      case 0: // any piece
        ids.push_back(static_cast<int32_t>(rng() % n));
        break;
      case 1: // a random byte
        ids.push_back(3 + static_cast<int32_t>(rng() % 256));
        break;
      case 2: { // a lead byte followed by some continuation bytes
        ids.push_back(3 + utf8Leads[rng() % utf8Leads.size()]);
        int conts = static_cast<int>(rng() % 4);
        for (int k = 0; k < conts; ++k)
          ids.push_back(3 + 0x80 + static_cast<int32_t>(rng() % 0x40));
        break;
      }
      case 3: // control
        ids.push_back(static_cast<int32_t>(rng() % 3));
        break;
      default: // ordinary pieces
        ids.push_back(259 + static_cast<int32_t>(rng() % (n - 259)));
      }
    }
    // With control pieces kept, SentencePiece's own decoder is the
    // reference (a control piece ends a run of byte pieces).
    auto full = tok_->decode(ids);
    ASSERT_TRUE(full.ok()) << full.message();
    ASSERT_EQ(join(stream(ids, /*skipSpecial=*/false)), *full) << "trial " << trial;
    auto text = tok_->decode(ids, /*skipSpecial=*/true);
    ASSERT_TRUE(text.ok()) << text.message();
    ASSERT_EQ(join(stream(ids)), *text) << "trial " << trial;
  }
}

TEST_F(TokenizerTest, EncodeDecodeRoundTripsText) {
  for (const char *text :
       {"Once upon a time, there was a little girl named Lily.", "  two  spaces",
        "tab\tand\nnewline", "émoji 🙂 and ß", "日本語のテキスト"}) {
    auto ids = tok_->encode(text, true);
    ASSERT_TRUE(ids.ok()) << ids.message();
    std::string streamed = join(stream(*ids));
    EXPECT_EQ(streamed, *tok_->decode(*ids)) << text;
  }
}

TEST_F(TokenizerTest, InvalidIds) {
  StreamDecoder dec(*tok_);
  auto r = dec.push(512);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("512"), std::string::npos) << r.message();
  r = dec.push(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*dec.push(403), "Once");
  auto d = tok_->decode({403, 9999});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.message().find("9999"), std::string::npos) << d.message();
  EXPECT_NE(d.message().find("position 1"), std::string::npos) << d.message();
}

TEST(TokenizerLoad, MissingFile) {
  auto tok = Tokenizer::load("/nonexistent/tokenizer.model");
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("/nonexistent/tokenizer.model"), std::string::npos);
  EXPECT_NE(tok.message().find("does not exist"), std::string::npos) << tok.message();
}

TEST(TokenizerLoad, GarbageFile) {
  TempDir dir;
  std::string path = dir.file("tokenizer.model");
  writeFile(path, "this is not a protobuf \xff\xff\xff\xff");
  auto tok = Tokenizer::load(path);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find(path), std::string::npos) << tok.message();
  EXPECT_NE(tok.message().find("could not be loaded"), std::string::npos) << tok.message();

  // A directory is searched for its tokenizer file.
  tok = Tokenizer::load(dir.path().string());
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find(path), std::string::npos) << tok.message();

  TempDir empty;
  tok = Tokenizer::load(empty.path().string());
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("has no tokenizer"), std::string::npos) << tok.message();
}
