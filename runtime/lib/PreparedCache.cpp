//===- PreparedCache.cpp - cached outputs of @prepare ---------------------===//

#include "llm/runtime/PreparedCache.h"
#include "llm/runtime/Pages.h"
#include "ParallelFor.h"
#include "Xxh3.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace llm::runtime;
namespace fs = std::filesystem;

int64_t BufferType::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t BufferType::elementSize() const {
  if (elementType == "f32" || elementType == "i32")
    return 4;
  if (elementType == "f16" || elementType == "bf16")
    return 2;
  if (elementType == "i8")
    return 1;
  return 0;
}

std::string BufferType::describe() const {
  std::ostringstream os;
  os << elementType << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

std::string llm::runtime::cacheFilePath(const std::string &directory,
                                        const char *prefix, uint64_t key,
                                        const char *suffix) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(key));
  return directory + "/" + prefix + "-" + hex + suffix;
}

/// Adds `tensor`'s name, dtype and shape to `hash`: the start of both of
/// its hashes.
static void addDescription(Xxh3 &hash, const TensorView &tensor) {
  hash.add(tensor.name).add(dtypeName(tensor.dtype));
  for (int64_t d : tensor.shape)
    hash.add(static_cast<uint64_t>(d));
}

uint64_t llm::runtime::sourceHash(const TensorView &tensor,
                                  const MappedFileRegion *region, bool mapped) {
  if (!region || !region->identity.settled)
    return contentHash(tensor, mapped);
  Xxh3 hash;
  addDescription(hash, tensor);
  const FileIdentity &id = region->identity;
  hash.add(id.device).add(id.inode).add(id.size).add(id.modifiedNs)
      .add(id.changedNs);
  hash.add(region->offsetOf(tensor.data))
      .add(static_cast<uint64_t>(tensor.nbytes));
  return hash.digest();
}

uint64_t llm::runtime::contentHash(const TensorView &tensor, bool mapped) {
  Xxh3 hash;
  addDescription(hash, tensor);
  // Every byte, a chunk at a time, each chunk's pages handed back once read.
  const size_t chunk = size_t(64) << 20;
  const auto *data = static_cast<const uint8_t *>(tensor.data);
  for (size_t at = 0; at < tensor.nbytes; at += chunk) {
    size_t n = std::min(chunk, tensor.nbytes - at);
    if (mapped)
      populatePages(data + at, n);
    hash.add(data + at, n);
    if (mapped)
      releasePages(data + at, n);
  }
  return hash.digest();
}

namespace {
// Version 3: packs that version 2 computed from a GGUF's converted tensors
// (query/key rows put back, dequantized blocks) may have been computed from
// zeroed pages; they are prepared again.
constexpr char kMagic[8] = {'L', 'L', 'M', 'P', 'R', 'E', 'P', '\3'};
constexpr size_t kAlignment = 64;
/// The bytes after the header are checksummed in pieces of this size (the
/// last one shorter), each hashed on its own, so that a read verifies them
/// on every core.
constexpr uint64_t kChecksumPiece = uint64_t(16) << 20;

/// The file: this header, the buffers' descriptions, then the payload (each
/// buffer at a multiple of 64 bytes from the start of the file).
struct CacheHeader {
  char magic[8];
  uint64_t key;
  uint64_t count;
  /// XXH3 of the XXH3 digests of the kChecksumPiece-byte pieces of what
  /// follows the header (descriptions, padding, payload), checked on every
  /// read.
  uint64_t checksum;
};

/// One buffer's description: a hash of its type, its offset and size.
struct BufferRecord {
  uint64_t typeHash;
  uint64_t offset;
  uint64_t bytes;
};

uint64_t typeHash(const BufferType &type) {
  Xxh3 hash;
  hash.add(type.elementType);
  for (int64_t d : type.shape)
    hash.add(static_cast<uint64_t>(d));
  return hash.digest();
}

/// The records of `types`, laid out after the header.
std::vector<BufferRecord> layout(const std::vector<BufferType> &types,
                                 uint64_t &fileSize) {
  std::vector<BufferRecord> records;
  uint64_t at = sizeof(CacheHeader) + types.size() * sizeof(BufferRecord);
  for (const BufferType &type : types) {
    at = (at + kAlignment - 1) / kAlignment * kAlignment;
    uint64_t bytes = static_cast<uint64_t>(type.numel()) * type.elementSize();
    records.push_back({typeHash(type), at, bytes});
    at += bytes;
  }
  fileSize = at;
  return records;
}

/// The checksum of the concatenation of `segments` (a file after its
/// header: descriptions, padding, payload): XXH3 of the XXH3 digests of its
/// consecutive kChecksumPiece-byte pieces (the last one shorter), the
/// pieces hashed on every core.
uint64_t checksumOf(const std::vector<std::string_view> &segments) {
  uint64_t total = 0;
  for (std::string_view segment : segments)
    total += segment.size();
  std::vector<uint64_t> digests((total + kChecksumPiece - 1) / kChecksumPiece);
  parallelFor(digests.size(), [&](size_t i) {
    uint64_t from = i * kChecksumPiece;
    uint64_t to = std::min(total, from + kChecksumPiece);
    Xxh3 piece;
    uint64_t at = 0;
    for (std::string_view segment : segments) {
      uint64_t begin = at, end = at + segment.size();
      at = end;
      if (end <= from)
        continue;
      if (begin >= to)
        break;
      uint64_t low = std::max(from, begin), high = std::min(to, end);
      piece.add(segment.data() + (low - begin), high - low);
    }
    digests[i] = piece.digest();
  });
  Xxh3 hash;
  hash.add(digests.data(), digests.size() * sizeof(uint64_t));
  return hash.digest();
}

} // namespace

