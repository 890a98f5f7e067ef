#!/usr/bin/python3
"""Start-up with warm caches: INT4 against F32, from process start to first token.

Compiles the same checkpoint (the stories110M-shaped F32 one by default) as
a plain F32 module and as an INT4 module (llm-quantize-int4), runs each
once to fill the caches (compiled code, prepared weights), then times whole
llm-run processes that prefill a 32-token prompt and sample one token (wall
time: parsing nothing, reading cached code, binding and validating the
weights, prefill), in interleaved rounds. Prints the best wall time of each
and the ratio INT4 / F32, with llm-run's own split (compile, load, time to
first token).

Usage: bench/cached_start.py [MODEL_DIR] [--repeats 5] [--threads 2] [--build build]
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 2 for k in range(31)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=os.path.join(ROOT, "bench", "out", "stories110M-f32"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    bindir = os.path.join(ROOT, args.build, "bin")
    work = tempfile.mkdtemp(prefix="cached-start-")
    try:
        graph = subprocess.run([os.path.join(bindir, "llm-translate"), "--import-llama-config",
                                args.model], check=True, capture_output=True).stdout
        modules = {}
        for name, passes in [("f32", []), ("int4", [f"--llm-quantize-int4=group-size={args.group_size}"])]:
            modules[name] = os.path.join(work, name + ".mlir")
            subprocess.run([os.path.join(bindir, "llm-opt"), *passes, "--llm-cpu-pipeline",
                            "-o", modules[name]], input=graph, check=True)
        cache = os.path.join(work, "cache")

        def run(name):
            cmd = [os.path.join(bindir, "llm-run"), modules[name], "-m", args.model,
                   "-t", str(args.threads), "--cache-dir", cache, "--prompt-ids", PROMPT,
                   "-n", "1", "--temp", "0", "--json"]
            start = time.monotonic()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            wall = time.monotonic() - start
            return wall, json.loads(out.strip().splitlines()[-1])["timings"]

        for name in modules:  # fill the caches
            run(name)
        best = {}
        for _ in range(args.repeats):
            for name in modules:
                wall, timings = run(name)
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, timings)
        print(f"{args.model}: {args.threads} threads, 32-token prompt, warm caches, best of {args.repeats}")
        print(f"{'module':<6} {'wall s':>7} {'compile s':>10} {'cached':>7} {'load s':>7} {'TTFT s':>7}")
        for name, (wall, t) in best.items():
            print(f"{name:<6} {wall:>7.2f} {t['compile_ms'] / 1000:>10.2f} {str(t['compile_cached']):>7} "
                  f"{t['load_ms'] / 1000:>7.2f} {t['time_to_first_token_ms'] / 1000:>7.2f}")
        print(f"INT4 / F32 start to first token: {best['int4'][0] / best['f32'][0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
