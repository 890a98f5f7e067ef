#!/usr/bin/python3
"""Turn a float LLaMA checkpoint into a pre-quantized AutoAWQ "GEMM" one.

    /usr/bin/python3 python/make_awq_checkpoint.py --from FLOAT_DIR --out AWQ_DIR \\
        [--group-size 128] [--reference-out REF_DIR]

Every decoder linear layer (``*_proj.weight``) is rounded to nearest
group-wise INT4 (python/llm_compiler/int4.py) and stored as
``<layer>.qweight`` / ``.qzeros`` / ``.scales`` in AWQ's packing
(python/llm_compiler/awq.py); embeddings, norms and the LM head stay float.
``config.json`` gets the ``quantization_config`` AutoAWQ writes.
``--reference-out`` also writes a float checkpoint whose linear weights are
exactly what the AWQ layers dequantize to (float16 scales included), for
the numpy reference.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np

from llm_compiler.awq import dequantize_awq, to_awq
from llm_compiler.int4 import is_linear_weight, quantize_rtn
from llm_compiler.safetensors_io import load_checkpoint, save_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--reference-out")
    args = parser.parse_args()

    config = json.load(open(os.path.join(args.source, "config.json")))
    weights = load_checkpoint(args.source)
    awq, reference = {}, {}
    for name, value in weights.items():
        if not is_linear_weight(name):
            awq[name] = value
            reference[name] = value
            continue
        if value.shape[1] % args.group_size:
            sys.exit(f"error: {name} has {value.shape[1]} inputs, not a multiple of "
                     f"the AWQ group size {args.group_size}")
        q, scales, zeros = quantize_rtn(value, args.group_size)
        qweight, qzeros, scales16 = to_awq(q, scales, zeros)
        layer = name[:-len(".weight")]
        awq[layer + ".qweight"] = qweight
        awq[layer + ".qzeros"] = qzeros
        awq[layer + ".scales"] = scales16
        reference[name] = dequantize_awq(qweight, qzeros, scales16, args.group_size)

    os.makedirs(args.out, exist_ok=True)
    save_file(os.path.join(args.out, "model.safetensors"), awq)
    config["quantization_config"] = {"quant_method": "awq", "bits": 4,
                                     "group_size": args.group_size,
                                     "zero_point": True, "version": "gemm"}
    json.dump(config, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    if args.reference_out:
        os.makedirs(args.reference_out, exist_ok=True)
        save_file(os.path.join(args.reference_out, "model.safetensors"), reference)
        shutil.copy(os.path.join(args.source, "config.json"), args.reference_out)
    print(f"wrote {args.out} (AWQ GEMM, group size {args.group_size})")


if __name__ == "__main__":
    main()
