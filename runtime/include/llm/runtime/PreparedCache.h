//===- PreparedCache.h - cached outputs of @prepare -------------*- C++ -*-===//
//
// What `@prepare` computes from a checkpoint (INT4 packs, stacked weights)
// is cached on disk, one file per module and checkpoint. The key is a hash
// of what `@prepare` computes and of what it reads: a tensor in a mapped
// safetensors file by that file's identity (device, inode, size, times) and
// the tensor's place in it, any other by every byte of its data. The file
// carries a checksum of its payload, verified on every read; a cache
// directory or file that is a symbolic link or another user's is never
// used.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_PREPAREDCACHE_H
#define LLM_RUNTIME_PREPAREDCACHE_H

#include "llm/runtime/ModuleABI.h"
#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llm::runtime {

/// A hash (XXH3, 64 bits) of a tensor's name, dtype, shape and every byte
/// of its data. With `mapped` (the data lies in a read-only file mapping),
/// the pages read are handed back to the kernel as they are hashed (see
/// releasePages), so that hashing a large checkpoint does not make it
/// resident.
uint64_t contentHash(const TensorView &tensor, bool mapped = false);

/// A hash of what `tensor` holds, for a cache key: with `region` (the
/// mapped file its data lies in, Checkpoint::regionOf, of a settled
/// identity: unchanged for two seconds before it was opened) the tensor's
/// name, dtype, shape and place in the file and the file's identity,
/// without reading the data (a 70B checkpoint is not read at every start to
/// find its cache); otherwise contentHash(tensor, mapped).
uint64_t sourceHash(const TensorView &tensor, const MappedFileRegion *region,
                    bool mapped = false);

/// `directory`/`prefix`-<16 hex digits of key>`suffix`: the name of a cache
/// entry (prepared weights, compiled code).
std::string cacheFilePath(const std::string &directory, const char *prefix,
                          uint64_t key, const char *suffix);

/// Opens a cache file for reading only if it is a regular file of this user
/// reached without a symbolic link (and without blocking on a FIFO planted
/// in its place); its descriptor and size, or -1.
int openTrustedCacheFile(const std::string &path, uint64_t &size);

/// Writes `pieces`, one after another, to the cache file `path`
/// atomically: a temporary file of this user (mode 0600, never through a
/// symbolic link), then a rename.
Status writeCacheFile(const std::string &path,
                      const std::vector<std::string_view> &pieces);

/// The prepared buffers of one cache file, mapped read-only.
class PreparedCacheFile {
public:
  /// Maps `path` if it is a regular file of this user (not a symbolic
  /// link), is complete, was written under `key` with buffers of exactly
  /// `types`, and its payload matches the checksum it carries; nullptr
  /// otherwise (the caller prepares again and rewrites it).
  static std::unique_ptr<PreparedCacheFile>
  open(const std::string &path, uint64_t key,
       const std::vector<BufferType> &types);
  ~PreparedCacheFile();
  PreparedCacheFile(const PreparedCacheFile &) = delete;
  PreparedCacheFile &operator=(const PreparedCacheFile &) = delete;

  /// The data of buffer `i` (64-byte aligned).
  const void *data(size_t i) const { return data_[i]; }

private:
  PreparedCacheFile() = default;
  void *map_ = nullptr;
  size_t size_ = 0;
  std::vector<const void *> data_;
};

/// Writes `buffers` (of `types`) under `key`, with a checksum of the
/// payload, to `path` (atomically: a temporary file of this user, then a
/// rename).
Status savePreparedCache(const std::string &path, uint64_t key,
                         const std::vector<BufferType> &types,
                         const std::vector<const void *> &buffers);

/// Whether `dir` may hold a cache: a directory (not a symbolic link) owned
/// by this user. The error says why not.
Status checkCacheDirectory(const std::string &dir);

/// Where prepared weights of the checkpoint in `modelDir` are cached:
/// `.llm-cache` inside it when that directory is writable, else
/// `$XDG_CACHE_HOME/llm-compiler/<hash of the directory>` (or under
/// `~/.cache`). Created if needed. A `.llm-cache` that is a symbolic link or
/// belongs to another user is refused (an error: the caller runs
/// uncached), never used.
Expected<std::string> preparedCacheDirectory(const std::string &modelDir);

} // namespace llm::runtime

#endif // LLM_RUNTIME_PREPAREDCACHE_H
