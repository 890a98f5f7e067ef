#!/usr/bin/python3
"""Greedy continuation with llama.cpp's repetition penalty, on the reference.

    penalized_greedy.py --src REPO --model DIR --ids 1,2,3 -n N \
        --repeat-penalty P --repeat-last-n L

Runs the float64 numpy reference (python/llm_compiler/reference.py) with a KV
cache and, before each argmax, divides the positive logits (multiplies the
non-positive ones) of every distinct id among the last L ids of prompt +
generated (L = -1: all of them, 0: none) by P.  Like llm-run it stops after
an EOS id (config.json's eos_token_id).  Prints the ids comma-separated, like
reference_logits.py --greedy.
"""

import argparse
import json
import os
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("-n", type=int, required=True)
    parser.add_argument("--repeat-penalty", type=float, required=True)
    parser.add_argument("--repeat-last-n", type=int, required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.src, "python"))
    from llm_compiler.reference import LlamaModel

    model = LlamaModel.from_pretrained(args.model)
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        eos = json.load(f).get("eos_token_id")
    eos = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    history = [int(x) for x in args.ids.split(",")]
    cache = model.new_cache()
    logits = model.forward(history, cache=cache)[-1]
    generated = []
    while len(generated) < args.n:
        scores = logits.copy()
        last = args.repeat_last_n
        window = history if last < 0 else history[len(history) - last:] if last > 0 else []
        for token in set(window):
            scores[token] = scores[token] * args.repeat_penalty if scores[token] <= 0 \
                else scores[token] / args.repeat_penalty
        token = int(np.argmax(scores))
        generated.append(token)
        history.append(token)
        if token in eos:
            break
        if len(generated) < args.n:
            logits = model.forward([token], start_pos=cache.length, cache=cache)[-1]
    print(",".join(map(str, generated)))


if __name__ == "__main__":
    main()
