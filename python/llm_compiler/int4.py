"""Group-wise INT4 round-to-nearest quantization, in numpy.

An implementation independent of the C++ runtime's, to check it: for each
row of a ``[out, in]`` matrix and each group of ``group_size`` consecutive
inputs (the last group shorter when the size does not divide ``in``):

- asymmetric: ``scale = max(max - min, 1e-5) / 15``,
  ``zero = clip(round(-min / scale), 0, 15)``;
- symmetric: ``scale = max(max |w|, 1e-5) / 7``, ``zero = 8``;

the scale rounded to float16 (what a pack stores) before the zero point and
the codes are computed with it, then ``q = clip(round(w / scale) + zero, 0, 15)`` and the dequantized weight
is ``(q - zero) * scale``, all in float32 with round-half-to-even.
"""

import numpy as np


def quantize_rtn(weight, group_size, symmetric=False):
    """Return ``(q, scales, zeros)``: ``q`` uint8 ``[out, in]``, the others
    float32 ``[out, groups]``."""
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 2:
        raise ValueError(f"expected a 2-D weight, got shape {w.shape}")
    if group_size < 2 or group_size % 2:
        raise ValueError(f"group size must be even and at least 2, got {group_size}")
    out, inputs = w.shape
    groups = -(-inputs // group_size)
    q = np.empty((out, inputs), dtype=np.uint8)
    scales = np.empty((out, groups), dtype=np.float32)
    zeros = np.empty((out, groups), dtype=np.float32)
    tiny = np.float32(1e-5)
    for g in range(groups):
        block = w[:, g * group_size:(g + 1) * group_size]
        if symmetric:
            scale = np.maximum(np.abs(block).max(axis=1), tiny) / np.float32(7)
            scale = scale.astype(np.float16).astype(np.float32)
            zero = np.full(out, 8, dtype=np.float32)
        else:
            lo, hi = block.min(axis=1), block.max(axis=1)
            scale = np.maximum(hi - lo, tiny) / np.float32(15)
            scale = scale.astype(np.float16).astype(np.float32)
            zero = np.clip(np.round(-lo / scale), 0, 15).astype(np.float32)
        codes = np.clip(np.round(block / scale[:, None]) + zero[:, None], 0, 15)
        q[:, g * group_size:(g + 1) * group_size] = codes.astype(np.uint8)
        scales[:, g], zeros[:, g] = scale, zero
    return q, scales, zeros


def dequantize(q, scales, zeros, group_size):
    """``(q - zero) * scale`` per element, float32 ``[out, in]``."""
    group_of = np.arange(q.shape[1]) // group_size
    return ((q.astype(np.float32) - zeros[:, group_of]) * scales[:, group_of]).astype(np.float32)


def fake_quantize(weight, group_size, symmetric=False):
    """The float32 weight an INT4 round trip gives."""
    return dequantize(*quantize_rtn(weight, group_size, symmetric), group_size)


def is_linear_weight(name):
    """The decoder's linear layers (what llm-quantize-int4 rewrites by default)."""
    return name.endswith("_proj.weight")
