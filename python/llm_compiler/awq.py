"""AutoAWQ "GEMM" packing of group-wise INT4 weights, in numpy.

Follows the format's published layout (AutoAWQ's ``WQLinear_GEMM``): for a
linear layer with weight ``[out, in]`` quantized in groups of ``g`` inputs,

- ``qweight``: int32 ``[in, out / 8]``; nibble ``i`` (bits ``4i..4i+3``) of
  word ``[k, c]`` holds the code of output column ``8c + ORDER[i]`` at input
  ``k``, with ``ORDER = [0, 2, 4, 6, 1, 3, 5, 7]``;
- ``qzeros``: int32 ``[in / g, out / 8]``, the zero points packed the same way;
- ``scales``: float16 ``[in / g, out]``;

and a weight dequantizes to ``(code - zero) * scale``.
"""

import numpy as np

ORDER = (0, 2, 4, 6, 1, 3, 5, 7)


def pack_columns(codes):
    """Pack ``[rows, cols]`` 4-bit codes into int32 ``[rows, cols / 8]``."""
    codes = np.asarray(codes, dtype=np.uint32)
    rows, cols = codes.shape
    if cols % 8:
        raise ValueError(f"AWQ packs 8 columns per word; {cols} is not a multiple of 8")
    words = np.zeros((rows, cols // 8), dtype=np.uint32)
    for i, column in enumerate(ORDER):
        words |= codes[:, column::8] << np.uint32(4 * i)
    return words.view(np.int32)


def unpack_columns(words):
    """Inverse of :func:`pack_columns`."""
    words = np.asarray(words).view(np.uint32)
    rows, packed = words.shape
    codes = np.zeros((rows, packed * 8), dtype=np.uint8)
    for i, column in enumerate(ORDER):
        codes[:, column::8] = (words >> np.uint32(4 * i)) & np.uint32(15)
    return codes


def to_awq(q, scales, zeros):
    """Our row-major codes ``[out, in]`` and ``[out, groups]`` scales/zeros
    to AWQ's ``qweight``, ``qzeros`` and float16 ``scales``."""
    return (pack_columns(np.asarray(q).T),
            pack_columns(np.asarray(zeros).T.astype(np.uint32)),
            np.asarray(scales).T.astype(np.float16))


def dequantize_awq(qweight, qzeros, scales, group_size):
    """The float32 ``[out, in]`` weight an AWQ layer stands for."""
    codes = unpack_columns(qweight).astype(np.float32)        # [in, out]
    zeros = unpack_columns(qzeros).astype(np.float32)         # [groups, out]
    scale = np.asarray(scales, dtype=np.float32)              # [groups, out]
    group_of = np.arange(codes.shape[0]) // group_size
    return ((codes - zeros[group_of]) * scale[group_of]).T.astype(np.float32)
