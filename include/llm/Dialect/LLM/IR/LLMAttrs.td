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

#endif // LLM_DIALECT_LLM_IR_LLMATTRS_TD
