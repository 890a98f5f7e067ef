//===- CheckpointIndexFuzzer.cpp - libFuzzer target: shard indexes --------===//
//
// Each input is a model.safetensors.index.json beside one valid shard:
// Checkpoint::open must accept or refuse it, never crash, and never open a
// file outside the checkpoint directory (a shard name with a '/' or "..").
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "llm/runtime/SafeTensors.h"

#include <cstring>
#include <sys/stat.h>
#include <string>

namespace {
/// A valid one-tensor shard: "w", F32 [2], values 1 and 2.
void writeShard(const std::string &path) {
  const char header[] =
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  std::string text(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  uint64_t length = text.size();
  std::memcpy(file.data(), &length, 8);
  file += text;
  float values[2] = {1.0f, 2.0f};
  file.append(reinterpret_cast<const char *>(values), sizeof values);
  llm::fuzz::writeFile(path, reinterpret_cast<const uint8_t *>(file.data()),
                       file.size());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string dir = [] {
    std::string d = llm::fuzz::scratchDirectory() + "/model";
    ::mkdir(d.c_str(), 0700);
    writeShard(d + "/model-00001-of-00001.safetensors");
    return d;
  }();
  llm::fuzz::writeFile(dir + "/model.safetensors.index.json", data, size);
  auto checkpoint = llm::runtime::Checkpoint::open(dir);
  if (checkpoint.ok())
    for (const std::string &name : checkpoint->names())
      if (!checkpoint->find(name))
        __builtin_trap(); // a listed tensor must be found
  return 0;
}
