//===- Passes.td - llm dialect transformation passes -------*- tablegen -*-===//

#ifndef LLM_TRANSFORMS_PASSES_TD
#define LLM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LLMGraphSummaryPass : Pass<"llm-graph-summary", "mlir::ModuleOp"> {
  let summary = "Print a summary of an llm model graph";
  let description = [{
    Prints, for every function of the module, the number of decoder layers,
    the count of each llm op, and the parameters it binds (count, elements and
    bytes). The IR is left unchanged.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the summary ('-' for stdout)">,
  ];
}

def LLMDropReturnedArgumentsPass
    : Pass<"llm-drop-returned-arguments", "mlir::ModuleOp"> {
  let summary = "Drop entry-point results that return an argument's buffer";
  let description = [{
    After bufferization, the updated KV caches of `@prefill`/`@decode` are the
    caller's own buffers, written in place and returned unchanged. This pass
    removes such memref results from public functions (the runtime, which
    owns the caches, is their only caller), so each entry point returns only
    its logits. A cache result that is not its argument (the cache was copied
    instead of updated in place) is an error.
  }];
}

#endif // LLM_TRANSFORMS_PASSES_TD
