#!/usr/bin/python3
"""Flip one bit of a file in place, for the cache-trust tests.

    flip_byte.py FILE OFFSET              byte OFFSET of FILE (negative: from
                                          the end)
    flip_byte.py MODEL.safetensors TENSOR ELEMENT
                                          a byte of element ELEMENT of TENSOR
                                          (its data, wherever it lies)
"""

import json
import struct
import sys


def main():
    path = sys.argv[1]
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if len(sys.argv) == 3:
            offset = int(sys.argv[2])
            offset = offset if offset >= 0 else len(data) + offset
        else:
            tensor, element = sys.argv[2], int(sys.argv[3])
            (header_len,) = struct.unpack("<Q", data[:8])
            entry = json.loads(data[8:8 + header_len])[tensor]
            size = {"F32": 4, "F16": 2, "BF16": 2}[entry["dtype"]]
            # The most significant byte of the element: a visible change.
            offset = 8 + header_len + entry["data_offsets"][0] + element * size + size - 1
        data[offset] ^= 0x10
        f.seek(0)
        f.write(data)


if __name__ == "__main__":
    main()
