//===- SafeTensors.cpp - Memory-mapped safetensors checkpoints ------------===//

#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/JsonText.h"
#include "TextFile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the runtime reads little-endian safetensors data in place; big-endian hosts are unsupported"
#endif

namespace llm::runtime {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// Largest header we accept. Real checkpoints have headers of a few MB at most
/// (the 70B LLaMA shards are < 100 KB each); anything bigger is corruption.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DTypeInfo {
  DType dtype;
  const char *name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::BOOL, "BOOL", 1},       {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},           {DType::U16, "U16", 2},
    {DType::I16, "I16", 2},         {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},       {DType::U32, "U32", 4},
    {DType::I32, "I32", 4},         {DType::F32, "F32", 4},
    {DType::U64, "U64", 8},         {DType::I64, "I64", 8},
    {DType::F64, "F64", 8},         {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
};

const DTypeInfo &info(DType dtype) {
  for (const DTypeInfo &i : kDTypes)
    if (i.dtype == dtype)
      return i;
  return kDTypes[0]; // unreachable for valid enum values
}

std::string errnoText(int err) { return std::string(std::strerror(err)); }

std::string shapeToString(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

} // namespace

Expected<std::string> detail::readTextFile(const std::string &path) {
  // Only regular files of sane size: a FIFO would block, /dev/zero never end.
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (!ec && !fs::is_regular_file(status))
    return Error(fmt::format("'{}' is not a regular file", path));
  constexpr uintmax_t kMaxTextBytes = uintmax_t(256) << 20;
  if (uintmax_t size = fs::file_size(path, ec); !ec && size > kMaxTextBytes)
    return Error(fmt::format("'{}' is {} bytes, more than the {} byte limit of "
                             "a JSON file",
                             path, size, kMaxTextBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(fmt::format("cannot open '{}': {}", path, errnoText(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return Error(fmt::format("error reading '{}'", path));
  return ss.str();
}


size_t dtypeSize(DType dtype) { return info(dtype).size; }
const char *dtypeName(DType dtype) { return info(dtype).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &i : kDTypes)
    if (name == i.name)
      return i.dtype;
  return std::nullopt;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string TensorView::describe() const {
  return fmt::format("{}{}", dtypeName(dtype), shapeToString(shape));
}

//===----------------------------------------------------------------------===//
// SafeTensorsFile
//===----------------------------------------------------------------------===//

SafeTensorsFile::~SafeTensorsFile() {
  if (map_)
    ::munmap(map_, size_);
  if (fd_ >= 0)
    ::close(fd_);
}

const TensorView *SafeTensorsFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<std::string> SafeTensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto &entry : index_)
    out.push_back(entry.first);
  return out;
}

namespace {
/// A shape for an error message, its first dimensions only when it has many.
std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size() && i < 8; ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() > 8)
    text += ", ... (" + std::to_string(shape.size()) + " dimensions)";
  return text + "]";
}

/// Parses one tensor entry of the header into `view` (all but `data`), and
/// its [begin, end) offsets relative to the data section.
Status parseEntry(const std::string &path, const std::string &name,
                  const json &entry, uint64_t dataSize, TensorView &view,
                  uint64_t &begin, uint64_t &end) {
  auto fail = [&](const std::string &what) {
    return Status(Error(
        fmt::format("safetensors file '{}': tensor '{}': {}", path,
                    boundedText(name), what)));
  };
  if (!entry.is_object())
    return fail(fmt::format("entry must be a JSON object, got {}", entry.type_name()));

  // dtype
  auto dt = entry.find("dtype");
  if (dt == entry.end())
    return fail("missing \"dtype\"");
  if (!dt->is_string())
    return fail(fmt::format("\"dtype\" must be a string, got {}", describeJson(*dt)));
  std::optional<DType> dtype = parseDType(dt->get_ref<const std::string &>());
  if (!dtype)
    return fail(fmt::format("unknown dtype \"{}\"", dt->get_ref<const std::string &>()));
  view.dtype = *dtype;

  // shape
  auto sh = entry.find("shape");
  if (sh == entry.end())
    return fail("missing \"shape\"");
  if (!sh->is_array())
    return fail(fmt::format("\"shape\" must be an array, got {}", describeJson(*sh)));
  uint64_t numel = 1;
  bool overflow = false;
  for (const json &d : *sh) {
    if (!d.is_number_unsigned()) // negative ints, floats, strings, ...
      return fail(fmt::format("\"shape\" must hold non-negative integers, got {}",
                              describeJson(d)));
    uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX))
      return fail(fmt::format("dimension {} is too large", v));
    view.shape.push_back(static_cast<int64_t>(v));
    overflow |= __builtin_mul_overflow(numel, v, &numel);
  }
  uint64_t expectedBytes = 0;
  overflow |= __builtin_mul_overflow(numel, dtypeSize(*dtype), &expectedBytes);
  if (overflow)
    return fail(fmt::format("shape {} is too large", shapeText(view.shape)));

  // data_offsets
  auto off = entry.find("data_offsets");
  if (off == entry.end())
    return fail("missing \"data_offsets\"");
  if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    return fail(fmt::format(
        "\"data_offsets\" must be [begin, end] with non-negative integers, got {}",
        describeJson(*off)));
  begin = (*off)[0].get<uint64_t>();
  end = (*off)[1].get<uint64_t>();
  if (begin > end)
    return fail(fmt::format("data_offsets [{}, {}]: begin is after end", begin, end));
  if (end > dataSize)
    return fail(fmt::format(
        "data_offsets [{}, {}] run past the end of the data section ({} bytes)",
        begin, end, dataSize));
  if (end - begin != expectedBytes)
    return fail(fmt::format(
        "data_offsets [{}, {}] span {} bytes but {}{} needs {} bytes", begin, end,
        end - begin, dtypeName(*dtype), shapeText(view.shape), expectedBytes));
  view.nbytes = static_cast<size_t>(expectedBytes);
  return Status();
}

} // namespace

Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(const std::string &path) {
  try {
    std::unique_ptr<SafeTensorsFile> file(new SafeTensorsFile());
    file->path_ = path;
    auto fail = [&](const std::string &what) {
      return Error(fmt::format("safetensors file '{}': {}", path, what));
    };

    // O_NONBLOCK: opening a FIFO must not block before it is refused below.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
      return fail(fmt::format("cannot open: {}", errnoText(errno)));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return fail(fmt::format("cannot stat: {}", errnoText(err)));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return fail("not a regular file");
    }
    const uint64_t fileSize = static_cast<uint64_t>(st.st_size);
    if (fileSize < 8) {
      ::close(fd);
      return fail(fmt::format(
          "file is {} bytes, too short for the 8-byte header length", fileSize));
    }
    // From here on the destructor closes and unmaps.
    file->fd_ = fd;
    void *map = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
      return fail(fmt::format("mmap failed: {}", errnoText(errno)));
    file->map_ = map;
    file->size_ = static_cast<size_t>(fileSize);
    file->identity_ = fileIdentityOf(st);
    const auto *bytes = static_cast<const unsigned char *>(map);

    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
      headerLen = (headerLen << 8) | bytes[i];
    if (headerLen > fileSize - 8)
      return fail(fmt::format(
          "header length {} runs past the end of the file ({} bytes after the "
          "8-byte length prefix)",
          headerLen, fileSize - 8));
    if (headerLen > kMaxHeaderBytes)
      return fail(fmt::format("header length {} exceeds the {} byte limit",
                              headerLen, kMaxHeaderBytes));
    const uint64_t dataStart = 8 + headerLen;
    const uint64_t dataSize = fileSize - dataStart;

    json header;
    try {
      header = json::parse(bytes + 8, bytes + dataStart);
    } catch (const json::exception &e) {
      return fail(fmt::format("header is not valid JSON: {}", e.what()));
    }
    if (!header.is_object())
      return fail(fmt::format("header must be a JSON object, got {}",
                              header.type_name()));

    struct Span {
      uint64_t begin, end;
      size_t index;
    };
    std::vector<Span> spans;
    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string &name = it.key();
      if (name == "__metadata__") {
        if (it->is_object())
          for (auto m = it->begin(); m != it->end(); ++m)
            if (m->is_string())
              file->metadata_[m.key()] = m->get<std::string>();
        continue;
      }
      TensorView view;
      view.name = name;
      uint64_t begin = 0, end = 0;
      Status s = parseEntry(path, name, *it, dataSize, view, begin, end);
      if (!s.ok())
        return Error(s.message());
      view.data = bytes + dataStart + begin;
      spans.push_back({begin, end, file->tensors_.size()});
      file->tensors_.push_back(std::move(view));
    }

    // Tensors must not overlap (the format forbids it; overlapping views would
    // alias each other's weights).
    std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const Span *prev = nullptr;
    for (const Span &s : spans) {
      if (s.begin == s.end)
        continue;
      if (prev && s.begin < prev->end)
        return fail(fmt::format(
            "tensors '{}' (bytes [{}, {})) and '{}' (bytes [{}, {})) overlap",
            file->tensors_[prev->index].name, prev->begin, prev->end,
            file->tensors_[s.index].name, s.begin, s.end));
      prev = &s;
    }

    // Store tensors in data order, which is also the natural read order.
    std::vector<TensorView> ordered;
    ordered.reserve(spans.size());
    for (const Span &s : spans)
      ordered.push_back(std::move(file->tensors_[s.index]));
    file->tensors_ = std::move(ordered);
    for (size_t i = 0; i < file->tensors_.size(); ++i)
      file->index_.emplace(file->tensors_[i].name, i);
    return file;
  } catch (const std::exception &e) {
    return Error(fmt::format("safetensors file '{}': {}", path, e.what()));
  }
}

