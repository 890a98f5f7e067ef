"""Shared by the one-layer benches (int4_kernel.py, prompt_gemm.py): a
module that times `--calls` calls of a layer function, lowered by
llm-cpu-pipeline and run with mlir-runner."""

import os
import re
import subprocess
import sys

LIBS = "/usr/lib/llvm-22/lib"


def timed_module(layer, params, x, y, setup, args, types, calls, x_sizes="",
                 constants=""):
    """A module whose @layer(%x: x, params) -> y computes `layer` (an op
    writing %y) and whose @main defines `constants`, fills %x with ones
    (dynamic sizes `x_sizes`), runs `setup`, calls @layer(args) once to warm up, then
    `calls` times, and prints the seconds those took."""
    return f"""
func.func private @rtclock() -> f64
func.func private @printF64(f64)
func.func private @printNewline()

func.func @layer(%x: {x}, {params}) -> {y} {{
  %y = {layer}
  return %y : {y}
}}

func.func @main() {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %calls = arith.constant {calls} : index
  %never = arith.constant false
  %one = arith.constant 1.0 : f32{constants}
  %x0 = tensor.empty({x_sizes}) : {x}
  %x = linalg.fill ins(%one : f32) outs(%x0 : {x}) -> {x}{setup}
  %warm = func.call @layer({args}) : ({types}) -> {y}
  %t0 = func.call @rtclock() : () -> f64
  scf.for %i = %c0 to %calls step %c1 {{
    %y = func.call @layer({args}) : ({types}) -> {y}
    %v = tensor.extract %y[%c0, %c0] : {y}
    %d = arith.extf %v : f32 to f64
    scf.if %never {{
      func.call @printF64(%d) : (f64) -> ()
    }}
  }}
  %t1 = func.call @rtclock() : () -> f64
  %dt = arith.subf %t1, %t0 : f64
  func.call @printF64(%dt) : (f64) -> ()
  func.call @printNewline() : () -> ()
  return
}}
"""


def matmul_module(out, inputs, wtype, calls, rows=None):
    """A timed_module of one `llm.matmul` over [out, inputs] weights of
    `wtype` filled with ones: of one static row (decode) when `rows` is
    None, else of `rows` rows given as a dynamic size (a prompt)."""
    x = f"tensor<{'?' if rows else 1}x{inputs}xf32>"
    w = f"tensor<{out}x{inputs}x{wtype}>"
    y = f"tensor<{'?' if rows else 1}x{out}xf32>"
    setup = f"""
  %wone = arith.constant 1.0 : {wtype}
  %w0 = tensor.empty() : {w}
  %w = linalg.fill ins(%wone : {wtype}) outs(%w0 : {w}) -> {w}"""
    dynamic = dict(x_sizes="%rows", constants=f"\n  %rows = arith.constant {rows} : index") \
        if rows else {}
    return timed_module(f"llm.matmul %x, %w : {x}, {w} -> {y}", f"%w: {w}", x, y, setup,
                        "%x, %w", f"{x}, {w}", calls, **dynamic)


def lower(llm_opt, source, lowered, pipeline="--llm-cpu-pipeline"):
    """Lowers `source` to `lowered` with llm-opt, without the (empty) weight
    ABI attribute, which mlir-runner (no llm dialect) cannot parse."""
    subprocess.run([llm_opt, source, pipeline, "-o", lowered], check=True)
    with open(lowered) as f:
        text = re.sub(r"llm\.abi = #llm\.abi<[^>]*>,? ?", "", f.read(), count=1)
    with open(lowered, "w") as f:
        f.write(text)


def seconds_per_call(lowered, calls, threads, llm_library=None):
    """Runs a lowered timed_module with `threads` OpenMP threads. Compiled
    code allocates its buffers from the runtime's working memory
    (`_mlir_memref_to_llvm_alloc` and `_free`), which `llm_library` (default:
    build/lib/libllm.so of this checkout) defines."""
    if llm_library is None:
        llm_library = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "build", "lib", "libllm.so")
    if not os.path.exists(llm_library):
        sys.exit(f"{llm_library} not found: build the project first")
    libs = ",".join([os.path.join(LIBS, lib) for lib in
                     ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so", "libomp.so")]
                    + [llm_library])
    proc = subprocess.run(["mlir-runner-22", lowered, "-e", "main",
                           "-entry-point-result=void", "-O3", f"-shared-libs={libs}"],
                          capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    if proc.returncode != 0:
        sys.exit(f"mlir-runner failed:\n{proc.stderr}")
    return float(proc.stdout.split()[0]) / calls
