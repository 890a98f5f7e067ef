//===- Prompt.cpp - Text to the ids a model takes -------------------------===//

#include "Prompt.h"

namespace llm::run {

runtime::Expected<std::vector<int32_t>> encodeForModel(const runtime::Tokenizer &tokenizer,
                                                       const std::string &text, bool addSpecial,
                                                       int64_t vocabSize, const char *what) {
  auto ids = tokenizer.encode(text, addSpecial, /*parseSpecial=*/true);
  if (!ids.ok())
    return ids;
  for (int32_t id : *ids)
    if (id >= vocabSize)
      return runtime::Error(std::string(what) + " has token " + std::to_string(id) + " ('" +
                            tokenizer.piece(id) + "' from '" + tokenizer.path() +
                            "'), outside the model's vocabulary of " + std::to_string(vocabSize) +
                            ": the tokenizer does not belong to this model");
  return ids;
}

} // namespace llm::run
