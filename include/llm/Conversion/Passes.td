//===- Passes.td - llm dialect conversion passes -----------*- tablegen -*-===//

#ifndef LLM_CONVERSION_PASSES_TD
#define LLM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLLMToLinalgPass : Pass<"convert-llm-to-linalg"> {
  let summary = "Lower llm graph ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every llm op except `llm.param` into linalg.generic ops over
    tensors (plus tensor reshapes and slices for the KV cache). Parameters
    stay named; `llm-bind-parameters` turns them into function arguments.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"
  ];
}

def LLMBindParametersPass : Pass<"llm-bind-parameters", "mlir::ModuleOp"> {
  let summary = "Turn named parameters into function arguments";
  let description = [{
    Gives every function that uses `llm.param` one trailing argument per
    parameter, in the order of the module-wide table it records as the
    `llm.parameters` attribute (an array of `{name, shape, dtype}`
    dictionaries). The runtime binds the checkpoint's tensors by name in that
    order; the arguments are marked read-only for bufferization.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

#endif // LLM_CONVERSION_PASSES_TD