std::unique_ptr<PreparedCacheFile>
PreparedCacheFile::open(const std::string &path, uint64_t key,
                        const std::vector<BufferType> &types) {
  uint64_t expectedSize = 0, size = 0;
  std::vector<BufferRecord> records = layout(types, expectedSize);
  int fd = openTrustedCacheFile(path, size);
  if (fd < 0)
    return nullptr;
  if (size != expectedSize) {
    ::close(fd);
    return nullptr;
  }
  void *map = ::mmap(nullptr, expectedSize, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return nullptr;
  std::unique_ptr<PreparedCacheFile> file(new PreparedCacheFile());
  file->map_ = map;
  file->size_ = expectedSize;
  const auto *bytes = static_cast<const uint8_t *>(map);
  CacheHeader header;
  std::memcpy(&header, bytes, sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 ||
      header.key != key || header.count != types.size() ||
      std::memcmp(bytes + sizeof header, records.data(),
                  records.size() * sizeof(BufferRecord)) != 0)
    return nullptr;
  // Every byte after the header, padding included.
  if (checksumOf({{reinterpret_cast<const char *>(bytes) + sizeof header,
                   expectedSize - sizeof header}}) != header.checksum)
    return nullptr;
  for (const BufferRecord &record : records)
    file->data_.push_back(bytes + record.offset);
  return file;
}

PreparedCacheFile::~PreparedCacheFile() {
  if (map_)
    ::munmap(map_, size_);
}

Status llm::runtime::savePreparedCache(const std::string &path, uint64_t key,
                                       const std::vector<BufferType> &types,
                                       const std::vector<const void *> &buffers) {
  uint64_t size = 0;
  std::vector<BufferRecord> records = layout(types, size);
  CacheHeader header;
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.key = key;
  header.count = types.size();

  // Padding to each buffer's offset is zeros.
  static const char zeros[kAlignment] = {};
  std::vector<std::string_view> pieces = {
      {reinterpret_cast<const char *>(&header), sizeof header},
      {reinterpret_cast<const char *>(records.data()),
       records.size() * sizeof(BufferRecord)}};
  uint64_t at = sizeof header + records.size() * sizeof(BufferRecord);
  for (size_t i = 0; i < records.size(); ++i) {
    pieces.emplace_back(zeros, records[i].offset - at);
    pieces.emplace_back(static_cast<const char *>(buffers[i]), records[i].bytes);
    at = records[i].offset + records[i].bytes;
  }
  // Of every piece after the header.
  header.checksum = checksumOf({pieces.begin() + 1, pieces.end()});
  return writeCacheFile(path, pieces);
}

int llm::runtime::openTrustedCacheFile(const std::string &path,
                                       uint64_t &size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return -1;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid()) {
    ::close(fd);
    return -1;
  }
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

Status llm::runtime::writeCacheFile(const std::string &path,
                                    const std::vector<std::string_view> &pieces) {
  // A cache that cannot fit is not started: a write that fills the disk
  // (and is then removed) would cost every run the whole write again.
  uint64_t bytes = 0;
  for (std::string_view piece : pieces)
    bytes += piece.size();
  std::string dir = fs::path(path).parent_path().string();
  struct statvfs space;
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &space) == 0) {
    uint64_t available = static_cast<uint64_t>(space.f_bavail) * space.f_frsize;
    if (available < bytes)
      return Error("cannot write the cache file '" + path + "': it needs " +
                   std::to_string(bytes >> 20) + " MiB and its file system has " +
                   std::to_string(available >> 20) + " MiB free");
  }
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return Error("cannot write the cache file '" + temporary +
                 "': " + std::strerror(errno));
  bool ok = true;
  int error = 0;
  for (std::string_view piece : pieces)
    while (ok && !piece.empty()) {
      ssize_t n = ::write(fd, piece.data(),
                          std::min<size_t>(piece.size(), size_t(1) << 30));
      ok = n > 0;
      if (ok)
        piece.remove_prefix(static_cast<size_t>(n));
      else
        error = n < 0 ? errno : ENOSPC;
    }
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  std::error_code ec;
  if (ok)
    fs::rename(temporary, path, ec);
  if (!ok || ec) {
    std::string why = !ok ? std::strerror(error) : ec.message();
    fs::remove(temporary, ec);
    return Error("cannot write the cache file '" + path + "': " + why);
  }
  return Status::success();
}

