// llm-bind-parameters: every llm.param becomes a trailing, read-only function
// argument; the module records the parameter table in first-use order.

// RUN: llm-opt %s --llm-bind-parameters -split-input-file | FileCheck %s

// The table: one entry per name, in the order of first use over the module.
// CHECK: module attributes {llm.parameters = [
// CHECK-SAME: {dtype = "f32", name = "model.norm.weight", shape = [8]},
// CHECK-SAME: {dtype = "bf16", name = "model.embed_tokens.weight", shape = [16, 8]},
// CHECK-SAME: {dtype = "f32", name = "lm_head.weight", shape = [8, 8]}]}

// The same name used twice binds one argument. Each function gets the whole
// table, also the parameters it does not use, so that all entry points share
// one calling convention.
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x8xf32>,
// CHECK-SAME: %[[NORM:[^:]*]]: tensor<8xf32> {bufferization.writable = false, llm.param = "model.norm.weight"},
// CHECK-SAME: %[[EMB:[^:]*]]: tensor<16x8xbf16> {bufferization.writable = false, llm.param = "model.embed_tokens.weight"},
// CHECK-SAME: %[[HEAD:[^:]*]]: tensor<8x8xf32> {bufferization.writable = false, llm.param = "lm_head.weight"})
// CHECK-SAME: -> tensor<4x8xf32>
// CHECK-NOT: llm.param
// CHECK: %[[N0:.*]] = llm.rms_norm %[[X]], %[[NORM]]
// CHECK: %[[N1:.*]] = llm.rms_norm %[[N0]], %[[NORM]]
// CHECK: return %[[N1]]
func.func @prefill(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w = llm.param "model.norm.weight" : tensor<8xf32>
  %e = llm.param "model.embed_tokens.weight" : tensor<16x8xbf16>
  %w2 = llm.param "model.norm.weight" : tensor<8xf32>
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<4x8xf32>, tensor<8xf32>
  %1 = llm.rms_norm %0, %w2 eps = 1.0e-5 : tensor<4x8xf32>, tensor<8xf32>
  return %1 : tensor<4x8xf32>
}

// The second function gets the same arguments in the same order, though it
// uses its parameters in another order.
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x8xf32>,
// CHECK-SAME: %[[NORM:[^:]*]]: tensor<8xf32> {bufferization.writable = false, llm.param = "model.norm.weight"},
// CHECK-SAME: %[[EMB:[^:]*]]: tensor<16x8xbf16> {bufferization.writable = false, llm.param = "model.embed_tokens.weight"},
// CHECK-SAME: %[[HEAD:[^:]*]]: tensor<8x8xf32> {bufferization.writable = false, llm.param = "lm_head.weight"})
// CHECK-SAME: -> tensor<1x8xf32>
// CHECK-NOT: llm.param
// CHECK: %[[N:.*]] = llm.rms_norm %[[X]], %[[NORM]]
// CHECK: %[[Y:.*]] = llm.matmul %[[N]], %[[HEAD]]
// CHECK: return %[[Y]]
func.func @decode(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %l = llm.param "lm_head.weight" : tensor<8x8xf32>
  %w = llm.param "model.norm.weight" : tensor<8xf32>
  %0 = llm.rms_norm %x, %w eps = 1.0e-5 : tensor<1x8xf32>, tensor<8xf32>
  %1 = llm.matmul %0, %l : tensor<1x8xf32>, tensor<8x8xf32> -> tensor<1x8xf32>
  return %1 : tensor<1x8xf32>
}

// A function without parameters keeps its signature.
// CHECK-LABEL: func.func @no_parameters(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: return %[[X]]
func.func @no_parameters(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  return %x : tensor<1x8xf32>
}

// -----

