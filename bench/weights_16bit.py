#!/usr/bin/python3
"""16-bit weights kept 16-bit: speed and peak memory against F32.

Writes the same random checkpoint (same seed, same shapes) with F32, F16 and
BF16 weights and runs each with llm-run (2 threads by default; 32 prompt
tokens, 64 greedy tokens). The module of a 16-bit checkpoint binds its
weights in their stored precision, straight from the mapped file, and
widens them in registers inside the kernels.

Prints, per dtype: the checkpoint's size, llm-run's peak RSS (and its ratio
to the checkpoint size), its JIT compile time, and prompt and generation
tokens/s with their ratio to F32, best of interleaved rounds.

Shapes (--shape): stories110M (768/2048/12 layers, vocab 32000, untied) or
tinyllama (2048/5632/22 layers, 32 heads / 4 KV heads, vocab 32000).

Usage: bench/weights_16bit.py [--build build] [--shape stories110M]
                              [--repeats 3] [--threads 2] [--dtypes f32,f16,bf16]
"""

import argparse
import json
import os
import subprocess
import sys

from measure import measured

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
PROMPT = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 2 for k in range(31)])
SHAPES = {
    "stories110M": ["--preset", "stories110M", "--no-tie"],
    "tinyllama": ["--preset", "tinyllama"],
}


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc.stdout


def checkpoint_bytes(model):
    return sum(os.path.getsize(os.path.join(model, f)) for f in os.listdir(model)
               if f.endswith(".safetensors"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="stories110M")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtypes", default="f32,f16,bf16")
    args = parser.parse_args()
    bin_dir = os.path.join(ROOT, args.build, "bin")
    dtypes = args.dtypes.split(",")

    models = {}
    for dtype in dtypes:
        model = os.path.join(OUT, f"{args.shape}-{dtype}")
        if not os.path.isfile(os.path.join(model, "config.json")):
            os.makedirs(OUT, exist_ok=True)
            run(["/usr/bin/python3", os.path.join(ROOT, "python", "make_checkpoint.py"),
                 "--out", model, "--seed", "1", "--dtype", dtype, *SHAPES[args.shape]])
        models[dtype] = model

    llm_run = os.path.join(bin_dir, "llm-run")
    base_cmd = ["--prompt-ids", PROMPT, "-n", "64", "--temp", "0", "--json",
                "-t", str(args.threads)]
    best, rss = {}, {}
    for _ in range(args.repeats):
        for dtype in dtypes:
            cmd = [llm_run, "-m", models[dtype], *base_cmd]
            out = run(cmd)
            t = json.loads(out)["timings"]
            if dtype not in best:
                best[dtype] = dict(t)
            for field in ("prompt_tokens_per_s", "generation_tokens_per_s"):
                best[dtype][field] = max(best[dtype][field], t[field])
            rss[dtype] = max(rss.get(dtype, 0), measured(cmd)[1])

    print(f"{args.shape}-shaped random checkpoint, {args.threads} threads; 32 prompt tokens, "
          f"64 greedy tokens; best of {args.repeats} interleaved rounds\n")
    print("| weights | checkpoint MB | peak RSS MB | RSS / checkpoint | compile ms | "
          "prompt tok/s | gen tok/s | gen vs f32 | prompt vs f32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = best.get("f32")
    for dtype in dtypes:
        t = best[dtype]
        size = checkpoint_bytes(models[dtype])
        gen_ratio = (f"{t['generation_tokens_per_s'] / base['generation_tokens_per_s']:.2f}x"
                     if base else "-")
        prompt_ratio = (f"{t['prompt_tokens_per_s'] / base['prompt_tokens_per_s']:.2f}x"
                        if base else "-")
        print(f"| {dtype} | {size / 2**20:.0f} | {rss[dtype] / 2**20:.0f} | "
              f"{rss[dtype] / size:.2f} | {t['compile_ms']:.0f} | "
              f"{t['prompt_tokens_per_s']:.1f} | {t['generation_tokens_per_s']:.1f} | "
              f"{gen_ratio} | {prompt_ratio} |")


if __name__ == "__main__":
    main()