//===----------------------------------------------------------------------===//
// Checkpoint
//===----------------------------------------------------------------------===//

const TensorView *Checkpoint::find(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(byName_.size());
  for (const auto &entry : byName_)
    out.push_back(entry.first);
  return out;
}

FileIdentity fileIdentityOf(const struct stat &st) {
  auto nanoseconds = [](const struct timespec &t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000000u +
           static_cast<uint64_t>(t.tv_nsec);
  };
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  uint64_t lastChange =
      std::max(nanoseconds(st.st_mtim), nanoseconds(st.st_ctim));
  return {static_cast<uint64_t>(st.st_dev),
          static_cast<uint64_t>(st.st_ino),
          static_cast<uint64_t>(st.st_size),
          nanoseconds(st.st_mtim),
          nanoseconds(st.st_ctim),
          nanoseconds(now) >= lastChange + 2000000000u};
}

void Checkpoint::keepFile(std::unique_ptr<SafeTensorsFile> file) {
  mappedRegions_.push_back(
      {file->mapping(), file->fileSize(), file->fd(), file->identity()});
  files_.push_back(std::move(file));
}

Checkpoint Checkpoint::fromViews(
    std::vector<TensorView> views, std::shared_ptr<const void> owner,
    std::vector<MappedFileRegion> mappedRegions) {
  Checkpoint ckpt;
  ckpt.views_ = std::move(views);
  ckpt.owner_ = std::move(owner);
  ckpt.mappedRegions_ = std::move(mappedRegions);
  for (const TensorView &t : ckpt.views_)
    ckpt.byName_.emplace(t.name, &t);
  return ckpt;
}

