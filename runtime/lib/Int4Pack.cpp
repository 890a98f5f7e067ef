//===- Int4Pack.cpp - group-wise INT4 packs of float weights --------------===//

#include "llm/runtime/Int4Pack.h"
#include "Xxh3.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llm::runtime;
namespace fs = std::filesystem;

bool llm::runtime::validInt4Layout(int64_t out, int64_t groupSize,
                                   int64_t tile) {
  return groupSize >= 8 && groupSize % 8 == 0 && tile >= 1 && out % tile == 0;
}

Int4Pack Int4Pack::zeroed(int64_t out, int64_t in, int64_t groupSize,
                          int64_t tile, bool symmetric) {
  Int4Pack p;
  p.out = out;
  p.in = in;
  p.groupSize = groupSize;
  p.groups = (in + groupSize - 1) / groupSize;
  p.tile = tile;
  p.symmetric = symmetric;
  p.qweight.assign(p.groups * (groupSize / 2) * out, 0);
  p.scales.assign(p.groups * out, 0.0f);
  p.zeros.assign(p.groups * out, 0.0f);
  return p;
}

int64_t Int4Pack::wordIndex(int64_t n, int64_t g, int64_t b) const {
  int64_t words = groupSize / 8; // words per row and group
  return ((n / tile * groups + g) * words + b) * tile + n % tile;
}

std::pair<int64_t, int> Int4Pack::locate(int64_t n, int64_t k) const {
  int64_t words = groupSize / 8;
  int64_t offset = k % groupSize;
  return {wordIndex(n, k / groupSize, offset % words),
          static_cast<int>(4 * (offset / words))};
}

uint8_t Int4Pack::nibble(int64_t n, int64_t k) const {
  auto [word, shift] = locate(n, k);
  // Little-endian words: nibble s lives in byte s / 2 of the word.
  uint8_t byte = qweight[word * 4 + shift / 8];
  return (byte >> (shift % 8)) & 15;
}

void Int4Pack::setNibble(int64_t n, int64_t k, uint8_t value) {
  auto [word, shift] = locate(n, k);
  qweight[word * 4 + shift / 8] |= static_cast<uint8_t>((value & 15)
                                                        << (shift % 8));
}

float Int4Pack::dequantize(int64_t n, int64_t k) const {
  int64_t g = k / groupSize;
  return (static_cast<float>(nibble(n, k)) - zeros[g * out + n]) *
         scales[g * out + n];
}

namespace {
/// Quantizes row `n` (`row`: its `in` floats) into `p`. Rows write disjoint
/// words, scales and zero points, so rows may be quantized in parallel.
void quantizeRow(Int4Pack &p, int64_t n, const float *row) {
  const int64_t in = p.in, out = p.out, groupSize = p.groupSize;
  for (int64_t g = 0; g < p.groups; ++g) {
    int64_t begin = g * groupSize, end = std::min(in, begin + groupSize);
    float scale, zero;
    if (p.symmetric) {
      float maxAbs = 0.0f;
      for (int64_t k = begin; k < end; ++k)
        maxAbs = std::max(maxAbs, std::fabs(row[k]));
      scale = std::max(maxAbs, 1e-5f) / 7.0f;
      zero = 8.0f;
    } else {
      float lo = row[begin], hi = row[begin];
      for (int64_t k = begin; k < end; ++k) {
        lo = std::min(lo, row[k]);
        hi = std::max(hi, row[k]);
      }
      scale = std::max(hi - lo, 1e-5f) / 15.0f;
      zero = std::clamp(std::nearbyint(-lo / scale), 0.0f, 15.0f);
    }
    p.scales[g * out + n] = scale;
    p.zeros[g * out + n] = zero;
    // The group's words for this row, walked in layout order (no
    // per-nibble index arithmetic: this loop runs once per weight).
    uint8_t *words = p.qweight.data() + 4 * p.wordIndex(n, g, 0);
    int64_t perGroup = groupSize / 8;
    for (int64_t s = 0; s < 8; ++s)
      for (int64_t b = 0; b < perGroup; ++b) {
        int64_t k = begin + s * perGroup + b;
        float q = k < end ? std::clamp(std::nearbyint(row[k] / scale) + zero,
                                       0.0f, 15.0f)
                          : zero; // padding past the row: weight 0
        words[4 * b * p.tile + s / 2] |=
            static_cast<uint8_t>(static_cast<uint8_t>(q) << (4 * (s % 2)));
      }
  }
}
} // namespace

Int4Pack llm::runtime::quantizeInt4(const float *w, int64_t out, int64_t in,
                                    int64_t groupSize, int64_t tile,
                                    bool symmetric,
                                    const std::function<void(int64_t)> &progress) {
  Int4Pack p = Int4Pack::zeroed(out, in, groupSize, tile, symmetric);
  for (int64_t n = 0; n < out; ++n) {
    quantizeRow(p, n, w + n * in);
    if (progress && ((n + 1) % 256 == 0 || n + 1 == out))
      progress(n + 1);
  }
  return p;
}

