//===- LPUOps.td - lpu dialect operations ------------------*- tablegen -*-===//
//
// The `lpu` dialect is the plan of a model on a statically scheduled
// streaming accelerator: where every weight tile and KV cache lives (chip and
// SRAM slices), and a cycle-exact schedule of every operation on every
// functional unit of every chip, chip-to-chip transfers included.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_DIALECT_LPU_IR_LPUOPS_TD
#define LLM_DIALECT_LPU_IR_LPUOPS_TD

include "llm/Dialect/LPU/IR/LPUInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/BuiltinAttributes.td"

def LPU_Dialect : Dialect {
  let name = "lpu";
  let cppNamespace = "::mlir::llm::lpu";
  let summary = "Placement and static schedule of a model on a streaming LPU";
  let description = [{
    An `lpu.program` holds the placement of every weight shard and KV cache
    (`lpu.place`) and one or more static schedules (`lpu.schedule`), each a
    dataflow graph of operations that name their chip, their functional
    units, their start cycle and their duration. The verifier rejects
    overlapping use of a unit, SRAM slices over capacity, and data used on a
    chip before it is there.
  }];
}

class LPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<LPU_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Program and placement
//===----------------------------------------------------------------------===//

def LPU_ProgramOp : LPU_Op<"program", [IsolatedFromAbove, SymbolTable,
    NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "A model placed on a system of LPU chips";
  let description = [{
    The chips of a system and the resources of one chip (from the target
    description the plan was made for), the placements of the model's
    tensors, and its schedules.

    ```mlir
    lpu.program target "groq-tsp-v1" chips 2 weight_bits 8 clock_mhz 900.0
        slices 88 slice_bytes 2621440 mxm 4 vxm 1 sxm 2 links 16 {
      lpu.place @w0 "model.layers.0.mlp.up_proj.weight" [0, 0] [640, 288]
          bits 8 chip 0 slices 0 count 88 bytes_per_slice 2096
      lpu.schedule "decode" tokens 1 context 256 { ... }
    }
    ```
  }];
  let arguments = (ins StrAttr:$target, I64Attr:$chips, I64Attr:$weight_bits,
                       F64Attr:$clock_mhz, I64Attr:$slices,
                       I64Attr:$slice_bytes, I64Attr:$mxm_units,
                       I64Attr:$vxm_units, I64Attr:$sxm_units,
                       I64Attr:$link_units);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `target` $target `chips` $chips `weight_bits` $weight_bits
    `clock_mhz` $clock_mhz `slices` $slices `slice_bytes` $slice_bytes
    `mxm` $mxm_units `vxm` $vxm_units `sxm` $sxm_units `links` $link_units
    attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// Bytes of SRAM on one chip.
    int64_t getChipBytes() { return getSlices() * getSliceBytes(); }
  }];
}

def LPU_PlaceOp : LPU_Op<"place", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "A shard of a tensor resident in the SRAM slices of a chip";
  let description = [{
    The region `offsets`/`sizes` of the tensor `tensor` (a checkpoint
    parameter, or a layer's KV cache), stored with `bits` bits per element,
    spread evenly over the slices `[first_slice, first_slice + num_slices)`
    of chip `chip`, `bytes_per_slice` in each.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$tensor,
                       DenseI64ArrayAttr:$offsets, DenseI64ArrayAttr:$sizes,
                       I64Attr:$bits, I64Attr:$chip, I64Attr:$first_slice,
                       I64Attr:$num_slices, I64Attr:$bytes_per_slice);
  let assemblyFormat = [{
    $sym_name $tensor $offsets $sizes `bits` $bits `chip` $chip
    `slices` $first_slice `count` $num_slices `bytes_per_slice` $bytes_per_slice
    attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Bytes the shard needs: its elements times `bits`, rounded up to bytes.
    int64_t getPayloadBytes();
    /// Bytes it takes in SRAM.
    int64_t getReservedBytes() { return getNumSlices() * getBytesPerSlice(); }
  }];
}

def LPU_InstructionsOp : LPU_Op<"instructions", [HasParent<"ProgramOp">]> {
  let summary = "The schedules' instructions resident in the SRAM of a chip";
  let description = [{
    A statically scheduled chip reads its instructions from its own SRAM:
    the `operations` scheduled operations the program's schedules run on
    chip `chip` (a transfer counts on both of its chips) take `bytes` bytes
    of instructions (at the target's bytes per operation and per weight
    tile installed), spread over the slices `[first_slice, first_slice +
    num_slices)`, `bytes_per_slice` in each, beside the resident tensors.
  }];
  let arguments = (ins I64Attr:$chip, I64Attr:$operations, I64Attr:$bytes,
                       I64Attr:$first_slice, I64Attr:$num_slices,
                       I64Attr:$bytes_per_slice);
  let assemblyFormat = [{
    `chip` $chip `operations` $operations `bytes` $bytes `slices` $first_slice
    `count` $num_slices `bytes_per_slice` $bytes_per_slice attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Bytes it takes in SRAM.
    int64_t getReservedBytes() { return getNumSlices() * getBytesPerSlice(); }
  }];
}

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

def LPU_ScheduleOp : LPU_Op<"schedule", [NoTerminator, SingleBlock,
    NoRegionArguments, HasParent<"ProgramOp">]> {
  let summary = "A static, cycle-exact schedule of one forward pass";
  let description = [{
    The operations of one forward pass over `tokens` positions (1 for a
    decode step, the prompt length for prefill) with `context` positions in
    the KV cache, in dataflow order. Its latency is the last cycle any of its
    operations ends.
  }];
  let arguments = (ins StrAttr:$name, I64Attr:$tokens, I64Attr:$context);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $name `tokens` $tokens `context` $context attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The cycle after the last operation ends.
    int64_t getMakespan();
  }];
}

