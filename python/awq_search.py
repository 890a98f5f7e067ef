#!/usr/bin/python3
"""Activation-aware per-channel scales for INT4 (AWQ-style search).

    /usr/bin/python3 python/awq_search.py --model DIR --activations ACT_DIR \\
        [--activations ACT_DIR2 ...] --group-size 128 --out scales.safetensors

ACT_DIR holds the inputs of the linear layers recorded by our own CPU path
on calibration text (``llm-run MODULE --activations-out ACT_DIR`` with a
module built with ``--llm-expose-activations``), one ``<weight>.npy`` of
shape ``[tokens, in]`` per layer, and ``activations.json``, which names the
checkpoint tensors each weight is made of (the parts of a weight stacked by
``llm-fuse-projections``).  For every decoder linear layer ``W``
(``[out, in]``) with calibration inputs ``X``, the search tries per-channel
scales ``s = mean|X|^alpha`` (normalized to a geometric mean of 1) for
``alpha`` in a grid over [0, 1] and keeps the one that minimizes the output
error ``mean((X W^T - (X / s) Q(W s)^T)^2)`` of round-to-nearest INT4 ``Q``;
``alpha = 0`` is plain round to nearest, so the result is never worse on the
calibration data.  The scales are written as ``<weight>.awq_scale``
(float32 ``[in]``) for ``llm-opt --llm-quantize-int4=activation-aware=true``
and ``llm-run --extra-weights``; the file's metadata maps each scale to the
checkpoint tensors it applies to (a JSON list).
"""

import argparse
import json
import os
import sys

import numpy as np

from llm_compiler.int4 import fake_quantize, is_linear_weight
from llm_compiler.safetensors_io import load_checkpoint, save_file


def search_scale(weight, inputs, group_size, grid, symmetric=False):
    """Best scale vector and its (error, rtn error, alpha)."""
    w = np.asarray(weight, dtype=np.float32)
    x = np.asarray(inputs, dtype=np.float64)
    reference = x @ w.T.astype(np.float64)
    magnitude = np.maximum(np.abs(x).mean(axis=0), 1e-8)
    best = None
    for alpha in np.linspace(0.0, 1.0, grid + 1):
        s = magnitude ** alpha
        s = (s / np.sqrt(s.max() * s.min())).astype(np.float32)
        quantized = fake_quantize(w * s[None, :], group_size, symmetric) / s[None, :]
        error = float(np.mean((reference - x @ quantized.T.astype(np.float64)) ** 2))
        if alpha == 0.0:
            rtn_error = error
        if best is None or error < best[1]:
            best = (s, error, float(alpha))
    return best[0], best[1], rtn_error, best[2]


def recorded_sources(activation_dir):
    """Weight name -> the checkpoint tensors it is made of, from the
    ``activations.json`` that llm-run writes beside the activations."""
    path = os.path.join(activation_dir, "activations.json")
    try:
        with open(path, encoding="utf-8") as f:
            return {entry["name"]: list(entry["sources"]) for entry in json.load(f)}
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"error: {path}: {e} (record the activations with llm-run "
                 "--activations-out)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--activations", action="append", required=True)
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--symmetric", action="store_true")
    parser.add_argument("--grid", type=int, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    weights = load_checkpoint(args.model)
    layers = recorded_sources(args.activations[0])
    names = sorted(name for name in layers if is_linear_weight(name))
    if not names:
        sys.exit(f"error: no linear-layer activations in {args.activations[0]}")
    scales, applies_to, gains = {}, {}, []
    for name in names:
        sources = layers[name]
        missing = [s for s in sources if s not in weights]
        if missing:
            sys.exit(f"error: {name} has activations but {missing[0]} is not in {args.model}")
        weight = np.concatenate([weights[s] for s in sources], axis=0)
        x = np.concatenate([np.load(os.path.join(d, name + ".npy")) for d in args.activations])
        s, error, rtn_error, alpha = search_scale(weight, x, args.group_size,
                                                  args.grid, args.symmetric)
        scales[name + ".awq_scale"] = s
        applies_to[name + ".awq_scale"] = json.dumps(sources)
        gains.append(rtn_error / max(error, 1e-30))
        print(f"{name}: alpha {alpha:.2f}, output error {error:.3e} (round to nearest {rtn_error:.3e})")
    save_file(args.out, scales, metadata=applies_to)
    print(f"wrote {len(scales)} scale vectors to {args.out}; "
          f"mean error reduction x{np.mean(gains):.2f}")


if __name__ == "__main__":
    main()
