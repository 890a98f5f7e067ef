//===- Prompt.h - Text to the ids a model takes ---------------------------===//

#ifndef LLM_TOOLS_LLM_RUN_PROMPT_H
#define LLM_TOOLS_LLM_RUN_PROMPT_H

#include "llm/runtime/Tokenizer.h"

#include <string>
#include <vector>

namespace llm::run {

/// `text` encoded with special tokens written in it parsed (and, with
/// `addSpecial`, what the tokenizer puts before a sequence), checked against
/// the model's vocabulary: an id past it means the tokenizer does not belong
/// to the model, an error naming `what` ("the prompt"), the id and its piece.
runtime::Expected<std::vector<int32_t>> encodeForModel(const runtime::Tokenizer &tokenizer,
                                                       const std::string &text, bool addSpecial,
                                                       int64_t vocabSize, const char *what);

} // namespace llm::run

#endif // LLM_TOOLS_LLM_RUN_PROMPT_H
