#!/usr/bin/python3
"""One decode-step linear layer, INT4 against F32, compiled by llm-cpu-pipeline.

Builds a module whose @main calls a one-row layer `--calls` times (a
`llm.matmul_int4` of [out, in] weights in groups of `--group-size`, and
the same layer as an F32 `llm.matmul`), lowers it with llm-opt
--llm-cpu-pipeline (and the INT4 layer again with int4-kernel=x86-avx2
x86-avx512 and x86-avx512-vnni where the CPU has AVX2, AVX-512BW and
AVX512-VNNI) and runs it with mlir-runner, then prints the time per
call, the bytes of weights read per second and the ratio. The default
shape (32768 x 16384, 256 MiB of INT4 words) is 8 times a 32 MiB L3
cache, so the figures are those of a layer streamed from memory: at
16384 x 8192 (64 MiB) part of the INT4 layer stayed in the L3 cache from
one call to the next, and the INT4 kernels measured up to 1.3x faster
than from memory. Weights are filled
with constants: speed does not depend on their values.

Usage: bench/int4_kernel.py [--build build] [--out 32768] [--in 16384]
       [--group-size 128] [--calls 20] [--threads 2] [--repeats 3]
       [--symmetric]
"""

import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from llm_compiler.cpu import cpu_flags  # noqa: E402
from layer_timing import lower, seconds_per_call, timed_module  # noqa: E402


def row_tile(out):
    """Rows per tile of an INT4 pack (Int4Layout.h)."""
    tile = 128
    while tile > 1 and out % tile:
        tile //= 2
    return tile


def module(kind, out, inputs, group, calls, symmetric=False):
    groups = -(-inputs // group)
    x = f"tensor<1x{inputs}xf32>"
    y = f"tensor<1x{out}xf32>"
    if kind == "int4":
        tile = row_tile(out)
        q = f"tensor<{out // tile}x{groups}x{group // 8}x{tile}xi32>"
        s = f"tensor<{out // tile}x{groups}x{tile}xf16>"
        z = f"tensor<{out // tile}x{groups}x{tile}xi8>"
        if symmetric:  # no zero points: all are 8
            params = f"%q: {q}, %s: {s}"
            layer = (f"llm.matmul_int4 %x, %q, %s group_size = {group} : "
                     f"{x}, {q}, {s} -> {y}")
        else:
            params = f"%q: {q}, %s: {s}, %z: {z}"
            layer = (f"llm.matmul_int4 %x, %q, %s, %z group_size = {group} : "
                     f"{x}, {q}, {s}, {z} -> {y}")
        setup = f"""
  %q0 = tensor.empty() : {q}
  %word = arith.constant 1985229328 : i32
  %q = linalg.fill ins(%word : i32) outs(%q0 : {q}) -> {q}
  %s0 = tensor.empty() : {s}
  %half = arith.constant 1.0 : f16
  %s = linalg.fill ins(%half : f16) outs(%s0 : {s}) -> {s}
  %z0 = tensor.empty() : {z}
  %eight = arith.constant 8 : i8
  %z = linalg.fill ins(%eight : i8) outs(%z0 : {z}) -> {z}"""
        if symmetric:
            args, types = "%x, %q, %s", f"{x}, {q}, {s}"
        else:
            args, types = "%x, %q, %s, %z", f"{x}, {q}, {s}, {z}"
    else:
        w = f"tensor<{out}x{inputs}xf32>"
        params = f"%w: {w}"
        layer = f"llm.matmul %x, %w : {x}, {w} -> {y}"
        setup = f"""
  %w0 = tensor.empty() : {w}
  %w = linalg.fill ins(%one : f32) outs(%w0 : {w}) -> {w}"""
        args, types = "%x, %w", f"{x}, {w}"
    return timed_module(layer, params, x, y, setup, args, types, calls)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--out", type=int, default=32768)
    parser.add_argument("--in", dest="inputs", type=int, default=16384)
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--symmetric", action="store_true",
                        help="INT4 packs without zero points (all 8), as GGUF Q4_0")
    args = parser.parse_args()
    if args.group_size % 8:
        sys.exit("--group-size must be a multiple of 8")
    llm_opt = os.path.join(ROOT, args.build, "bin", "llm-opt")
    work = tempfile.mkdtemp(prefix="int4-kernel-")
    groups = -(-args.inputs // args.group_size)
    weight_bytes = {
        "f32": args.out * args.inputs * 4,
        # words, then f16 scales and i8 zero points
        "int4": groups * args.group_size // 2 * args.out
        + (2 if args.symmetric else 3) * groups * args.out,
    }
    # The x86 kernels (int16 inputs, vpmaddwd; int8 inputs, vpdpbusd) where
    # the CPU has them.
    kernels = {"int4 avx2": ("avx2", "x86-avx2"), "int4 avx512": ("avx512bw", "x86-avx512"),
               "int4 avx512 vnni": ("avx512_vnni", "x86-avx512-vnni")}
    kinds = ["f32", "int4"]
    flags = cpu_flags()
    for kind, (feature, _) in kernels.items():
        if feature in flags:
            kinds.append(kind)
            weight_bytes[kind] = weight_bytes["int4"]
    compiled = {}
    for kind in kinds:
        name = kind.replace(" ", "_")
        source = os.path.join(work, f"{name}.mlir")
        with open(source, "w") as f:
            f.write(module(kind.split()[0], args.out, args.inputs, args.group_size,
                           args.calls, args.symmetric))
        compiled[kind] = os.path.join(work, f"{name}.llvm.mlir")
        pipeline = (f"--llm-cpu-pipeline=int4-kernel={kernels[kind][1]}" if kind in kernels
                    else "--llm-cpu-pipeline")
        lower(llm_opt, source, compiled[kind], pipeline)
    best = {}
    for _ in range(args.repeats):  # interleaved rounds
        for kind in kinds:
            seconds = seconds_per_call(compiled[kind], args.calls, args.threads,
                                       os.path.join(ROOT, args.build, "lib", "libllm.so"))
            best[kind] = min(best.get(kind, seconds), seconds)
    print(f"one-row layer {args.out} x {args.inputs}, "
          f"{'symmetric ' if args.symmetric else ''}INT4 groups of {args.group_size}, "
          f"{args.threads} threads, best of {args.repeats}\n")
    print("| weights | MiB read | us per call | GB/s of weights | speed vs f32 |")
    print("|---|---|---|---|---|")
    for kind in kinds:
        print(f"| {kind} | {weight_bytes[kind] / 2**20:.1f} | {best[kind] * 1e6:.0f} | "
              f"{weight_bytes[kind] / best[kind] / 1e9:.1f} | "
              f"{best['f32'] / best[kind]:.2f}x |")


if __name__ == "__main__":
    main()
