#!/usr/bin/python3
"""Reference logits and greedy continuation of a LLaMA checkpoint.

Runs the float64 numpy reference (Hugging Face ``LlamaForCausalLM``
semantics) on a prompt of token ids::

    /usr/bin/python3 python/reference_logits.py --model DIR --ids 1,2,3 \\
        [--out logits.npy] [--greedy N]

``--out`` saves the logits of every prompt position as a float32 ``.npy``
array of shape ``[n_prompt, vocab]``.  ``--greedy N`` prints the ``N``
greedily generated ids after the prompt, comma-separated, on one line.
Without either option the five best next-token candidates are printed.
"""

import argparse
import json
import sys

import numpy as np

from llm_compiler.int4 import fake_quantize, is_linear_weight
from llm_compiler.reference import LlamaModel
from llm_compiler.safetensors_io import load_file


def _parse_ids(text):
    """Parse a comma-separated list of token ids."""
    try:
        ids = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    return ids


def _build_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face checkpoint directory")
    parser.add_argument("--ids", required=True, type=_parse_ids, help="prompt token ids, e.g. 1,2,3")
    parser.add_argument("--out", help="write prompt logits [n_prompt, vocab] (float32) to this .npy file")
    parser.add_argument("--greedy", type=int, metavar="N", help="print N greedily generated ids")
    parser.add_argument("--kv-cache-type", default="f32", choices=("f32", "f16", "bf16"),
                        help="round the cached keys and values to this type (llm-run -ctk)")
    parser.add_argument("--int4-group", type=int, metavar="G",
                        help="round the linear layers' weights to group-wise INT4 (group size G) first")
    parser.add_argument("--int4-symmetric", action="store_true", help="symmetric INT4 (zero point 8)")
    parser.add_argument("--int4-lm-head", action="store_true", help="quantize the LM head too")
    parser.add_argument("--int4-input-bits", type=int, choices=(8, 16),
                        help="the quantized layers read their inputs as an integer kernel "
                             "quantizes them: per row and INT4 group, to int8 or int16")
    parser.add_argument("--int4-scales", metavar="FILE",
                        help="activation-aware: <weight>.awq_scale vectors s; the weights become "
                             "Q(W * s) / s")
    return parser


def quantize_model(model, group_size, symmetric, lm_head, scales=None, applies_to=None):
    """Replace the model's linear weights by their INT4 round trip (of
    ``W * s`` divided back by ``s`` where ``scales`` has ``s``).
    ``applies_to`` maps a scale's name to the checkpoint tensors it applies
    to (JSON lists, the metadata awq_search.py writes); a scale it does not
    name applies to ``<weight>`` of ``<weight>.awq_scale``."""
    # A stacked weight's scale (llm-fuse-projections) is shared by its parts;
    # rows quantize independently, so each part uses it on its own.
    per_weight = {}
    for key, value in (scales or {}).items():
        sources = (json.loads(applies_to[key]) if applies_to and key in applies_to
                   else [key[:-len(".awq_scale")]])
        for source in sources:
            per_weight[source] = value
    for name in list(model.weights):
        if is_linear_weight(name):
            s = per_weight.get(name)
            w = model.weights[name].astype(np.float32)
            if s is None:
                model.weights[name] = fake_quantize(w, group_size, symmetric).astype(np.float64)
            else:
                s = np.asarray(s, dtype=np.float32)
                model.weights[name] = (fake_quantize(w * s[None, :], group_size, symmetric)
                                       .astype(np.float64) / s[None, :].astype(np.float64))
    if lm_head:
        model.lm_head = fake_quantize(model.lm_head, group_size, symmetric).astype(np.float64)


def main(argv=None):
    args = _build_parser().parse_args(argv)
    if args.greedy is not None and args.greedy < 0:
        sys.exit(f"error: --greedy must be non-negative, got {args.greedy}")
    try:
        model = LlamaModel.from_pretrained(args.model)
        if args.int4_group:
            scales, applies_to = load_file(args.int4_scales) if args.int4_scales else ({}, {})
            quantize_model(model, args.int4_group, args.int4_symmetric, args.int4_lm_head,
                           scales, applies_to)
            if args.int4_input_bits:
                model.quantize_linear_inputs(args.int4_group,
                                             127 if args.int4_input_bits == 8 else 32767,
                                             lm_head=args.int4_lm_head)
        cache = model.new_cache(args.kv_cache_type)
        logits = model.forward(args.ids, cache=cache)
        if args.out:
            np.save(args.out, logits.astype(np.float32))
        if args.greedy is not None:
            generated = model.continue_greedy(logits[-1], cache, args.greedy)
            print(",".join(str(token) for token in generated))
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    if args.out is None and args.greedy is None:
        last = logits[-1]
        for token in np.argsort(-last, kind="stable")[:5]:
            print(f"{token}\t{last[token]:.6f}")


if __name__ == "__main__":
    main()
