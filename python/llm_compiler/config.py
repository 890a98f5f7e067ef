"""The part of a Hugging Face ``LlamaConfig`` that the model math depends on.

:class:`LlamaConfig` is read from and written to ``config.json``.  Defaults
for absent keys follow Hugging Face's ``LlamaConfig`` (for example
``num_key_value_heads`` defaults to ``num_attention_heads`` and ``head_dim``
to ``hidden_size // num_attention_heads``).  Features the reference does not
implement (attention or MLP biases, activations other than SiLU, RoPE
scaling types other than ``llama3``) are rejected rather than ignored.
"""

import dataclasses
import json
import math
import os

#: ``torch_dtype`` strings of config.json keyed by safetensors dtype.
TORCH_DTYPE_NAMES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}

_LLAMA3_SCALING_KEYS = ("factor", "low_freq_factor", "high_freq_factor",
                        "original_max_position_embeddings")


def llama3_rope_scaling(factor, low_freq_factor, high_freq_factor,
                        original_max_position_embeddings):
    """Return a ``rope_scaling`` dict of type ``llama3``."""
    return {
        "rope_type": "llama3",
        "factor": float(factor),
        "low_freq_factor": float(low_freq_factor),
        "high_freq_factor": float(high_freq_factor),
        "original_max_position_embeddings": int(original_max_position_embeddings),
    }


def _normalize_rope_scaling(rope_scaling):
    """Validate ``rope_scaling`` and return ``None`` or a llama3 dict."""
    if rope_scaling is None:
        return None
    if not isinstance(rope_scaling, dict):
        raise ValueError(f"rope_scaling must be null or an object, got {rope_scaling!r}")
    # Older configs spell the key "type" instead of "rope_type".
    rope_type = rope_scaling.get("rope_type", rope_scaling.get("type"))
    if rope_type == "default":
        return None
    if rope_type != "llama3":
        raise ValueError(f"unsupported rope_scaling type {rope_type!r}; only 'llama3' is implemented")
    missing = [key for key in _LLAMA3_SCALING_KEYS if key not in rope_scaling]
    if missing:
        raise ValueError(f"llama3 rope_scaling is missing {missing}")
    scaling = llama3_rope_scaling(*(rope_scaling[key] for key in _LLAMA3_SCALING_KEYS))
    if scaling["factor"] <= 0 or scaling["original_max_position_embeddings"] <= 0:
        raise ValueError(f"llama3 rope_scaling needs positive factor and original length: {rope_scaling}")
    if not 0 < scaling["low_freq_factor"] < scaling["high_freq_factor"]:
        raise ValueError(
            f"llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor: {rope_scaling}")
    return scaling


