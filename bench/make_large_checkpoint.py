#!/usr/bin/python3
"""Write a large random BF16 checkpoint without holding it in memory.

python/make_checkpoint.py draws every weight in float32 first (27 GB for a
7B model); this writer streams one tensor at a time, in chunks, straight
into sharded safetensors files with an index, in Hugging Face layout (the
same names, shapes and value scales as python/llm_compiler/checkpoint.py).

    bench/make_large_checkpoint.py --out DIR [--shape 7b|tinyllama]
                                   [--shards 4] [--seed 1]
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from llm_compiler.checkpoint import (preset_config, scale_init, shard_file_name,  # noqa: E402
                                     split_into_shards, tensor_specs)
from llm_compiler.safetensors_io import f32_to_bf16_bits  # noqa: E402

CHUNK = 1 << 24  # values drawn at a time


def write_tensor(f, rng, shape, kind):
    count = int(np.prod(shape))
    for start in range(0, count, CHUNK):
        n = min(CHUNK, count - start)
        values = scale_init(rng.standard_normal(n, dtype=np.float32), shape, kind)
        f.write(f32_to_bf16_bits(values).tobytes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--shape", choices=["7b", "tinyllama"], default="7b",
                        help="a preset of python/llm_compiler/checkpoint.py")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    config = preset_config(args.shape, torch_dtype="bfloat16")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config.to_dict(), f, indent=2)
        f.write("\n")
    specs = tensor_specs(config)
    sizes = [int(np.prod(shape)) * 2 for _, shape, _ in specs]
    rng = np.random.default_rng(args.seed)
    weight_map = {}
    for index, group in enumerate(split_into_shards(sizes, args.shards)):
        name = shard_file_name(index, args.shards)
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for i in group:
            tensor, shape, _ = specs[i]
            header[tensor] = {"dtype": "BF16", "shape": list(shape),
                              "data_offsets": [offset, offset + sizes[i]]}
            offset += sizes[i]
            weight_map[tensor] = name
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for i in group:
                _, shape, kind = specs[i]
                write_tensor(f, rng, shape, kind)
        print(f"wrote {name} ({offset / 2**30:.2f} GiB)", flush=True)
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(sizes)}, "weight_map": weight_map}, f)


if __name__ == "__main__":
    main()
