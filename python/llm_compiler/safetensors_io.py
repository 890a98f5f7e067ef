"""Hand-written reader and writer for the safetensors file format.

File layout::

    [8 bytes]  N, the header length, unsigned 64-bit little-endian
    [N bytes]  UTF-8 JSON object, right-padded with spaces (0x20)
    [rest]     data section: the raw little-endian bytes of every tensor

The JSON object maps each tensor name to
``{"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}``
where the offsets are byte offsets relative to the start of the data section.
An optional ``"__metadata__"`` entry maps strings to strings.  Tensors must
tile the data section exactly: no overlaps, no holes, no trailing bytes.

The writer pads the header so that the data section starts on an 8-byte
boundary.  Tensors are stored in C (row-major) order.

bfloat16 has no numpy dtype; its bit patterns are carried in ``uint16``
arrays.  :func:`bf16_bits_to_f32` and :func:`f32_to_bf16_bits` convert
between those bit patterns and ``float32`` values (the latter rounding to
nearest, ties to even).

Every structural problem in a file raises :class:`ValueError` with a message
that names the file and the offending entry.
"""

import json
import os
import struct

import numpy as np

#: Storage dtype (little-endian) of each supported safetensors dtype string.
#: BF16 values are stored as their raw 16-bit patterns.
STORAGE_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
}

#: Safetensors dtype strings that hold floating-point values.
FLOAT_DTYPES = frozenset({"F64", "F32", "F16", "BF16"})

# The numpy dtype of an array to be written -> safetensors dtype string, used
# when no explicit dtype is requested.
_INFERRED_DTYPES = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
}

# Upper bound on the JSON header size; the same limit the reference
# implementation enforces, so that a corrupt length cannot trigger a huge read.
_MAX_HEADER_BYTES = 100 * 1024 * 1024

_METADATA_KEY = "__metadata__"
_ENTRY_KEYS = {"dtype", "shape", "data_offsets"}


# --------------------------------------------------------------------------
# bfloat16 conversions
# --------------------------------------------------------------------------

def bf16_bits_to_f32(bits):
    """Convert bfloat16 bit patterns (``uint16`` array) to ``float32``.

    A bfloat16 value is exactly the upper half of a float32, so the
    conversion is a 16-bit left shift and is lossless.
    """
    bits = np.asarray(bits)
    if bits.dtype != np.uint16:
        raise ValueError(f"bfloat16 bits must be uint16, got {bits.dtype}")
    widened = bits.astype(np.uint32)
    widened <<= np.uint32(16)
    return widened.view(np.float32)


def f32_to_bf16_bits(values):
    """Round ``float32`` values to bfloat16 and return the ``uint16`` bits.

    Rounding is to nearest with ties to even, the behaviour of PyTorch's
    ``tensor.to(torch.bfloat16)``: the discarded low 16 bits are compared
    with half an ulp (0x8000) and the tie is broken by the lowest kept bit.
    Overflow rounds to infinity.  NaNs stay NaNs (sign kept, quiet bit set),
    since plain rounding could carry a NaN's payload into infinity.
    """
    values = np.asarray(values, dtype=np.float32)
    # Widen to 64 bits so that adding the rounding bias cannot wrap around.
    bits = values.view(np.uint32).astype(np.uint64)
    lowest_kept_bit = (bits >> np.uint64(16)) & np.uint64(1)
    rounded = (bits + np.uint64(0x7FFF) + lowest_kept_bit) >> np.uint64(16)
    quiet_nan = (bits >> np.uint64(16)) | np.uint64(0x0040)
    result = np.where(np.isnan(values), quiet_nan, rounded)
    return result.astype(np.uint16)


def round_to_dtype(values, dtype):
    """Round float32 ``values`` to safetensors float ``dtype``; return float32.

    This is the value a reader gets back after ``values`` are written with
    ``dtype``; it lets callers reproduce the stored weights exactly.
    """
    values = np.asarray(values, dtype=np.float32)
    if dtype == "F32":
        return values
    if dtype == "F16":
        return values.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return bf16_bits_to_f32(f32_to_bf16_bits(values))
    raise ValueError(f"cannot round to dtype {dtype!r}; expected F32, F16 or BF16")


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

