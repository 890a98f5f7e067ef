"""Seeded random-weight LLaMA checkpoints in Hugging Face layout.

A checkpoint directory holds ``config.json`` and the weights, either in one
``model.safetensors`` or in shards ``model-0000K-of-0000N.safetensors`` with a
``model.safetensors.index.json`` that maps every tensor to its shard.

Weights are drawn in float32 from ``numpy.random.default_rng(seed)``, one
tensor after another in the order of :func:`tensor_specs`, and are then
rounded to the requested storage dtype:

* ``model.embed_tokens.weight``: standard normal;
* linear projections (and ``lm_head``): normal with std ``1/sqrt(fan_in)``,
  which keeps activations of order one through the network;
* RMSNorm weights: ``1 + 0.1 * normal``.
"""

import dataclasses
import json
import os
import re

import numpy as np

from .config import TORCH_DTYPE_NAMES, LlamaConfig
from .safetensors_io import INDEX_FILE, SINGLE_FILE, STORAGE_DTYPES, round_to_dtype, save_file

#: Named model sizes.  The ``stories`` presets match the shapes of Karpathy's
#: TinyStories llama2.c models, which share the embedding with the output
#: layer; ``tiny`` is a fast test model with grouped-query attention and a
#: separate ``lm_head``.
PRESETS = {
    "tiny": dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, vocab_size=128,
                 max_position_embeddings=64, tie_word_embeddings=False),
    "stories15M": dict(hidden_size=288, intermediate_size=768, num_hidden_layers=6,
                       num_attention_heads=6, num_key_value_heads=6, vocab_size=32000,
                       max_position_embeddings=256, tie_word_embeddings=True),
    "stories110M": dict(hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
                        num_attention_heads=12, num_key_value_heads=12, vocab_size=32000,
                        max_position_embeddings=1024, tie_word_embeddings=True),
    # The shapes of the large-model benchmarks (bench/weights_16bit.py,
    # bench/make_large_checkpoint.py).
    "tinyllama": dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                      num_attention_heads=32, num_key_value_heads=4, vocab_size=32000,
                      max_position_embeddings=2048, tie_word_embeddings=False),
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
               num_attention_heads=32, num_key_value_heads=32, vocab_size=32000,
               max_position_embeddings=4096, tie_word_embeddings=False),
}

_SHARD_PATTERN = re.compile(r"model-\d{5}-of-\d{5}\.safetensors")


def tensor_specs(config):
    """List ``(name, shape, kind)`` for every weight, in Hugging Face order.

    ``kind`` is ``"embedding"``, ``"norm"``, ``"linear"`` or ``"bias"`` (the
    attention projection biases of Qwen2 or ``attention_bias``); linear weights
    have shape ``[out_features, in_features]``.  ``lm_head.weight`` is
    omitted when the embeddings are tied.
    """
    d = config.hidden_size
    f = config.intermediate_size
    q_dim = config.num_attention_heads * config.head_dim
    kv_dim = config.num_key_value_heads * config.head_dim
    specs = [("model.embed_tokens.weight", (config.vocab_size, d), "embedding")]
    for i in range(config.num_hidden_layers):
        prefix = f"model.layers.{i}."
        specs += [
            (prefix + "input_layernorm.weight", (d,), "norm"),
            (prefix + "self_attn.q_proj.weight", (q_dim, d), "linear"),
            (prefix + "self_attn.k_proj.weight", (kv_dim, d), "linear"),
            (prefix + "self_attn.v_proj.weight", (kv_dim, d), "linear"),
            (prefix + "self_attn.o_proj.weight", (d, q_dim), "linear"),
            (prefix + "post_attention_layernorm.weight", (d,), "norm"),
            (prefix + "mlp.gate_proj.weight", (f, d), "linear"),
            (prefix + "mlp.up_proj.weight", (f, d), "linear"),
            (prefix + "mlp.down_proj.weight", (d, f), "linear"),
        ]
        out = {"q": q_dim, "k": kv_dim, "v": kv_dim, "o": d}
        specs += [(prefix + f"self_attn.{proj}_proj.bias", (out[proj],), "bias")
                  for proj in config.biased_projections]
    specs.append(("model.norm.weight", (d,), "norm"))
    if not config.tie_word_embeddings:
        specs.append(("lm_head.weight", (config.vocab_size, d), "linear"))
    return specs


