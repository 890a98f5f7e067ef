//===- Int4Pack.h - group-wise INT4 packs of float weights ------*- C++ -*-===//
//
// Round-to-nearest group-wise INT4 quantization of a [out, in] weight matrix
// into the layout `llm.matmul_int4` reads (see `#llm.int4` in the llm
// dialect), and a cache of packs on disk so that the next load is instant.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_INT4PACK_H
#define LLM_RUNTIME_INT4PACK_H

#include "llm/runtime/SafeTensors.h"
#include "llm/runtime/Status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llm::runtime {

struct Int4Pack {
  int64_t out = 0, in = 0, groupSize = 0, groups = 0;
  /// Rows per tile of `qweight` (divides `out`).
  int64_t tile = 1;
  bool symmetric = false;
  /// Little-endian 32-bit words [out / tile, groups, groupSize / 8, tile]:
  /// word [nt, g, b, t] holds, in bits 4 s .. 4 s + 3, the nibble of input
  /// g * groupSize + s * (groupSize / 8) + b of row nt * tile + t (s = 0..7);
  /// nibbles past `in` hold the zero point. Each tile of rows is one
  /// contiguous stream, and a word's nibbles all belong to one row.
  std::vector<uint8_t> qweight;
  std::vector<float> scales; ///< [groups, out]
  std::vector<float> zeros;  ///< [groups, out], integers 0..15

  /// A pack of this layout with zeroed storage.
  static Int4Pack zeroed(int64_t out, int64_t in, int64_t groupSize,
                         int64_t tile, bool symmetric);

  /// The nibble of weight (n, k).
  uint8_t nibble(int64_t n, int64_t k) const;
  /// Sets the nibble of weight (n, k), which must still be zero.
  void setNibble(int64_t n, int64_t k, uint8_t value);
  /// The dequantized weight (n, k): (nibble - zero) * scale.
  float dequantize(int64_t n, int64_t k) const;
  /// The index of word b (of groupSize / 8) of group g of row n.
  int64_t wordIndex(int64_t n, int64_t g, int64_t b) const;

private:
  /// The word holding weight (n, k), and the nibble's shift in it.
  std::pair<int64_t, int> locate(int64_t n, int64_t k) const;
};

/// Whether `groupSize` and `tile` make a valid layout for `out` rows: a
/// group size that is a positive multiple of 8, a tile that divides `out`.
bool validInt4Layout(int64_t out, int64_t groupSize, int64_t tile);

/// Fills `rows` with rows [first, first + count) of a row-major [out, in]
/// float matrix (count * in floats): the weight being quantized, read from
/// its checkpoint tensors a block at a time.
using RowReader =
    std::function<Status(int64_t first, int64_t count, float *rows)>;

/// Quantizes the [out, in] matrix that `read` yields, exactly as
/// quantizeInt4 does, streaming blocks of rows on `threads` threads: the
/// extra memory is one block of float rows per thread, never a float copy
/// of the matrix. `progress(rowsDone)` is called now and then from the
/// calling thread. An error of `read` is returned.
Expected<Int4Pack> quantizeInt4Rows(const RowReader &read, int64_t out,
                                    int64_t in, int64_t groupSize,
                                    int64_t tile, bool symmetric, int threads,
                                    const std::function<void(int64_t)> &progress = {});

/// Quantizes the row-major [out, in] matrix `w`, group by group:
/// asymmetric: scale = max(max - min, 1e-5) / 15, zero = clamp(round(-min /
/// scale), 0, 15); symmetric: scale = max(max |w|, 1e-5) / 7, zero = 8; then
/// q = clamp(round(w / scale) + zero, 0, 15) (round half to even, float32
/// arithmetic). The last group of a row is shorter when `groupSize` does not
/// divide `in`. `progress(rowsDone)` is called now and then.
Int4Pack quantizeInt4(const float *w, int64_t out, int64_t in,
                      int64_t groupSize, int64_t tile, bool symmetric,
                      const std::function<void(int64_t)> &progress = {});

/// Repacks an AutoAWQ "GEMM" layer into our layout (tiles of `tile` rows),
/// exactly: `qweight` and
/// `qzeros` are I32 `[in, out / 8]` and `[groups, out / 8]` with eight
/// nibbles per word in AWQ's order (nibble i holds column 8c + [0, 2, 4, 6,
/// 1, 3, 5, 7][i]); `scales` is `[groups, out]` (F16, BF16 or F32). Errors
/// name the tensor whose shape or dtype is wrong.
Expected<Int4Pack> repackAwqGemm(const TensorView &qweight,
                                 const TensorView &qzeros,
                                 const TensorView &scales, int64_t groupSize,
                                 int64_t tile);

/// A hash (XXH3, 64 bits) of a tensor's name, dtype, shape and every byte
/// of its data, to tell whether a cached pack still belongs to it. With
/// `mapped` (the data lies in a read-only file mapping), the pages read are
/// handed back to the kernel as they are hashed (see releasePages), so that
/// hashing a large checkpoint does not make it resident.
uint64_t contentHash(const TensorView &tensor, bool mapped = false);

/// Gives the pages wholly inside [data, data + bytes) of a read-only file
/// mapping back to the kernel (they are read again from the file if used):
/// memory that a weight read once (hashed, quantized) no longer holds.
/// Only for file mappings: anonymous memory would read back as zeros.
void releasePages(const void *data, size_t bytes);

/// Reads the pack cached at `path` if it is a regular file of this user (not
/// a symbolic link), is complete, was made under `key` (a hash of the
/// derivation and of every source byte) with the same layout, and its
/// payload matches the checksum it carries; std::nullopt otherwise (the
/// caller quantizes again and rewrites it).
std::optional<Int4Pack> loadCachedPack(const std::string &path, uint64_t key,
                                       int64_t out, int64_t in,
                                       int64_t groupSize, int64_t tile,
                                       bool symmetric);

/// Writes `pack` under `key`, with a checksum of its payload, to `path`
/// (atomically: a temporary file then a rename).
Status saveCachedPack(const std::string &path, uint64_t key,
                      const Int4Pack &pack);

/// Whether `dir` may hold a cache: a directory (not a symbolic link) owned
/// by this user. The error says why not.
Status checkCacheDirectory(const std::string &dir);

/// Where packs of the checkpoint in `modelDir` are cached: `.llm-cache`
/// inside it when that directory is writable, else
/// `$XDG_CACHE_HOME/llm-compiler/<hash of the directory>` (or under
/// `~/.cache`). Created if needed. A `.llm-cache` that is a symbolic link or
/// belongs to another user is refused (an error: the caller runs
/// uncached), never used.
Expected<std::string> packCacheDirectory(const std::string &modelDir);

} // namespace llm::runtime

#endif // LLM_RUNTIME_INT4PACK_H
