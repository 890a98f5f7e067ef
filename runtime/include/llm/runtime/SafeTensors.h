//===- SafeTensors.h - Memory-mapped safetensors checkpoints ---------------===//
//
// Read-only, zero-copy access to tensors stored in the safetensors format
// (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON describing every tensor, then the raw data. Files
// are mmapped; TensorView::data points into the mapping and stays valid for as
// long as the owning SafeTensorsFile / Checkpoint is alive.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_SAFETENSORS_H
#define LLM_RUNTIME_SAFETENSORS_H

#include "llm/runtime/Status.h"

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llm::runtime {

/// Element types of the safetensors format.
enum class DType {
  BOOL,
  U8,
  I8,
  U16,
  I16,
  F16,
  BF16,
  U32,
  I32,
  F32,
  U64,
  I64,
  F64,
  F8_E4M3,
  F8_E5M2,
};

/// Size in bytes of one element.
size_t dtypeSize(DType dtype);
/// The safetensors spelling ("F32", "BF16", ...).
const char *dtypeName(DType dtype);
/// Parses the safetensors spelling; nullopt for unknown names.
std::optional<DType> parseDType(std::string_view name);

/// A tensor inside a mapped file. `data` is not necessarily aligned to the
/// element size (safetensors only guarantees offsets relative to the data
/// section); use memcpy or convertToF32 rather than casting when unsure.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  size_t nbytes = 0;

  /// Product of the shape (1 for a scalar).
  int64_t numel() const;
  /// "F32[512, 64]" - for messages.
  std::string describe() const;
};

/// What identifies a file's contents without reading them, as fstat saw
/// the file when it was mapped: device, inode, size, and the times of the
/// last modification and status change (ns). Any write changes the times,
/// and the status-change time cannot be set back; but the kernel stamps
/// them from a clock of a few milliseconds' resolution, so a file changed
/// moments before it was opened may be changed again with the same times.
/// `settled`: its last change was at least two seconds before it was opened
/// (git's rule for racily clean files), so that the times do identify its
/// contents.
struct FileIdentity {
  uint64_t device = 0, inode = 0, size = 0, modifiedNs = 0, changedNs = 0;
  bool settled = false;
};

/// The identity of the file `st` describes, judged settled against the
/// clock now.
FileIdentity fileIdentityOf(const struct stat &st);

/// One mmapped .safetensors file. Not copyable or movable; held by pointer.
class SafeTensorsFile {
public:
  /// Maps and fully validates the file. Every structural problem (truncated
  /// file, bad header length, invalid JSON, unknown dtype, bad shape, offsets
  /// out of range or inconsistent with dtype*shape, overlapping tensors) is an
  /// error naming the file and, where relevant, the tensor.
  static Expected<std::unique_ptr<SafeTensorsFile>> open(const std::string &path);

  ~SafeTensorsFile();
  SafeTensorsFile(const SafeTensorsFile &) = delete;
  SafeTensorsFile &operator=(const SafeTensorsFile &) = delete;

  const std::string &path() const { return path_; }
  /// nullptr if there is no tensor with that name.
  const TensorView *find(std::string_view name) const;
  /// All tensors, in the order of their data offsets.
  const std::vector<TensorView> &tensors() const { return tensors_; }
  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  /// String entries of "__metadata__" (non-string values are skipped).
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  /// Size of the whole file in bytes.
  size_t fileSize() const { return size_; }
  /// The file's identity when it was mapped.
  const FileIdentity &identity() const { return identity_; }
  /// The whole file, mapped read-only.
  const uint8_t *mapping() const { return static_cast<const uint8_t *>(map_); }
  /// The file, open for reading as long as this object lives: bytes read
  /// from it (pread) need no page of the mapping.
  int fd() const { return fd_; }

private:
  SafeTensorsFile() = default;

