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


def lower(llm_opt, source, lowered, pipeline="--llm-cpu-pipeline"):
    """Lowers `source` to `lowered` with llm-opt, without the (empty) weight
    ABI attribute, which mlir-runner (no llm dialect) cannot parse."""
    subprocess.run([llm_opt, source, pipeline, "-o", lowered], check=True)
    with open(lowered) as f:
        text = re.sub(r"llm\.abi = #llm\.abi<[^>]*>,? ?", "", f.read(), count=1)
    with open(lowered, "w") as f:
        f.write(text)


def seconds_per_call(lowered, calls, threads):
    """Runs a lowered timed_module with `threads` OpenMP threads."""
    libs = ",".join(os.path.join(LIBS, lib) for lib in
                    ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so", "libomp.so"))
    proc = subprocess.run(["mlir-runner-22", lowered, "-e", "main",
                           "-entry-point-result=void", "-O3", f"-shared-libs={libs}"],
                          capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    if proc.returncode != 0:
        sys.exit(f"mlir-runner failed:\n{proc.stderr}")
    return float(proc.stdout.split()[0]) / calls