def init_weights(config, seed=0):
    """Draw float32 random weights for ``config``; returns name -> array."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape, kind in tensor_specs(config):
        weights[name] = scale_init(rng.standard_normal(shape, dtype=np.float32), shape, kind)
    return weights


def scale_init(values, shape, kind):
    """Scale standard-normal draws (in place) for a weight of ``kind`` and
    ``shape``: linear weights by 1/sqrt(in_features), norm weights to
    1 + 0.1 N(0, 1); embeddings as drawn. Returns ``values``."""
    if kind == "linear":
        values *= np.float32(1.0 / np.sqrt(shape[1]))
    elif kind == "norm":
        values *= np.float32(0.1)
        values += np.float32(1.0)
    elif kind == "bias":
        values *= np.float32(0.5)
    return values


def split_into_shards(sizes, shards):
    """Split tensors with byte ``sizes`` into ``shards`` contiguous groups.

    Returns a list of ``shards`` non-empty lists of tensor indices.  A new
    shard is started once the bytes placed so far reach that shard's share
    of the total, or when every remaining tensor is needed to fill the
    remaining shards.
    """
    if not 1 <= shards <= len(sizes):
        raise ValueError(f"cannot split {len(sizes)} tensors into {shards} shards")
    total = sum(sizes)
    groups = [[]]
    placed = 0
    for index, size in enumerate(sizes):
        shards_to_open = shards - len(groups)
        share_reached = placed >= total * len(groups) / shards
        must_open = len(sizes) - index == shards_to_open
        if groups[-1] and shards_to_open and (share_reached or must_open):
            groups.append([])
        groups[-1].append(index)
        placed += size
    return groups


def shard_file_name(index, shards):
    """Hugging Face's name for shard ``index`` (0-based) of ``shards``."""
    return f"model-{index + 1:05d}-of-{shards:05d}.safetensors"


def _remove_old_weights(out_dir):
    """Delete weight files a previous run may have left in ``out_dir``."""
    for entry in os.listdir(out_dir):
        if entry in (SINGLE_FILE, INDEX_FILE) or _SHARD_PATTERN.fullmatch(entry):
            os.remove(os.path.join(out_dir, entry))


def write_checkpoint(out_dir, config, weights, dtype="F32", shards=1, include_head_dim=False):
    """Write ``config.json`` and ``weights`` to ``out_dir`` in HF layout.

    ``dtype`` (``"F32"``, ``"F16"`` or ``"BF16"``) is the storage dtype of
    every weight and also sets ``torch_dtype`` in config.json.  With
    ``shards > 1`` the weights are split into that many files plus an index.
    Weight files left in ``out_dir`` by earlier runs are removed first so the
    directory never holds two conflicting sets.
    """
    if dtype not in TORCH_DTYPE_NAMES:
        raise ValueError(f"dtype must be one of {sorted(TORCH_DTYPE_NAMES)}, got {dtype!r}")
    config = dataclasses.replace(config, torch_dtype=TORCH_DTYPE_NAMES[dtype])
    os.makedirs(out_dir, exist_ok=True)
    _remove_old_weights(out_dir)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config.to_dict(include_head_dim=include_head_dim), f, indent=2)
        f.write("\n")

    metadata = {"format": "pt"}
    if shards == 1:
        save_file(os.path.join(out_dir, SINGLE_FILE), weights, dtype=dtype, metadata=metadata)
        return
    names = list(weights)
    itemsize = STORAGE_DTYPES[dtype].itemsize
    sizes = [weights[name].size * itemsize for name in names]
    weight_map = {}
    total_size = 0
    for index, group in enumerate(split_into_shards(sizes, shards)):
        file_name = shard_file_name(index, shards)
        shard = {names[i]: weights[names[i]] for i in group}
        total_size += save_file(os.path.join(out_dir, file_name), shard,
                                dtype=dtype, metadata=metadata)
        weight_map.update(dict.fromkeys(shard, file_name))
    index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
    with open(os.path.join(out_dir, INDEX_FILE), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def make_checkpoint(out_dir, config, seed=0, dtype="F32", shards=1, include_head_dim=False):
    """Generate random weights for ``config`` and write a checkpoint.

    Returns the weights as a reader will see them: float32 arrays holding the
    values after rounding to ``dtype``.
    """
    weights = init_weights(config, seed)
    write_checkpoint(out_dir, config, weights, dtype=dtype, shards=shards,
                     include_head_dim=include_head_dim)
    return {name: round_to_dtype(value, dtype) for name, value in weights.items()}


def preset_config(name, **overrides):
    """Build a :class:`LlamaConfig` from preset ``name`` with ``overrides``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
    return LlamaConfig(**{**PRESETS[name], **overrides})