  std::string path_;
  FileIdentity identity_;
  int fd_ = -1;
  void *map_ = nullptr;
  size_t size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

/// A read-only mapping of a whole file that checkpoint views may point
/// into; the file, kept open by the views' owner (-1: not known), and its
/// identity (not settled: not known).
struct MappedFileRegion {
  const uint8_t *begin = nullptr;
  size_t bytes = 0;
  int fd = -1;
  FileIdentity identity;
  /// Whether all of [data, data + nbytes) lies in the region.
  bool holds(const void *data, size_t nbytes) const {
    const auto *p = static_cast<const uint8_t *>(data);
    return begin && p >= begin && p + nbytes <= begin + bytes;
  }
  /// The byte offset in the file of `data`, which the region holds.
  uint64_t offsetOf(const void *data) const {
    return static_cast<uint64_t>(static_cast<const uint8_t *>(data) - begin);
  }
};

/// Where bytes of a mapped file lie in that file.
struct FileSpan {
  int fd = -1;
  uint64_t offset = 0;
};

/// A model checkpoint: one or more safetensors files seen as one namespace.
class Checkpoint {
public:
  /// `path` is either a directory or a single .safetensors file. For a
  /// directory, in order of preference:
  ///  1. model.safetensors.index.json: every shard named in its "weight_map"
  ///     is opened, and every mapped tensor must exist in its shard (missing
  ///     shard files are all listed in one error); only mapped tensors are
  ///     visible;
  ///  2. model.safetensors;
  ///  3. every *.safetensors file in the directory (tensor names must be
  ///     unique across files).
  static Expected<Checkpoint> open(const std::string &path);

  Checkpoint() = default;
  Checkpoint(Checkpoint &&) = default;
  Checkpoint &operator=(Checkpoint &&) = default;

  /// nullptr if the checkpoint has no tensor with that name.
  const TensorView *find(std::string_view name) const;
  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  size_t size() const { return byName_.size(); }
  /// Whether `tensor` is read in place from a mapped file (not held in
  /// memory of its own, such as a tensor converted at load): its pages can
  /// be handed back to the kernel, and read again from the file. Handing
  /// back the pages of memory of its own would zero them.
  bool isMapped(const TensorView &tensor) const { return regionOf(tensor); }
  /// Where a mapped `tensor`'s bytes lie in the file it maps, open for
  /// reading; nullopt for memory of its own (or a file not known).
  std::optional<FileSpan> fileSpanOf(const TensorView &tensor) const {
    if (const MappedFileRegion *region = regionOf(tensor); region && region->fd >= 0)
      return FileSpan{region->fd, region->offsetOf(tensor.data)};
    return std::nullopt;
  }
  /// The mapped file region that holds all of `tensor`'s data (each opened
  /// safetensors file is one; fromViews names the others), or nullptr.
  const MappedFileRegion *regionOf(const TensorView &tensor) const {
    for (const MappedFileRegion &region : mappedRegions_)
      if (region.holds(tensor.data, tensor.nbytes))
        return &region;
    return nullptr;
  }

  /// Tensors held elsewhere (read from another format, e.g. GGUF); `owner`
  /// keeps their storage alive as long as the checkpoint. Names must be
  /// unique. `mappedRegions` are the read-only file mappings that views may
  /// point into (isMapped); any other view is memory of its own.
  static Checkpoint fromViews(std::vector<TensorView> views,
                              std::shared_ptr<const void> owner,
                              std::vector<MappedFileRegion> mappedRegions = {});

private:
  /// Keeps `file` open and its mapping among the regions.
  void keepFile(std::unique_ptr<SafeTensorsFile> file);

  std::vector<std::unique_ptr<SafeTensorsFile>> files_;
  std::vector<TensorView> views_;
  std::shared_ptr<const void> owner_;
  std::vector<MappedFileRegion> mappedRegions_;
  std::map<std::string, const TensorView *, std::less<>> byName_;
};

/// IEEE binary16 -> binary32, exact for every input (subnormals, +-inf, NaN
/// with payload preserved).
inline float halfToFloat(uint16_t h) {
  // Branch-free so that conversion loops vectorize: compute the normal,
  // inf/NaN and subnormal encodings and select one.
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t magnitude = h & 0x7FFFu;
  // Normal: rebias the exponent from 15 to 127.
  const uint32_t normal = (magnitude << 13) + ((127u - 15u) << 23);
  // Inf / NaN: all-ones exponent, payload moved to the top mantissa bits.
  const uint32_t infNan = (magnitude << 13) | 0x7F800000u;
  // Zero / subnormal: the value is magnitude * 2^-24, exact in binary32.
  const float sub = static_cast<float>(static_cast<int32_t>(magnitude)) *
                    5.9604644775390625e-08f;
  uint32_t subBits;
  std::memcpy(&subBits, &sub, sizeof(subBits));
  uint32_t bits = magnitude >= 0x7C00u ? infNan : magnitude >= 0x0400u ? normal : subBits;
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

/// bfloat16 -> binary32: the bf16 bits are the high half of the f32.
inline float bfloat16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

/// Converts the F32, F16 or BF16 tensor `t` to numel() floats at `out`.
/// Other dtypes are an error naming the tensor and its dtype.
Status convertToF32(const TensorView &t, float *out);

} // namespace llm::runtime

#endif // LLM_RUNTIME_SAFETENSORS_H
