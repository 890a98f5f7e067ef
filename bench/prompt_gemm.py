#!/usr/bin/python3
"""One prompt-processing linear layer (llm.matmul over dynamic rows),
compiled by llm-cpu-pipeline and run with mlir-runner: milliseconds per
call and GFLOP/s for the layer shapes of stories110M, TinyLlama-1.1B and
LLaMA-7B, F32 and BF16 weights.

The rows are dynamic, as in a prompt (blocks of rows kept in registers,
the rest one by one). Inputs and weights are constants: speed does not
depend on their values.

Usage: bench/prompt_gemm.py [--build build] [--rows 128] [--threads 2]
       [--calls 10] [--repeats 2]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS = "/usr/lib/llvm-22/lib"

# (name, outputs, inputs)
SHAPES = [
    ("stories110M ffn up", 2048, 768),
    ("stories110M lm head", 32000, 768),
    ("tinyllama ffn up", 5632, 2048),
    ("tinyllama ffn down", 2048, 5632),
    ("llama-7b attn q", 4096, 4096),
    ("llama-7b ffn up", 11008, 4096),
]


def module(out, inputs, rows, calls, wtype):
    x = f"tensor<?x{inputs}xf32>"
    w = f"tensor<{out}x{inputs}x{wtype}>"
    y = f"tensor<?x{out}xf32>"
    return f"""
func.func private @rtclock() -> f64
func.func private @printF64(f64)
func.func private @printNewline()

func.func @layer(%x: {x}, %w: {w}) -> {y} {{
  %y = llm.matmul %x, %w : {x}, {w} -> {y}
  return %y : {y}
}}

func.func @main() {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %calls = arith.constant {calls} : index
  %rows = arith.constant {rows} : index
  %never = arith.constant false
  %one = arith.constant 1.0 : f32
  %wone = arith.constant 1.0 : {wtype}
  %x0 = tensor.empty(%rows) : {x}
  %x = linalg.fill ins(%one : f32) outs(%x0 : {x}) -> {x}
  %w0 = tensor.empty() : {w}
  %w = linalg.fill ins(%wone : {wtype}) outs(%w0 : {w}) -> {w}
  %warm = func.call @layer(%x, %w) : ({x}, {w}) -> {y}
  %t0 = func.call @rtclock() : () -> f64
  scf.for %i = %c0 to %calls step %c1 {{
    %y = func.call @layer(%x, %w) : ({x}, {w}) -> {y}
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    llm_opt = os.path.join(ROOT, args.build, "bin", "llm-opt")
    work = tempfile.mkdtemp(prefix="prompt-gemm-")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    libs = ",".join(os.path.join(LIBS, lib) for lib in
                    ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so", "libomp.so"))
    print(f"prompt layer of {args.rows} rows, {args.threads} threads, best of {args.repeats}\n")
    print("| layer | weights | outputs x inputs | ms per call | GFLOP/s |")
    print("|---|---|---|---|---|")
    for name, out, inputs in SHAPES:
        for wtype in ("f32", "bf16"):
            source = os.path.join(work, "layer.mlir")
            lowered = os.path.join(work, "layer.llvm.mlir")
            with open(source, "w") as f:
                f.write(module(out, inputs, args.rows, args.calls, wtype))
            subprocess.run([llm_opt, source, "--llm-cpu-pipeline", "-o", lowered], check=True)
            # mlir-runner knows no llm dialect: drop the (empty) weight ABI.
            with open(lowered) as f:
                text = re.sub(r"llm\.abi = #llm\.abi<[^>]*>,? ?", "", f.read(), count=1)
            with open(lowered, "w") as f:
                f.write(text)
            best = None
            for _ in range(args.repeats):
                proc = subprocess.run(["mlir-runner-22", lowered, "-e", "main",
                                       "-entry-point-result=void", "-O3",
                                       f"-shared-libs={libs}"],
                                      capture_output=True, text=True, env=env)
                if proc.returncode != 0:
                    sys.exit(f"mlir-runner failed:\n{proc.stderr}")
                seconds = float(proc.stdout.split()[0]) / args.calls
                best = seconds if best is None else min(best, seconds)
            flops = 2.0 * args.rows * out * inputs
            print(f"| {name} | {wtype} | {out} x {inputs} | {best * 1e3:.2f} | "
                  f"{flops / best / 1e9:.0f} |", flush=True)


if __name__ == "__main__":
    main()
