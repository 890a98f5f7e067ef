//===- LLMOps.td - llm dialect operations ------------------*- tablegen -*-===//

#ifndef LLM_DIALECT_LLM_IR_LLMOPS_TD
#define LLM_DIALECT_LLM_IR_LLMOPS_TD

include "llm/Dialect/LLM/IR/LLMBase.td"
include "llm/Dialect/LLM/IR/LLMAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def LLM_ParamOp : LLM_Op<"param", [Pure]> {
  let summary = "A named checkpoint tensor bound at run time";
  let description = [{
    Refers to a weight tensor of the checkpoint by its Hugging Face name. The
    compiled module never holds weight values: the runtime binds each
    parameter by name, in its stored precision, when the model is loaded.
    What the compiler derives from parameters (stacked projections, scaled
    columns, INT4 packs) is computed by the weight-transform ops below, which
    `llm-hoist-weight-prep` moves into `@prepare`.

    ```mlir
    %w = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<11008x4096xbf16>
    ```

    With a `shard` (a tensor-parallel module, `llm-shard`), the result is
    the rank's slice of the checkpoint tensor:

    ```mlir
    %w = llm.param "model.layers.0.mlp.down_proj.weight" shard <dim = 1, parts = 2, ranks = 2> : tensor<4096x5504xbf16>
    ```

    Inside a decoder-layer function, a parameter names the tensor of the
    layer the function is called for: the name holds one `{}`, replaced by
    the value of the `layer` operand (the function's layer argument). Once
    that operand is a constant (the function inlined, or the computation
    cloned to a call site) the op folds to the plain name.

    ```mlir
    %w = llm.param "model.layers.{}.mlp.up_proj.weight"[%layer] : tensor<11008x4096xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, Optional<Index>:$layer,
                       OptionalAttr<LLM_ShardAttr>:$shard);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $name (`[` $layer^ `]`)? (`shard` $shard^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "Type":$type, "StringAttr":$name), [{
      build($_builder, $_state, type, name, /*layer=*/Value(), ShardAttr());
    }]>,
    OpBuilder<(ins "Type":$type, "StringAttr":$name, "Value":$layer), [{
      build($_builder, $_state, type, name, layer, ShardAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// What stands for the layer number in the name of a parameter that
    /// has a `layer` operand.
    static constexpr llvm::StringLiteral kLayerPlaceholder = "{}";
    /// The checkpoint tensor's name for layer `layer` (the name itself
    /// when it has no placeholder).
    std::string getNameForLayer(int64_t layer);
  }];
}

//===----------------------------------------------------------------------===//
// Weight transforms
//===----------------------------------------------------------------------===//

def LLM_ScaleColumnsOp : LLM_Op<"scale_columns", [Pure]> {
  let summary = "A matrix with each input column multiplied by a scale";
  let description = [{
    `result[n, k] = weight[n, k] * scale[k]`, computed in f32 (the product of
    two 16-bit tensors is not a 16-bit tensor): the weight of an RMS norm
    folded into the linear layer that reads it (`llm-fuse-rms-norm`), or an
    activation-aware scale applied before quantization.

    ```mlir
    %ws = llm.scale_columns %w, %g : tensor<172x64xbf16>, tensor<64xbf16> -> tensor<172x64xf32>
    ```
  }];
  let arguments = (ins LLM_Float2DTensor:$weight, LLM_Float1DTensor:$scale);
  let results = (outs 2DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $weight `,` $scale attr-dict `:` type($weight) `,` type($scale) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def LLM_QuantizeInt4Op : LLM_Op<"quantize_int4", [Pure]> {
  let summary = "Group-wise INT4 round-to-nearest quantization of a matrix";
  let description = [{
    Quantizes `weight` (`[out, in]`) in groups of `group_size` consecutive
    inputs of a row (the last group of a row is shorter when `group_size`
    does not divide `in`), rounding to nearest even:

    - asymmetric: `scale = max(max - min, 1e-5) / 15`,
      `zero = clamp(round(-min / scale), 0, 15)`;
    - `symmetric`: `scale = max(max |w|, 1e-5) / 7`, `zero = 8`;

    and `q = clamp(round(w / scale) + zero, 0, 15)`, so that a weight is
    `(q - zero) * scale`. The results are what `llm.matmul_int4` reads:

    - `qweight`: `[out / tile, groups, group_size / 8, tile]` 32-bit words
      (`group_size` is a multiple of 8; `tile`, the largest power of two up
      to 128 that divides `out`); word `[nt, g, b, t]` holds, in bits `4 s
      .. 4 s + 3` (`s` = 0..7), input `g * group_size + s * group_size / 8 +
      b` of row `nt * tile + t` (padding nibbles past `in` are zero points).
      A word's nibbles all belong to one row, so the CPU kernel unpacks a
      vector of rows with a shift and a mask, and a tile of rows is one
      contiguous stream;
    - `scales` (f16) and `zeros` (i8, the codes 0..15) `[out / tile,
      groups, tile]`, tiled like `qweight`, so that a tile's parameters
      are one contiguous stream. The scale is rounded to f16 before the
      codes are computed with it (the codes are those of the stored
      scale). At groups of 32 an asymmetric pack is 4.75 bits a weight.

    ```mlir
    %q, %s, %z = llm.quantize_int4 %w group_size = 32
        : tensor<172x64xf32> -> tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8>
    ```
  }];
  let arguments = (ins LLM_Float2DTensor:$weight,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                       UnitAttr:$symmetric);
  let results = (outs 4DTensorOf<[I32]>:$qweight, 3DTensorOf<[F16]>:$scales,
                      3DTensorOf<[I8]>:$zeros);
  let assemblyFormat = [{
    $weight `group_size` `=` $group_size (`symmetric` $symmetric^)? attr-dict
    `:` type($weight) `->` type($qweight) `,` type($scales) `,` type($zeros)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$weight, "int64_t":$groupSize,
                   "bool":$symmetric)>,
  ];
  let hasVerifier = 1;
}

def LLM_RepackAwqOp : LLM_Op<"repack_awq", [Pure]> {
  let summary = "An AutoAWQ GEMM layer in the layout of llm.quantize_int4";
  let description = [{
    Repacks a pre-quantized AutoAWQ "GEMM" layer (`weight [out, in]` in
    groups of `group_size` inputs) without rounding anything:

    - `qweight`: i32 `[in, out / 8]`; nibble `i` (bits `4i..4i+3`) of word
      `[k, c]` holds the code of output `8c + order[i]` at input `k`, with
      `order = [0, 2, 4, 6, 1, 3, 5, 7]`;
    - `qzeros`: i32 `[in / group_size, out / 8]`, zero points packed alike;
    - `scales`: `[in / group_size, out]` (f16 in AutoAWQ's files).

    The results are those of `llm.quantize_int4` for the same weight (the
    scales in f16, as AutoAWQ stores them).

    ```mlir
    %q, %s, %z = llm.repack_awq %qw, %qz, %sc group_size = 32
        : tensor<64x22xi32>, tensor<2x22xi32>, tensor<2x176xf16>
        -> tensor<11x2x4x16xi32>, tensor<11x2x16xf16>, tensor<11x2x16xi8>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I32]>:$qweight, 2DTensorOf<[I32]>:$qzeros,
                       LLM_Float2DTensor:$awq_scales,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size);
  let results = (outs 4DTensorOf<[I32]>:$packed, 3DTensorOf<[F16]>:$scales,
                      3DTensorOf<[I8]>:$zeros);
  let assemblyFormat = [{
    $qweight `,` $qzeros `,` $awq_scales `group_size` `=` $group_size
    attr-dict `:` type($qweight) `,` type($qzeros) `,` type($awq_scales)
    `->` type($packed) `,` type($scales) `,` type($zeros)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$qweight, "::mlir::Value":$qzeros,
                   "::mlir::Value":$awqScales, "int64_t":$groupSize)>,
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Graph ops
//===----------------------------------------------------------------------===//

def LLM_RepackQ4_0Op : LLM_Op<"repack_q4_0", [Pure]> {
  let summary = "GGUF Q4_0 blocks in the layout of llm.quantize_int4";
  let description = [{
    Repacks a linear layer stored in ggml's Q4_0 format (`weight [out, in]`)
    without rounding anything. `blocks` holds each row's `in / 32` blocks of
    18 bytes: an fp16 scale `d`, then 16 bytes whose low nibbles are the codes
    of inputs 0..15 of the block and whose high nibbles those of 16..31; the
    weight is `(code - 8) * d`. The results are a symmetric group-32 pack
    for `llm.matmul_int4` (read without zero points: every one is 8): the
    codes as they are and `d` as the scale.

    ```mlir
    %q, %s = llm.repack_q4_0 %blocks
        : tensor<64x36xi8> -> tensor<1x2x4x64xi32>, tensor<1x2x64xf16>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I8]>:$blocks);
  let results = (outs 4DTensorOf<[I32]>:$packed, 3DTensorOf<[F16]>:$scales);
  let assemblyFormat = [{
    $blocks attr-dict `:` type($blocks) `->` type($packed) `,` type($scales)
  }];
  let builders = [OpBuilder<(ins "::mlir::Value":$blocks)>];
  let extraClassDeclaration = [{
    static constexpr int64_t kBlockValues = 32, kBlockBytes = 18;
  }];
  let hasVerifier = 1;
}

def LLM_EmbeddingOp : LLM_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup";
  let description = [{
    Gathers the rows of `table` ([vocab, hidden]) selected by `ids` ([seq]),
    giving [seq, hidden].
  }];
  let arguments = (ins LLM_Float2DTensor:$table, LLM_TokenIds:$ids);
  let results = (outs LLM_Float2DTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_RMSNormOp : LLM_Op<"rms_norm", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square layer normalization";
  let description = [{
    `result = input / sqrt(mean(input^2, -1) + eps) * weight`, normalizing
    over the last dimension.
  }];
  let arguments = (ins LLM_FloatTensor:$input, LLM_Float1DTensor:$weight,
                       F64Attr:$eps);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `eps` `=` $eps attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def LLM_BiasAddOp : LLM_Op<"bias_add", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Adds a linear layer's bias to every row";
  let description = [{
    `result[..., f] = input[..., f] + bias[f]`: the bias of a projection
    (Qwen2's q/k/v, LLaMA's with `attention_bias`), a checkpoint tensor in its
    stored precision, widened to the input's type.
  }];
  let arguments = (ins LLM_FloatTensor:$input, LLM_Float1DTensor:$bias);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $bias attr-dict `:` type($input) `,` type($bias)
  }];
  let hasVerifier = 1;
}

def LLM_MatmulOp : LLM_Op<"matmul", [Pure]> {
  let summary = "Linear layer with Hugging Face weight layout";
  let description = [{
    `result[s, n] = sum_k input[s, k] * weight[n, k]`: the weight has the
    `[out_features, in_features]` layout of `torch.nn.Linear`.

    With `rms_norm_eps`, the layer reads its input RMS-normalized (without a
    norm weight, which `llm-fuse-rms-norm` folds into `weight`):
    `result[s, n] = rsqrt(mean_k(input[s, k]^2) + eps) *
    sum_k input[s, k] * weight[n, k]`, so the normalized input is never
    formed.
  }];
  let arguments = (ins LLM_Float2DTensor:$input, LLM_Float2DTensor:$weight,
                       OptionalAttr<F64Attr>:$rms_norm_eps);
  let results = (outs LLM_Float2DTensor:$result);
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
                   "::mlir::Value":$weight), [{
      build($_builder, $_state, result, input, weight, ::mlir::FloatAttr());
    }]>,
  ];
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_MatmulInt4Op : LLM_Op<"matmul_int4", [Pure, AttrSizedOperandSegments]> {
  let summary = "Linear layer with group-wise INT4 weights";
  let description = [{
    `result[s, n] = sum_k input[s, k] * (q[n, k] - zeros[n / tile, k / g,
    n % tile]) * scales[n / tile, k / g, n % tile]`, where `g` is `group_size` (a multiple of 8) and
    `q[n, k]` is the nibble of `qweight` (`[out / tile, groups, g / 8, tile]`
    32-bit words) that holds input `k` of row `n`: word `[n / tile, k / g,
    k % (g / 8), n % tile]`, bits `4 s .. 4 s + 3` with `s = (k % g) / (g /
    8)` (see `llm.quantize_int4`). `scales` (a
    float type, f16 as packed) and `zeros` (i8 codes 0..15) are `[out /
    tile, groups, tile]`; `groups` is `ceil(in / g)`. Without `zeros` every zero point is
    8: a symmetric pack (`llm.quantize_int4 ... symmetric`, GGUF Q4_0) stores
    only its scales, 4.5 bits per weight at groups of 32. With
    `input_scale` (`[in]`, activation-aware quantization) the input is
    divided by it, channel by channel, first. With `rms_norm_eps` the input
    is RMS-normalized on the fly, as for `llm.matmul`.

    ```mlir
    %y = llm.matmul_int4 %x, %q, %s, %z group_size = 32
        : tensor<1x64xf32>, tensor<43x2x4x4xi32>, tensor<43x2x4xf16>, tensor<43x2x4xi8> -> tensor<1x172xf32>
    %y8 = llm.matmul_int4 %x, %q, %s group_size = 32
        : tensor<1x64xf32>, tensor<43x2x4x4xi32>, tensor<43x2x4xf16> -> tensor<1x172xf32>
    ```
  }];
  let arguments = (ins LLM_Float2DTensor:$input,
                       4DTensorOf<[I32]>:$qweight,
                       LLM_Float3DTensor:$scales,
                       Optional<3DTensorOf<[I8]>>:$zeros,
                       Optional<LLM_Float1DTensor>:$input_scale,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                       OptionalAttr<F64Attr>:$rms_norm_eps);
  let results = (outs LLM_Float2DTensor:$result);
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
                   "::mlir::Value":$qweight, "::mlir::Value":$scales,
                   "::mlir::Value":$zeros, "::mlir::Value":$input_scale,
                   "int64_t":$group_size), [{
      build($_builder, $_state, result, input, qweight, scales, zeros,
            input_scale, $_builder.getI64IntegerAttr(group_size),
            ::mlir::FloatAttr());
    }]>,
  ];
  let assemblyFormat = [{
    $input `,` $qweight `,` $scales (`,` $zeros^)?
    (`input_scale` $input_scale^ `:` type($input_scale))?
    `group_size` `=` $group_size
    attr-dict `:` type($input) `,` type($qweight) `,` type($scales)
    (`,` type($zeros)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_RopeOp : LLM_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding (rotate-half convention)";
  let description = [{
    Rotates each `head_dim`-wide head of `input` ([seq, heads * head_dim]) by
    the angles `(position + s) * theta^(-2i / head_dim)`, pairing element `i`
    with `i + head_dim / 2` as Hugging Face's `rotate_half` does. An optional
    `scaling` attribute rescales the frequencies (Llama-3.1).
  }];
  let arguments = (ins LLM_Float2DTensor:$input, Index:$position,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F64Attr:$theta,
                       OptionalAttr<LLM_Llama3RopeScalingAttr>:$scaling);
  let results = (outs LLM_Float2DTensor:$result);
  let assemblyFormat = [{
    $input `at` $position `head_dim` `=` $head_dim `theta` `=` $theta
    (`scaling` $scaling^)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def LLM_AttentionOp : LLM_Op<"attention", [Pure,
    AllTypesMatch<["query", "output"]>,
    AllTypesMatch<["key", "value"]>,
    AllTypesMatch<["key_cache", "value_cache", "new_key_cache",
                   "new_value_cache"]>]> {
  let summary = "Grouped-query causal attention over a KV cache";
  let description = [{
    Writes `key` and `value` ([seq, kv_heads * head_dim]) into layer `layer`
    (a constant, or an index value in a decoder-layer function) of the
    caches (`[layers, kv_heads, context, head_dim]`: each KV head's history
    contiguous) at positions `position .. position + seq`, then attends
    every query row `s` to cache positions `0 .. position + s` (causal). Query head `h` reads KV head
    `h / (num_heads / num_kv_heads)`. Scores are scaled by `scale`
    (`1 / sqrt(head_dim)` when absent). Returns the attention output
    ([seq, num_heads * head_dim]) and the updated caches.

    With `rope_theta` (and optionally `rope_scaling`), the whole attention
    block is one op: `query` and `key` are first rotated at positions
    `position .. position + seq` exactly as `llm.rope` with that theta and
    scaling does (the cache holds rotated keys), see `llm-fuse-attention`.
  }];
  let arguments = (ins LLM_Float2DTensor:$query, LLM_Float2DTensor:$key,
                       LLM_Float2DTensor:$value,
                       LLM_Float4DTensor:$key_cache,
                       LLM_Float4DTensor:$value_cache, Index:$position,
                       Optional<Index>:$layer_index,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<F64Attr>:$rope_theta,
                       OptionalAttr<LLM_Llama3RopeScalingAttr>:$rope_scaling);
  let results = (outs LLM_Float2DTensor:$output,
                      LLM_Float4DTensor:$new_key_cache,
                      LLM_Float4DTensor:$new_value_cache);
  let assemblyFormat = [{
    $query `,` $key `,` $value `cache` `(` $key_cache `,` $value_cache `)`
    `at` $position `layer` custom<LayerRef>($layer_index, $layer) `heads` `=` $num_heads `kv_heads` `=`
    $num_kv_heads `head_dim` `=` $head_dim attr-dict `:` type($query) `,`
    type($key) `,` type($key_cache)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: the `scale` attribute, or 1/sqrt(head_dim).
    double getEffectiveScale();
    /// The cache layer: the `layer` attribute, or the `layer_index`
    /// operand (a decoder-layer function's layer argument).
    OpFoldResult getCacheLayer();
  }];
}

def LLM_BatchedAttentionOp : LLM_Op<"batched_attention", [Pure,
    AllTypesMatch<["query", "output"]>,
    AllTypesMatch<["key", "value"]>,
    AllTypesMatch<["slots", "positions"]>,
    AllTypesMatch<["key_cache", "value_cache", "new_key_cache",
                   "new_value_cache"]>]> {
  let summary = "One decode step of several sequences, each in its own KV-cache slot";
  let description = [{
    The attention of a batched decode step: row `b` of `query`, `key` and
    `value` is the one new token of sequence `b`, which lives in slot
    `slots[b]` of the cache pool (`[slots, layers, kv_heads, context,
    head_dim]`) at position `positions[b]`. Row `b` is exactly
    `llm.attention` of that one token on the slot's cache
    (`[layers, kv_heads, context, head_dim]`) at that position: its key and
    value are written at position `positions[b]` of layer `layer` of slot
    `slots[b]`, and its query attends to positions `0 .. positions[b]` of
    the slot. With `rope_theta`, the
    query and key are first rotated at `positions[b]`, as `llm.rope` does.
    Rows must name distinct slots.

    ```mlir
    %o, %nk, %nv = llm.batched_attention %q, %k, %v cache(%kp, %vp)
        slots %slots positions %pos layer %l heads = 8 kv_heads = 4
        head_dim = 8 {rope_theta = 10000.0 : f64}
        : tensor<?x64xf32>, tensor<?x32xf32>, tensor<4x2x4x?x8xf32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins LLM_Float2DTensor:$query, LLM_Float2DTensor:$key,
                       LLM_Float2DTensor:$value,
                       LLM_Float5DTensor:$key_cache,
                       LLM_Float5DTensor:$value_cache,
                       1DTensorOf<[I64]>:$slots,
                       1DTensorOf<[I64]>:$positions, Index:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<F64Attr>:$rope_theta,
                       OptionalAttr<LLM_Llama3RopeScalingAttr>:$rope_scaling);
  let results = (outs LLM_Float2DTensor:$output,
                      LLM_Float5DTensor:$new_key_cache,
                      LLM_Float5DTensor:$new_value_cache);
  let assemblyFormat = [{
    $query `,` $key `,` $value `cache` `(` $key_cache `,` $value_cache `)`
    `slots` $slots `positions` $positions `layer` $layer
    `heads` `=` $num_heads `kv_heads` `=` $num_kv_heads
    `head_dim` `=` $head_dim attr-dict `:` type($query) `,` type($key) `,`
    type($key_cache) `,` type($slots)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

def LLM_SiLUOp : LLM_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "Sigmoid linear unit: x * sigmoid(x)";
  let arguments = (ins LLM_FloatTensor:$input);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LLM_PairDotI16Op : LLM_Op<"pair_dot_i16", [Pure,
    AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "Sums of products of adjacent int16 pairs (CPU kernels)";
  let description = [{
    A vector op of the CPU backend, not of the graph: lane i of the result
    is `lhs[2i] * rhs[2i] + lhs[2i+1] * rhs[2i+1]` in int32, the sum of the
    products of each pair of adjacent signed int16 lanes. It is x86's
    vpmaddwd: 32 products per instruction on 512-bit vectors (AVX-512BW),
    16 on 256-bit ones (AVX2). The integer INT4 decode kernel emits
    it, and `llm-lower-pair-dot` turns it into the LLVM intrinsic once the
    module is bufferized.

    ```mlir
    %sums = llm.pair_dot_i16 %nibbles, %inputs : vector<32xi16> -> vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[16, 32], [I16]>:$lhs,
                       VectorOfLengthAndType<[16, 32], [I16]>:$rhs);
  let results = (outs VectorOfLengthAndType<[8, 16], [I32]>:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)";
  let hasVerifier = 1;
}

def LLM_QuadDotU8I8Op : LLM_Op<"quad_dot_u8i8", [Pure,
    AllTypesMatch<["lhs", "rhs"]>, AllTypesMatch<["acc", "result"]>]> {
  let summary = "Accumulated sums of products of 4 unsigned by 4 signed int8 (CPU kernels)";
  let description = [{
    A vector op of the CPU backend, not of the graph: lane i of the result
    is `acc[i] + sum_{j < 4} zext(lhs[4i+j]) * sext(rhs[4i+j])` in int32
    (wrapping), the sum of the products of each group of four adjacent
    bytes, unsigned in `lhs` and signed in `rhs`. It is x86's vpdpbusd
    (AVX512-VNNI): 64 products per instruction on 512-bit vectors. The
    INT4 kernel with int8 inputs (`int4-kernel=x86-avx512-vnni`) emits it,
    and `llm-lower-pair-dot` turns it into the LLVM intrinsic once the
    module is bufferized.

    ```mlir
    %sums = llm.quad_dot_u8i8 %acc, %nibbles, %inputs : vector<64xi8> -> vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[16], [I32]>:$acc,
                       VectorOfLengthAndType<[64], [I8]>:$lhs,
                       VectorOfLengthAndType<[64], [I8]>:$rhs);
  let results = (outs VectorOfLengthAndType<[16], [I32]>:$result);
  let assemblyFormat =
      "$acc `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)";
}

class LLM_BinaryElementwiseOp<string mnemonic, list<Trait> traits = []>
    : LLM_Op<mnemonic, !listconcat(traits,
        [Pure, Commutative, AllTypesMatch<["lhs", "rhs", "result"]>])> {
  let arguments = (ins LLM_FloatTensor:$lhs, LLM_FloatTensor:$rhs);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let hasFolder = 1;
}

def LLM_AddOp : LLM_BinaryElementwiseOp<"add"> {
  let summary = "Elementwise addition (residual connections)";
  let description = [{
    Folds `x + 0` to `x` when one side is a zero splat (of either sign: the
    graph does not distinguish -0.0 from +0.0 results).
  }];
}

def LLM_MulOp : LLM_BinaryElementwiseOp<"mul"> {
  let summary = "Elementwise multiplication (SwiGLU gating)";
  let description = "Folds `x * 1` to `x` when one side is a one splat.";
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

def LLM_AllReduceOp : LLM_Op<"all_reduce", [Pure, SameOperandsAndResultType]> {
  let summary = "The sum of a tensor over every rank of a tensor-parallel group";
  let description = [{
    Each rank of a tensor-parallel module (`llm-shard`) holds a partial sum
    (the product of its slice of a row-split weight); every rank gets their
    sum. Lowered to `MPI_Allreduce` over the world communicator (MLIR's `mpi`
    dialect).

    ```mlir
    %sum = llm.all_reduce %partial : tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins LLM_FloatTensor:$input);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def LLM_AllGatherOp : LLM_Op<"all_gather", [Pure]> {
  let summary = "Every rank's part of a tensor, concatenated along `dim`";
  let description = [{
    Rank r of a tensor-parallel group of `ranks` holds part r of a tensor cut
    along `dim` (the logits of its slice of a vocabulary-split LM head);
    every rank gets the whole tensor. Lowered to an `MPI_Allreduce` of the
    parts placed in a zero tensor (MLIR's `mpi` dialect has no all-gather).

    ```mlir
    %logits = llm.all_gather %part dim = 1 ranks = 4 : tensor<1x8000xf32> -> tensor<1x32000xf32>
    ```
  }];
  let arguments = (ins LLM_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$dim,
                       ConfinedAttr<I64Attr, [IntPositive]>:$ranks);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dim` `=` $dim `ranks` `=` $ranks attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_SendOp : LLM_Op<"send", [MemoryEffects<[MemWrite]>]> {
  let summary = "Sends a tensor to another rank (a pipeline stage's output)";
  let description = [{
    The hidden state a pipeline stage (`llm-shard` with `pipeline-parallel`)
    hands to the next one, or the logits the last stage returns to rank 0.
    Lowered to `MPI_Send` (MLIR's `mpi` dialect). Its memory effect keeps it
    in the program although it has no result.

    ```mlir
    llm.send %hidden to 1 : tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins LLM_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$dest);
  let assemblyFormat = "$input `to` $dest attr-dict `:` type($input)";
}

def LLM_RecvOp : LLM_Op<"recv", [MemoryEffects<[MemRead]>]> {
  let summary = "Receives a tensor from another rank";
  let description = [{
    What `llm.send` of rank `source` sent; the dynamic sizes of the result
    are its operands. Lowered to `MPI_Recv`.

    ```mlir
    %hidden = llm.recv from 0 sizes(%tokens) : tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$source,
                       Variadic<Index>:$dynamic_sizes);
  let results = (outs LLM_FloatTensor:$result);
  let assemblyFormat = [{
    `from` $source (`sizes` `(` $dynamic_sizes^ `)`)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LLM_DIALECT_LLM_IR_LLMOPS_TD
