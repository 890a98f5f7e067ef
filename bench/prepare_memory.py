#!/usr/bin/python3
"""Preparing weights (@prepare) and running on them: time and peak memory.

For a checkpoint directory (e.g. one written by bench/make_large_checkpoint.py)
and a recipe of graph passes, compiles the module, then runs llm-run three
times with a fresh cache directory and prints, for each run, its wall time,
its peak RSS (and the ratio to the checkpoint's size), and llm-run's own
figures (compile, time to first token, generation tokens/s):

  prepare   --prepare-only: binds the checkpoint, runs @prepare (INT4
            packs, stacked weights), writes the cache;
  cached    a generation run that reads the prepared weights from the cache
            (the source tensors are hashed to validate it);
  uncached  a generation run with --no-cache (prepares in memory).

The float recipe prepares nothing: one generation run.

Recipes (--recipe): float (no passes), int4 (llm-quantize-int4), full (the
README's llm-fuse-projections, llm-fuse-rms-norm, llm-fuse-attention,
llm-quantize-int4).

Usage: bench/prepare_memory.py MODEL_DIR [--recipe full] [--group-size 128]
                               [--threads 2] [--tokens 16] [--build build]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from measure import measured

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 2 for k in range(31)])


def recipe_passes(recipe, group_size):
    quantize = f"--llm-quantize-int4=group-size={group_size}"
    return {"float": [], "int4": [quantize],
            "full": ["--llm-fuse-projections", "--llm-fuse-rms-norm",
                     "--llm-fuse-attention", quantize]}[recipe]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--recipe", choices=["float", "int4", "full"], default="full")
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    bindir = os.path.join(ROOT, args.build, "bin")
    ckpt = sum(os.path.getsize(os.path.join(args.model, f))
               for f in os.listdir(args.model) if f.endswith(".safetensors"))
    work = tempfile.mkdtemp(prefix="prepare-memory-")
    try:
        module = os.path.join(work, "model.mlir")
        start = time.monotonic()
        graph = subprocess.run([os.path.join(bindir, "llm-translate"), "--import-llama-config",
                                args.model], check=True, capture_output=True).stdout
        subprocess.run([os.path.join(bindir, "llm-opt"), *recipe_passes(args.recipe, args.group_size),
                        "--llm-cpu-pipeline", "-o", module], input=graph, check=True)
        print(f"{args.model}: checkpoint {ckpt / 2**30:.2f} GiB, recipe {args.recipe}"
              f" (group {args.group_size}), {args.threads} threads;"
              f" compiled to LLVM dialect in {time.monotonic() - start:.1f} s")
        cache = os.path.join(work, "cache")
        os.makedirs(cache)
        llm_run = [os.path.join(bindir, "llm-run"), module, "-m", args.model, "-t", str(args.threads)]
        generate = ["--prompt-ids", PROMPT, "-n", str(args.tokens), "--temp", "0",
                    "--ignore-eos", "--json"]
        runs = [("prepare", llm_run + ["--prepare-only", "--cache-dir", cache]),
                ("cached", llm_run + generate + ["--cache-dir", cache]),
                ("uncached", llm_run + generate + ["--no-cache"])]
        if args.recipe == "float":  # nothing to prepare: one plain run
            runs = [("run", llm_run + generate + ["--no-cache"])]
        print(f"{'run':<9} {'wall s':>7} {'peak RSS GiB':>13} {'x ckpt':>7} "
              f"{'load s':>7} {'compile s':>10} {'TTFT s':>7} {'gen tok/s':>10}")
        for name, cmd in runs:
            wall, rss, out = measured(cmd)
            stats, load = {}, float("nan")
            if "--json" in cmd:
                stats = json.loads(out.strip().splitlines()[-1]).get("timings", {})
            # Binding, hashing and preparing (or reading the cache).
            ready = re.search(r"prepared weights ready in ([0-9.]+) ms", out)
            if ready:
                load = float(ready.group(1)) / 1000
            elif "load_ms" in stats:
                load = stats["load_ms"] / 1000
            print(f"{name:<9} {wall:>7.1f} {rss / 2**30:>13.2f} {rss / ckpt:>7.2f} {load:>7.1f} "
                  f"{stats.get('compile_ms', float('nan')) / 1000:>10.1f} "
                  f"{stats.get('time_to_first_token_ms', float('nan')) / 1000:>7.2f} "
                  f"{stats.get('generation_tokens_per_s', float('nan')):>10.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