def _reject_duplicate_keys(pairs):
    """``json`` object hook that refuses objects with repeated keys."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in JSON header")
        result[key] = value
    return result


def _is_int(value):
    """True for JSON integers (``bool`` is an ``int`` subclass; exclude it)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_entry(path, name, entry):
    """Check one tensor entry of a parsed header and return it normalized.

    Returns ``(dtype, shape tuple, begin, end)``.
    """
    where = f"{path}: tensor {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: header entry must be an object")
    if set(entry) != _ENTRY_KEYS:
        raise ValueError(
            f"{where}: header entry must have exactly the keys "
            f"{sorted(_ENTRY_KEYS)}, got {sorted(entry)}")
    dtype = entry["dtype"]
    if dtype not in STORAGE_DTYPES:
        raise ValueError(
            f"{where}: unsupported dtype {dtype!r} "
            f"(supported: {', '.join(STORAGE_DTYPES)})")
    shape = entry["shape"]
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise ValueError(f"{where}: shape must be a list of non-negative integers, got {shape!r}")
    offsets = entry["data_offsets"]
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_int(o) for o in offsets)):
        raise ValueError(f"{where}: data_offsets must be [begin, end] integers, got {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise ValueError(f"{where}: invalid data_offsets [{begin}, {end}]")
    expected = int(np.prod(shape, dtype=np.int64)) * STORAGE_DTYPES[dtype].itemsize
    if end - begin != expected:
        raise ValueError(
            f"{where}: data_offsets span {end - begin} bytes but dtype {dtype} "
            f"with shape {shape} needs {expected}")
    return dtype, tuple(shape), begin, end


def read_header(path):
    """Parse and validate the header of a safetensors file.

    Returns ``(entries, metadata, data_start)`` where ``entries`` maps each
    tensor name to ``(dtype, shape, begin, end)`` in file order,
    ``metadata`` is the ``__metadata__`` dict (empty when absent) and
    ``data_start`` is the absolute file offset of the data section.  Also
    checks that the tensors tile the data section exactly.
    """
    file_size = os.path.getsize(path)
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) != 8:
            raise ValueError(f"{path}: file is {file_size} bytes, too short for a safetensors header")
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len > _MAX_HEADER_BYTES:
            raise ValueError(f"{path}: header length {header_len} exceeds the {_MAX_HEADER_BYTES}-byte limit")
        if 8 + header_len > file_size:
            raise ValueError(
                f"{path}: header length {header_len} runs past the end of the "
                f"{file_size}-byte file (truncated?)")
        raw = f.read(header_len)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: header is not valid UTF-8 ({exc})") from None
    if not text.startswith("{"):
        raise ValueError(f"{path}: header does not start with a JSON object")
    try:
        header = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError subclass
        raise ValueError(f"{path}: header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header must be a JSON object")

    metadata = header.pop(_METADATA_KEY, {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError(f"{path}: {_METADATA_KEY} must map strings to strings")

    entries = {name: _validate_entry(path, name, entry) for name, entry in header.items()}

    data_start = 8 + header_len
    data_size = file_size - data_start
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != position:
            kind = "overlaps the previous tensor" if begin < position else "leaves a gap before it"
            raise ValueError(f"{path}: tensor {name!r} at byte {begin} {kind} (expected byte {position})")
        position = end
    if position != data_size:
        raise ValueError(
            f"{path}: tensors cover {position} bytes but the data section has "
            f"{data_size} bytes (truncated or trailing data)")
    return entries, metadata, data_start


class LazyTensor:
    """One tensor of a safetensors file, read from disk only when loaded.

    ``path`` is the file, ``dtype`` the safetensors dtype string and
    ``shape`` a tuple; :meth:`load` returns the values.
    """

    __slots__ = ("path", "dtype", "shape", "_start", "_nbytes")

    def __init__(self, path, dtype, shape, start, nbytes):
        self.path, self.dtype, self.shape = path, dtype, shape
        self._start, self._nbytes = start, nbytes

    def load(self, float32=True):
        """Read the tensor's bytes and return them as a numpy array.

        With ``float32=True`` (the default) float dtypes (F64, F16, BF16) are
        converted to ``float32``; otherwise the array keeps its storage dtype,
        BF16 as ``uint16`` bit patterns.  Integer tensors keep their dtype.
        """
        array = np.empty(self.shape, dtype=STORAGE_DTYPES[self.dtype])
        with open(self.path, "rb") as f:
            f.seek(self._start)
            read = f.readinto(memoryview(array.reshape(-1).view(np.uint8)))
        if read != self._nbytes:
            raise ValueError(f"{self.path}: file changed size while being read")
        if float32 and self.dtype == "BF16":
            return bf16_bits_to_f32(array)
        if float32 and self.dtype in FLOAT_DTYPES:
            return array.astype(np.float32, copy=False)
        return array


def open_file(path):
    """Validate a safetensors file's header without reading its tensors.

    Returns ``(tensors, metadata)``: ``tensors`` maps names to
    :class:`LazyTensor` in file-header order.
    """
    entries, metadata, data_start = read_header(path)
    tensors = {name: LazyTensor(path, dtype, shape, data_start + begin, end - begin)
               for name, (dtype, shape, begin, end) in entries.items()}
    return tensors, metadata


def load_file(path, float32=True):
    """Load every tensor of a safetensors file.

    Returns ``(tensors, metadata)``: ``tensors`` maps names to numpy arrays in
    file-header order.  With ``float32=True`` (the default) every float dtype
    (F64, F16, BF16) is converted to ``float32``; otherwise arrays keep their
    storage dtype, and BF16 tensors are returned as ``uint16`` bit patterns.
    Integer tensors are always returned in their own dtype.
    """
    tensors, metadata = open_file(path)
    return {name: tensor.load(float32) for name, tensor in tensors.items()}, metadata


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def _encode_tensor(name, array, dtype):
    """Return ``(dtype string, contiguous little-endian storage array)``."""
    array = np.asarray(array)
    if dtype is None:
        dtype = _INFERRED_DTYPES.get(array.dtype.newbyteorder("="))
        if dtype is None:
            raise ValueError(
                f"tensor {name!r}: cannot infer a safetensors dtype for numpy dtype "
                f"{array.dtype}; pass dtype explicitly")
    if dtype not in STORAGE_DTYPES:
        raise ValueError(f"tensor {name!r}: unsupported dtype {dtype!r}")
    if dtype in FLOAT_DTYPES:
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"tensor {name!r}: dtype {dtype} needs a float array, got {array.dtype}")
        if dtype == "BF16":
            storage = f32_to_bf16_bits(array.astype(np.float32))
        else:
            storage = array.astype(STORAGE_DTYPES[dtype])
    else:
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"tensor {name!r}: dtype {dtype} needs an integer array, got {array.dtype}")
        info = np.iinfo(STORAGE_DTYPES[dtype])
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise ValueError(f"tensor {name!r}: values do not fit in {dtype}")
        storage = array.astype(STORAGE_DTYPES[dtype])
    return dtype, np.require(storage, requirements="C")


