//===- Xxh3.h - streaming XXH3 hashes (runtime-private) ---------*- C++ -*-===//
//
// The content hashes, cache keys and payload checksums of the runtime are
// all XXH3-64 over several pieces: one owner of the xxHash state.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_LIB_XXH3_H
#define LLM_RUNTIME_LIB_XXH3_H

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <xxhash.h>

namespace llm::runtime {

/// An XXH3-64 hash fed piece by piece.
class Xxh3 {
public:
  Xxh3() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~Xxh3() { XXH3_freeState(state_); }
  Xxh3(const Xxh3 &) = delete;
  Xxh3 &operator=(const Xxh3 &) = delete;

  Xxh3 &add(const void *data, size_t bytes) {
    XXH3_64bits_update(state_, data, bytes);
    return *this;
  }
  /// The text and its terminating NUL (so that "ab"+"c" != "a"+"bc").
  Xxh3 &add(std::string_view text) {
    return add(text.data(), text.size()).add("", 1);
  }
  Xxh3 &add(uint64_t value) { return add(&value, sizeof value); }
  uint64_t digest() const { return XXH3_64bits_digest(state_); }

private:
  XXH3_state_t *state_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_LIB_XXH3_H
