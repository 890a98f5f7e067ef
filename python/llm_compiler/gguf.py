"""GGUF files (llama.cpp's model format), written with numpy.

Follows the published GGUF specification (version 3): a header, typed
key/value metadata, tensor descriptions, then the tensor data, each aligned to
``general.alignment`` (32). Supported tensor types: F32, F16, Q8_0 and Q4_0
(ggml's block layouts: 32 weights per block with an fp16 scale; Q8_0 stores
int8 values, Q4_0 4-bit values offset by 8, low nibbles first).
"""

import struct

import numpy as np

GGML_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 8}

# GGUF metadata value types.
_UINT32, _INT32, _FLOAT32, _BOOL, _STRING, _ARRAY, _UINT64 = 4, 5, 6, 7, 8, 9, 10


def quantize_q8_0(values):
    """float32 [rows, cols] (cols % 32 == 0) -> Q8_0 bytes."""
    blocks = values.reshape(-1, 32).astype(np.float32)
    amax = np.abs(blocks).max(axis=1)
    d = amax / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    q = np.round(blocks * inv[:, None]).clip(-127, 127).astype(np.int8)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(values):
    """float32 [rows, cols] (cols % 32 == 0) -> Q4_0 bytes (ggml's rule: the
    scale is the value of largest magnitude over -8)."""
    blocks = values.reshape(-1, 32).astype(np.float32)
    index = np.abs(blocks).argmax(axis=1)
    peak = blocks[np.arange(blocks.shape[0]), index]
    d = peak / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1.0), 0.0)
    q = np.minimum(15, (blocks * inv[:, None] + 8.5).astype(np.int8)).astype(np.uint8)
    out = np.empty((blocks.shape[0], 18), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def dequantize(data, ggml_type, shape):
    """GGUF tensor bytes -> float32 array of ``shape`` (the exact values)."""
    if ggml_type == GGML_TYPES["f32"]:
        return np.frombuffer(data, dtype=np.float32).reshape(shape).copy()
    if ggml_type == GGML_TYPES["f16"]:
        return np.frombuffer(data, dtype=np.float16).astype(np.float32).reshape(shape)
    raw = np.frombuffer(data, dtype=np.uint8)
    if ggml_type == GGML_TYPES["q8_0"]:
        blocks = raw.reshape(-1, 34)
        d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
        q = blocks[:, 2:].view(np.int8).astype(np.float32)
        return (d * q).reshape(shape)
    if ggml_type == GGML_TYPES["q4_0"]:
        blocks = raw.reshape(-1, 18)
        d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
        qs = blocks[:, 2:]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
        return (d * q).reshape(shape)
    raise ValueError(f"unsupported ggml type {ggml_type}")


def encode_tensor(values, type_name):
    """(bytes, ggml type) of float32 ``values`` stored as ``type_name``."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if type_name in ("q8_0", "q4_0"):
        if values.ndim != 2 or values.shape[1] % 32:
            type_name = "f32"  # norms, odd widths: not quantized
        else:
            quantize = quantize_q8_0 if type_name == "q8_0" else quantize_q4_0
            return quantize(values), GGML_TYPES[type_name]
    if type_name == "f16" and values.ndim == 2:
        return values.astype(np.float16).tobytes(), GGML_TYPES["f16"]
    return values.tobytes(), GGML_TYPES["f32"]


def _string(text):
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _value(value):
    """(type, bytes) of a metadata value; ints are uint32 unless negative or
    large, floats float32, lists arrays of their first element's type."""
    if isinstance(value, bool):
        return _BOOL, struct.pack("<B", value)
    if isinstance(value, int):
        if 0 <= value < 2 ** 32:
            return _UINT32, struct.pack("<I", value)
        if -2 ** 31 <= value < 2 ** 31:
            return _INT32, struct.pack("<i", value)
        return _UINT64, struct.pack("<Q", value)
    if isinstance(value, float):
        return _FLOAT32, struct.pack("<f", value)
    if isinstance(value, str):
        return _STRING, _string(value)
    if isinstance(value, (list, tuple)):
        kind = _INT32 if value and isinstance(value[0], int) and not isinstance(value[0], bool) else None
        parts = []
        for item in value:
            if kind == _INT32:
                parts.append(struct.pack("<i", item))
                continue
            item_type, data = _value(item)
            kind = kind or item_type
            parts.append(data)
        return _ARRAY, struct.pack("<IQ", kind or _STRING, len(value)) + b"".join(parts)
    raise TypeError(f"unsupported metadata value {value!r}")


def write(path, metadata, tensors, alignment=32):
    """Write a GGUF v3 file: ``metadata`` (key -> value) and ``tensors``, a
    list of (name, shape [outermost first], ggml type, bytes)."""
    header = struct.pack("<4sIQQ", b"GGUF", 3, len(tensors), len(metadata) + 1)
    kv = [_string("general.alignment") + struct.pack("<I", _UINT32) + struct.pack("<I", alignment)]
    for key, value in metadata.items():
        kind, data = _value(value)
        kv.append(_string(key) + struct.pack("<I", kind) + data)
    infos, offset = [], 0
    for name, shape, ggml_type, data in tensors:
        dims = list(reversed(shape))  # ne[0] is the innermost dimension
        infos.append(_string(name) + struct.pack("<I", len(dims))
                     + b"".join(struct.pack("<Q", d) for d in dims)
                     + struct.pack("<IQ", ggml_type, offset))
        offset += (len(data) + alignment - 1) // alignment * alignment
    with open(path, "wb") as f:
        f.write(header + b"".join(kv) + b"".join(infos))
        f.write(b"\0" * (-f.tell() % alignment))
        for _, _, _, data in tensors:
            f.write(data)
            f.write(b"\0" * (-len(data) % alignment))
