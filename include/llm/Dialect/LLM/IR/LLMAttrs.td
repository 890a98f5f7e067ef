//===- LLMAttrs.td - llm dialect attributes ----------------*- tablegen -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMATTRS_TD
#define LLM_DIALECT_LLM_IR_LLMATTRS_TD

include "llm/Dialect/LLM/IR/LLMBase.td"

// A double-precision float parameter written as a plain number.
class LLM_F64Parameter<string desc> : APFloatParameter<desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value;
    if ($_parser.parseFloat(value))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ $_printer.printFloat($_self) }];
}

def LLM_Llama3RopeScalingAttr : LLM_Attr<"Llama3RopeScaling", "rope_llama3"> {
  let summary = "Llama-3.1 frequency-dependent rotary embedding scaling";
  let description = [{
    The `llama3` rope_scaling of Hugging Face configs: wavelengths longer than
    `original_max_position / low_freq_factor` are divided by `factor`, those
    shorter than `original_max_position / high_freq_factor` are kept, and the
    band in between is interpolated smoothly.

    ```mlir
    #llm.rope_llama3<factor = 8.0, low_freq_factor = 1.0,
                     high_freq_factor = 4.0, original_max_position = 8192>
    ```
  }];
  let parameters = (ins LLM_F64Parameter<"">:$factor,
                        LLM_F64Parameter<"">:$lowFreqFactor,
                        LLM_F64Parameter<"">:$highFreqFactor,
                        "int64_t":$originalMaxPosition);
  let assemblyFormat = [{
    `<` `factor` `=` $factor `,` `low_freq_factor` `=` $lowFreqFactor `,`
    `high_freq_factor` `=` $highFreqFactor `,`
    `original_max_position` `=` $originalMaxPosition `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Applies the scaling to one inverse frequency of the rotary embedding.
    double scaleInverseFrequency(double invFreq) const;

    static Llama3RopeScalingAttr get(::mlir::MLIRContext *context,
                                     double factor, double lowFreqFactor,
                                     double highFreqFactor,
                                     int64_t originalMaxPosition) {
      return get(context, ::llvm::APFloat(factor),
                 ::llvm::APFloat(lowFreqFactor),
                 ::llvm::APFloat(highFreqFactor), originalMaxPosition);
    }
  }];
}

def LLM_WeightTensorAttr : LLM_Attr<"WeightTensor", "tensor"> {
  let summary = "A checkpoint tensor a module reads: its name and type";
  let description = [{
    ```mlir
    #llm.tensor<"model.norm.weight" : tensor<288xbf16>>
    ```
  }];
  let parameters = (ins StringRefParameter<"">:$name,
                        "::mlir::RankedTensorType":$type);
  let assemblyFormat = "`<` $name `:` $type `>`";
  let genVerifyDecl = 1;
}

def LLM_ModuleABIAttr : LLM_Attr<"ModuleABI", "abi"> {
  let summary = "The buffers a compiled module binds, and in which order";
  let description = [{
    The contract between a module and the runtime, set by
    `llm-hoist-weight-prep` as the module's `llm.abi` attribute:

    - `tensors`: the checkpoint tensors the module reads (`#llm.tensor`:
      name, element type and shape), bound from the checkpoint by name in
      their stored precision;
    - `prepare`: the tensors `@prepare` takes, in order (indices into
      `tensors`); `@prepare` returns the `prepared` buffers (their types, in
      order), which the runtime computes once and may cache;
    - `weights`: the trailing arguments of `@prefill` and `@decode` (after
      the token ids, the position and the K and V caches), each an index
      into the buffers `tensors ++ prepared`.

    Buffers are sized from these types; the dialect verifies the indices and
    that the functions' signatures agree with them.

    ```mlir
    #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x64xf32>>],
             prepare = [0], prepared = [tensor<1x2x4x8xi32>, tensor<2x8xf32>, tensor<2x8xf32>],
             weights = [1, 2, 3]>
    ```
  }];
  let parameters = (ins
      ArrayRefParameter<"::mlir::llm::WeightTensorAttr">:$tensors,
      ArrayRefParameter<"int64_t">:$prepare,
      ArrayRefParameter<"::mlir::RankedTensorType">:$prepared,
      ArrayRefParameter<"int64_t">:$weights);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The type of buffer `index` of `tensors ++ prepared`.
    ::mlir::RankedTensorType getBufferType(int64_t index) const;
    int64_t getNumBuffers() const {
      return getTensors().size() + getPrepared().size();
    }
  }];
}

#endif // LLM_DIALECT_LLM_IR_LLMATTRS_TD
