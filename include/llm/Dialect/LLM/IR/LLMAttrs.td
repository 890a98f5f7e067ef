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

def LLM_Int4PackAttr : LLM_Attr<"Int4Pack", "int4"> {
  let summary = "How a packed INT4 parameter derives from a checkpoint tensor";
  let description = [{
    Marks a parameter as one part of the group-wise INT4 quantization of the
    float checkpoint tensor `source` (`[out, in]`), which the runtime computes
    when it loads the model (and caches). Groups of `group_size` consecutive
    inputs of a row share a scale and a zero point; the last group of a row
    is shorter when `group_size` does not divide `in`. With `symmetric`, the
    zero point is 8 and the scale maps the group's largest magnitude to 7.

    `part` is one of
    - `qweight`: `[out / tile, groups, group_size / 8, tile]` 32-bit words
      (`group_size` is a multiple of 8; `tile`, the largest power of two up
      to 128 that divides `out`); word `[nt, g, b, t]` holds, in bits `4 s
      .. 4 s + 3` (`s` = 0..7), input `g * group_size + s * group_size / 8 +
      b` of row `nt * tile + t` (padding nibbles past `in` are zero points).
      A word's nibbles all belong to one row, so the CPU kernel unpacks a
      vector of rows with a shift and a mask, and a tile of rows is one
      contiguous stream;
    - `scales`: `[groups, out]` f32;
    - `zeros`: `[groups, out]` f32, the zero points (integers 0..15).

    A weight is then `(nibble - zero) * scale`.

    With `input_scale`, the name of a per-input-channel scale vector `s`
    (activation-aware quantization), the runtime quantizes `W * s` (each
    input column scaled) instead of `W`, and the layer divides its input by
    `s`.

    With `column_scale`, the name of a 1-D tensor `g` (the weight of an RMS
    norm folded into this layer by `llm-fuse-rms-norm`), the runtime
    quantizes `W * g` (each input column scaled); the layer's input is not
    divided by it (the layer normalizes its input itself, see
    `rms_norm_eps`). `llm-quantize-int4` no longer makes such packs (it
    unfolds a folded norm and quantizes `W` itself, which rounds better);
    the runtime still prepares them for modules that carry them.

    With `stacking`, `source` is itself the concatenation of those tensors
    along rows (a fused projection, see `#llm.concat`).

    `format` says what `source` is: `rtn` (the default) a float
    `[out, in]` tensor that the runtime rounds to nearest; `awq_gemm` the
    prefix of a pre-quantized AutoAWQ "GEMM" layer (`source.qweight`,
    `source.qzeros`, `source.scales`) that the runtime only repacks.

    ```mlir
    #llm.int4<"model.layers.0.mlp.up_proj.weight", "qweight", group_size = 128, symmetric = false>
    #llm.int4<"model.layers.0.mlp.up_proj", "scales", group_size = 128, symmetric = false, format = "awq_gemm">
    ```
  }];
  let parameters = (ins StringRefParameter<"">:$source,
                        StringRefParameter<"">:$part,
                        "int64_t":$groupSize, "bool":$symmetric,
                        StringRefParameter<"", "\"rtn\"">:$format,
                        StringRefParameter<"", "\"\"">:$inputScale,
                        StringRefParameter<"", "\"\"">:$columnScale,
                        OptionalArrayRefParameter<"::mlir::StringAttr">:$stackedSources);
  let assemblyFormat = [{
    `<` $source `,` $part `,` `group_size` `=` $groupSize `,`
    `symmetric` `=` $symmetric ``
    custom<Int4Options>($format, $inputScale, $columnScale, $stackedSources)
    `>`
  }];
  let genVerifyDecl = 1;
}

def LLM_ConcatAttr : LLM_Attr<"Concat", "concat"> {
  let summary = "A parameter made of checkpoint tensors stacked along rows";
  let description = [{
    The runtime builds the parameter by concatenating the `sources`
    (`[rows_i, in]` each, same `in`) along their first dimension, e.g. the
    q, k and v projections of a layer fused into one matmul.

    ```mlir
    #llm.concat<["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight"]>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"::mlir::StringAttr">:$sources);
  let assemblyFormat = "`<` `[` $sources `]` `>`";
  let genVerifyDecl = 1;
}

#endif // LLM_DIALECT_LLM_IR_LLMATTRS_TD
