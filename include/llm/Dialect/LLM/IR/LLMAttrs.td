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

// A list of integers written in square brackets.
class LLM_I64ListParameter<string desc> : ArrayRefParameter<"int64_t", desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::SmallVector<int64_t>> {
    ::llvm::SmallVector<int64_t> values;
    if ($_parser.parseCommaSeparatedList(
            ::mlir::AsmParser::Delimiter::Square, [&]() -> ::mlir::ParseResult {
              return $_parser.parseInteger(values.emplace_back());
            }))
      return ::mlir::failure();
    return values;
  }() }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer);
    $_printer << ']';
  }];
}

// A flag written `true` or `false`.
class LLM_BoolParameter<string desc> : AttrParameter<"bool", desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<bool> {
    if (succeeded($_parser.parseOptionalKeyword("true")))
      return true;
    if (failed($_parser.parseKeyword("false")))
      return ::mlir::failure();
    return false;
  }() }];
  let printer = [{ $_printer << ($_self ? "true" : "false") }];
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

def LLM_ModelConfigAttr : LLM_Attr<"ModelConfig", "config"> {
  let summary = "A model's configuration: its sizes, constants and token ids";
  let description = [{
    What the importer read from the model's config.json (the fields keep
    Hugging Face's names). The runtime sizes the KV caches and logits from
    it, stops at its end-of-sequence ids and bounds the context by
    `max_position_embeddings`; the LPU tiling sizes its caches from it. The
    importer sets it as the module's `llm.config` attribute;
    `llm-hoist-weight-prep` moves it into the module's `#llm.abi`. Either
    way the dialect checks it against the entry points' caches and logits.

    ```mlir
    #llm.config<name = "stories15M", vocab_size = 32000, hidden_size = 288,
                intermediate_size = 768, num_hidden_layers = 6,
                num_attention_heads = 6, num_key_value_heads = 6,
                head_dim = 48, max_position_embeddings = 256,
                rms_norm_eps = 1.0e-05, rope_theta = 10000.0,
                tie_word_embeddings = true, bos_token_id = 1,
                eos_token_ids = [2]>
    ```
  }];
  let parameters = (ins
      StringRefParameter<"the model's name", "\"\"">:$name,
      "int64_t":$vocab_size,
      "int64_t":$hidden_size,
      "int64_t":$intermediate_size,
      "int64_t":$num_hidden_layers,
      "int64_t":$num_attention_heads,
      "int64_t":$num_key_value_heads,
      "int64_t":$head_dim,
      "int64_t":$max_position_embeddings,
      LLM_F64Parameter<"">:$rms_norm_eps,
      LLM_F64Parameter<"">:$rope_theta,
      LLM_BoolParameter<"">:$tie_word_embeddings,
      "int64_t":$bos_token_id,
      LLM_I64ListParameter<"">:$eos_token_ids,
      OptionalParameter<"::mlir::llm::Llama3RopeScalingAttr">:$rope_scaling,
      OptionalParameter<"std::optional<int64_t>",
                        "group size of AWQ-quantized checkpoint weights">:
          $awq_group_size);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def LLM_ShardAttr : LLM_Attr<"Shard", "shard"> {
  let summary = "Which part of a checkpoint tensor one rank holds";
  let description = [{
    A tensor-parallel module (`llm-shard`) runs on every rank of a group of
    `ranks` processes, each binding one part of a sharded weight: the tensor
    cut along `dim` into `parts` equal slices, rank r holding slice
    `r / (ranks / parts)`. `parts` is less than `ranks` when a slice is
    shared by several ranks (a KV head when there are more ranks than KV
    heads).

    ```mlir
    #llm.shard<dim = 0, parts = 2, ranks = 4>
    ```
  }];
  let parameters = (ins "int64_t":$dim, "int64_t":$parts, "int64_t":$ranks);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The slice rank `rank` holds.
    int64_t partOf(int64_t rank) const {
      return rank / (getRanks() / getParts());
    }
  }];
}

