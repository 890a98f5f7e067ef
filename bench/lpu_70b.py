#!/usr/bin/python3
"""LLaMA-2-70B on the first-generation Groq LPU, as the compiler plans it.

For each configuration, runs the whole pipeline as a user would
(llm-translate --import-llama-preset | llm-opt [fusions] --llm-lpu-pipeline |
llm-translate --lpu-to-json), measures each step's wall time and peak
memory, and prints the plan's predicted figures. It then walks the decode
schedule's critical path back from its last operation and says where the
time of a token goes (matrix work, attention, vector work, chip-to-chip
transfers), which is what explains the gap to published figures.

Usage: bench/lpu_70b.py [--build build] [--model llama-2-70b]
"""

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CONFIGS = [
    ("8-bit, published 576 chips", "weight-bits=8 chips=576"),
    ("8-bit fused, published 576 chips", "fuse weight-bits=8 chips=576"),
    ("INT4 fused, published 576 chips", "fuse weight-bits=4 chips=576"),
    ("8-bit all fusions, published 576 chips", "fuse-all weight-bits=8 chips=576"),
    ("INT4 all fusions, published 576 chips", "fuse-all weight-bits=4 chips=576"),
    ("8-bit, fewest chips", "weight-bits=8"),
    ("INT4, fewest chips", "weight-bits=4"),
    ("INT4, published 576 chips", "weight-bits=4 chips=576"),
    ("FP16, fewest chips", "weight-bits=16"),
]


