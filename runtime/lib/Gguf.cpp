//===- Gguf.cpp - GGUF model files (llama.cpp's format) -------------------===//

#include "llm/runtime/Gguf.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llm::runtime {

int64_t GgufValue::integer() const {
  if (auto *u = std::get_if<uint64_t>(&value))
    return *u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? -1
               : static_cast<int64_t>(*u);
  if (auto *i = std::get_if<int64_t>(&value))
    return *i;
  return -1;
}

double GgufValue::number() const {
  if (auto *u = std::get_if<uint64_t>(&value))
    return static_cast<double>(*u);
  if (auto *i = std::get_if<int64_t>(&value))
    return static_cast<double>(*i);
  if (auto *d = std::get_if<double>(&value))
    return *d;
  return 0.0;
}

namespace {

/// Bounds-checked little-endian reading of the header.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : data_(data), size_(size) {}

  size_t offset() const { return pos_; }
  template <class T> T scalar(const char *what) {
    if (size_ - pos_ < sizeof(T))
      throw std::runtime_error(fmt::format("truncated while reading {} at byte {}", what, pos_));
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string string(const char *what) {
    uint64_t n = scalar<uint64_t>(what);
    if (n > size_ - pos_)
      throw std::runtime_error(
          fmt::format("{} at byte {} claims {} bytes, past the end of the file", what, pos_, n));
    std::string s(reinterpret_cast<const char *>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  GgufValue value(uint32_t type, const std::string &key, int depth = 0) {
    GgufValue v;
    switch (type) {
    case 0: v.value = uint64_t(scalar<uint8_t>(key.c_str())); break;
    case 1: v.value = int64_t(scalar<int8_t>(key.c_str())); break;
    case 2: v.value = uint64_t(scalar<uint16_t>(key.c_str())); break;
    case 3: v.value = int64_t(scalar<int16_t>(key.c_str())); break;
    case 4: v.value = uint64_t(scalar<uint32_t>(key.c_str())); break;
    case 5: v.value = int64_t(scalar<int32_t>(key.c_str())); break;
    case 6: v.value = double(scalar<float>(key.c_str())); break;
    case 7: v.value = scalar<uint8_t>(key.c_str()) != 0; break;
    case 8: v.value = string(key.c_str()); break;
    case 9: {
      if (depth > 0)
        throw std::runtime_error(fmt::format("'{}': nested arrays are not supported", key));
      uint32_t elementType = scalar<uint32_t>(key.c_str());
      uint64_t n = scalar<uint64_t>(key.c_str());
      // The smallest encoding of one element: a count beyond the file is bad.
      static constexpr uint8_t kMinBytes[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};
      uint64_t minBytes = elementType < sizeof(kMinBytes) ? kMinBytes[elementType] : 1;
      if (n > (size_ - pos_) / minBytes)
        throw std::runtime_error(fmt::format("'{}': an array of {} elements cannot fit", key, n));
      elements_ += n;
      if (elements_ > kMaxMetadataElements)
        throw std::runtime_error(fmt::format(
            "the metadata holds more than {} array elements", kMaxMetadataElements));
      GgufValue::Array items;
      items.reserve(n);
      for (uint64_t i = 0; i < n; ++i)
        items.push_back(value(elementType, key, depth + 1));
      v.value = std::move(items);
      break;
    }
    case 10: v.value = scalar<uint64_t>(key.c_str()); break;
    case 11: v.value = scalar<int64_t>(key.c_str()); break;
    case 12: v.value = scalar<double>(key.c_str()); break;
    default:
      throw std::runtime_error(fmt::format("'{}' has unknown value type {}", key, type));
    }
    return v;
  }

private:
  /// Metadata array elements in all (a 128k vocabulary with scores and
  /// types and 280k merges is under 1M).
  static constexpr uint64_t kMaxMetadataElements = uint64_t(16) << 20;
  const uint8_t *data_;
  size_t size_;
  size_t pos_ = 0;
  uint64_t elements_ = 0;
};

/// Bytes of `elements` values of ggml type `type` (0 for types this runtime
/// does not read).
uint64_t typeBytes(uint32_t type, uint64_t elements) {
  switch (static_cast<GgmlType>(type)) {
  case GgmlType::F32:
    return elements * 4;
  case GgmlType::F16:
  case GgmlType::BF16:
    return elements * 2;
  case GgmlType::Q8_0:
    return elements / 32 * 34;
  case GgmlType::Q4_0:
    return elements / 32 * 18;
  }
  return 0;
}

const char *typeName(uint32_t type) {
  switch (type) {
  case 0: return "F32";
  case 1: return "F16";
  case 2: return "Q4_0";
  case 3: return "Q4_1";
  case 6: return "Q5_0";
  case 7: return "Q5_1";
  case 8: return "Q8_0";
  case 10: return "Q2_K";
  case 11: return "Q3_K";
  case 12: return "Q4_K";
  case 13: return "Q5_K";
  case 14: return "Q6_K";
  case 15: return "Q8_K";
  case 30: return "BF16";
  default: return "an unknown type";
  }
}

} // namespace

GgufFile::~GgufFile() {
  if (map_)
    ::munmap(map_, size_);
  if (fd_ >= 0)
    ::close(fd_);
}

const GgufValue *GgufFile::find(const std::string &key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

Expected<std::shared_ptr<GgufFile>> GgufFile::open(const std::string &path) {
  auto fail = [&](const std::string &what) {
    return Error(fmt::format("GGUF file '{}': {}", path, what));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  std::shared_ptr<GgufFile> file(new GgufFile());
  // From here on the destructor closes (and unmaps).
  file->fd_ = fd;
  file->path_ = path;
  file->size_ = static_cast<size_t>(st.st_size);
  file->identity_ = fileIdentityOf(st);
  if (file->size_ < 24)
    return fail(fmt::format("{} bytes is too short for a GGUF header", file->size_));
  void *map = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED)
    return fail(fmt::format("mmap failed: {}", std::strerror(errno)));
  file->map_ = map;
  const auto *bytes = static_cast<const uint8_t *>(map);
  if (std::memcmp(bytes, "GGUF", 4) != 0)
    return fail("not a GGUF file (the first bytes are not 'GGUF')");
  try {
    Reader r(bytes, file->size_);
    r.scalar<uint32_t>("magic");
    file->version_ = r.scalar<uint32_t>("the version");
    if (file->version_ == 0x02000000u || file->version_ == 0x03000000u)
      return fail("the file is big-endian; only little-endian GGUF files are supported");
    if (file->version_ != 2 && file->version_ != 3)
      return fail(fmt::format("GGUF version {} is not supported (2 and 3 are)", file->version_));
    uint64_t tensorCount = r.scalar<uint64_t>("the tensor count");
    uint64_t kvCount = r.scalar<uint64_t>("the metadata count");
    if (tensorCount > file->size_ / 24 || kvCount > file->size_ / 12)
      return fail(fmt::format("{} tensors and {} metadata entries cannot fit in {} bytes",
                              tensorCount, kvCount, file->size_));
    for (uint64_t i = 0; i < kvCount; ++i) {
      std::string key = r.string("a metadata key");
      uint32_t type = r.scalar<uint32_t>(key.c_str());
      if (file->metadata_.count(key))
        return fail(fmt::format("metadata key '{}' appears twice", key));
      file->metadata_[key] = r.value(type, key);
    }
    uint64_t alignment = 32;
    if (const GgufValue *a = file->find("general.alignment")) {
      if (!a->isInteger() || a->integer() <= 0 || (a->integer() & (a->integer() - 1)))
        return fail("general.alignment must be a positive power of two");
      alignment = static_cast<uint64_t>(a->integer());
    }
    for (uint64_t i = 0; i < tensorCount; ++i) {
      GgufTensorInfo t;
      t.name = r.string("a tensor name");
      uint32_t dims = r.scalar<uint32_t>(t.name.c_str());
      if (dims == 0 || dims > 4)
        return fail(fmt::format("tensor '{}' has {} dimensions (1 to 4 are allowed)", t.name, dims));
      uint64_t elements = 1;
      std::vector<int64_t> ne(dims);
      for (uint32_t d = 0; d < dims; ++d) {
        uint64_t n = r.scalar<uint64_t>(t.name.c_str());
        if (n == 0 || n > (uint64_t(1) << 40) || elements > (uint64_t(1) << 40) / n)
          return fail(fmt::format("tensor '{}' has an impossible size", t.name));
        ne[d] = static_cast<int64_t>(n);
        elements *= n;
      }
      t.shape.assign(ne.rbegin(), ne.rend());
      t.type = r.scalar<uint32_t>(t.name.c_str());
      t.offset = r.scalar<uint64_t>(t.name.c_str());
      t.nbytes = typeBytes(t.type, elements);
      if ((t.type == uint32_t(GgmlType::Q8_0) || t.type == uint32_t(GgmlType::Q4_0)) &&
          ne[0] % 32 != 0)
        return fail(fmt::format("tensor '{}' of type {} has rows of {} values, not a multiple "
                                "of its 32-value blocks",
                                t.name, typeName(t.type), ne[0]));
      file->tensors_.push_back(std::move(t));
    }
    uint64_t dataStart = (r.offset() + alignment - 1) / alignment * alignment;
    for (GgufTensorInfo &t : file->tensors_) {
      if (t.offset % alignment)
        return fail(fmt::format("tensor '{}' is not aligned to {} bytes", t.name, alignment));
      if (dataStart > file->size_ || t.offset > file->size_ - dataStart)
        return fail(fmt::format("tensor '{}' starts past the end of the file ({} bytes): the "
                                "file is truncated",
                                t.name, file->size_));
      t.offset += dataStart;
      if (t.nbytes && (t.offset > file->size_ || t.nbytes > file->size_ - t.offset))
        return fail(fmt::format("tensor '{}' ({} bytes at {}) runs past the end of the file "
                                "({} bytes): the file is truncated",
                                t.name, t.nbytes, t.offset, file->size_));
    }
  } catch (const std::exception &e) {
    return fail(e.what());
  }
  return file;
}

std::string huggingFaceTensorName(const std::string &name) {
  static const std::pair<const char *, const char *> global[] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"}};
  for (auto [gguf, hf] : global)
    if (name == gguf)
      return hf;
  static const std::pair<const char *, const char *> layer[] = {
      {"attn_norm.weight", "input_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_output.weight", "self_attn.o_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},
      {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"},
      {"attn_output.bias", "self_attn.o_proj.bias"},
      {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"}};
  if (name.rfind("blk.", 0) != 0)
    return "";
  size_t dot = name.find('.', 4);
  if (dot == std::string::npos || dot == 4)
    return "";
  std::string index = name.substr(4, dot - 4);
  if (index.find_first_not_of("0123456789") != std::string::npos)
    return "";
  std::string rest = name.substr(dot + 1);
  for (auto [gguf, hf] : layer)
    if (rest == gguf)
      return "model.layers." + index + "." + hf;
  return "";
}

namespace {

/// Storage of the converted tensors, kept alive by the checkpoint.
struct GgufStorage {
  std::shared_ptr<GgufFile> file;
  std::vector<std::vector<float>> buffers;
};

/// GGUF converters reorder each head's query/key rows from (half, pair) to
/// (pair, half) for ggml's rotary layout; copies `view` with them put back.
Status unpermuteRows(TensorView &view, int64_t heads, GgufStorage &storage,
                     const std::string &path, const std::string &tensor) {
  if (view.shape.empty() || heads <= 0 || heads > view.shape[0] ||
      view.shape[0] % (2 * heads) != 0)
    return Error(fmt::format("GGUF file '{}': tensor '{}' of shape [{}] does not split into "
                             "{} heads of even size",
                             path, tensor, fmt::join(view.shape, ", "), heads));
  const int64_t rows = view.shape[0];
  const int64_t half = rows / heads / 2;
  const size_t rowBytes = view.nbytes / static_cast<size_t>(rows);
  auto &buffer = storage.buffers.emplace_back((view.nbytes + 3) / 4);
  auto *out = reinterpret_cast<uint8_t *>(buffer.data());
  const auto *in = static_cast<const uint8_t *>(view.data);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        // Stored row (h, i, j) holds Hugging Face's row (h, j, i).
        int64_t stored = (h * half + i) * 2 + j;
        int64_t original = (h * 2 + j) * half + i;
        std::memcpy(out + original * rowBytes, in + stored * rowBytes, rowBytes);
      }
  view.data = out;
  return Status::success();
}

void dequantize(const GgufTensorInfo &t, const uint8_t *data, float *out) {
  const uint64_t blocks = static_cast<uint64_t>(t.nbytes) / (t.type == uint32_t(GgmlType::Q8_0) ? 34 : 18);
  for (uint64_t b = 0; b < blocks; ++b) {
    uint16_t half;
    if (t.type == uint32_t(GgmlType::Q8_0)) {
      const uint8_t *block = data + b * 34;
      std::memcpy(&half, block, 2);
      float d = halfToFloat(half);
      for (int j = 0; j < 32; ++j)
        out[b * 32 + j] = d * static_cast<float>(static_cast<int8_t>(block[2 + j]));
    } else {
      const uint8_t *block = data + b * 18;
      std::memcpy(&half, block, 2);
      float d = halfToFloat(half);
      for (int j = 0; j < 16; ++j) {
        out[b * 32 + j] = d * static_cast<float>((block[2 + j] & 0x0F) - 8);
        out[b * 32 + j + 16] = d * static_cast<float>((block[2 + j] >> 4) - 8);
      }
    }
  }
}

} // namespace

Expected<Checkpoint> ggufCheckpoint(const std::shared_ptr<GgufFile> &file) {
  auto storage = std::make_shared<GgufStorage>();
  storage->file = file;
  auto headCount = [&](const char *suffix) -> int64_t {
    const GgufValue *arch = file->find("general.architecture");
    std::string prefix = arch && arch->string() ? *arch->string() : "llama";
    const GgufValue *v = file->find(prefix + suffix);
    return v && v->isInteger() ? v->integer() : 0;
  };
  const int64_t heads = headCount(".attention.head_count");
  int64_t kvHeads = headCount(".attention.head_count_kv");
  if (kvHeads <= 0)
    kvHeads = heads;
  // Only llama-architecture files carry permuted query/key rows.
  const GgufValue *arch = file->find("general.architecture");
  const bool permuted = !arch || !arch->string() || *arch->string() == "llama";

  std::vector<TensorView> views;
  for (const GgufTensorInfo &t : file->tensors()) {
    std::string name = huggingFaceTensorName(t.name);
    if (name.empty())
      continue; // rope_freqs and the like: recomputed from the config
    TensorView view;
    view.name = name;
    view.shape = t.shape;
    const uint8_t *data = file->data(t);
    // Weights and biases alike (llama.cpp's converter permutes both).
    bool isQuery = name.find("self_attn.q_proj.") != std::string::npos;
    bool isKey = name.find("self_attn.k_proj.") != std::string::npos;
    int64_t permuteHeads = permuted && isQuery ? heads : permuted && isKey ? kvHeads : 0;
    switch (static_cast<GgmlType>(t.type)) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
      view.dtype = t.type == 0 ? DType::F32 : t.type == 1 ? DType::F16 : DType::BF16;
      view.data = data;
      view.nbytes = t.nbytes;
      break;
    case GgmlType::Q4_0:
      if (view.shape.size() == 2 && name.size() > 7 &&
          name.compare(name.size() - 7, 7, ".weight") == 0) {
        // The raw blocks, for llm.repack_q4_0 and the INT4 kernels.
        TensorView raw;
        raw.name = name.substr(0, name.size() - 7) + ".q4_0";
        raw.dtype = DType::I8;
        raw.shape = {view.shape[0], view.shape[1] / 32 * 18};
        raw.data = data;
        raw.nbytes = t.nbytes;
        if (permuteHeads > 0) {
          if (Status st = unpermuteRows(raw, permuteHeads, *storage, file->path(), t.name);
              !st.ok())
            return st;
        }
        views.push_back(std::move(raw));
        // Only a table that is also looked up (the embeddings) is needed
        // in float as well.
        if (name != "model.embed_tokens.weight")
          continue;
      }
      [[fallthrough]];
    case GgmlType::Q8_0: {
      // Dequantized once to F32 (the module computes with F32 weights).
      auto &buffer = storage->buffers.emplace_back(static_cast<size_t>(t.nbytes /
                                                                       (t.type == 8 ? 34 : 18) * 32));
      dequantize(t, data, buffer.data());
      view.dtype = DType::F32;
      view.data = buffer.data();
      view.nbytes = buffer.size() * sizeof(float);
      break;
    }
    default:
      return Error(fmt::format("GGUF file '{}': tensor '{}' has ggml type {} ({}); supported "
                               "are F32, F16, BF16, Q8_0 and Q4_0",
                               file->path(), t.name, t.type, typeName(t.type)));
    }
    if (permuteHeads > 0)
      if (Status st = unpermuteRows(view, permuteHeads, *storage, file->path(), t.name); !st.ok())
        return st;
    views.push_back(std::move(view));
  }
  // The tensors stored as they are read in place from the mapping; the
  // converted ones (dequantized, query/key rows put back) are memory of
  // their own.
  return Checkpoint::fromViews(std::move(views), storage,
                               {{file->mapping(), file->size(), file->fd(),
                                 file->identity()}});
}

} // namespace llm::runtime
