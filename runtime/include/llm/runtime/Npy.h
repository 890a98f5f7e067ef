//===- Npy.h - Writing NumPy .npy files -----------------------------------===//
//
// Writes arrays in the NumPy format version 1.0
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// magic "\x93NUMPY", version 1.0, a little-endian u16 header length, an ASCII
// dict header padded with spaces and a final '\n' so that the data starts at
// a multiple of 64 bytes, then the raw little-endian C-order data.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_NPY_H
#define LLM_RUNTIME_NPY_H

#include "llm/runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace llm::runtime {

/// The complete .npy header (magic through the trailing '\n') for a C-order
/// '<f4' array of `shape`. Its size is a multiple of 64.
std::string npyHeaderF32(const std::vector<int64_t> &shape);

/// Writes `data` (product(shape) floats, C order) as a '<f4' .npy file.
/// Errors name the path and the failing operation.
Status writeNpyF32(const std::string &path, const float *data,
                   const std::vector<int64_t> &shape);

/// Writes a rows x cols float32 matrix (shape (rows, cols)).
inline Status writeNpyF32(const std::string &path, const float *data, size_t rows,
                          size_t cols) {
  return writeNpyF32(path, data,
                     {static_cast<int64_t>(rows), static_cast<int64_t>(cols)});
}

} // namespace llm::runtime

#endif // LLM_RUNTIME_NPY_H
