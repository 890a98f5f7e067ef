#!/usr/bin/python3
"""Seeded sampling on the float64 reference model, as llm-run specifies it.

    sample_reference.py --src REPO --model DIR --ids 1,2,3 -n N --seed S \
        [--temp 0.8] [--top-k 40] [--top-p 0.95] [--min-p 0.05] \
        [--repeat-penalty 1.0] [--repeat-last-n 64]

Defaults are llm-run's.  An independent re-implementation of the sampler
documented in runtime/include/llm/runtime/Sampler.h (llama.cpp's order), fed
with the logits of python/llm_compiler/reference.py (KV cache, float64,
rounded to float32 like llm-run's) along its own sampled path:

  1. repetition penalty over the last ``repeat_last_n`` ids of prompt +
     generated (each distinct id once: logit / p if > 0 else logit * p);
  2. temp <= 0: argmax (lowest id on ties);
  3. candidates sorted by (logit desc, id asc); top-k (k <= 0: all);
     top-p: the shortest prefix whose softmax mass reaches top_p;
     min-p: keep logits >= max + log(min_p);
  4. one survivor: it, drawing no random numbers; else softmax(logit / temp)
     over the survivors and the first id whose cumulative probability
     exceeds u, with u = ((mt() >> 5) << 26 | (mt() >> 6)) / 2**53 from
     std::mt19937 seeded with S.

Stops after an EOS id like llm-run.  Prints the ids comma-separated.
"""

import argparse
import json
import math
import os
import sys

import numpy as np


class MT19937:
    """std::mt19937 (32-bit Mersenne Twister, seeded with one 32-bit value)."""

    def __init__(self, seed):
        self.mt = [0] * 624
        self.mt[0] = seed & 0xFFFFFFFF
        for i in range(1, 624):
            prev = self.mt[i - 1]
            self.mt[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
        self.index = 624

    def __call__(self):
        if self.index >= 624:
            for i in range(624):
                y = (self.mt[i] & 0x80000000) | (self.mt[(i + 1) % 624] & 0x7FFFFFFF)
                self.mt[i] = self.mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y


def f32(x):
    return float(np.float32(x))


def softmax(cands, temp):
    """[(id, logit)] sorted by logit desc -> float32-rounded probabilities."""
    top = cands[0][1]
    e = [math.exp((logit - top) / temp) for _, logit in cands]
    total = sum(e)
    return [f32(f32(x) / total) for x in e]


def sample(logits, history, rng, a):
    scores = [f32(x) for x in logits]
    if a.repeat_penalty != 1.0 and a.repeat_last_n != 0 and history:
        window = history if a.repeat_last_n < 0 else history[-a.repeat_last_n:]
        penalty = f32(a.repeat_penalty)
        for token in set(window):
            scores[token] = f32(scores[token] * penalty if scores[token] <= 0
                                else scores[token] / penalty)
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if a.temp <= 0:
        return best
    cands = sorted(enumerate(scores), key=lambda c: (-c[1], c[0]))
    if a.top_k > 0:
        cands = cands[:a.top_k]
    if a.top_p < 1.0:
        cum, keep = 0.0, len(cands)
        for i, p in enumerate(softmax(cands, 1.0)):
            cum += p
            if cum >= f32(a.top_p):
                keep = i + 1
                break
        cands = cands[:keep]
    if a.min_p > 0.0:
        threshold = cands[0][1] + math.log(f32(a.min_p))
        keep = 1
        while keep < len(cands) and cands[keep][1] >= threshold:
            keep += 1
        cands = cands[:keep]
    if len(cands) == 1:
        return cands[0][0]
    probs = softmax(cands, f32(a.temp))
    hi, lo = rng() >> 5, rng() >> 6
    u = ((hi << 26) | lo) / 9007199254740992.0
    cum = 0.0
    for (token, _), p in zip(cands, probs):
        cum += p
        if u < cum:
            return token
    return cands[-1][0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("-n", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--temp", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=40)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--min-p", type=float, default=0.05)
    parser.add_argument("--repeat-penalty", type=float, default=1.0)
    parser.add_argument("--repeat-last-n", type=int, default=64)
    a = parser.parse_args()
    sys.path.insert(0, os.path.join(a.src, "python"))
    from llm_compiler.reference import LlamaModel

    model = LlamaModel.from_pretrained(a.model)
    with open(os.path.join(a.model, "config.json"), encoding="utf-8") as f:
        eos = json.load(f).get("eos_token_id")
    eos = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    rng = MT19937(a.seed)
    history = [int(x) for x in a.ids.split(",")]
    cache = model.new_cache()
    logits = model.forward(history, cache=cache)[-1]
    generated = []
    while len(generated) < a.n:
        token = sample(logits, history, rng, a)
        generated.append(token)
        history.append(token)
        if token in eos:
            break
        if len(generated) < a.n:
            logits = model.forward([token], start_pos=cache.length, cache=cache)[-1]
    print(",".join(map(str, generated)))


if __name__ == "__main__":
    main()
