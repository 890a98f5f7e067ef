#!/usr/bin/python3
"""Write each RMS norm's weight as the ``<W>.awq_scale`` of the linear layers
that read it (q/k/v: input_layernorm; gate/up: post_attention_layernorm).

For python/reference_logits.py --int4-scales: with s = g, the reference's
``Q(W * g) / g`` applied to the normalized input ``x * rstd * g`` is
``Q(W * g)`` applied to ``x * rstd``, which is what llm-fuse-rms-norm
followed by llm-quantize-int4 computes.

Usage: norm_scales.py MODEL_DIR OUT.safetensors
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python"))

from llm_compiler.safetensors_io import load_checkpoint, save_file  # noqa: E402

READERS = {
    "input_layernorm": ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
    "post_attention_layernorm": ["mlp.gate_proj", "mlp.up_proj"],
}


def main():
    model_dir, out = sys.argv[1:3]
    weights = load_checkpoint(model_dir)
    scales = {}
    for name, value in weights.items():
        for norm, readers in READERS.items():
            suffix = f".{norm}.weight"
            if name.endswith(suffix):
                layer = name[: -len(suffix)]
                for reader in readers:
                    scales[f"{layer}.{reader}.weight.awq_scale"] = value.astype("float32")
    save_file(out, scales)


if __name__ == "__main__":
    main()
