"""GGUF files (llama.cpp's model format), written with numpy.

Follows the published GGUF specification (version 3): a header, typed
key/value metadata, tensor descriptions, then the tensor data, each aligned to
``general.alignment`` (32). Supported tensor types: F32, F16, Q8_0 and Q4_0
(ggml's block layouts: 32 weights per block with an fp16 scale; Q8_0 stores
int8 values, Q4_0 4-bit values offset by 8, low nibbles first).
"""

import os
import struct

import numpy as np

GGML_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 8}

# GGUF metadata value types.
_UINT32, _INT32, _FLOAT32, _BOOL, _STRING, _ARRAY, _UINT64 = 4, 5, 6, 7, 8, 9, 10


# Blocks quantized at a time, bounding the temporaries of a large tensor.
_CHUNK_BLOCKS = 1 << 16


def quantize_q8_0(values):
    """float32 [rows, cols] (cols % 32 == 0) -> Q8_0 bytes."""
    blocks = values.reshape(-1, 32)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    for start in range(0, blocks.shape[0], _CHUNK_BLOCKS):
        part = blocks[start:start + _CHUNK_BLOCKS].astype(np.float32)
        amax = np.abs(part).max(axis=1)
        d = amax / 127.0
        inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
        q = np.round(part * inv[:, None]).clip(-127, 127).astype(np.int8)
        rows = out[start:start + len(part)]
        rows[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
        rows[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(values):
    """float32 [rows, cols] (cols % 32 == 0) -> Q4_0 bytes (ggml's rule: the
    scale is the value of largest magnitude over -8)."""
    blocks = values.reshape(-1, 32)
    out = np.empty((blocks.shape[0], 18), dtype=np.uint8)
    for start in range(0, blocks.shape[0], _CHUNK_BLOCKS):
        part = blocks[start:start + _CHUNK_BLOCKS].astype(np.float32)
        index = np.abs(part).argmax(axis=1)
        peak = part[np.arange(part.shape[0]), index]
        d = peak / -8.0
        inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1.0), 0.0)
        q = np.minimum(15, (part * inv[:, None] + 8.5).astype(np.int8)).astype(np.uint8)
        rows = out[start:start + len(part)]
        rows[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
        rows[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
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


def tensor_type(shape, type_name):
    """The ggml type :func:`encode_tensor` stores a tensor of ``shape`` as
    when asked for ``type_name``: Q8_0/Q4_0 for 2-D tensors of rows of a
    multiple of 32 values, F16 for 2-D ones, F32 otherwise."""
    if type_name in ("q8_0", "q4_0"):
        return GGML_TYPES[type_name] if len(shape) == 2 and shape[1] % 32 == 0 else GGML_TYPES["f32"]
    if type_name == "f16" and len(shape) == 2:
        return GGML_TYPES["f16"]
    return GGML_TYPES["f32"]


# Bytes per block and values per block of each supported ggml type.
_BLOCK_LAYOUTS = {GGML_TYPES["f32"]: (4, 1), GGML_TYPES["f16"]: (2, 1),
                  GGML_TYPES["q8_0"]: (34, 32), GGML_TYPES["q4_0"]: (18, 32)}


def tensor_nbytes(shape, ggml_type):
    """Size in bytes of a tensor of ``shape`` stored as ``ggml_type``."""
    if ggml_type not in _BLOCK_LAYOUTS:
        raise ValueError(f"unsupported ggml type {ggml_type}")
    block_bytes, block_values = _BLOCK_LAYOUTS[ggml_type]
    return int(np.prod(shape, dtype=np.int64)) // block_values * block_bytes


def encode_tensor(values, type_name):
    """(bytes, ggml type) of float32 ``values`` stored as ``type_name``
    (the type :func:`tensor_type` names)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    ggml_type = tensor_type(values.shape, type_name)
    if ggml_type == GGML_TYPES["q8_0"]:
        return quantize_q8_0(values), ggml_type
    if ggml_type == GGML_TYPES["q4_0"]:
        return quantize_q4_0(values), ggml_type
    if ggml_type == GGML_TYPES["f16"]:
        return values.astype(np.float16).tobytes(), ggml_type
    return values.tobytes(), ggml_type


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
    list of (name, shape [outermost first], ggml type, bytes) or of (name,
    shape, ggml type, size in bytes, a function returning the bytes).

    The functions are called in order while the data is written, so that
    only one tensor's bytes need be in memory at a time.
    """
    header = struct.pack("<4sIQQ", b"GGUF", 3, len(tensors), len(metadata) + 1)
    kv = [_string("general.alignment") + struct.pack("<I", _UINT32) + struct.pack("<I", alignment)]
    for key, value in metadata.items():
        kind, data = _value(value)
        kv.append(_string(key) + struct.pack("<I", kind) + data)
    entries = []
    for entry in tensors:
        if len(entry) == 4:
            name, shape, ggml_type, data = entry
            entries.append((name, shape, ggml_type, len(data), lambda data=data: data))
        else:
            entries.append(tuple(entry))
    infos, offset = [], 0
    for name, shape, ggml_type, nbytes, _ in entries:
        dims = list(reversed(shape))  # ne[0] is the innermost dimension
        infos.append(_string(name) + struct.pack("<I", len(dims))
                     + b"".join(struct.pack("<Q", d) for d in dims)
                     + struct.pack("<IQ", ggml_type, offset))
        offset += (nbytes + alignment - 1) // alignment * alignment
    # Written beside `path` and renamed when whole: a failure or an
    # interruption while the tensors are produced leaves no partial file.
    partial = path + ".part"
    try:
        with open(partial, "wb") as f:
            f.write(header + b"".join(kv) + b"".join(infos))
            f.write(b"\0" * (-f.tell() % alignment))
            for name, _, _, nbytes, produce in entries:
                data = produce()
                if len(data) != nbytes:
                    raise ValueError(f"tensor {name!r}: {len(data)} bytes of data, "
                                     f"{nbytes} announced")
                f.write(data)
                f.write(b"\0" * (-len(data) % alignment))
                del data  # not held while the next tensor is produced
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
