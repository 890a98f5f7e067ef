//===- TestUtil.h - Helpers shared by the runtime unit tests --------------===//

#ifndef LLM_RUNTIME_UNITTESTS_TESTUTIL_H
#define LLM_RUNTIME_UNITTESTS_TESTUTIL_H

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace llm::runtime::testing {

/// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "llm-runtime-test-XXXXXX").string();
    if (char *p = ::mkdtemp(tmpl.data()))
      path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::filesystem::path &path() const { return path_; }
  std::string file(const std::string &name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

inline void writeFile(const std::string &path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Strict UTF-8 validation (Unicode Table 3-7: no overlongs, no surrogates,
/// nothing above U+10FFFF, no truncated sequences).
inline bool isValidUtf8(std::string_view s) {
  size_t i = 0;
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    if (i + k >= s.size())
      return false;
    auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      i += 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      if (!in(1, 0x80, 0xBF))
        return false;
      i += 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
      if (!in(1, lo, hi) || !in(2, 0x80, 0xBF))
        return false;
      i += 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
      if (!in(1, lo, hi) || !in(2, 0x80, 0xBF) || !in(3, 0x80, 0xBF))
        return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

/// The Llama-3.1 tokenizer directory of ../shared (tokenizer.json,
/// tokenizer_config.json, expected.json): $LLM_TEST_LLAMA3_TOKENIZER, else
/// the shared models directory; "" when absent.
inline std::string llama3TokenizerDirectory() {
  if (const char *env = std::getenv("LLM_TEST_LLAMA3_TOKENIZER"); env && *env)
    return env;
  for (const char *candidate : {LLM_TEST_LLAMA3_DIR_DEFAULT, LLM_TEST_LLAMA3_DIR_FALLBACK})
    if (std::filesystem::exists(std::string(candidate) + "/tokenizer.json"))
      return candidate;
  return "";
}

} // namespace llm::runtime::testing

#endif // LLM_RUNTIME_UNITTESTS_TESTUTIL_H