class LPU_ScheduledOp<string mnemonic, list<Trait> traits = []>
    : LPU_Op<mnemonic, !listconcat(traits, [HasParent<"ScheduleOp">,
          DeclareOpInterfaceMethods<LPU_ScheduledOpInterface>])> {
  dag timing = (ins I64Attr:$chip, I64Attr:$start, I64Attr:$duration,
                    OptionalAttr<DenseI64ArrayAttr>:$mxm,
                    OptionalAttr<DenseI64ArrayAttr>:$vxm,
                    OptionalAttr<DenseI64ArrayAttr>:$sxm,
                    OptionalAttr<DenseI64ArrayAttr>:$links);
  string timingFormat = [{
    `chip` $chip `at` $start `for` $duration
    (`mxm` $mxm^)? (`vxm` $vxm^)? (`sxm` $sxm^)? (`links` $links^)?
  }];
}

def LPU_ActivationTensor : StaticShapeTensorOf<[AnyFloat]>;

def LPU_MatmulOp : LPU_ScheduledOp<"matmul"> {
  let summary = "Activations times a resident weight shard on the matrix units";
  let description = [{
    Multiplies the activations (the concatenation of `inputs` along their
    last dimension, [tokens, inner]) by the transpose of the weight shard
    `weights` ([cols, inner], Hugging Face layout), giving [tokens, cols].
    The matrix units are busy for `duration` cycles (installing the weights
    and streaming the rows through); the last results leave the array
    `latency` cycles later, while the units already take the next
    operation's weights.
  }];
  let arguments = !con((ins Variadic<LPU_ActivationTensor>:$inputs,
                            FlatSymbolRefAttr:$weights), timing,
                       (ins OptionalAttr<I64Attr>:$latency));
  let results = (outs LPU_ActivationTensor:$result);
  let assemblyFormat = "$inputs `weights` $weights " # timingFormat #
      "(`latency` $latency^)? attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getLatencyCycles() {
      return static_cast<int64_t>(getLatency().value_or(0));
    }
  }];
}

def LPU_AttentionOp : LPU_ScheduledOp<"attention"> {
  let summary = "Grouped-query attention of some KV heads against their cache";
  let description = [{
    Attention of the query heads of `kv_heads` KV heads, starting at KV head
    `first_kv_head`, against the resident cache `cache`, after appending the
    new keys and values; `inputs` hold the queries, keys and values. The
    result is those heads' output, [tokens, heads * head_dim].
  }];
  let arguments = !con((ins Variadic<LPU_ActivationTensor>:$inputs,
                            FlatSymbolRefAttr:$cache, I64Attr:$first_kv_head,
                            I64Attr:$kv_heads), timing);
  let results = (outs LPU_ActivationTensor:$result);
  let assemblyFormat = "$inputs `cache` $cache `heads` $first_kv_head `count` $kv_heads " #
      timingFormat # "attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
}

def LPU_VectorOp : LPU_ScheduledOp<"vector"> {
  let summary = "Elementwise, normalization or rotary work on the vector units";
  let description = [{
    `kind` names the work: `embedding` (gather of the token's row from a
    resident table shard), `rms_norm`, `rope`, `silu`, `silu_mul`, `add`,
    `mul`, `bias_add` (a projection's resident bias added to its output
    columns), or `select` (a column range of its input, e.g. one projection's
    share of a fused matmul's output).
    `weights`, when present, is the resident shard it reads.
  }];
  let arguments = !con((ins Variadic<LPU_ActivationTensor>:$inputs,
                            StrAttr:$kind,
                            OptionalAttr<FlatSymbolRefAttr>:$weights), timing);
  let results = (outs LPU_ActivationTensor:$result);
  let assemblyFormat = "$kind ( `(` $inputs^ `)` )? (`weights` $weights^)? " #
      timingFormat # "attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
}

def LPU_TransferOp : LPU_ScheduledOp<"transfer"> {
  let summary = "A chip-to-chip transfer over the C2C links";
  let description = [{
    Sends `input` from chip `chip` to chip `to` over the source chip's links
    `links`, which it occupies for `duration` cycles (the bytes over the
    links' bandwidth); the result is available on `to` `latency` cycles
    later (the hops), while the links already carry the next transfer.
    With `columns`, it sends only the columns [columns, columns + width of
    the result) of its input (a stream reads any column range of a
    resident vector); without, the whole input. A `streamed` transfer of an
    lpu.matmul's result sends its vectors as the array emits them: it starts
    once the first has left the array (not before the matmul's start plus
    its latency) and ends no earlier than the last is ready.
  }];
  let arguments = !con((ins LPU_ActivationTensor:$input, I64Attr:$to), timing,
                       (ins OptionalAttr<I64Attr>:$latency,
                            OptionalAttr<I64Attr>:$columns,
                            UnitAttr:$streamed));
  let results = (outs LPU_ActivationTensor:$result);
  let assemblyFormat = "$input (`columns` $columns^)? `to` $to " # timingFormat #
      "(`latency` $latency^)? (`streamed` $streamed^)? attr-dict `:` "
      "type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getResultChip() { return getTo(); }
    int64_t getLatencyCycles() {
      return static_cast<int64_t>(getLatency().value_or(0));
    }
  }];
}

#endif // LLM_DIALECT_LPU_IR_LPUOPS_TD
