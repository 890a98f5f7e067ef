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
import tempfile

from layer_timing import lower, matmul_module, seconds_per_call

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, outputs, inputs)
SHAPES = [
    ("stories110M ffn up", 2048, 768),
    ("stories110M lm head", 32000, 768),
    ("tinyllama ffn up", 5632, 2048),
    ("tinyllama ffn down", 2048, 5632),
    ("llama-7b attn q", 4096, 4096),
    ("llama-7b ffn up", 11008, 4096),
]


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
    print(f"prompt layer of {args.rows} rows, {args.threads} threads, best of {args.repeats}\n")
    print("| layer | weights | outputs x inputs | ms per call | GFLOP/s |")
    print("|---|---|---|---|---|")
    for name, out, inputs in SHAPES:
        for wtype in ("f32", "bf16"):
            source = os.path.join(work, "layer.mlir")
            lowered = os.path.join(work, "layer.llvm.mlir")
            with open(source, "w") as f:
                f.write(matmul_module(out, inputs, wtype, args.calls, rows=args.rows))
            lower(llm_opt, source, lowered)
            best = min(seconds_per_call(lowered, args.calls, args.threads,
                                        os.path.join(ROOT, args.build, "lib", "libllm.so"))
                       for _ in range(args.repeats))
            flops = 2.0 * args.rows * out * inputs
            print(f"| {name} | {wtype} | {out} x {inputs} | {best * 1e3:.2f} | "
                  f"{flops / best / 1e9:.0f} |", flush=True)


if __name__ == "__main__":
    main()
