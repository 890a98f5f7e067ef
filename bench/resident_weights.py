#!/usr/bin/python3
"""Weights on huge pages or read from the mapped files.

Runs one module on one checkpoint with llm-run's default (the weights that
lie in file mappings, checkpoint tensors read as they are and prepared
buffers read from the cache, copied into memory on transparent huge pages,
runtime/lib/ResidentMemory.cpp) and with --mmap (read where they lie in the
mapped files, 4 KiB pages of the page cache), in interleaved rounds, and
prints load time and decode tokens/s of each (best of the rounds) and their
ratio.

The module is compiled here from the checkpoint unless --module is given:
`--format int4` (INT4 groups of 32, symmetric, LM head included; the
AVX-512 kernel where the CPU has it; the first run prepares and caches the
packs) or `--format f32` (the checkpoint's tensors as they are).

Usage: bench/resident_weights.py --model DIR [--module M.mlir]
       [--format int4|f32] [--threads 1,2] [--rounds 3] [--gen 64]
       [--build build]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from llm_compiler.cpu import int4_kernel  # noqa: E402


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--module")
    parser.add_argument("--format", choices=["int4", "f32"], default="int4")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    bin_dir = os.path.join(ROOT, args.build, "bin")
    work = tempfile.mkdtemp(prefix="resident-weights-")
    module = args.module
    if not module:
        module = os.path.join(work, f"{args.format}.mlir")
        ir = run([os.path.join(bin_dir, "llm-translate"), "--import-llama-config", args.model])
        passes = ["--llm-prefill-last-logits"]
        pipeline = "--llm-cpu-pipeline"
        if args.format == "int4":
            passes.append("--llm-quantize-int4=group-size=32 symmetric=true lm-head=true")
            pipeline += f"=int4-kernel={int4_kernel()}"
        run([os.path.join(bin_dir, "llm-opt"), *passes, pipeline, "-o", module], input=ir)
    cache = os.path.join(work, "cache")
    base = [os.path.join(bin_dir, "llm-run"), module, "-m", args.model, "--cache-dir", cache,
            "--prompt-ids", "1,300,400", "-n", str(args.gen), "--temp", "0", "--ignore-eos",
            "--json"]
    run(base[:-1] + ["-n", "1"])  # prepares and caches the packs (int4)
    threads = [int(t) for t in args.threads.split(",")]
    modes = {"huge pages (default)": [], "mapped file (--mmap)": ["--mmap"]}
    best = {}
    for _ in range(args.rounds):
        for t in threads:
            for mode, flags in modes.items():
                timings = json.loads(run(base + ["-t", str(t)] + flags))["timings"]
                load, tg = best.get((mode, t), (float("inf"), 0.0))
                best[(mode, t)] = (min(load, timings["load_ms"]),
                                   max(tg, timings["generation_tokens_per_s"]))
    print(f"{args.model}, tg{args.gen} after a 3-token prompt, best of {args.rounds} rounds")
    print("| threads | weights | load ms | decode tok/s | decode ratio |")
    print("|---|---|---|---|---|")
    for t in threads:
        mapped = best[("mapped file (--mmap)", t)][1]
        for mode in modes:
            load, tg = best[(mode, t)]
            print(f"| {t} | {mode} | {load:.0f} | {tg:.1f} | {tg / mapped:.2f} |")


if __name__ == "__main__":
    main()
