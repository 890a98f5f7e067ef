"""Float64 numpy reference of Hugging Face's ``LlamaForCausalLM`` forward pass.

Weights are loaded as float32 and cast to float64; every operation is done
in float64, so the result is a tight reference for lower-precision
implementations.  For a token sequence ``x`` (rows are positions)::

    x = embed_tokens[ids]
    for each layer:
        h = rms_norm(x, input_layernorm)
        q, k, v = h @ Wq.T, h @ Wk.T, h @ Wv.T            split into heads
        q, k = rope(q), rope(k)                           rotate_half convention
        x = x + causal_gqa_attention(q, k, v) @ Wo.T
        h = rms_norm(x, post_attention_layernorm)
        x = x + (silu(h @ Wgate.T) * (h @ Wup.T)) @ Wdown.T
    logits = rms_norm(x, norm) @ lm_head.T

``lm_head`` is ``embed_tokens`` when ``tie_word_embeddings`` is true or when
the checkpoint has no ``lm_head.weight``.
"""

import numpy as np

from .config import LlamaConfig
from .safetensors_io import load_checkpoint


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

def rms_norm(x, weight, eps):
    """``x / sqrt(mean(x**2, -1) + eps) * weight`` over the last axis."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def silu(x):
    """``x * sigmoid(x)``; the sigmoid is written with tanh to avoid overflow."""
    return x * (0.5 * (1.0 + np.tanh(0.5 * x)))


def rope_inv_freq(head_dim, theta):
    """Rotary inverse frequencies ``theta ** (-2i / head_dim)``, ``i < head_dim/2``."""
    return 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)


def llama3_scale_inv_freq(inv_freq, factor, low_freq_factor, high_freq_factor,
                          original_max_position_embeddings):
    """Apply Llama 3 RoPE scaling to ``inv_freq``.

    With ``wavelen = 2*pi / inv_freq`` and the context length ``L`` the model
    was originally trained on:

    * ``wavelen < L / high_freq_factor`` (high frequencies): unchanged;
    * ``wavelen > L / low_freq_factor`` (low frequencies): divided by ``factor``;
    * otherwise the two are blended with
      ``smooth = (L / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)``
      as ``(1 - smooth) * inv_freq / factor + smooth * inv_freq``.
    """
    inv_freq = np.asarray(inv_freq, dtype=np.float64)
    wavelen = 2.0 * np.pi / inv_freq
    low_freq_wavelen = original_max_position_embeddings / low_freq_factor
    high_freq_wavelen = original_max_position_embeddings / high_freq_factor
    smooth = ((original_max_position_embeddings / wavelen - low_freq_factor)
              / (high_freq_factor - low_freq_factor))
    blended = (1.0 - smooth) * inv_freq / factor + smooth * inv_freq
    return np.where(wavelen > low_freq_wavelen, inv_freq / factor,
                    np.where(wavelen < high_freq_wavelen, inv_freq, blended))


def config_inv_freq(config):
    """Rotary inverse frequencies of ``config``, including any rope scaling."""
    inv_freq = rope_inv_freq(config.head_dim, config.rope_theta)
    scaling = config.rope_scaling
    if scaling is None:
        return inv_freq
    return llama3_scale_inv_freq(inv_freq, scaling["factor"], scaling["low_freq_factor"],
                                 scaling["high_freq_factor"],
                                 scaling["original_max_position_embeddings"])


def rope_cos_sin(inv_freq, positions):
    """Return ``cos`` and ``sin`` tables of shape ``[len(positions), head_dim]``.

    The angles ``position * inv_freq`` are duplicated as
    ``[freqs, freqs]`` to match :func:`rotate_half`.
    """
    freqs = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)
    angles = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(angles), np.sin(angles)


def rotate_half(x):
    """Map the halves ``[x1, x2]`` of the last axis to ``[-x2, x1]``."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x, cos, sin):
    """Rotate ``x`` (``[..., positions, head_dim]``): ``x*cos + rotate_half(x)*sin``.

    Element ``i`` is paired with element ``i + head_dim/2`` and the pair is
    rotated by the angle ``position * inv_freq[i]``.
    """
    return x * cos + rotate_half(x) * sin


