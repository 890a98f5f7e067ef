#!/usr/bin/python3
"""INT4 against F32 generation speed on the stories110M-shaped checkpoint.

Compiles the same random stories110M-shaped checkpoint (dim 768, 12 layers,
FFN 2048, vocab 32000, untied, F32) as several modules and runs llm-run
with 1 and 2 threads, 32 prompt tokens and 64 greedy tokens each:

  f32              the plain float module
  f32 fused        llm-fuse-projections
  int4             llm-fuse-projections + llm-quantize-int4 (group 128;
                   LM head and embeddings in float)
  int4 + head      the same with the LM head in INT4 too
  int4 avx512      int4 with --llm-cpu-pipeline=int4-kernel=x86-avx512
                   (decode steps on int16 inputs and vpmaddwd; only where
                   the CPU has AVX-512BW)
  int4 avx512 + head   the same with the LM head in INT4 too

and prints the best prompt and generation tokens/s of interleaved rounds
(every module once per round) with the ratio to F32 (INT4 packs are
prepared once, ahead of the timed runs).

Usage: bench/int4_speed.py [--build build] [--repeats 3]
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from llm_compiler.cpu import cpu_flags  # noqa: E402
OUT = os.path.join(ROOT, "bench", "out")
PROMPT = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 2 for k in range(31)])
PIPELINE = "--llm-cpu-pipeline"
X86_PIPELINE = "--llm-cpu-pipeline=int4-kernel=x86-avx512"
# (name, passes, pipeline)
VARIANTS = [
    ("f32", [], PIPELINE),
    ("f32 fused", ["--llm-fuse-projections"], PIPELINE),
    ("int4", ["--llm-fuse-projections", "--llm-quantize-int4"], PIPELINE),
    ("int4 + head", ["--llm-fuse-projections", "--llm-quantize-int4=lm-head=true"], PIPELINE),
    ("int4 avx512", ["--llm-fuse-projections", "--llm-quantize-int4"], X86_PIPELINE),
    ("int4 avx512 + head", ["--llm-fuse-projections", "--llm-quantize-int4=lm-head=true"],
     X86_PIPELINE),
]



def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bin_dir = os.path.join(ROOT, args.build, "bin")
    model = os.path.join(OUT, "stories110M")
    if not os.path.isfile(os.path.join(model, "config.json")):
        os.makedirs(OUT, exist_ok=True)
        run([sys.executable, os.path.join(ROOT, "python", "make_checkpoint.py"), "--out", model,
             "--preset", "stories110M", "--no-tie", "--seed", "1"])
    cache = os.path.join(OUT, "int4-cache")
    variants = [v for v in VARIANTS if v[2] == PIPELINE or "avx512bw" in cpu_flags()]
    if len(variants) < len(VARIANTS):
        print("(this CPU lacks AVX-512BW: the avx512 variants are skipped)")
    modules = {}
    for name, passes, pipeline in variants:
        path = os.path.join(OUT, name.replace(" ", "_").replace("+", "head") + ".mlir")
        ir = run([os.path.join(bin_dir, "llm-translate"), "--import-llama-config", model])
        run([os.path.join(bin_dir, "llm-opt"), *passes, pipeline, "-o", path], input=ir)
        if "int4" in name:
            run([os.path.join(bin_dir, "llm-run"), path, "-m", model, "--quantize-only",
                 "--cache-dir", cache])
        modules[name] = path

    print("stories110M-shaped (random F32 weights); 32 prompt tokens, 64 greedy tokens; "
          f"best of {args.repeats} interleaved rounds\n")
    # Rounds run every module once in turn, so that a slow spell of a shared
    # machine hits all of them rather than one module's repeats.
    best = {}
    for _ in range(args.repeats):
        for threads in (1, 2):
            for name, _, _ in variants:
                out = run([os.path.join(bin_dir, "llm-run"), modules[name], "-m", model,
                           "--prompt-ids", PROMPT, "-n", "64", "--temp", "0", "--json",
                           "-t", str(threads), "--cache-dir", cache])
                t = json.loads(out)["timings"]
                key = (name, threads)
                if key not in best:
                    best[key] = dict(t)
                for field in ("prompt_tokens_per_s", "generation_tokens_per_s"):
                    best[key][field] = max(best[key][field], t[field])
    print("| module | threads | prompt tok/s | gen tok/s | gen vs f32 | prompt vs f32 |")
    print("|---|---|---|---|---|---|")
    for threads in (1, 2):
        base = best[(variants[0][0], threads)]
        for name, _, _ in variants:
            t = best[(name, threads)]
            print(f"| {name} | {threads} | {t['prompt_tokens_per_s']:.1f} | "
                  f"{t['generation_tokens_per_s']:.1f} | "
                  f"{t['generation_tokens_per_s'] / base['generation_tokens_per_s']:.2f}x | "
                  f"{t['prompt_tokens_per_s'] / base['prompt_tokens_per_s']:.2f}x |")


if __name__ == "__main__":
    main()
