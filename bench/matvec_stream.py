#!/usr/bin/python3
"""How fast decode's matrix-vector products stream their weights, by the
number of vector accumulators of a row read at a time.

Each shape is one `llm.matmul` of a single row over [out, in] weights (F32
or BF16), sized to about 256 MiB so that the weights come from memory, not
cache: rows as long as the hidden and intermediate sizes of the models the
bench tables use (768: stories110M; 2048 and 5632: TinyLlama; 4096 and
11008: 7B). It is lowered by llm-opt --llm-cpu-pipeline with each value of
`matrix-vector-accumulators` (and the `row-at-a-time-max-bytes` given) and
run with mlir-runner in interleaved rounds; the table has the best round's
GB/s of weights, and llm-membw's read bandwidth for the same threads.

Usage: bench/matvec_stream.py [--build build] [--threads 1]
       [--accumulators 2,4,8] [--dtype f32] [--rounds 3] [--calls 10]
"""

import argparse
import os
import subprocess
import sys
import tempfile

from layer_timing import lower, matmul_module, seconds_per_call

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW_LENGTHS = [768, 2048, 4096, 5632, 11008]
TARGET_BYTES = 256 << 20


def membw(build, threads):
    out = subprocess.run([os.path.join(ROOT, build, "bin", "llm-membw"), str(threads),
                          str(threads)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith(f"threads={threads} "):
            return float(line.split("read_GBps=")[1])
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--accumulators", default="2,4,8")
    parser.add_argument("--row-at-a-time-max-bytes", type=int, default=None)
    parser.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    llm_opt = os.path.join(ROOT, args.build, "bin", "llm-opt")
    library = os.path.join(ROOT, args.build, "lib", "libllm.so")
    accumulators = [int(a) for a in args.accumulators.split(",")]
    element_bytes = 4 if args.dtype == "f32" else 2
    work = tempfile.mkdtemp(prefix="matvec-stream-")
    compiled = {}
    for inputs in ROW_LENGTHS:
        out = max(64, TARGET_BYTES // (element_bytes * inputs) // 64 * 64)
        source = os.path.join(work, f"{inputs}.mlir")
        with open(source, "w") as f:
            f.write(matmul_module(out, inputs, args.dtype, args.calls))
        for acc in accumulators:
            options = [f"matrix-vector-accumulators={acc}"]
            if args.row_at_a_time_max_bytes is not None:
                options.append(f"row-at-a-time-max-bytes={args.row_at_a_time_max_bytes}")
            lowered = os.path.join(work, f"{inputs}-{acc}.llvm.mlir")
            lower(llm_opt, source, lowered, "--llm-cpu-pipeline=" + " ".join(options))
            compiled[(inputs, acc)] = (lowered, out)
    best = {}
    for _ in range(args.rounds):  # interleaved rounds
        for key, (lowered, out) in compiled.items():
            seconds = seconds_per_call(lowered, args.calls, args.threads, library)
            gbps = out * key[0] * element_bytes / seconds / 1e9
            best[key] = max(best.get(key, 0.0), gbps)
    bandwidth = membw(args.build, args.threads)
    print(f"decode matrix-vector products, {args.dtype} weights (~256 MiB each), "
          f"{args.threads} thread(s), best of {args.rounds}; llm-membw reads "
          f"{bandwidth:.1f} GB/s\n")
    print("| row length | " + " | ".join(f"{a} accumulators, GB/s" for a in accumulators) + " |")
    print("|---|" + "---|" * len(accumulators))
    for inputs in ROW_LENGTHS:
        print(f"| {inputs} | " + " | ".join(f"{best[(inputs, a)]:.1f}" for a in accumulators)
              + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
