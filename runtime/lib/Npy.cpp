//===- Npy.cpp - Writing NumPy .npy files ---------------------------------===//

#include "llm/runtime/Npy.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "writeNpyF32 writes host floats as '<f4'; big-endian hosts are unsupported"
#endif

namespace llm::runtime {

std::string npyHeaderF32(const std::vector<int64_t> &shape) {
  // Python tuple syntax: "()" for scalars, "(n,)" for 1-D, "(n, m)" otherwise.
  std::string tuple = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      tuple += ", ";
    tuple += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    tuple += ",";
  tuple += ")";

  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple + ", }";
  constexpr size_t kPrefix = 10; // magic(6) + version(2) + header length(2)
  // Pad with spaces; the header ends with '\n' and the total is 64-aligned.
  size_t total = kPrefix + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict.push_back('\n');

  const size_t headerLen = dict.size(); // < 65536 for any realistic rank
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(headerLen & 0xFF));
  out.push_back(static_cast<char>((headerLen >> 8) & 0xFF));
  out += dict;
  return out;
}

Status writeNpyF32(const std::string &path, const float *data,
                   const std::vector<int64_t> &shape) {
  if (shape.size() > 1000)
    return Error(fmt::format("writeNpyF32 '{}': rank {} is too large", path,
                             shape.size()));
  uint64_t numel = 1;
  bool overflow = false;
  for (int64_t d : shape) {
    if (d < 0)
      return Error(fmt::format("writeNpyF32 '{}': negative dimension in shape [{}]",
                               path, fmt::join(shape, ", ")));
    overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel);
  }
  if (overflow || numel > SIZE_MAX / sizeof(float))
    return Error(fmt::format("writeNpyF32 '{}': shape [{}] is too large", path,
                             fmt::join(shape, ", ")));
  if (numel > 0 && !data)
    return Error(fmt::format("writeNpyF32 '{}': null data for {} elements", path, numel));

  std::string header;
  try {
    header = npyHeaderF32(shape);
  } catch (const std::exception &e) {
    return Error(fmt::format("writeNpyF32 '{}': {}", path, e.what()));
  }

  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return Error(fmt::format("writeNpyF32: cannot create '{}': {}", path,
                             std::strerror(errno)));
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  if (ok && numel > 0)
    ok = std::fwrite(data, sizeof(float), numel, f) == numel;
  int writeErr = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    writeErr = errno;
  }
  if (!ok)
    return Error(fmt::format("writeNpyF32: error writing '{}': {}", path,
                             std::strerror(writeErr)));
  return Status();
}

} // namespace llm::runtime