// Parameters of linalg code (the pass runs after convert-llm-to-linalg) and
// in nested regions are bound too; the arguments follow the existing ones.
// CHECK: module attributes {llm.parameters = [{dtype = "f32", name = "w", shape = [4]}, {dtype = "f16", name = "v", shape = [2, 3]}]}
// CHECK-LABEL: func.func @nested(
// CHECK-SAME: %[[C:[^:]*]]: i1, %[[Y:[^:]*]]: tensor<4xf32>,
// CHECK-SAME: %[[W:[^:]*]]: tensor<4xf32> {bufferization.writable = false, llm.param = "w"},
// CHECK-SAME: %[[V:[^:]*]]: tensor<2x3xf16> {bufferization.writable = false, llm.param = "v"})
// CHECK-NOT: llm.param
// CHECK: scf.if %[[C]]
// CHECK: linalg.generic {{.*}} ins(%[[W]], %[[Y]] : tensor<4xf32>, tensor<4xf32>)
// CHECK: scf.yield
// CHECK: else
// CHECK: scf.yield %[[W]]
// CHECK: return {{.*}}, %[[V]] : tensor<4xf32>, tensor<2x3xf16>
func.func @nested(%c: i1, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<2x3xf16>) {
  %r = scf.if %c -> tensor<4xf32> {
    %w = llm.param "w" : tensor<4xf32>
    %e = tensor.empty() : tensor<4xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%w, %y : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %0 = arith.addf %a, %b : f32
      linalg.yield %0 : f32
    } -> tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  } else {
    %w = llm.param "w" : tensor<4xf32>
    scf.yield %w : tensor<4xf32>
  }
  %v = llm.param "v" : tensor<2x3xf16>
  return %r, %v : tensor<4xf32>, tensor<2x3xf16>
}

// -----