Expected<Int4Pack> llm::runtime::quantizeInt4Rows(
    const RowReader &read, int64_t out, int64_t in, int64_t groupSize,
    int64_t tile, bool symmetric, int threads,
    const std::function<void(int64_t)> &progress) {
  Int4Pack p = Int4Pack::zeroed(out, in, groupSize, tile, symmetric);
  // Blocks of rows small enough to stay in cache, claimed in turn.
  const int64_t block =
      std::max<int64_t>(1, std::min<int64_t>(64, (int64_t(1) << 18) / std::max<int64_t>(in, 1)));
  const int64_t blocks = (out + block - 1) / block;
  std::atomic<int64_t> next{0}, rowsDone{0};
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  std::string error;
  auto work = [&](bool reports) {
    std::vector<float> rows(static_cast<size_t>(block * in));
    for (int64_t b; !failed && (b = next++) < blocks;) {
      int64_t first = b * block, count = std::min(block, out - first);
      if (Status s = read(first, count, rows.data()); !s.ok()) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (!failed.exchange(true))
          error = s.message();
        return;
      }
      for (int64_t r = 0; r < count; ++r)
        quantizeRow(p, first + r, rows.data() + r * in);
      int64_t done = rowsDone += count;
      if (reports && progress)
        progress(done);
    }
  };
  std::vector<std::thread> helpers;
  int64_t extra = std::min<int64_t>(std::max(threads, 1), blocks) - 1;
  for (int64_t t = 0; t < extra; ++t)
    helpers.emplace_back(work, false);
  work(true);
  for (std::thread &helper : helpers)
    helper.join();
  if (failed)
    return Error(error);
  if (progress)
    progress(out);
  return p;
}

void llm::runtime::releasePages(const void *data, size_t bytes) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) / page * page;
  if (end > begin)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

uint64_t llm::runtime::contentHash(const TensorView &tensor, bool mapped) {
  Xxh3 hash;
  hash.add(tensor.name).add(dtypeName(tensor.dtype));
  for (int64_t d : tensor.shape)
    hash.add(static_cast<uint64_t>(d));
  // Every byte, a chunk at a time, each chunk's pages handed back once read.
  const size_t chunk = size_t(64) << 20;
  const auto *data = static_cast<const uint8_t *>(tensor.data);
  for (size_t at = 0; at < tensor.nbytes; at += chunk) {
    size_t n = std::min(chunk, tensor.nbytes - at);
    hash.add(data + at, n);
    if (mapped)
      releasePages(data + at, n);
  }
  return hash.digest();
}

namespace {
constexpr char kMagic[8] = {'L', 'L', 'M', 'I', 'N', 'T', '4', '\3'};

struct CacheHeader {
  char magic[8];
  uint64_t key;
  int64_t out, in, groupSize, tile;
  int64_t symmetric;
  /// XXH3 of the payload (qweight, scales, zeros), checked on every read.
  uint64_t checksum;
};

uint64_t payloadChecksum(const Int4Pack &p) {
  return Xxh3()
      .add(p.qweight.data(), p.qweight.size())
      .add(p.scales.data(), p.scales.size() * sizeof(float))
      .add(p.zeros.data(), p.zeros.size() * sizeof(float))
      .digest();
}
} // namespace

std::optional<Int4Pack>
llm::runtime::loadCachedPack(const std::string &path, uint64_t key,
                             int64_t out, int64_t in, int64_t groupSize,
                             int64_t tile, bool symmetric) {
  // Only a regular file of this user, never through a symbolic link (and
  // never blocking on a FIFO planted in its place).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return std::nullopt;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    ::close(fd);
    return std::nullopt;
  }
  auto readAll = [&](void *to, size_t bytes) {
    auto *at = static_cast<char *>(to);
    while (bytes) {
      ssize_t n = ::read(fd, at, bytes);
      if (n <= 0)
        return false;
      at += n;
      bytes -= static_cast<size_t>(n);
    }
    return true;
  };
  CacheHeader header;
  std::optional<Int4Pack> result;
  if (readAll(&header, sizeof header) &&
      std::memcmp(header.magic, kMagic, sizeof kMagic) == 0 &&
      header.key == key && header.out == out && header.in == in &&
      header.groupSize == groupSize && header.tile == tile &&
      header.symmetric == symmetric) {
    Int4Pack p = Int4Pack::zeroed(out, in, groupSize, tile, symmetric);
    size_t payload = p.qweight.size() + (p.scales.size() + p.zeros.size()) *
                                            sizeof(float);
    if (static_cast<uint64_t>(st.st_size) == sizeof header + payload &&
        readAll(p.qweight.data(), p.qweight.size()) &&
        readAll(p.scales.data(), p.scales.size() * sizeof(float)) &&
        readAll(p.zeros.data(), p.zeros.size() * sizeof(float)) &&
        payloadChecksum(p) == header.checksum)
      result = std::move(p);
  }
  ::close(fd);
  return result;
}

