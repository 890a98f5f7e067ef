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

#endif // LLM_TRANSFORMS_PASSES_TD