// Without parameters the module gets no table.
// CHECK-NOT: llm.parameters
// CHECK-LABEL: func.func @plain(
// CHECK-SAME: %{{[^:]*}}: tensor<2xf32>) -> tensor<2xf32>
func.func @plain(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// -----

// A parameter derived from a checkpoint tensor (#llm.int4) has its
// derivation in its table entry, as builtin attributes (the lowered module
// holds no llm dialect), so that the runtime can compute it when it loads the
// model; plain parameters have no `derived`. The same derived name used twice
// gives one entry. (The table does not check that the parts agree on the
// number of groups: the verifiers of the ops that read them do.)
// CHECK: module attributes {llm.parameters = [
// CHECK-SAME: {derived = {column_scale = "", format = "rtn", group_size = 32 : i64, input_scale = "", part = "qweight", scheme = "int4", source = "model.layers.0.mlp.up_proj.weight", stacked_sources = [], symmetric = false}, dtype = "i32", name = "model.layers.0.mlp.up_proj.weight.int4.qweight", shape = [1, 16, 4, 16]},
// CHECK-SAME: {derived = {column_scale = "", format = "rtn", group_size = 32 : i64, input_scale = "", part = "scales", scheme = "int4", source = "model.layers.0.mlp.up_proj.weight", stacked_sources = [], symmetric = false}, dtype = "f32", name = "model.layers.0.mlp.up_proj.weight.int4.scales", shape = [2, 16]},
// CHECK-SAME: {derived = {column_scale = "", format = "rtn", group_size = 32 : i64, input_scale = "", part = "zeros", scheme = "int4", source = "model.layers.0.mlp.up_proj.weight", stacked_sources = [], symmetric = false}, dtype = "f32", name = "model.layers.0.mlp.up_proj.weight.int4.zeros", shape = [2, 16]},
// CHECK-SAME: {dtype = "f32", name = "model.norm.weight", shape = [8]},
// CHECK-SAME: {derived = {column_scale = "", format = "rtn", group_size = 64 : i64, input_scale = "", part = "scales", scheme = "int4", source = "lm_head.weight", stacked_sources = [], symmetric = true}, dtype = "f32", name = "lm_head.weight.int4.scales", shape = [1, 99]}]}
// CHECK-LABEL: func.func @int4(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x16x4x16xi32> {bufferization.writable = false, llm.param = "model.layers.0.mlp.up_proj.weight.int4.qweight"},
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x16xf32> {bufferization.writable = false, llm.param = "model.layers.0.mlp.up_proj.weight.int4.scales"},
// CHECK-SAME: %[[Z:[^:]*]]: tensor<2x16xf32> {bufferization.writable = false, llm.param = "model.layers.0.mlp.up_proj.weight.int4.zeros"},
// CHECK-SAME: %[[N:[^:]*]]: tensor<8xf32> {bufferization.writable = false, llm.param = "model.norm.weight"},
// CHECK-SAME: %[[L:[^:]*]]: tensor<1x99xf32> {bufferization.writable = false, llm.param = "lm_head.weight.int4.scales"})
// CHECK-NOT: llm.param
// CHECK: return %[[Q]], %[[S]], %[[Z]], %[[N]], %[[Q]], %[[L]]
func.func @int4() -> (tensor<1x16x4x16xi32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<8xf32>, tensor<1x16x4x16xi32>, tensor<1x99xf32>) {
  %q = llm.param "model.layers.0.mlp.up_proj.weight.int4.qweight" from <"model.layers.0.mlp.up_proj.weight", "qweight", group_size = 32, symmetric = false> : tensor<1x16x4x16xi32>
  %s = llm.param "model.layers.0.mlp.up_proj.weight.int4.scales" from <"model.layers.0.mlp.up_proj.weight", "scales", group_size = 32, symmetric = false> : tensor<2x16xf32>
  %z = llm.param "model.layers.0.mlp.up_proj.weight.int4.zeros" from <"model.layers.0.mlp.up_proj.weight", "zeros", group_size = 32, symmetric = false> : tensor<2x16xf32>
  %n = llm.param "model.norm.weight" : tensor<8xf32>
  %q2 = llm.param "model.layers.0.mlp.up_proj.weight.int4.qweight" from <"model.layers.0.mlp.up_proj.weight", "qweight", group_size = 32, symmetric = false> : tensor<1x16x4x16xi32>
  %l = llm.param "lm_head.weight.int4.scales" from <"lm_head.weight", "scales", group_size = 64, symmetric = true> : tensor<1x99xf32>
  return %q, %s, %z, %n, %q2, %l : tensor<1x16x4x16xi32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<8xf32>, tensor<1x16x4x16xi32>, tensor<1x99xf32>
}

// -----

// A weight with a norm folded in (llm-fuse-rms-norm) records its base tensor
// (here stacked from two parts) and the column scale; an INT4 pack of such a
// weight records the column scale too.
// CHECK: module attributes {llm.parameters = [
// CHECK-SAME: {derived = {by = "l.norm.weight", scheme = "scale_columns", source = "l.a+b.weight", sources = ["l.a.weight", "l.b.weight"]}, dtype = "f32", name = "l.a+b.weight*l.norm.weight", shape = [6, 4]},
// CHECK-SAME: {derived = {column_scale = "l.norm.weight", format = "rtn", group_size = 8 : i64, input_scale = "", part = "scales", scheme = "int4", source = "l.c.weight", stacked_sources = [], symmetric = false}, dtype = "f32", name = "l.c.weight*l.norm.weight.int4.scales", shape = [1, 3]}]}
func.func @folded() -> (tensor<6x4xf32>, tensor<1x3xf32>) {
  %w = llm.param "l.a+b.weight*l.norm.weight" stacking <["l.a.weight", "l.b.weight"]> scaling_columns_by "l.norm.weight" : tensor<6x4xf32>
  %s = llm.param "l.c.weight*l.norm.weight.int4.scales" from <"l.c.weight", "scales", group_size = 8, symmetric = false, column_scale = "l.norm.weight"> : tensor<1x3xf32>
  return %w, %s : tensor<6x4xf32>, tensor<1x3xf32>
}
