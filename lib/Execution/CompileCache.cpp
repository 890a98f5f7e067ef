//===- CompileCache.cpp - compiled code of modules, cached on disk --------===//

#include "llm/Execution/CompileCache.h"
#include "llm/runtime/PreparedCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstring>
#include <dlfcn.h>
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
  // Each part hashed in place (the object may be tens of MB), then both.
  uint64_t parts[2] = {llvm::xxh3_64bits(metadata), llvm::xxh3_64bits(object)};
  return llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(parts), sizeof parts));
}
} // namespace

uint64_t mlir::llm::compilerBuildHash() {
  static const uint64_t hash = [] {
    // The file this function's code was loaded from.
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&compilerBuildHash), &info) == 0 ||
        !info.dli_fname)
      return uint64_t(0);
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> binary =
        llvm::MemoryBuffer::getFile(info.dli_fname, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!binary)
      return uint64_t(0);
    return llvm::xxh3_64bits((*binary)->getBuffer());
  }();
  return hash;
}

std::string mlir::llm::hostCPUFeatureString() {
  std::vector<std::string> sorted;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    sorted.push_back((feature.second ? "+" : "-") + feature.first().str());
  std::sort(sorted.begin(), sorted.end());
  return llvm::join(sorted, ",");
}

uint64_t mlir::llm::compileCacheKey(llvm::StringRef moduleText,
                                    llvm::StringRef options) {
  std::string key = "llm-compiler compile cache 1/LLVM " LLVM_VERSION_STRING;
  key += "/build " + std::to_string(compilerBuildHash());
  key += "\n" + options.str();
  key += "\n" + llvm::sys::getHostCPUName().str();
  // Every feature, in a fixed order.
  if (std::string features = hostCPUFeatureString(); !features.empty())
    key += "," + features;
  key += "\n";
  uint64_t head = llvm::xxh3_64bits(key);
  return llvm::xxh3_64bits(moduleText) ^ (head * 0x9E3779B97F4A7C15ull);
}

std::string mlir::llm::compileCachePath(llvm::StringRef directory,
                                        uint64_t key) {
  return ::llm::runtime::cacheFilePath(directory.str(), "compiled", key, ".o");
}

std::optional<CachedCompilation>
mlir::llm::readCompileCache(llvm::StringRef directory, uint64_t key) {
  std::string path = compileCachePath(directory, key);
  uint64_t size = 0;
  int fd = ::llm::runtime::openTrustedCacheFile(path, size);
  if (fd < 0)
    return std::nullopt;
  if (size < sizeof(Header)) {
    ::close(fd);
    return std::nullopt;
  }
  auto buffer = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(fd), path, size,
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
  Header header;
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.key = key;
  header.metadataBytes = metadata.size();
  header.objectBytes = object.size();
  header.checksum = checksumOf(metadata, object);
  ::llm::runtime::Status written = ::llm::runtime::writeCacheFile(
      compileCachePath(directory, key),
      {{reinterpret_cast<const char *>(&header), sizeof header},
       {metadata.data(), metadata.size()},
       {object.data(), object.size()}});
  if (!written.ok())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   written.message());
  return llvm::Error::success();
}