Status llm::runtime::checkCacheDirectory(const std::string &dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0)
    return Error("cannot use the cache directory '" + dir + "': " +
                 std::strerror(errno));
  if (S_ISLNK(st.st_mode))
    return Error("the cache directory '" + dir +
                 "' is a symbolic link; it is not used");
  if (!S_ISDIR(st.st_mode))
    return Error("the cache '" + dir + "' is not a directory; it is not used");
  if (st.st_uid != ::geteuid())
    return Error("the cache directory '" + dir +
                 "' belongs to another user; it is not used");
  return Status::success();
}

Expected<std::string>
llm::runtime::preparedCacheDirectory(const std::string &modelDir) {
  std::error_code ec;
  fs::path inside = fs::path(modelDir) / ".llm-cache";
  // A cache shipped with the model (a symbolic link, or another user's) is
  // never trusted.
  if (fs::exists(fs::symlink_status(inside, ec)))
    if (Status s = checkCacheDirectory(inside.string()); !s.ok())
      return Error(s.message());
  // A model directory whose mode says read-only is left alone, even by a
  // user (root) whom the mode does not stop.
  struct stat model;
  bool writable = ::stat(modelDir.c_str(), &model) == 0 &&
                  (model.st_mode & S_IWUSR) &&
                  ::access(modelDir.c_str(), W_OK) == 0;
  if (writable || fs::exists(fs::symlink_status(inside, ec))) {
    if (writable)
      fs::create_directories(inside, ec);
    if (!ec && fs::is_directory(fs::symlink_status(inside, ec)) &&
        ::access(inside.c_str(), W_OK) == 0 &&
        checkCacheDirectory(inside.string()).ok())
      return inside.string();
  }

  fs::path base;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    base = fs::path(home) / ".cache";
  else
    return Error("cannot cache prepared weights: '" + modelDir +
                 "' is not writable and neither XDG_CACHE_HOME nor HOME is "
                 "set");
  fs::path absolute = fs::absolute(modelDir, ec);
  uint64_t h = 1469598103934665603ull;
  for (char c : absolute.string()) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  fs::path dir = base / "llm-compiler" / hex;
  fs::create_directories(dir, ec);
  if (ec)
    return Error("cannot create the cache directory '" + dir.string() +
                 "': " + ec.message());
  if (Status s = checkCacheDirectory(dir.string()); !s.ok())
    return Error(s.message());
  return dir.string();
}

