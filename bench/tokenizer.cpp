//===- tokenizer.cpp - Encoding and decoding speed of a tokenizer ---------===//
//
//   llm-tokenizer-bench TOKENIZER [TEXT_FILE] [--mb N]
//
// Encodes N MiB (default 1) of text on one thread and decodes the ids back,
// printing MB/s and checking the round trip. Without TEXT_FILE the text is
// English prose made from a fixed word list (deterministic), with
// punctuation, numbers, capitals and line breaks.
//
//===----------------------------------------------------------------------===//

#include "llm/runtime/Tokenizer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace {

std::string englishText(size_t bytes) {
  static const char *words[] = {
      "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with",
      "be", "by", "on", "not", "he", "I", "this", "are", "or", "his", "from", "at", "which",
      "but", "have", "an", "had", "they", "you", "were", "their", "one", "all", "we", "can",
      "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
      "people", "time", "year", "government", "children", "morning", "question", "language",
      "understanding", "compiler", "river", "mountain", "because", "although", "however",
      "remarkable", "beautiful", "quickly", "carefully", "information", "development",
      "community", "experience", "important", "different", "between", "something", "through",
      "during", "without", "another", "weather", "library", "history", "science", "music",
      "don't", "it's", "we're", "they'll", "she'd", "I've", "wasn't", "couldn't", "London",
      "Monday", "September", "Mr.", "Dr.", "e.g.", "approximately", "nevertheless"};
  const size_t n = sizeof(words) / sizeof(words[0]);
  std::mt19937 rng(42);
  std::string text;
  text.reserve(bytes + 64);
  bool sentenceStart = true;
  while (text.size() < bytes) {
    std::string word = words[rng() % n];
    if (sentenceStart && word[0] >= 'a' && word[0] <= 'z')
      word[0] = static_cast<char>(word[0] - 'a' + 'A');
    if (rng() % 40 == 0)
      word = std::to_string(rng() % 100000);
    text += word;
    sentenceStart = false;
    unsigned r = rng() % 100;
    if (r < 7) {
      text += ". ";
      sentenceStart = true;
      if (rng() % 8 == 0)
        text += "\n\n";
    } else if (r < 12) {
      text += ", ";
    } else if (r < 13) {
      text += "; ";
    } else {
      text += " ";
    }
  }
  return text;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TOKENIZER [TEXT_FILE] [--mb N]\n", argv[0]);
    return 2;
  }
  std::string tokenizerPath = argv[1], textFile;
  double mb = 1.0;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--mb") && i + 1 < argc)
      mb = std::atof(argv[++i]);
    else
      textFile = argv[i];
  }
  using Clock = std::chrono::steady_clock;
  auto tLoad = Clock::now();
  auto tok = llm::runtime::Tokenizer::load(tokenizerPath);
  double loadS = std::chrono::duration<double>(Clock::now() - tLoad).count();
  if (!tok.ok()) {
    std::fprintf(stderr, "error: %s\n", tok.message().c_str());
    return 1;
  }
  std::string text;
  if (!textFile.empty()) {
    std::ifstream in(textFile, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    text = englishText(static_cast<size_t>(mb * (1 << 20)));
  }
  auto t0 = Clock::now();
  auto ids = tok->encode(text, /*addSpecial=*/false);
  auto t1 = Clock::now();
  if (!ids.ok()) {
    std::fprintf(stderr, "error: %s\n", ids.message().c_str());
    return 1;
  }
  auto back = tok->decode(*ids);
  auto t2 = Clock::now();
  double encodeS = std::chrono::duration<double>(t1 - t0).count();
  double decodeS = std::chrono::duration<double>(t2 - t1).count();
  double mib = text.size() / double(1 << 20);
  std::printf("tokenizer   %s (%s)\n", tok->path().c_str(), std::string(tok->formatName()).c_str());
 std::printf("load        %.3f s\n", loadS);
  std::printf("text        %.2f MiB, %zu tokens (%.2f bytes/token)\n", mib, ids->size(),
              text.size() / double(ids->size()));
  std::printf("encode      %.3f s  (%.2f MiB/s, one thread)\n", encodeS, mib / encodeS);
  std::printf("decode      %.3f s  (%.2f MiB/s)\n", decodeS, mib / decodeS);
  bool roundTrip = back.ok() && *back == text;
  std::printf("round trip  %s\n", roundTrip ? "exact" : "DIFFERS");
  return roundTrip ? 0 : 1;
}