def save_file(path, tensors, dtype=None, metadata=None):
    """Write ``tensors`` (name -> array) to a safetensors file at ``path``.

    ``dtype`` selects the stored dtype: ``None`` infers it from each array's
    numpy dtype (``float32`` -> F32, ``int64`` -> I64, ...); a string is
    applied to every floating-point tensor (integer tensors keep their
    inferred dtype); a dict maps tensor names to dtype strings, with missing
    names inferred.  BF16 must be requested explicitly and is produced from
    float values by round-to-nearest-even.  ``metadata`` is an optional
    ``str -> str`` dict stored as ``__metadata__``.

    Tensors are laid out in the iteration order of ``tensors``.  Returns the
    size in bytes of the data section (the sum of all tensor sizes).
    """
    if metadata is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata must map strings to strings")
    encoded = {}
    for name, array in tensors.items():
        if not isinstance(name, str) or name == _METADATA_KEY:
            raise ValueError(f"invalid tensor name {name!r}")
        if isinstance(dtype, dict):
            wanted = dtype.get(name)
        elif isinstance(dtype, str) and np.issubdtype(np.asarray(array).dtype, np.floating):
            wanted = dtype
        else:
            wanted = None
        encoded[name] = _encode_tensor(name, array, wanted)

    header = {}
    if metadata:
        header[_METADATA_KEY] = dict(metadata)
    offset = 0
    for name, (stored_dtype, storage) in encoded.items():
        header[name] = {"dtype": stored_dtype, "shape": list(storage.shape),
                        "data_offsets": [offset, offset + storage.nbytes]}
        offset += storage.nbytes

    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for _, storage in encoded.values():
            f.write(storage.reshape(-1).view(np.uint8))
    return offset


