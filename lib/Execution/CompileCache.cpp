//===- CompileCache.cpp - compiled code of modules, cached on disk --------===//

#include "llm/Execution/CompileCache.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir::llm;

namespace {
constexpr char kMagic[8] = {'L', 'L', 'M', 'J', 'I', 'T', '\1', '\0'};

struct Header {
  char magic[8];
  uint64_t key;
  uint64_t metadataBytes;
  uint64_t objectBytes;
  /// XXH3 of the metadata and the object.
  uint64_t checksum;
};

uint64_t checksumOf(llvm::StringRef metadata, llvm::StringRef object) {
  std::string both = (metadata + object).str();
  return llvm::xxh3_64bits(both);
}
} // namespace

uint64_t mlir::llm::compileCacheKey(llvm::StringRef moduleText,
                                    llvm::StringRef options) {
  std::string key = "llm-compiler compile cache 1/LLVM " LLVM_VERSION_STRING;
  key += "\n" + options.str();
  key += "\n" + llvm::sys::getHostCPUName().str();
  // Every feature, in a fixed order.
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> sorted;
  for (const auto &feature : features)
    sorted.push_back((feature.second ? "+" : "-") + feature.first().str());
  std::sort(sorted.begin(), sorted.end());
  for (const std::string &feature : sorted)
    key += "," + feature;
  key += "\n";
  uint64_t head = llvm::xxh3_64bits(key);
  return llvm::xxh3_64bits(moduleText) ^ (head * 0x9E3779B97F4A7C15ull);
}

std::string mlir::llm::compileCachePath(llvm::StringRef directory,
                                        uint64_t key) {
  char name[64];
  std::snprintf(name, sizeof name, "/compiled-%016llx.o",
                static_cast<unsigned long long>(key));
  return directory.str() + name;
}

std::optional<CachedCompilation>
mlir::llm::readCompileCache(llvm::StringRef directory, uint64_t key) {
  std::string path = compileCachePath(directory, key);
  // Only a regular file of this user, never through a symbolic link (and
  // never blocking on a FIFO planted in its place).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return std::nullopt;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid() ||
      static_cast<uint64_t>(st.st_size) < sizeof(Header)) {
    ::close(fd);
    return std::nullopt;
  }
  auto buffer = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(fd), path, st.st_size,
      /*RequiresNullTerminator=*/false);
  ::close(fd);
  if (!buffer)
    return std::nullopt;
  llvm::StringRef bytes = (*buffer)->getBuffer();
  Header header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 ||
      header.key != key ||
      header.metadataBytes > bytes.size() ||
      header.objectBytes > bytes.size() ||
      sizeof header + header.metadataBytes + header.objectBytes != bytes.size())
    return std::nullopt;
  llvm::StringRef metadata = bytes.substr(sizeof header, header.metadataBytes);
  llvm::StringRef object =
      bytes.substr(sizeof header + header.metadataBytes, header.objectBytes);
  if (checksumOf(metadata, object) != header.checksum)
    return std::nullopt;
  return CachedCompilation{metadata.str(),
                           llvm::MemoryBuffer::getMemBufferCopy(object, path)};
}

llvm::Error mlir::llm::writeCompileCache(llvm::StringRef directory,
                                         uint64_t key,
                                         llvm::StringRef metadata,
                                         llvm::StringRef object) {
  std::string path = compileCachePath(directory, key);
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const llvm::Twine &why) {
    ::unlink(temporary.c_str());
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot write the compile cache file '" +
                                       path + "': " + why);
  };
  int fd = ::open(temporary.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail(std::strerror(errno));
  Header header;
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.key = key;
  header.metadataBytes = metadata.size();
  header.objectBytes = object.size();
  header.checksum = checksumOf(metadata, object);
  bool ok = true;
  for (llvm::StringRef piece :
       {llvm::StringRef(reinterpret_cast<const char *>(&header), sizeof header),
        metadata, object}) {
    while (ok && !piece.empty()) {
      ssize_t n = ::write(fd, piece.data(), piece.size());
      ok = n > 0;
      if (ok)
        piece = piece.drop_front(static_cast<size_t>(n));
    }
  }
  ok = ::close(fd) == 0 && ok;
  if (!ok)
    return fail("write failed");
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    return fail(std::strerror(errno));
  return llvm::Error::success();
}
