//===- FuzzUtil.h - helpers shared by the libFuzzer targets -----*- C++ -*-===//

#ifndef LLM_TEST_FUZZ_FUZZUTIL_H
#define LLM_TEST_FUZZ_FUZZUTIL_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace llm::fuzz {

/// An in-memory file (memfd) holding `size` bytes of `data`, reachable by
/// path (/proc/self/fd/N) for readers that open files by name.
class MemoryFile {
public:
  MemoryFile(const uint8_t *data, size_t size) {
    fd_ = ::memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd_ < 0)
      std::abort();
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0)
        std::abort();
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;
  const std::string &path() const { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

/// A directory of this process under $TMPDIR (or /tmp), made once.
inline const std::string &scratchDirectory() {
  static const std::string dir = [] {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/llm-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      std::abort();
    return pattern;
  }();
  return dir;
}

/// Writes `size` bytes of `data` to `path`, replacing it.
inline void writeFile(const std::string &path, const uint8_t *data,
                      size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  if (size)
    std::fwrite(data, 1, size, f);
  std::fclose(f);
}

} // namespace llm::fuzz

#endif // LLM_TEST_FUZZ_FUZZUTIL_H