# --------------------------------------------------------------------------
# Checkpoint directories
# --------------------------------------------------------------------------

SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"


def _read_index(model_dir):
    """Parse and validate ``model.safetensors.index.json``; return its weight_map."""
    index_path = os.path.join(model_dir, INDEX_FILE)
    try:
        with open(index_path, "r", encoding="utf-8") as f:
            index = json.load(f, object_pairs_hook=_reject_duplicate_keys)
    except ValueError as exc:
        raise ValueError(f"{index_path}: invalid JSON ({exc})") from None
    if not isinstance(index, dict) or not isinstance(index.get("weight_map"), dict):
        raise ValueError(f"{index_path}: missing a 'weight_map' object")
    weight_map = index["weight_map"]
    if not weight_map:
        raise ValueError(f"{index_path}: 'weight_map' is empty")
    for name, filename in weight_map.items():
        if (not isinstance(filename, str) or not filename
                or os.path.basename(filename) != filename):
            raise ValueError(f"{index_path}: tensor {name!r} maps to invalid file name {filename!r}")
    return weight_map


def open_checkpoint(model_dir):
    """Validate a Hugging Face checkpoint directory without reading its weights.

    Reads the headers of either ``model.safetensors`` or the shards listed by
    ``model.safetensors.index.json`` (``"weight_map"``: tensor name -> shard
    file).  Having both is ambiguous and rejected.  For sharded checkpoints
    every shard must contain exactly the tensors the index assigns to it.

    Returns a dict name -> :class:`LazyTensor`, in file-header order for a
    single file and in ``weight_map`` order for shards.
    """
    single = os.path.join(model_dir, SINGLE_FILE)
    index_path = os.path.join(model_dir, INDEX_FILE)
    has_single, has_index = os.path.isfile(single), os.path.isfile(index_path)
    if has_single and has_index:
        raise ValueError(f"{model_dir}: contains both {SINGLE_FILE} and {INDEX_FILE}; remove one")
    if has_single:
        return open_file(single)[0]
    if not has_index:
        raise ValueError(f"{model_dir}: no {SINGLE_FILE} or {INDEX_FILE} found")

    weight_map = _read_index(model_dir)
    expected_by_file = {}
    for name, filename in weight_map.items():
        expected_by_file.setdefault(filename, set()).add(name)
    weights = {}
    for filename, expected in expected_by_file.items():
        shard_path = os.path.join(model_dir, filename)
        if not os.path.isfile(shard_path):
            raise ValueError(f"{index_path}: shard {filename!r} does not exist")
        tensors = open_file(shard_path)[0]
        missing = sorted(expected - set(tensors))
        extra = sorted(set(tensors) - expected)
        if missing:
            raise ValueError(f"{shard_path}: missing tensors listed in the index: {missing}")
        if extra:
            raise ValueError(f"{shard_path}: holds tensors the index does not assign to it: {extra}")
        weights.update(tensors)
    return {name: weights[name] for name in weight_map}


def load_checkpoint(model_dir):
    """Load all weights of a Hugging Face checkpoint directory.

    Accepts and checks the same directories as :func:`open_checkpoint`.
    Returns a dict name -> numpy array; float tensors of any stored dtype are
    returned as ``float32``.
    """
    return {name: tensor.load() for name, tensor in open_checkpoint(model_dir).items()}