@dataclasses.dataclass
class LlamaConfig:
    """Hyper-parameters of a LLaMA model (names as in Hugging Face)."""

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    max_position_embeddings: int
    head_dim: int = None
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    rope_scaling: dict = None
    tie_word_embeddings: bool = False
    torch_dtype: str = "float32"
    # "llama", or "qwen2" (LLaMA's graph with q/k/v projection biases).
    model_type: str = "llama"
    # LLaMA's attention_bias: biases on the q/k/v and o projections.
    attention_bias: bool = False

    def __post_init__(self):
        if self.head_dim is None:
            if not (isinstance(self.num_attention_heads, int) and self.num_attention_heads > 0
                    and isinstance(self.hidden_size, int)
                    and self.hidden_size % self.num_attention_heads == 0):
                raise ValueError(
                    f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                    f"({self.num_attention_heads}) unless head_dim is given")
            self.head_dim = self.default_head_dim()
        self.rope_scaling = _normalize_rope_scaling(self.rope_scaling)
        self.validate()

    def default_head_dim(self):
        """``hidden_size // num_attention_heads``, Hugging Face's default."""
        return self.hidden_size // self.num_attention_heads

    def validate(self):
        """Raise ValueError if the hyper-parameters are inconsistent."""
        positive = ("hidden_size", "intermediate_size", "num_hidden_layers",
                    "num_attention_heads", "num_key_value_heads", "vocab_size",
                    "max_position_embeddings", "head_dim")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(
                f"num_attention_heads ({self.num_attention_heads}) must be a multiple of "
                f"num_key_value_heads ({self.num_key_value_heads})")
        if self.head_dim % 2:
            raise ValueError(f"head_dim must be even for rotary embeddings, got {self.head_dim}")
        if not (isinstance(self.rms_norm_eps, (int, float)) and self.rms_norm_eps > 0):
            raise ValueError(f"rms_norm_eps must be positive, got {self.rms_norm_eps!r}")
        if not (isinstance(self.rope_theta, (int, float)) and math.isfinite(self.rope_theta)
                and self.rope_theta > 0):
            raise ValueError(f"rope_theta must be a finite positive number, got {self.rope_theta!r}")
        if not isinstance(self.tie_word_embeddings, bool):
            raise ValueError(f"tie_word_embeddings must be a boolean, got {self.tie_word_embeddings!r}")
        if self.model_type not in ("llama", "qwen2"):
            raise ValueError(f"model_type must be 'llama' or 'qwen2', got {self.model_type!r}")

    @property
    def biased_projections(self):
        """The attention projections that carry a bias ("q", "k", "v", "o")."""
        if self.model_type == "qwen2":
            return ("q", "k", "v")
        return ("q", "k", "v", "o") if self.attention_bias else ()

    @property
    def kv_group_size(self):
        """Number of query heads that share one key/value head."""
        return self.num_attention_heads // self.num_key_value_heads

    @classmethod
    def from_dict(cls, data):
        """Build a config from a parsed ``config.json`` dict."""
        model_type = data.get("model_type", "llama")
        if model_type not in ("llama", "qwen2"):
            raise ValueError(f"model_type must be 'llama' or 'qwen2', got {model_type!r}")
        if data.get("hidden_act", "silu") != "silu":
            raise ValueError(f"only hidden_act 'silu' is supported, got {data.get('hidden_act')!r}")
        if data.get("mlp_bias", False):
            raise ValueError("mlp_bias=true is not supported")
        if model_type == "qwen2" and data.get("use_sliding_window", False):
            raise ValueError("use_sliding_window=true is not supported")
        required = ("hidden_size", "intermediate_size", "num_hidden_layers",
                    "num_attention_heads", "vocab_size")
        missing = [key for key in required if key not in data]
        if missing:
            raise ValueError(f"config is missing required keys {missing}")
        heads = data["num_attention_heads"]
        kv_heads = data.get("num_key_value_heads")
        return cls(
            hidden_size=data["hidden_size"],
            intermediate_size=data["intermediate_size"],
            num_hidden_layers=data["num_hidden_layers"],
            num_attention_heads=heads,
            num_key_value_heads=heads if kv_heads is None else kv_heads,
            vocab_size=data["vocab_size"],
            max_position_embeddings=data.get("max_position_embeddings", 2048),
            head_dim=data.get("head_dim"),
            rms_norm_eps=data.get("rms_norm_eps", 1e-6),
            rope_theta=data.get("rope_theta", 10000.0),
            rope_scaling=data.get("rope_scaling"),
            tie_word_embeddings=data.get("tie_word_embeddings", False),
            torch_dtype=data.get("torch_dtype", "float32"),
            model_type=model_type,
            attention_bias=model_type == "llama" and bool(data.get("attention_bias", False)),
        )

    @classmethod
    def load(cls, model_dir):
        """Read ``config.json`` from a checkpoint directory."""
        path = os.path.join(model_dir, "config.json")
        try:
            with open(path, "r", encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            raise ValueError(f"{model_dir}: no config.json found") from None
        except ValueError as exc:
            raise ValueError(f"{path}: invalid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: must contain a JSON object")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None

    def to_dict(self, include_head_dim=False):
        """Return the ``config.json`` contents of a ``LlamaForCausalLM``.

        ``head_dim`` is written when it differs from the default
        ``hidden_size // num_attention_heads`` or when ``include_head_dim``.
        """
        qwen2 = self.model_type == "qwen2"
        data = {
            "architectures": ["Qwen2ForCausalLM" if qwen2 else "LlamaForCausalLM"],
            "model_type": self.model_type,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
        }
        if include_head_dim or self.head_dim != self.default_head_dim():
            data["head_dim"] = self.head_dim
        data.update({
            "vocab_size": self.vocab_size,
            "max_position_embeddings": self.max_position_embeddings,
            "hidden_act": "silu",
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": self.rope_scaling,
            "attention_bias": self.attention_bias,
            "mlp_bias": False,
            "tie_word_embeddings": self.tie_word_embeddings,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "torch_dtype": self.torch_dtype,
        })
        if qwen2:
            del data["attention_bias"], data["mlp_bias"]
            data["use_sliding_window"] = False
            data["sliding_window"] = None
        return data
