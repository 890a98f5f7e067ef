//===- Gguf.h - GGUF model files (llama.cpp's format) ---------------------===//
//
// A GGUF file holds a model's configuration and tokenizer as typed key/value
// metadata and its tensors in ggml's layouts. GgufFile maps and validates the
// file; ggufCheckpoint presents its tensors under Hugging Face names
// (token_embd.weight -> model.embed_tokens.weight, ...): F32, F16 and BF16
// tensors in place from the mapping; a Q4_0 linear weight as its raw blocks
// (`<layer>.q4_0`, i8 [out, in / 32 * 18], for llm.repack_q4_0 and the INT4
// kernels); Q8_0 tensors and a Q4_0 embedding table dequantized to F32; and
// the query/key rows that GGUF converters permute for ggml's rotary layout
// put back in Hugging Face's order.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_GGUF_H
#define LLM_RUNTIME_GGUF_H

#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace llm::runtime {

/// ggml tensor types this runtime reads.
enum class GgmlType : uint32_t { F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8, BF16 = 30 };

/// One metadata value: a scalar, a string, or an array of either.
struct GgufValue {
  using Array = std::vector<GgufValue>;
  std::variant<uint64_t, int64_t, double, bool, std::string, Array> value;

  bool isInteger() const {
    return std::holds_alternative<uint64_t>(value) || std::holds_alternative<int64_t>(value);
  }
  /// The integer value (signed or unsigned; unsigned values above INT64_MAX
  /// are not representable and read as -1).
  int64_t integer() const;
  /// A number of any kind as a double.
  double number() const;
  bool isNumber() const { return isInteger() || std::holds_alternative<double>(value); }
  const std::string *string() const { return std::get_if<std::string>(&value); }
  const Array *array() const { return std::get_if<Array>(&value); }
};

struct GgufTensorInfo {
  std::string name;
  /// Hugging Face order: outermost first (GGUF stores ne[0], the innermost,
  /// first).
  std::vector<int64_t> shape;
  uint32_t type = 0;
  /// Offset in the file and size in bytes.
  uint64_t offset = 0, nbytes = 0;
};

class GgufFile {
public:
  /// Maps and validates the file: magic, version 2 or 3, every key, value
  /// and tensor description, the alignment, and that every tensor's data lies
  /// inside the file. Errors name the file and what is wrong.
  static Expected<std::shared_ptr<GgufFile>> open(const std::string &path);
  ~GgufFile();
  GgufFile(const GgufFile &) = delete;
  GgufFile &operator=(const GgufFile &) = delete;

  const std::string &path() const { return path_; }
  uint32_t version() const { return version_; }
  const std::map<std::string, GgufValue> &metadata() const { return metadata_; }
  /// nullptr when absent.
  const GgufValue *find(const std::string &key) const;
  const std::vector<GgufTensorInfo> &tensors() const { return tensors_; }
  const uint8_t *data(const GgufTensorInfo &t) const {
    return static_cast<const uint8_t *>(map_) + t.offset;
  }
  /// The whole file, mapped read-only.
  const uint8_t *mapping() const { return static_cast<const uint8_t *>(map_); }
  size_t size() const { return size_; }
  /// The file, open for reading as long as this object lives.
  int fd() const { return fd_; }
  /// The file's identity when it was mapped (Checkpoint regions: tensors
  /// read in place are hashed for the prepared cache by it, not read).
  const FileIdentity &identity() const { return identity_; }

private:
  GgufFile() = default;
  std::string path_;
  int fd_ = -1;
  FileIdentity identity_;
  void *map_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

/// The tensors of a GGUF file of architecture "llama" or "qwen2" under
/// Hugging Face names. Errors name the tensor (an unsupported ggml type, a
/// shape the name does not allow).
Expected<Checkpoint> ggufCheckpoint(const std::shared_ptr<GgufFile> &file);

/// Hugging Face's name for a GGUF tensor name ("" when it has none).
std::string huggingFaceTensorName(const std::string &ggufName);

} // namespace llm::runtime

#endif // LLM_RUNTIME_GGUF_H