def run(cmd, stdin_path, stdout_path):
    """Runs cmd, returning (seconds, peak RSS MiB of that process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout:
        proc = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024.0


def critical_path(schedule):
    """Cycles of the decode critical path by kind of operation."""
    ops = schedule["operations"]
    by_id = {op["id"]: op for op in ops}
    # For each unit, the operations in start order, to find who held it.
    holders = collections.defaultdict(list)
    for op in ops:
        for unit, indices in op["units"].items():
            for i in indices:
                holders[(op["chip"], unit, i)].append(op)
    # A unit is free at the end of an operation; its result is ready a
    # transfer's latency (its hops) later.
    end = lambda o: o["start"] + o["duration"]
    ready = lambda o: end(o) + o.get("latency", 0)
    kinds = collections.Counter()
    op = max(ops, key=ready)
    through_data = True  # reached through its result (its latency counts)
    while op is not None:
        kind = op["op"] if op["op"] != "vector" else "vector"
        if op.get("streamed"):
            # Sent as its matmul produced it: the path goes through the
            # matmul, and the transfer adds only what follows its results.
            source = by_id[op["inputs"][0]]
            kinds[kind] += end(op) + (op.get("latency", 0) if through_data else 0) \
                - ready(source)
            op, through_data = source, True
            continue
        kinds[kind] += op["duration"] + (op.get("latency", 0) if through_data else 0)
        prev = None
        for i in op["inputs"]:
            if ready(by_id[i]) == op["start"]:
                prev, through_data = by_id[i], True
                break
        if prev is None:
            for unit, indices in op["units"].items():
                for i in indices:
                    for other in holders[(op["chip"], unit, i)]:
                        if end(other) == op["start"]:
                            prev, through_data = other, False
        if prev is None and op["start"] > 0:
            kinds["idle"] += op["start"] - max(
                [ready(by_id[i]) for i in op["inputs"]] or [0])
        op = prev
    return kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--model", default="llama-2-70b")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bin_dir = os.path.join(root, args.build, "bin")
    translate = os.path.join(bin_dir, "llm-translate")
    opt = os.path.join(bin_dir, "llm-opt")

    tmp = tempfile.mkdtemp()
    ir = os.path.join(tmp, "model.mlir")
    t_import, m_import = run([translate, "--import-llama-preset", args.model],
                             "/dev/null", ir)
    print(f"{args.model}: import {t_import:.2f} s, peak {m_import:.0f} MiB\n")
    header = ("| configuration | chips (fewest) | stages x TP | decode tok/s/user "
              "| decode latency us | lower bound us | latency / bound "
              "| pipelined users | system tok/s | tok/s per chip | prefill 128 tok ms "
              "| SRAM used | plan s | export s | peak MiB |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    paths = {}
    for label, options in CONFIGS:
        plan = os.path.join(tmp, "plan.mlir")
        out = os.path.join(tmp, label.replace(" ", "_").replace(",", "") + ".json")
        passes = []
        # "fuse": q/k/v and gate/up projections; "fuse-all": also the RMS
        # norms into their matmuls and the rotary embeddings into attention.
        if options.startswith("fuse "):
            passes.append("--llm-fuse-projections")
            options = options[len("fuse "):]
        elif options.startswith("fuse-all "):
            passes += ["--llm-fuse-projections", "--llm-fuse-rms-norm", "--llm-fuse-attention"]
            options = options[len("fuse-all "):]
        t_plan, m_plan = run([opt, *passes, f"--llm-lpu-pipeline={options}"], ir, plan)
        t_json, m_json = run([translate, "--lpu-to-json"], plan, out)
        s = json.load(open(out))["summary"]
        paths[label] = out
        stages = s["chips"] // s["tensor_parallel"]
        print(f"| {label} | {s['chips']} ({s['fewest_chips']}) | "
              f"{stages} x {s['tensor_parallel']} | {s['decode_tokens_per_s']:.0f} | "
              f"{s['decode_latency_us']:.0f} | {s['bounds']['decode_total_us']:.0f} | "
              f"{s['bounds']['decode_schedule_to_bound']:.2f} | "
              f"{s['pipelined']['users_in_flight']} | "
              f"{s['pipelined']['system_tokens_per_s']:.0f} | "
              f"{s['pipelined']['tokens_per_s_per_chip']:.1f} | "
              f"{s['prefill_latency_us'] / 1e3:.1f} | "
              f"{100 * s['sram_used_fraction']:.0f}% | {t_plan:.2f} | {t_json:.2f} | "
              f"{max(m_plan, m_json, m_import):.0f} |")

    print("\nWhere a decode step's time goes (critical path):")
    for label, _ in CONFIGS:
        plan = json.load(open(paths[label]))
        decode = next(s for s in plan["schedules"] if s["name"] == "decode")
        kinds = critical_path(decode)
        total = sum(kinds.values())
        parts = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in kinds.most_common())
        s = plan["summary"]
        print(f"  {label}: {total / s['clock_mhz']:.0f} us = {parts}; "
              f"{decode['operations'] and len(decode['operations'])} operations, "
              f"{s['utilization']['decode']['transfers']} transfers")

    speculative(opt, translate, args.model, tmp)


def speculative(opt, translate, model, tmp):
    """Speculative decoding, predicted (beyond the published anchor): the
    target on the fewest chips at 8 bits, a llama-2-vocabulary draft
    (TinyLlama-1.1B, 8-bit) on chips of the published system's 576 the
    target leaves spare; per round the draft decodes k tokens one after
    another and the target checks k + 1 in one pass against the full
    context (its `verify` schedule). With acceptance rate a, a round yields
    (1 - a^(k+1)) / (1 - a) tokens on average."""
    def plan(preset, options):
        ir = os.path.join(tmp, preset + ".mlir")
        planned = os.path.join(tmp, "spec.mlir")
        out = os.path.join(tmp, "spec.json")
        subprocess.run([translate, "--import-llama-preset", preset, "-o", ir], check=True)
        run([opt, f"--llm-lpu-pipeline={options}"], ir, planned)
        run([translate, "--lpu-to-json"], planned, out)
        return json.load(open(out))["summary"]

    draft = plan("tinyllama-1.1b", "weight-bits=8")
    target_base = plan(model, "weight-bits=8")
    spare = 576 - target_base["chips"]
    print(f"\nSpeculative decoding (predicted): target {model} 8-bit on "
          f"{target_base['chips']} chips ({target_base['decode_tokens_per_s']:.0f} tok/s/user "
          f"alone), draft tinyllama-1.1b 8-bit on {draft['chips']} of the "
          f"{spare} spare chips ({draft['decode_latency_us']:.1f} us per token)")
    print("| k drafted | verify k+1 us | round us | tok/s/user a=0.6 | tok/s/user a=0.8 |")
    print("|---|---|---|---|---|")
    if draft["chips"] > spare:
        print("(the draft does not fit the spare chips)")
        return
    for k in (2, 4, 8):
        verify = plan(model, f"weight-bits=8 verify-tokens={k + 1}")["verify_latency_us"]
        round_us = k * draft["decode_latency_us"] + verify
        rates = []
        for a in (0.6, 0.8):
            expected = (1 - a ** (k + 1)) / (1 - a)
            rates.append(expected * 1e6 / round_us)
        print(f"| {k} | {verify:.0f} | {round_us:.0f} | {rates[0]:.0f} | {rates[1]:.0f} |")


if __name__ == "__main__":
    main()
