#!/usr/bin/python3
"""Generate a seeded random-weight LLaMA checkpoint in Hugging Face layout.

Start from a preset (default ``tiny``) and override any dimension, e.g.::

    /usr/bin/python3 python/make_checkpoint.py --out /tmp/tiny
    /usr/bin/python3 python/make_checkpoint.py --preset stories15M --dtype bf16 --out /tmp/s15
    /usr/bin/python3 python/make_checkpoint.py --out /tmp/gqa --heads 8 --kv-heads 2 \\
        --rope-scaling-llama3 8,1,4,32 --shards 3
"""

import argparse
import sys

from llm_compiler.checkpoint import PRESETS, make_checkpoint, preset_config
from llm_compiler.config import llama3_rope_scaling

_DTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16"}

# Command-line flag destination -> LlamaConfig field it overrides.
_OVERRIDES = {
    "hidden": "hidden_size",
    "intermediate": "intermediate_size",
    "layers": "num_hidden_layers",
    "heads": "num_attention_heads",
    "kv_heads": "num_key_value_heads",
    "head_dim": "head_dim",
    "vocab": "vocab_size",
    "max_pos": "max_position_embeddings",
    "theta": "rope_theta",
    "eps": "rms_norm_eps",
    "tie": "tie_word_embeddings",
    "model_type": "model_type",
    "attention_bias": "attention_bias",
}


def _parse_llama3_scaling(text):
    """Parse ``FACTOR,LOW,HIGH,ORIG`` into a llama3 rope_scaling dict."""
    parts = text.split(",")
    if len(parts) != 4:
        raise argparse.ArgumentTypeError("expected FACTOR,LOW,HIGH,ORIG (four comma-separated numbers)")
    try:
        factor, low, high = (float(p) for p in parts[:3])
        original = int(parts[3])
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid llama3 scaling {text!r}") from None
    return llama3_rope_scaling(factor, low, high, original)


def _build_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output checkpoint directory")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny",
                        help="base model size (default: tiny)")
    parser.add_argument("--hidden", type=int, help="hidden_size")
    parser.add_argument("--intermediate", type=int, help="intermediate_size (MLP width)")
    parser.add_argument("--layers", type=int, help="num_hidden_layers")
    parser.add_argument("--heads", type=int, help="num_attention_heads")
    parser.add_argument("--kv-heads", type=int, help="num_key_value_heads")
    parser.add_argument("--head-dim", type=int,
                        help="head_dim (default hidden/heads); always written to config.json when given")
    parser.add_argument("--vocab", type=int, help="vocab_size")
    parser.add_argument("--max-pos", type=int, help="max_position_embeddings")
    parser.add_argument("--theta", type=float, default=10000.0, help="rope_theta (default 10000)")
    parser.add_argument("--eps", type=float, default=1e-5, help="rms_norm_eps (default 1e-5)")
    parser.add_argument("--tie", action=argparse.BooleanOptionalAction,
                        help="tie lm_head to the embeddings (default: the preset's choice)")
    parser.add_argument("--rope-scaling-llama3", type=_parse_llama3_scaling,
                        metavar="FACTOR,LOW,HIGH,ORIG", help="enable llama3 RoPE scaling")
    parser.add_argument("--dtype", choices=sorted(_DTYPES), default="f32",
                        help="storage dtype of the weights (default f32)")
    parser.add_argument("--shards", type=int, default=1, help="number of safetensors shards (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--model-type", choices=("llama", "qwen2"),
                        help="config.json model_type (qwen2: q/k/v projection biases)")
    parser.add_argument("--attention-bias", action="store_true", default=None,
                        help="LLaMA's attention_bias: biases on the q/k/v/o projections")
    return parser


def main(argv=None):
    args = _build_parser().parse_args(argv)
    overrides = {field: getattr(args, flag) for flag, field in _OVERRIDES.items()
                 if getattr(args, flag) is not None}
    try:
        config = preset_config(args.preset, rope_scaling=args.rope_scaling_llama3, **overrides)
        if args.shards < 1:
            raise ValueError(f"--shards must be at least 1, got {args.shards}")
        make_checkpoint(args.out, config, seed=args.seed, dtype=_DTYPES[args.dtype],
                        shards=args.shards, include_head_dim=args.head_dim is not None)
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    print(f"wrote {args.out} ({args.preset} base, {config.num_hidden_layers} layers, "
          f"hidden {config.hidden_size}, vocab {config.vocab_size}, {args.dtype}, "
          f"{args.shards} shard{'s' if args.shards > 1 else ''})")


if __name__ == "__main__":
    main()
