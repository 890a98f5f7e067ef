#!/usr/bin/python3
"""Write a damaged copy of a single-file checkpoint, for llm-run's error tests.

    corrupt_checkpoint.py --src REPO --good DIR --out DIR MODE [TENSOR]

Copies DIR/config.json to --out and writes --out/model.safetensors as MODE:

  truncate-data    the good file cut in the middle of its data section
  truncate-header  the good file cut in the middle of its JSON header
  empty            a 0-byte file
  garbage          text that is no safetensors file at all
  huge-header      a header length prefix far larger than the file
  bad-json         a correct length prefix followed by broken JSON
  drop TENSOR      the good tensors without TENSOR
  reshape TENSOR   TENSOR with its dimensions reversed (and one added to the
                   first), other tensors unchanged
  int32 TENSOR     TENSOR stored as I32 (values cast), other tensors unchanged
  nan TENSOR       TENSOR filled with NaN (a loadable file, but NaN logits)
  deep-shape       a header whose "shape" nests 100000 arrays deep
  misalign         not damaged: the same tensors, but the header padded so
                   that the data section starts at an odd file offset
                   (valid safetensors; F32 data is then not 4-byte aligned)
"""

import argparse
import os
import shutil
import struct
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", required=True)
    parser.add_argument("--good", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("mode")
    parser.add_argument("tensor", nargs="?")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.src, "python"))
    import numpy as np
    from llm_compiler import safetensors_io as st

    os.makedirs(args.out, exist_ok=True)
    shutil.copy(os.path.join(args.good, "config.json"), os.path.join(args.out, "config.json"))
    good = os.path.join(args.good, "model.safetensors")
    out = os.path.join(args.out, "model.safetensors")
    with open(good, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])

    if args.mode == "truncate-data":
        blob = data[:8 + header_len + (len(data) - 8 - header_len) // 2]
    elif args.mode == "truncate-header":
        blob = data[:8 + header_len // 2]
    elif args.mode == "empty":
        blob = b""
    elif args.mode == "garbage":
        blob = b"this is not a safetensors file, just some text\n" * 4
    elif args.mode == "huge-header":
        blob = struct.pack("<Q", 1 << 40) + b'{"a":1}' + b"\0" * 64
    elif args.mode == "misalign":
        header = data[8:8 + header_len].rstrip(b" ")
        header += b" " * ((-len(header)) % 8 + 1)
        blob = struct.pack("<Q", len(header)) + header + data[8 + header_len:]
    elif args.mode == "deep-shape":
        depth = 100000
        text = (b'{"model.norm.weight": {"dtype": "F32", "shape": ' + b"[" * depth +
                b"]" * depth + b', "data_offsets": [0, 4]}}')
        blob = struct.pack("<Q", len(text)) + text + b"\0" * 4
    elif args.mode == "bad-json":
        text = b'{"model.norm.weight": {"dtype": "F32", "shape": [4], '
        blob = struct.pack("<Q", len(text)) + text + b"\0" * 16
    elif args.mode in ("drop", "reshape", "int32", "nan"):
        if not args.tensor:
            parser.error(f"mode {args.mode} needs a TENSOR")
        tensors, _ = st.load_file(good, float32=False)
        if args.tensor not in tensors:
            sys.exit(f"{good} has no tensor {args.tensor!r}")
        dtypes = {}
        if args.mode == "drop":
            del tensors[args.tensor]
        elif args.mode == "reshape":
            value = tensors[args.tensor]
            shape = list(reversed(value.shape))
            shape[0] += 1
            tensors[args.tensor] = np.zeros(shape, dtype=value.dtype)
        elif args.mode == "nan":
            tensors[args.tensor] = np.full(tensors[args.tensor].shape, np.nan, dtype=np.float32)
        else:
            tensors[args.tensor] = np.asarray(tensors[args.tensor], dtype=np.float32).astype(np.int32)
            dtypes[args.tensor] = "I32"
        # Keep each float tensor's stored dtype (BF16 comes back as uint16 bits).
        entries, _, _ = st.read_header(good)
        for name in tensors:
            if name not in dtypes and entries[name][0] == "BF16":
                tensors[name] = st.bf16_bits_to_f32(tensors[name])
            dtypes.setdefault(name, entries[name][0])
        st.save_file(out, tensors, dtype=dtypes)
        return
    else:
        parser.error(f"unknown mode {args.mode!r}")
    with open(out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