def causal_attention(q, k, v, q_positions, k_positions):
    """Grouped-query causal attention.

    ``q`` is ``[H, n, Dh]``; ``k`` and ``v`` are ``[KVH, T, Dh]``, and query
    head ``h`` uses key/value head ``h // (H / KVH)``.  A query at absolute
    position ``p`` attends to keys at positions ``<= p``.  Returns
    ``[H, n, Dh]``.
    """
    group = q.shape[0] // k.shape[0]
    k = np.repeat(k, group, axis=0)
    v = np.repeat(v, group, axis=0)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    future = np.asarray(k_positions)[None, :] > np.asarray(q_positions)[:, None]
    scores = np.where(future, -np.inf, scores)
    scores -= scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    return probs @ v


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

class KVCache:
    """Keys and values (after RoPE) of every position processed so far.

    ``keys[i]`` and ``values[i]`` hold layer ``i``'s tensors with shape
    ``[num_key_value_heads, length, head_dim]``.
    """

    def __init__(self, config, dtype="f32"):
        """``dtype``: what the cache stores, ``f32`` (keys and values kept as
        computed), ``f16`` or ``bf16`` (each rounded to nearest, ties to even,
        as it is appended; a compiled module with ``llm-kv-cache-type``)."""
        if dtype not in ("f32", "f16", "bf16"):
            raise ValueError(f"KV cache dtype must be f32, f16 or bf16, got {dtype!r}")
        empty = np.zeros((config.num_key_value_heads, 0, config.head_dim))
        self.keys = [empty] * config.num_hidden_layers
        self.values = [empty] * config.num_hidden_layers
        self.dtype = dtype

    def _stored(self, x):
        """``x`` rounded to the cache's element type (float64 again)."""
        if self.dtype == "f16":
            return x.astype(np.float16).astype(np.float64)
        if self.dtype == "bf16":
            # bf16 is the high half of an f32: round the low 16 bits away.
            bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
            bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
            return bits.astype(np.uint32).view(np.float32).astype(np.float64)
        return x

    @property
    def length(self):
        """Number of cached positions."""
        return self.keys[0].shape[1]

    def append(self, layer, k, v):
        """Append ``k``, ``v`` to ``layer`` and return the layer's full tensors."""
        self.keys[layer] = np.concatenate([self.keys[layer], self._stored(k)], axis=1)
        self.values[layer] = np.concatenate([self.values[layer], self._stored(v)], axis=1)
        return self.keys[layer], self.values[layer]


# Per-layer weight names (after the "model.layers.{i}." prefix).
_LAYER_WEIGHTS = (
    "input_layernorm.weight",
    "self_attn.q_proj.weight",
    "self_attn.k_proj.weight",
    "self_attn.v_proj.weight",
    "self_attn.o_proj.weight",
    "post_attention_layernorm.weight",
    "mlp.gate_proj.weight",
    "mlp.up_proj.weight",
    "mlp.down_proj.weight",
)


def expected_shapes(config):
    """Map every weight name the model needs to its shape (``lm_head`` included)."""
    d, f = config.hidden_size, config.intermediate_size
    q_dim = config.num_attention_heads * config.head_dim
    kv_dim = config.num_key_value_heads * config.head_dim
    layer_shapes = dict(zip(_LAYER_WEIGHTS, [(d,), (q_dim, d), (kv_dim, d), (kv_dim, d),
                                             (d, q_dim), (d,), (f, d), (f, d), (d, f)]))
    shapes = {"model.embed_tokens.weight": (config.vocab_size, d)}
    for i in range(config.num_hidden_layers):
        shapes.update({f"model.layers.{i}.{name}": shape for name, shape in layer_shapes.items()})
        for proj in config.biased_projections:
            out = {"q": q_dim, "k": kv_dim, "v": kv_dim, "o": d}[proj]
            shapes[f"model.layers.{i}.self_attn.{proj}_proj.bias"] = (out,)
    shapes["model.norm.weight"] = (d,)
    shapes["lm_head.weight"] = (config.vocab_size, d)
    return shapes