Expected<Checkpoint> Checkpoint::open(const std::string &pathStr) {
  try {
    Checkpoint ckpt;
    std::error_code ec;
    const fs::path path(pathStr);
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st))
      return Error(fmt::format("checkpoint '{}' does not exist", pathStr));

    auto addFile = [&](const fs::path &p) -> Status {
      auto file = SafeTensorsFile::open(p.string());
      if (!file)
        return Status(file.error());
      for (const TensorView &t : (*file)->tensors()) {
        auto [it, inserted] = ckpt.byName_.emplace(t.name, &t);
        if (!inserted) {
          std::string other;
          for (const auto &f : ckpt.files_)
            if (f->find(t.name) == it->second)
              other = f->path();
          return Error(fmt::format(
              "checkpoint '{}': tensor '{}' appears in both '{}' and '{}'",
              pathStr, t.name, other, p.string()));
        }
      }
      ckpt.keepFile(std::move(*file));
      return Status();
    };

    if (fs::is_regular_file(st)) {
      if (Status s = addFile(path); !s)
        return s;
      return ckpt;
    }
    if (!fs::is_directory(st))
      return Error(fmt::format(
          "checkpoint '{}' is neither a directory nor a .safetensors file", pathStr));

    // 1. Sharded checkpoint with an index.
    const fs::path indexPath = path / "model.safetensors.index.json";
    if (fs::exists(indexPath, ec)) {
      const std::string idx = indexPath.string();
      auto text = detail::readTextFile(idx);
      if (!text)
        return Error(fmt::format("checkpoint index: {}", text.message()));
      json index;
      try {
        index = json::parse(*text);
      } catch (const json::exception &e) {
        return Error(fmt::format("checkpoint index '{}' is not valid JSON: {}", idx,
                                 e.what()));
      }
      if (!index.is_object() || !index.contains("weight_map") ||
          !index["weight_map"].is_object())
        return Error(fmt::format(
            "checkpoint index '{}' has no \"weight_map\" object", idx));
      const json &weightMap = index["weight_map"];
      // shard file -> tensor names mapped to it (in index order)
      std::map<std::string, std::vector<std::string>> shards;
      for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
        if (!it->is_string())
          return Error(fmt::format(
              "checkpoint index '{}': weight_map entry for tensor '{}' must be a "
              "file name string, got {}",
              idx, boundedText(it.key()), describeJson(*it)));
        // A shard is a plain file name inside the checkpoint directory:
        // never an absolute path, a path through other directories or "..".
        const std::string &shard = it->get_ref<const std::string &>();
        if (shard.empty() || shard.find('/') != std::string::npos ||
            shard.find('\\') != std::string::npos || shard == "." ||
            shard == ".." || shard.find('\0') != std::string::npos)
          return Error(fmt::format(
              "checkpoint index '{}': weight_map entry for tensor '{}' names "
              "'{}', which is not a file name inside the checkpoint directory",
              idx, boundedText(it.key()), boundedText(shard)));
        shards[shard].push_back(it.key());
      }
      // A shard that is a symbolic link must stay inside the directory too.
      const fs::path root = fs::weakly_canonical(path, ec);
      for (const auto &[shard, tensors] : shards) {
        std::error_code linkEc;
        if (!fs::is_symlink(path / shard, linkEc))
          continue;
        fs::path target = fs::weakly_canonical(path / shard, linkEc);
        if (linkEc || target.parent_path() != root)
          return Error(fmt::format(
              "checkpoint index '{}': shard '{}' is a symbolic link that leads "
              "outside the checkpoint directory",
              idx, boundedText(shard)));
      }
      if (shards.empty())
        return Error(fmt::format("checkpoint index '{}': weight_map is empty", idx));
      // Report every missing shard at once.
      std::vector<std::string> missing;
      for (const auto &[shard, tensors] : shards)
        if (!fs::is_regular_file(path / shard, ec))
          missing.push_back(fmt::format("'{}' (holds {} tensors, e.g. '{}')", shard,
                                        tensors.size(), tensors.front()));
      if (!missing.empty())
        return Error(fmt::format(
            "checkpoint index '{}': missing shard file{} in '{}': {}", idx,
            missing.size() == 1 ? "" : "s", pathStr, fmt::join(missing, ", ")));
      for (const auto &[shard, tensors] : shards) {
        auto file = SafeTensorsFile::open((path / shard).string());
        if (!file)
          return file.error();
        for (const std::string &name : tensors) {
          const TensorView *t = (*file)->find(name);
          if (!t)
            return Error(fmt::format(
                "checkpoint index '{}' maps tensor '{}' to shard '{}', but that "
                "shard has no such tensor",
                idx, name, shard));
          ckpt.byName_.emplace(name, t);
        }
        ckpt.keepFile(std::move(*file));
      }
      return ckpt;
    }

    // 2. Single-file checkpoint.
    const fs::path single = path / "model.safetensors";
    if (fs::exists(single, ec)) {
      if (Status s = addFile(single); !s)
        return s;
      return ckpt;
    }

    // 3. Any *.safetensors files.
    std::vector<fs::path> found;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".safetensors" && it->is_regular_file(ec))
        found.push_back(it->path());
    if (ec)
      return Error(fmt::format("checkpoint '{}': cannot list directory: {}", pathStr,
                               ec.message()));
    if (found.empty())
      return Error(fmt::format(
          "checkpoint '{}' has no model.safetensors.index.json, no "
          "model.safetensors and no other *.safetensors file",
          pathStr));
    std::sort(found.begin(), found.end());
    for (const fs::path &p : found)
      if (Status s = addFile(p); !s)
        return s;
    return ckpt;
  } catch (const std::exception &e) {
    return Error(fmt::format("checkpoint '{}': {}", pathStr, e.what()));
  }
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

Status convertToF32(const TensorView &t, float *out) {
  const size_t n = static_cast<size_t>(t.numel());
  if (n * dtypeSize(t.dtype) != t.nbytes)
    return Error(fmt::format("convertToF32: tensor '{}' ({}) has {} bytes, expected {}",
                             t.name, t.describe(), t.nbytes, n * dtypeSize(t.dtype)));
  if (n == 0)
    return Status();
  const auto *src = static_cast<const unsigned char *>(t.data);
  switch (t.dtype) {
  case DType::F32:
    std::memcpy(out, src, n * sizeof(float));
    return Status();
  case DType::F16:
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      out[i] = halfToFloat(h);
    }
    return Status();
  case DType::BF16:
    for (size_t i = 0; i < n; ++i) {
      uint16_t b;
      std::memcpy(&b, src + 2 * i, 2);
      out[i] = bfloat16ToFloat(b);
    }
    return Status();
  default:
    return Error(fmt::format(
        "convertToF32: tensor '{}' has dtype {}; only F32, F16 and BF16 convert to F32",
        t.name, dtypeName(t.dtype)));
  }
}

} // namespace llm::runtime