def LLM_WeightTensorAttr : LLM_Attr<"WeightTensor", "tensor"> {
  let summary = "A checkpoint tensor a module reads: its name and type";
  let description = [{
    `type` is what the module reads: with a `shard`, one rank's slice of the
    checkpoint tensor (the tensor's size along the shard's dim is `parts`
    times the type's).

    ```mlir
    #llm.tensor<"model.norm.weight" : tensor<288xbf16>>
    #llm.tensor<"model.layers.0.mlp.up_proj.weight" : tensor<384x288xf32>,
                #llm.shard<dim = 0, parts = 2, ranks = 2>>
    ```
  }];
  let parameters = (ins StringRefParameter<"">:$name,
                        "::mlir::RankedTensorType":$type,
                        OptionalParameter<"::mlir::llm::ShardAttr">:$shard);
  let assemblyFormat = "`<` $name `:` $type (`,` $shard^)? `>`";
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::llvm::StringRef":$name,
                     "::mlir::RankedTensorType":$type), [{
      return $_get($_ctxt, name, type, ShardAttr());
    }]>
  ];
}

def LLM_ExposedActivationAttr : LLM_Attr<"ExposedActivation", "activation"> {
  let summary = "A linear layer's input that @prefill also returns";
  let description = [{
    Set by `llm-expose-activations` for calibration (activation-aware
    quantization): the layer's name (its weight's), the number of input
    features, and the checkpoint tensors its weight is made of (several
    when projections are stacked).

    ```mlir
    #llm.activation<"model.layers.0.mlp.down_proj" : 768,
                    sources = ["model.layers.0.mlp.down_proj.weight"]>
    ```
  }];
  let parameters = (ins StringRefParameter<"">:$name, "int64_t":$features,
                        ArrayRefParameter<"::mlir::StringAttr">:$sources);
  let assemblyFormat = "`<` $name `:` $features `,` `sources` `=` `[` $sources `]` `>`";
  let genVerifyDecl = 1;
}

def LLM_ModuleABIAttr : LLM_Attr<"ModuleABI", "abi"> {
  let summary = "The buffers a compiled module binds, and in which order";
  let description = [{
    The contract between a module and the runtime, set by
    `llm-hoist-weight-prep` as the module's `llm.abi` attribute:

    - `config`: the model's configuration (`#llm.config`; optional in the
      syntax, required by the runtime);
    - `tensors`: the checkpoint tensors the module reads (`#llm.tensor`:
      name, element type and shape), bound from the checkpoint by name in
      their stored precision;
    - `prepare`: the tensors `@prepare` takes, in order (indices into
      `tensors`); `@prepare` returns the `prepared` buffers (their types, in
      order), which the runtime computes once and may cache;
    - `weights`: the trailing arguments of `@prefill`, `@decode` and
      `@decode_batch` (after the token ids, the position, or the slots and
      positions, and the K and V caches), each an index
      into the buffers `tensors ++ prepared`;
    - `kv_cache` (optional in the syntax, required by the runtime): the type
      of one sequence's K and V caches (`[layers, kv_heads, context,
      head_dim]`), which the runtime allocates and checks against its own
      layout, so that a module lowered for another layout is refused rather
      than handed buffers it would misread;
    - `activations` (optional): the linear-layer inputs `@prefill` returns
      after its logits and caches (`llm-expose-activations`).

    Buffers are sized from these types; the dialect verifies the indices and
    that the functions' signatures agree with them.

    ```mlir
    #llm.abi<tensors = [#llm.tensor<"w" : tensor<8x64xf32>>],
             prepare = [0], prepared = [tensor<1x2x4x8xi32>, tensor<2x8xf32>, tensor<2x8xf32>],
             weights = [1, 2, 3], kv_cache = tensor<2x2x?x8xf32>>
    ```
  }];
  let parameters = (ins
      OptionalParameter<"::mlir::llm::ModelConfigAttr">:$config,
      ArrayRefParameter<"::mlir::llm::WeightTensorAttr">:$tensors,
      ArrayRefParameter<"int64_t">:$prepare,
      ArrayRefParameter<"::mlir::RankedTensorType">:$prepared,
      ArrayRefParameter<"int64_t">:$weights,
      OptionalParameter<"::mlir::RankedTensorType">:$kv_cache,
      OptionalArrayRefParameter<"::mlir::llm::ExposedActivationAttr">:
          $activations);
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
