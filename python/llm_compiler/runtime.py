"""Run compiled models from Python, through the runtime's C API (libllm.so).

A :class:`Model` is a model directory (or GGUF file) bound to its compiled
module, with a KV-cache pool of ``slots`` sequences::

    from llm_compiler.runtime import Model

    with Model("/path/to/checkpoint", slots=4, context_size=256) as model:
        ids = model.tokenize("Once upon a time")
        logits = model.prefill(ids, slot=0)          # numpy [len(ids), vocab]
        step = model.decode_batch([7, 9], slots=[0, 1], positions=[len(ids), 0])
        text = model.detokenize(model.generate(ids, max_tokens=32, temperature=0))

Logits are written by the runtime straight into the numpy arrays returned.
The library is found through ``LLM_LIBRARY`` (a path to libllm.so), the copy
installed with the package, or the build tree this source tree belongs to.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

__all__ = ["LLMError", "Model", "library_path"]


class LLMError(RuntimeError):
    """A failure the runtime reported (its message names the problem)."""


class _Sampling(ctypes.Structure):
    _fields_ = [
        ("temperature", ctypes.c_float),
        ("top_k", ctypes.c_int32),
        ("top_p", ctypes.c_float),
        ("min_p", ctypes.c_float),
        ("repeat_penalty", ctypes.c_float),
        ("repeat_last_n", ctypes.c_int32),
        ("seed", ctypes.c_int64),
    ]


_API_VERSION = 1
_HERE = Path(__file__).resolve().parent


def library_path() -> Path:
    """Where libllm.so is: ``$LLM_LIBRARY``, the installed copy, or the
    build tree beside this source tree (``build/lib``)."""
    candidates = []
    if os.environ.get("LLM_LIBRARY"):
        candidates.append(Path(os.environ["LLM_LIBRARY"]))
    candidates.append(_HERE / "lib" / "libllm.so")
    candidates.append(_HERE.parent.parent / "build" / "lib" / "libllm.so")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise LLMError(
        "cannot find libllm.so (looked at: %s); build the project "
        "(./build.sh) or set LLM_LIBRARY" % ", ".join(str(c) for c in candidates))


_lib: Optional[ctypes.CDLL] = None


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is not None:
        return _lib
    # Global: the code the library compiles at run time calls the OpenMP
    # runtime and mlir_c_runner_utils, which it links, and the JIT finds
    # them among the process's global symbols.
    lib = ctypes.CDLL(str(library_path()), mode=ctypes.RTLD_GLOBAL)
    i32, i64, p = ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p
    i32p = ctypes.POINTER(ctypes.c_int32)
    i64p = ctypes.POINTER(ctypes.c_int64)
    f32p = ctypes.POINTER(ctypes.c_float)
    signatures = {
        "llm_api_version": (i32, []),
        "llm_last_error": (ctypes.c_char_p, []),
        "llm_model_open": (p, [ctypes.c_char_p, ctypes.c_char_p, i64, i64, i32,
                               ctypes.c_char_p, i32]),
        "llm_model_close": (None, [p]),
        "llm_vocab_size": (i64, [p]),
        "llm_context_size": (i64, [p]),
        "llm_slots": (i64, [p]),
        "llm_has_batched_decode": (i32, [p]),
        "llm_bos_id": (i64, [p]),
        "llm_eos_ids": (i64, [p, i64p, i64]),
        "llm_tokenize": (i64, [p, ctypes.c_char_p, i32, i32p, i64]),
        "llm_detokenize": (p, [p, i32p, i64]),
        "llm_free": (None, [p]),
        "llm_prefill": (i32, [p, i64, i64, i32p, i64, i32, f32p]),
        "llm_decode_batch": (i32, [p, i64, i32p, i64p, i64p, f32p]),
        "llm_default_sampling": (_Sampling, []),
        "llm_generate": (i64, [p, i64, i32p, i64, i64, ctypes.POINTER(_Sampling),
                               i32, i32p, i64]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    if lib.llm_api_version() != _API_VERSION:
        raise LLMError("libllm.so has C API version %d, this package needs %d"
                       % (lib.llm_api_version(), _API_VERSION))
    _lib = lib
    return lib


def _error() -> LLMError:
    return LLMError(_library().llm_last_error().decode("utf-8", "replace"))


def _ints(values: Iterable[int], dtype) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(list(values), dtype=dtype))


def _pointer(array: np.ndarray, ctype):
    return array.ctypes.data_as(ctypes.POINTER(ctype))


class Model:
    """A model bound to its compiled module, ready to run on this CPU.

    Args:
        model: a Hugging Face checkpoint directory or a ``.gguf`` file.
        module: the compiled module (``.mlir`` or llm-compile's shared
            library); ``None`` imports the model's config (with
            ``@decode_batch``) and compiles it.
        context_size: positions per sequence (0: max_position_embeddings).
        slots: sequences the KV-cache pool holds.
        threads: OpenMP threads (0: all cores).
        cache_dir: where compiled code and prepared weights are cached
            (``None``: the model's default).
        no_cache: neither read nor write any cache.
    """

    def __init__(self, model: str, module: Optional[str] = None, *,
                 context_size: int = 0, slots: int = 1, threads: int = 0,
                 cache_dir: Optional[str] = None, no_cache: bool = False):
        lib = _library()
        self._handle = lib.llm_model_open(
            os.fsencode(model), os.fsencode(module) if module else None,
            context_size, slots, threads,
            os.fsencode(cache_dir) if cache_dir else None, int(no_cache))
        if not self._handle:
            raise _error()
        self.vocab_size: int = lib.llm_vocab_size(self._handle)
        self.context_size: int = lib.llm_context_size(self._handle)
        self.slots: int = lib.llm_slots(self._handle)
        self.has_batched_decode: bool = bool(lib.llm_has_batched_decode(self._handle))
        self.bos_id: int = lib.llm_bos_id(self._handle)
        count = lib.llm_eos_ids(self._handle, None, 0)
        eos = np.zeros(max(count, 1), dtype=np.int64)
        lib.llm_eos_ids(self._handle, _pointer(eos, ctypes.c_int64), count)
        self.eos_ids: list[int] = [int(i) for i in eos[:count]]

    def close(self) -> None:
        """Frees the model (also on garbage collection)."""
        if getattr(self, "_handle", None):
            _library().llm_model_close(self._handle)
            self._handle = None

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def _live(self):
        if not self._handle:
            raise LLMError("the model is closed")
        return self._handle

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        """The ids of ``text`` (special tokens in it parsed; with
        ``add_special``, what the tokenizer puts first, e.g. BOS)."""
        lib, handle = _library(), self._live()
        data = text.encode("utf-8")
        capacity = len(data) + 8
        while True:
            ids = np.zeros(capacity, dtype=np.int32)
            count = lib.llm_tokenize(handle, data, int(add_special),
                                     _pointer(ids, ctypes.c_int32), capacity)
            if count < 0:
                raise _error()
            if count <= capacity:
                return [int(i) for i in ids[:count]]
            capacity = count

    def detokenize(self, ids: Sequence[int]) -> str:
        """The text of ``ids`` (special tokens skipped)."""
        lib, handle = _library(), self._live()
        array = _ints(ids, np.int32)
        text = lib.llm_detokenize(handle, _pointer(array, ctypes.c_int32), len(array))
        if not text:
            raise _error()
        try:
            return ctypes.string_at(text).decode("utf-8")
        finally:
            lib.llm_free(text)

    def prefill(self, ids: Sequence[int], slot: int = 0, position: int = 0,
                last_only: bool = False) -> np.ndarray:
        """Runs ``ids`` in ``slot`` at positions ``position ..`` (the slot
        already holds the positions before). Returns float32 logits
        ``[len(ids), vocab]``, or ``[vocab]`` with ``last_only``."""
        array = _ints(ids, np.int32)
        if len(array) == 0:
            raise LLMError("no tokens to prefill")
        shape = (self.vocab_size,) if last_only else (len(array), self.vocab_size)
        logits = np.empty(shape, dtype=np.float32)
        if _library().llm_prefill(self._live(), slot, position,
                                  _pointer(array, ctypes.c_int32), len(array),
                                  int(last_only), _pointer(logits, ctypes.c_float)):
            raise _error()
        return logits

    def decode_batch(self, ids: Sequence[int], slots: Sequence[int],
                     positions: Sequence[int]) -> np.ndarray:
        """One decode step of several sequences: ``ids[b]`` at
        ``positions[b]`` of slot ``slots[b]`` (distinct slots). Returns
        float32 logits ``[len(ids), vocab]``."""
        tokens = _ints(ids, np.int32)
        slot_array = _ints(slots, np.int64)
        position_array = _ints(positions, np.int64)
        if not (len(tokens) == len(slot_array) == len(position_array)):
            raise LLMError("ids, slots and positions must have one entry per sequence")
        if len(tokens) == 0:
            raise LLMError("no sequences to decode")
        logits = np.empty((len(tokens), self.vocab_size), dtype=np.float32)
        if _library().llm_decode_batch(
                self._live(), len(tokens), _pointer(tokens, ctypes.c_int32),
                _pointer(slot_array, ctypes.c_int64),
                _pointer(position_array, ctypes.c_int64),
                _pointer(logits, ctypes.c_float)):
            raise _error()
        return logits

    def generate(self, prompt: Sequence[int], max_tokens: int, *, slot: int = 0,
                 temperature: float = 0.8, top_k: int = 40, top_p: float = 0.95,
                 min_p: float = 0.05, repeat_penalty: float = 1.0,
                 repeat_last_n: int = 64, seed: int = -1,
                 ignore_eos: bool = False) -> list[int]:
        """Prefills ``prompt`` into ``slot`` and samples up to ``max_tokens``
        ids (temperature 0: greedy) until an end-of-sequence id."""
        array = _ints(prompt, np.int32)
        sampling = _Sampling(temperature, top_k, top_p, min_p, repeat_penalty,
                             repeat_last_n, seed)
        out = np.zeros(max(max_tokens, 1), dtype=np.int32)
        count = _library().llm_generate(
            self._live(), slot, _pointer(array, ctypes.c_int32), len(array),
            max_tokens, ctypes.byref(sampling), int(ignore_eos),
            _pointer(out, ctypes.c_int32), len(out))
        if count < 0:
            raise _error()
        return [int(i) for i in out[:count]]
