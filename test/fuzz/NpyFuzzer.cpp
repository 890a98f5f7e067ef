//===- NpyFuzzer.cpp - libFuzzer target: the .npy writer ------------------===//
//
// The input is a shape (up to 8 dimensions of one byte each) and data: the
// header must be a valid .npy v1.0 header (magic, a 64-byte aligned length
// ending in a newline, the dict naming '<f4' and the shape), and the file
// written must be header plus exactly the data.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "llm/runtime/Npy.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t rank = data[0] % 9;
  if (size < 1 + rank)
    return 0;
  std::vector<int64_t> shape;
  size_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    shape.push_back(data[1 + i] % 17);
    count *= static_cast<size_t>(shape.back());
  }
  if (count > (size_t(1) << 16)) // the header is the subject, not the bulk
    return 0;
  std::string header = llm::runtime::npyHeaderF32(shape);
  if (header.size() < 10 || header.size() % 64 != 0 ||
      std::memcmp(header.data(), "\x93NUMPY\x01\x00", 8) != 0 ||
      header.back() != '\n' ||
      header.find("'descr': '<f4'") == std::string::npos)
    __builtin_trap();
  uint16_t length;
  std::memcpy(&length, header.data() + 8, 2);
  if (size_t(length) + 10 != header.size())
    __builtin_trap();
  std::vector<float> values(count);
  size_t available = (size - 1 - rank) / sizeof(float);
  if (size_t n = std::min(available, count))
    std::memcpy(values.data(), data + 1 + rank, n * sizeof(float));
  std::string path = llm::fuzz::scratchDirectory() + "/out.npy";
  if (!llm::runtime::writeNpyF32(path, values.data(), shape).ok())
    return 0;
  std::ifstream in(path, std::ios::binary);
  std::string written((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  if (written.size() != header.size() + count * sizeof(float) ||
      written.compare(0, header.size(), header) != 0)
    __builtin_trap();
  return 0;
}
