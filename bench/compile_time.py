#!/usr/bin/python3
"""Compile time at any depth, start-up from the compile cache and from an
ahead-of-time artifact, and run-time speed of the layer-function IR, side by
side in one run.

1. Import -> LLVM dialect (`llm-translate --import-llama-preset NAME |
   llm-opt --llm-cpu-pipeline`) for llama-2-7b (32 layers) and llama-2-70b
   (80 layers): wall time, peak RSS, output size. With --unrolled, also the
   same modules with every layer inlined first (`--inline`), which is what
   the compiler did before it emitted one decoder-layer function.
2. For random checkpoints shaped like stories110M and TinyLlama-1.1B
   (bench/out, made when missing), F32 and INT4 (group 128):
   - first run: llm-run's compile time with an empty compile cache;
   - cached start: code ready (llm-run's compile_ms, from the cache) and the
     whole process's wall time outside weight loading, prefill and decode;
   - AOT start: the same for a shared library written by llm-compile.
3. Prompt (128 tokens) and decode (64 tokens) tokens/s of the layer-function
   module against the unrolled one (same llm-run, interleaved rounds).

Usage: bench/compile_time.py [--unrolled] [--models stories110M,tinyllama]
       [--threads 2] [--rounds 2] [--build build]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
PROMPT128 = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 2 for k in range(127)])
PRESETS = {"stories110M": "stories110M", "tinyllama": "tinyllama"}


def checkpoint(name):
    path = os.path.join(OUT, name + "-f32")
    if not os.path.exists(os.path.join(path, "config.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "python", "make_checkpoint.py"),
                        "--out", path, "--preset", PRESETS[name], "--no-tie", "--seed", "1",
                        "--dtype", "f32"], check=True, stdout=subprocess.DEVNULL)
    return path


def peak_rss_mib(cmd):
    """Peak RSS of `cmd` (a pipeline given as a shell string), via GNU time."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M %e", "sh", "-c", cmd],
                         check=True, capture_output=True, text=True)
    kib, wall = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kib) / 1024.0