Status llm::runtime::saveCachedPack(const std::string &path, uint64_t key,
                                    const Int4Pack &pack) {
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    CacheHeader header;
    std::memcpy(header.magic, kMagic, sizeof kMagic);
    header.key = key;
    header.checksum = payloadChecksum(pack);
    header.out = pack.out;
    header.in = pack.in;
    header.groupSize = pack.groupSize;
    header.tile = pack.tile;
    header.symmetric = pack.symmetric;
    file.write(reinterpret_cast<const char *>(&header), sizeof header);
    file.write(reinterpret_cast<const char *>(pack.qweight.data()),
               pack.qweight.size());
    file.write(reinterpret_cast<const char *>(pack.scales.data()),
               pack.scales.size() * sizeof(float));
    file.write(reinterpret_cast<const char *>(pack.zeros.data()),
               pack.zeros.size() * sizeof(float));
    if (!file.flush())
      return Error("cannot write the INT4 cache file '" + temporary + "'");
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return Error("cannot write the INT4 cache file '" + path + "'");
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
llm::runtime::packCacheDirectory(const std::string &modelDir) {
  std::error_code ec;
  fs::path inside = fs::path(modelDir) / ".llm-cache";
  // A cache shipped with the model (a symbolic link, or another user's) is
  // never trusted.
  if (fs::exists(fs::symlink_status(inside, ec)))
    if (Status s = checkCacheDirectory(inside.string()); !s.ok())
      return Error(s.message());
  fs::create_directories(inside, ec);
  if (!ec && ::access(inside.c_str(), W_OK) == 0 &&
      checkCacheDirectory(inside.string()).ok())
    return inside.string();

  fs::path base;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    base = fs::path(home) / ".cache";
  else
    return Error("cannot cache INT4 packs: '" + modelDir +
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
    return Error("cannot create the INT4 cache directory '" + dir.string() +
                 "': " + ec.message());
  if (Status s = checkCacheDirectory(dir.string()); !s.ok())
    return Error(s.message());
  return dir.string();
}

Expected<Int4Pack> llm::runtime::repackAwqGemm(const TensorView &qweight,
                                               const TensorView &qzeros,
                                               const TensorView &scales,
                                               int64_t groupSize,
                                               int64_t tile) {
  auto shapeError = [](const TensorView &t, const std::string &expected) {
    return Error("AWQ tensor " + t.name + " is " + t.describe() +
                 ", expected " + expected);
  };
  if (qweight.dtype != DType::I32 || qweight.shape.size() != 2)
    return shapeError(qweight, "I32[in, out / 8]");
  int64_t in = qweight.shape[0], out = qweight.shape[1] * 8;
  if (groupSize < 8 || groupSize % 8 || in % groupSize)
    return Error("AWQ layer " + qweight.name + ": group size " +
                 std::to_string(groupSize) +
                 " is not a multiple of 8 that divides its " +
                 std::to_string(in) + " inputs");
  if (tile < 1 || out % tile)
    return Error("AWQ layer " + qweight.name + ": a tile of " +
                 std::to_string(tile) + " rows does not divide its " +
                 std::to_string(out) + " outputs");
  int64_t groups = in / groupSize;
  if (qzeros.dtype != DType::I32 ||
      qzeros.shape != std::vector<int64_t>{groups, out / 8})
    return shapeError(qzeros, "I32[" + std::to_string(groups) + ", " +
                                  std::to_string(out / 8) + "]");
  if ((scales.dtype != DType::F16 && scales.dtype != DType::BF16 &&
       scales.dtype != DType::F32) ||
      scales.shape != std::vector<int64_t>{groups, out})
    return shapeError(scales, "F16[" + std::to_string(groups) + ", " +
                                  std::to_string(out) + "]");
  std::vector<float> scaleValues(groups * out);
  if (Status s = convertToF32(scales, scaleValues.data()); !s.ok())
    return Error(scales.name + ": " + s.message());

  // Which nibble of a word holds column 8c + j.
  static constexpr int kNibbleOfColumn[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  auto nibbleAt = [](const int32_t *words, int64_t row, int64_t wordsPerRow,
                     int64_t column) {
    uint32_t word = static_cast<uint32_t>(words[row * wordsPerRow + column / 8]);
    return static_cast<uint8_t>((word >> (4 * kNibbleOfColumn[column % 8])) & 15);
  };
  const auto *qw = static_cast<const int32_t *>(qweight.data);
  const auto *qz = static_cast<const int32_t *>(qzeros.data);

  Int4Pack p = Int4Pack::zeroed(out, in, groupSize, tile, /*symmetric=*/false);
  p.scales = std::move(scaleValues);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t n = 0; n < out; ++n)
      p.zeros[g * out + n] = nibbleAt(qz, g, out / 8, n);
  for (int64_t k = 0; k < in; ++k)
    for (int64_t n = 0; n < out; ++n)
      p.setNibble(n, k, nibbleAt(qw, k, out / 8, n));
  return p;
}