class LlamaModel:
    """The reference model: a config plus float64 weights."""

    def __init__(self, config, weights):
        """Validate ``weights`` (name -> array) against ``config`` and keep float64 copies.

        Only ``lm_head.weight`` may be missing (it then defaults to the
        embeddings).  Unknown tensors are rejected, except the rotary
        ``inv_freq`` buffers some older checkpoints carry, which are ignored
        since the frequencies are recomputed from the config.
        """
        self.config = config
        shapes = expected_shapes(config)
        unknown = sorted(name for name in weights
                         if name not in shapes and not name.endswith("rotary_emb.inv_freq"))
        if unknown:
            raise ValueError(f"checkpoint has unexpected tensors: {unknown[:8]}")
        missing = sorted(name for name in shapes if name not in weights and name != "lm_head.weight")
        if missing:
            raise ValueError(f"checkpoint is missing tensors: {missing[:8]}")
        self.weights = {}
        for name, shape in shapes.items():
            if name not in weights:
                continue
            value = np.asarray(weights[name])
            if value.shape != shape:
                raise ValueError(f"tensor {name!r} has shape {list(value.shape)}, expected {list(shape)}")
            if not np.issubdtype(value.dtype, np.floating):
                raise ValueError(f"tensor {name!r} has non-float dtype {value.dtype}")
            self.weights[name] = value.astype(np.float64)
        if config.tie_word_embeddings or "lm_head.weight" not in self.weights:
            self.lm_head = self.weights["model.embed_tokens.weight"]
        else:
            self.lm_head = self.weights["lm_head.weight"]
        self.inv_freq = config_inv_freq(config)
        # Inputs of the linear layers quantized as an integer INT4 kernel
        # does (quantize_linear_inputs); None: exact.
        self.input_quantization = None
        self.quantized_lm_head_inputs = False

    def quantize_linear_inputs(self, group_size, levels, lm_head=False):
        """Make every linear layer (and the LM head with ``lm_head``) read its
        inputs as an integer INT4 kernel quantizes them: per row and group of
        ``group_size`` inputs (the last one zero-padded), round(x * levels /
        m) * m / levels with m the group's largest magnitude, rounded half
        away from zero in float32 (``levels`` 127: int8, 32767: int16)."""
        self.input_quantization = (group_size, levels)
        self.quantized_lm_head_inputs = lm_head

    def _inputs(self, x):
        if self.input_quantization is None:
            return x
        group, levels = self.input_quantization
        rows, width = x.shape
        padded = -(-width // group) * group
        xs = np.zeros((rows, padded), dtype=np.float32)
        xs[:, :width] = x
        xs = xs.reshape(rows, padded // group, group)
        m = np.abs(xs).max(axis=2, keepdims=True)
        inverse = np.where(m > 0, np.float32(levels) / np.where(m > 0, m, 1), 0).astype(np.float32)
        scaled = xs * inverse
        q = np.trunc(scaled + np.copysign(np.float32(0.5), scaled))
        back = q.astype(np.float64) * m.astype(np.float64) / levels
        return back.reshape(rows, padded)[:, :width]

    @classmethod
    def from_pretrained(cls, model_dir):
        """Load ``config.json`` and the safetensors weights of ``model_dir``."""
        return cls(LlamaConfig.load(model_dir), load_checkpoint(model_dir))

    def new_cache(self, dtype="f32"):
        """An empty :class:`KVCache` for this model, storing ``dtype``."""
        return KVCache(self.config, dtype)

    def _check_ids(self, ids):
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be a non-empty 1-D sequence of integers, got {ids!r}")
        bad = ids[(ids < 0) | (ids >= self.config.vocab_size)]
        if bad.size:
            raise ValueError(f"token ids {bad.tolist()} are outside [0, {self.config.vocab_size})")
        return ids

    def forward(self, ids, start_pos=0, cache=None):
        """Logits ``[len(ids), vocab_size]`` (float64) for tokens at ``start_pos, ...``.

        With a ``cache`` the tokens attend to the cached positions as well and
        their keys/values are appended; ``start_pos`` must then equal
        ``cache.length``.  Without a cache, attention covers only ``ids``
        (whose positions still start at ``start_pos``).
        """
        cfg = self.config
        w = self.weights
        ids = self._check_ids(ids)
        if start_pos < 0:
            raise ValueError(f"start_pos must be non-negative, got {start_pos}")
        if cache is not None and cache.length != start_pos:
            raise ValueError(f"start_pos {start_pos} does not match the cache length {cache.length}")
        n, heads, kv_heads, head_dim = len(ids), cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        positions = np.arange(start_pos, start_pos + n)
        cos, sin = rope_cos_sin(self.inv_freq, positions)

        x = w["model.embed_tokens.weight"][ids]
        for i in range(cfg.num_hidden_layers):
            p = f"model.layers.{i}."
            h = rms_norm(x, w[p + "input_layernorm.weight"], cfg.rms_norm_eps)
            def project(x, proj):
                y = self._inputs(x) @ w[p + f"self_attn.{proj}_proj.weight"].T
                return y + w[p + f"self_attn.{proj}_proj.bias"] if proj in cfg.biased_projections else y

            q = project(h, "q").reshape(n, heads, head_dim).transpose(1, 0, 2)
            k = project(h, "k").reshape(n, kv_heads, head_dim).transpose(1, 0, 2)
            v = project(h, "v").reshape(n, kv_heads, head_dim).transpose(1, 0, 2)
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
            if cache is not None:
                k, v = cache.append(i, k, v)
            k_positions = np.arange(start_pos + n - k.shape[1], start_pos + n)
            attn = causal_attention(q, k, v, positions, k_positions)
            attn = attn.transpose(1, 0, 2).reshape(n, heads * head_dim)
            x = x + project(attn, "o")

            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg.rms_norm_eps)
            gate = silu(self._inputs(h) @ w[p + "mlp.gate_proj.weight"].T)
            up = self._inputs(h) @ w[p + "mlp.up_proj.weight"].T
            x = x + self._inputs(gate * up) @ w[p + "mlp.down_proj.weight"].T

        x = rms_norm(x, w["model.norm.weight"], cfg.rms_norm_eps)
        if self.quantized_lm_head_inputs:
            x = self._inputs(x)
        return x @ self.lm_head.T

    def continue_greedy(self, last_logits, cache, n_new):
        """Generate ``n_new`` ids greedily after a prefill.

        ``last_logits`` are the logits of the last processed position and
        ``cache`` holds every processed position.  Ties pick the lowest id;
        generation does not stop at EOS.
        """
        generated = []
        while len(generated) < n_new:
            generated.append(int(np.argmax(last_logits)))
            if len(generated) < n_new:
                last_logits = self.forward(generated[-1:], start_pos=cache.length, cache=cache)[-1]
        return generated

    def generate_greedy(self, prompt, n_new):
        """Greedy continuation (``n_new`` ids) of ``prompt`` using a KV cache."""
        cache = self.new_cache()
        logits = self.forward(prompt, cache=cache)
        return self.continue_greedy(logits[-1], cache, n_new)


def logits_all(model_dir, ids):
    """Float64 logits ``[len(ids), vocab_size]`` of every position of ``ids``."""
    return LlamaModel.from_pretrained(model_dir).forward(ids)
