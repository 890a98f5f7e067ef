//===- SafeTensorsFuzzer.cpp - libFuzzer target: safetensors files --------===//
//
// Each input is a whole .safetensors file: SafeTensorsFile::open must accept
// it or refuse it with an error, never crash, and every tensor it accepts
// must lie inside the file (converting the float ones reads all of them).
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "llm/runtime/SafeTensors.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llm::fuzz::MemoryFile file(data, size);
  auto opened = llm::runtime::SafeTensorsFile::open(file.path());
  if (!opened.ok())
    return 0;
  for (const llm::runtime::TensorView &t : (*opened)->tensors()) {
    if (t.dtype != llm::runtime::DType::F32 &&
        t.dtype != llm::runtime::DType::F16 &&
        t.dtype != llm::runtime::DType::BF16)
      continue;
    if (t.numel() > (1 << 20))
      continue;
    std::vector<float> values(static_cast<size_t>(t.numel()));
    (void)llm::runtime::convertToF32(t, values.data());
  }
  return 0;
}
