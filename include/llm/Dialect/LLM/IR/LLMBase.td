//===- LLMBase.td - llm dialect definition -----------------*- tablegen -*-===//
//
// The `llm` dialect models the dataflow graph of a LLaMA-family decoder at
// tensor level: ops carry the model's semantics (RMS norm, rotary embedding,
// grouped-query attention with a KV cache, ...) and verify their shapes.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_DIALECT_LLM_IR_LLMBASE_TD
#define LLM_DIALECT_LLM_IR_LLMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def LLM_Dialect : Dialect {
  let name = "llm";
  let cppNamespace = "::mlir::llm";
  let summary = "Dataflow graph of LLaMA-family language models";
  let description = [{
    Graph-level ops of a LLaMA decoder. Weights are named parameters
    (`llm.param`) bound by name at run time, never constants; the KV cache
    is an explicit tensor threaded through `llm.attention`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 0;
  // `llm.config` on a module: the model's configuration, checked against
  // the entry points' cache and logits types (the runtime sizes its buffers
  // from it).
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class LLM_Op<string mnemonic, list<Trait> traits = []>
    : Op<LLM_Dialect, mnemonic, traits>;

class LLM_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<LLM_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// Activations and parameters are ranked float tensors.
def LLM_FloatTensor : RankedTensorOf<[AnyFloat]>;
def LLM_Float1DTensor : 1DTensorOf<[AnyFloat]>;
def LLM_Float2DTensor : 2DTensorOf<[AnyFloat]>;
def LLM_Float3DTensor : 3DTensorOf<[AnyFloat]>;
def LLM_Float4DTensor : 4DTensorOf<[AnyFloat]>;
def LLM_Float5DTensor : TensorRankOf<[AnyFloat], [5]>;
def LLM_TokenIds : 1DTensorOf<[AnySignlessInteger]>;

#endif // LLM_DIALECT_LLM_IR_LLMBASE_TD
