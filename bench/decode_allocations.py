#!/usr/bin/python3
"""What a decode step allocates and copies (llm-run --json's decode_step).

The compiled code's buffers come from the runtime's working memory, which
counts them (runtime/lib/WorkingMemory.cpp), and the JIT binds its
memrefCopy to a counting wrapper (lib/Execution/AllocationCounter.cpp); llm-run reports the
allocations, allocated bytes, copies and copied bytes per decode step. This
prints them per checkpoint and context size: what grows with the context or
the model is what a step should not allocate.

    /usr/bin/python3 bench/decode_allocations.py [--models bench/out/stories110M-f32,...]
        [--contexts 256,2048] [--tokens 16] [-t 2] [--module FILE]
"""

import argparse
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="bench/out/stories110M-f32,bench/out/tinyllama-f32")
    parser.add_argument("--contexts", default="256,2048")
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--module", default="", help="a compiled module to run (default: import)")
    parser.add_argument("-t", "--threads", type=int, default=2)
    args = parser.parse_args()
    print("| model | context | allocations/step | KiB allocated/step | copies/step | KiB copied/step | tok/s |")
    print("|---|---|---|---|---|---|---|")
    for model in args.models.split(","):
        path = model if os.path.isabs(model) else os.path.join(ROOT, model)
        if not os.path.isdir(path):
            print("| %s | (absent) | | | | | |" % model)
            continue
        for context in args.contexts.split(","):
            command = [os.path.join(ROOT, "build/bin/llm-run")]
            if args.module:
                command.append(args.module)
            command += ["-m", path, "--prompt-ids", "1,2,3,4", "-n", str(args.tokens),
                        "--temp", "0", "--ignore-eos", "--json", "-c", context,
                        "-t", str(args.threads)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            timings = json.loads(out)["timings"]
            step = timings["decode_step"]
            print("| %s | %s | %.0f | %.1f | %.0f | %.1f | %.1f |" % (
                os.path.basename(path.rstrip("/")), context, step["allocations"],
                step["allocated_bytes"] / 1024, step["copies"], step["copied_bytes"] / 1024,
                timings["generation_tokens_per_s"]))


if __name__ == "__main__":
    main()