def compile_presets(bindir, unrolled, work):
    rows = []
    variants = [("layer function", "")] + ([("unrolled (--inline)", "--inline ")] if unrolled else [])
    for label, extra in variants:
        for preset in ["llama-2-7b", "llama-2-70b"]:
            out = os.path.join(work, f"{preset}.ll.mlir")
            cmd = (f"{bindir}/llm-translate --import-llama-preset {preset} | "
                   f"{bindir}/llm-opt {extra}--llm-cpu-pipeline -o {out}")
            # The best of three (the machine is shared).
            runs = [peak_rss_mib(cmd) for _ in range(1 if extra else 3)]
            wall = min(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            rows.append((label, preset, wall, rss, os.path.getsize(out) / 1e6))
    print("\n## Import -> LLVM dialect")
    print("| IR | model | wall s | peak RSS MiB (largest process) | output MB |")
    print("|---|---|---|---|---|")
    for label, preset, wall, rss, size in rows:
        print(f"| {label} | {preset} | {wall:.2f} | {rss:.0f} | {size:.1f} |")
    by = {(r[0], r[1]): r[2] for r in rows}
    ratio = by[("layer function", "llama-2-70b")] / by[("layer function", "llama-2-7b")]
    print(f"\n70b / 7b compile time (layer function): {ratio:.2f}")


def llm_run(bindir, module, model, threads, cache, prompt, n):
    cmd = [os.path.join(bindir, "llm-run"), module, "-m", model, "-t", str(threads),
           "--prompt-ids", prompt, "-n", str(n), "--temp", "0", "--ignore-eos", "--json"]
    cmd += ["--cache-dir", cache] if cache else ["--no-cache"]
    start = time.monotonic()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - start
    return wall, json.loads(out.strip().splitlines()[-1])["timings"]


def overhead_ms(wall, timings):
    """The process's wall time outside weight loading and the model's own
    computation (prefill, decode): starting, reading the tokenizer, getting
    the code ready, exiting."""
    return (wall * 1000 - timings["load_ms"] - timings["prompt_ms"]
            - timings["generation_ms"])


def starts_and_speed(bindir, name, threads, rounds, work):
    model = checkpoint(name)
    graph = os.path.join(work, name + ".graph.mlir")
    subprocess.run([os.path.join(bindir, "llm-translate"), "--import-llama-config", model,
                    "-o", graph], check=True)
    start_rows, speed_rows = [], []
    for kind, passes in [("F32", []), ("INT4 g128", ["--llm-quantize-int4=group-size=128"])]:
        modules = {}
        for label, extra in [("layer", []), ("unrolled", ["--inline"])]:
            modules[label] = os.path.join(work, f"{name}-{kind[:4]}-{label}.mlir")
            subprocess.run([os.path.join(bindir, "llm-opt"), graph, *passes, *extra,
                            "--llm-cpu-pipeline", "-o", modules[label]], check=True)
        artifact = os.path.join(work, f"{name}-{kind[:4]}.so")
        t0 = time.monotonic()
        subprocess.run([os.path.join(bindir, "llm-compile"), modules["layer"], "-o", artifact],
                       check=True)
        aot_build = time.monotonic() - t0
        cache = os.path.join(work, f"cache-{name}-{kind[:4]}")
        shutil.rmtree(cache, ignore_errors=True)
        # First run: compiles (and prepares the weights, cached for the rest).
        wall, first = llm_run(bindir, modules["layer"], model, threads, cache, "1", 1)
        cached = aot = None
        for _ in range(rounds):
            wall, t = llm_run(bindir, modules["layer"], model, threads, cache, "1", 1)
            start_ms = overhead_ms(wall, t)
            if cached is None or start_ms < cached[1]:
                cached = (t["compile_ms"], start_ms)
            wall, t = llm_run(bindir, artifact, model, threads, cache, "1", 1)
            start_ms = overhead_ms(wall, t)
            if aot is None or start_ms < aot[1]:
                aot = (t["compile_ms"], start_ms)
        start_rows.append((name, kind, first["compile_ms"], cached, aot, aot_build))
        # Speed, interleaved: the best of `rounds` for each module.
        best = {}
        for _ in range(rounds):
            for label, module in modules.items():
                _, t = llm_run(bindir, module, model, threads, cache, PROMPT128, 64)
                b = best.setdefault(label, [0.0, 0.0])
                b[0] = max(b[0], t["prompt_tokens_per_s"])
                b[1] = max(b[1], t["generation_tokens_per_s"])
        speed_rows.append((name, kind, best["layer"], best["unrolled"]))
    return start_rows, speed_rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unrolled", action="store_true",
                        help="also compile the presets with every layer inlined (slow: ~1 min, 3.6 GB for 70b)")
    parser.add_argument("--models", default="stories110M,tinyllama")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    bindir = os.path.join(ROOT, args.build, "bin")
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="compile-time-")
    try:
        compile_presets(bindir, args.unrolled, work)
        starts, speeds = [], []
        for name in [m for m in args.models.split(",") if m]:
            s, v = starts_and_speed(bindir, name, args.threads, args.rounds, work)
            starts += s
            speeds += v
        if starts:
            print(f"\n## Start-up ({args.threads} threads; ms; 'overhead' is the whole process's "
                  "wall time outside weight loading, prefill and decode: start, tokenizer, code, exit)")
            print("| model | weights | first-run compile | cached: code ready | cached: overhead "
                  "| AOT: code ready | AOT: overhead | llm-compile s |")
            print("|---|---|---|---|---|---|---|---|")
            for name, kind, first, cached, aot, build in starts:
                print(f"| {name} | {kind} | {first:.0f} | {cached[0]:.1f} | {cached[1]:.0f} "
                      f"| {aot[0]:.1f} | {aot[1]:.0f} | {build:.1f} |")
            print(f"\n## Speed, layer function vs unrolled ({args.threads} threads, best of "
                  f"{args.rounds} interleaved rounds; tokens/s)")
            print("| model | weights | prompt (128) layer | prompt unrolled | decode (64) layer "
                  "| decode unrolled |")
            print("|---|---|---|---|---|---|")
            for name, kind, layer, unrolled in speeds:
                print(f"| {name} | {kind} | {layer[0]:.1f} | {unrolled[0]:.1f} | {layer[1]:.1f} "
                      f"| {unrolled[1]:.1f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
