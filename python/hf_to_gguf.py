#!/usr/bin/python3
"""Convert a Hugging Face LLaMA (or Qwen2) checkpoint directory to one GGUF file.

    /usr/bin/python3 python/hf_to_gguf.py MODEL_DIR OUT.gguf [--type f32|f16|q8_0|q4_0]
        [--dequantized-out DIR]

Writes llama.cpp's layout: the config as ``<arch>.*`` metadata, the tokenizer
(``tokenizer.model`` as a "llama" SentencePiece vocabulary with scores and
types, or ``tokenizer.json`` byte-level BPE as "gpt2" with merges), and the
tensors under ggml's names, the query/key rows of LLaMA permuted the way
llama.cpp's converter does. 2-D weights take ``--type`` (rows of a multiple
of 32 values for Q8_0/Q4_0), 1-D ones stay F32.

``--dequantized-out DIR`` also writes a Hugging Face checkpoint whose F32
weights are exactly the values the GGUF holds (blocks dequantized), the input
of the numpy reference when checking a quantized file.

Tensors are read, converted and written one at a time (a 7B BF16 checkpoint
converts in about a gigabyte), except that ``--dequantized-out`` keeps every
dequantized tensor until its checkpoint is written.
"""

import argparse
import functools
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from llm_compiler import gguf  # noqa: E402
from llm_compiler.config import LlamaConfig  # noqa: E402
from llm_compiler.safetensors_io import open_checkpoint, save_file  # noqa: E402

_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.bias": "attn_output.bias",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_GLOBAL_NAMES = {"model.embed_tokens.weight": "token_embd.weight",
                 "model.norm.weight": "output_norm.weight",
                 "lm_head.weight": "output.weight"}


def gguf_name(name):
    if name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[name]
    parts = name.split(".", 3)
    if len(parts) == 4 and parts[:2] == ["model", "layers"] and parts[3] in _LAYER_NAMES:
        return f"blk.{parts[2]}.{_LAYER_NAMES[parts[3]]}"
    raise ValueError(f"no GGUF name for tensor {name!r}")


def permute(weights, heads):
    """llama.cpp's reordering of query/key rows for ggml's rotary layout."""
    rows = weights.shape[0]
    return (weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def sentencepiece_vocab(path):
    """(pieces, scores, types) of a tokenizer.model (ModelProto field 1)."""
    data = open(path, "rb").read()
    pieces, scores, types = [], [], []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 2:
            length, pos = _varint(data, pos)
            body, pos = data[pos:pos + length], pos + length
            if field == 1:
                piece, score, kind, p = "", 0.0, 1, 0
                while p < len(body):
                    k, p = _varint(body, p)
                    f, w = k >> 3, k & 7
                    if w == 2:
                        n, p = _varint(body, p)
                        if f == 1:
                            piece = body[p:p + n].decode("utf-8")
                        p += n
                    elif w == 5:
                        if f == 2:
                            score = struct.unpack("<f", body[p:p + 4])[0]
                        p += 4
                    elif w == 0:
                        v, p = _varint(body, p)
                        if f == 3:
                            kind = v
                    else:
                        raise ValueError(f"{path}: unexpected protobuf wire type {w}")
                pieces.append(piece)
                scores.append(score)
                types.append(kind)
        elif wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 5:
            pos += 4
        elif wire == 1:
            pos += 8
        else:
            raise ValueError(f"{path}: unexpected protobuf wire type {wire}")
    return pieces, scores, types


def _adds_bos(model_dir, tokenizer_json):
    """Whether the tokenizer puts BOS before a sequence: tokenizer_config.json's
    add_bos_token, else the tokenizer.json post-processor's template (a
    SentencePiece model without either: yes, as LLaMA's does)."""
    config_path = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(config_path):
        value = json.load(open(config_path, encoding="utf-8")).get("add_bos_token")
        if isinstance(value, bool):
            return value
    if tokenizer_json is None:
        return True

    def template_bos(node):
        if not isinstance(node, dict):
            return False
        if node.get("type") == "TemplateProcessing":
            single = node.get("single", [])
            return bool(single) and "SpecialToken" in single[0]
        return any(template_bos(p) for p in node.get("processors", []))
    return template_bos(tokenizer_json.get("post_processor"))


def tokenizer_metadata(model_dir, config_data, model_type):
    meta = {}
    tokenizer_json = None
    spm = os.path.join(model_dir, "tokenizer.model")
    hf = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(spm):
        pieces, scores, types = sentencepiece_vocab(spm)
        meta.update({"tokenizer.ggml.model": "llama", "tokenizer.ggml.tokens": pieces,
                     "tokenizer.ggml.scores": [float(s) for s in scores],
                     "tokenizer.ggml.token_type": types})
        if "<unk>" in pieces:
            meta["tokenizer.ggml.unknown_token_id"] = pieces.index("<unk>")
    elif os.path.exists(hf):
        tok = tokenizer_json = json.load(open(hf, encoding="utf-8"))
        vocab = tok["model"]["vocab"]
        size = max(list(vocab.values()) + [t["id"] for t in tok.get("added_tokens", [])]) + 1
        tokens = [f"[PAD{i}]" for i in range(size)]
        types = [5] * size  # unused until named
        for piece, i in vocab.items():
            tokens[i], types[i] = piece, 1
        for t in tok.get("added_tokens", []):
            tokens[t["id"]], types[t["id"]] = t["content"], 3 if t.get("special") else 4
        merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
        meta.update({"tokenizer.ggml.model": "gpt2",
                     "tokenizer.ggml.pre": "qwen2" if model_type == "qwen2" else "llama-bpe",
                     "tokenizer.ggml.tokens": tokens, "tokenizer.ggml.token_type": types,
                     "tokenizer.ggml.merges": merges})
    bos, eos = config_data.get("bos_token_id"), config_data.get("eos_token_id")
    if isinstance(eos, list):
        eos = eos[0] if eos else None
    if bos is not None:
        meta["tokenizer.ggml.bos_token_id"] = bos
    meta["tokenizer.ggml.add_bos_token"] = _adds_bos(model_dir, tokenizer_json)
    if eos is not None:
        meta["tokenizer.ggml.eos_token_id"] = eos
    return meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("out")
    parser.add_argument("--type", choices=sorted(gguf.GGML_TYPES), default="f32")
    parser.add_argument("--dequantized-out", help="also write the exact weights as a HF checkpoint")
    args = parser.parse_args()
    try:
        config = LlamaConfig.load(args.model_dir)
        config_data = json.load(open(os.path.join(args.model_dir, "config.json"), encoding="utf-8"))
        if config.rope_scaling:
            raise ValueError("rope_scaling is not written to GGUF by this converter")
        weights = open_checkpoint(args.model_dir)
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    arch = config.model_type
    meta = {
        "general.architecture": arch,
        "general.name": os.path.basename(os.path.normpath(args.model_dir)),
        f"{arch}.context_length": config.max_position_embeddings,
        f"{arch}.embedding_length": config.hidden_size,
        f"{arch}.block_count": config.num_hidden_layers,
        f"{arch}.feed_forward_length": config.intermediate_size,
        f"{arch}.attention.head_count": config.num_attention_heads,
        f"{arch}.attention.head_count_kv": config.num_key_value_heads,
        f"{arch}.attention.key_length": config.head_dim,
        f"{arch}.attention.value_length": config.head_dim,
        f"{arch}.rope.dimension_count": config.head_dim,
        f"{arch}.rope.freq_base": float(config.rope_theta),
        f"{arch}.attention.layer_norm_rms_epsilon": float(config.rms_norm_eps),
        f"{arch}.vocab_size": config.vocab_size,
    }
    meta.update(tokenizer_metadata(args.model_dir, config_data, arch))

    exact = {}

    def encode(name):
        """The GGUF bytes of weight ``name``, its dequantized values kept in
        ``exact`` for --dequantized-out."""
        values = np.asarray(weights[name].load(), dtype=np.float32)
        stored = values
        # llama.cpp's converter permutes LLaMA's query/key weights and biases.
        if arch == "llama" and (".self_attn.q_proj." in name):
            stored = permute(values, config.num_attention_heads)
        elif arch == "llama" and (".self_attn.k_proj." in name):
            stored = permute(values, config.num_key_value_heads)
        data, ggml_type = gguf.encode_tensor(stored, args.type)
        if args.dequantized_out:
            # What the file holds, in Hugging Face's row order.
            held = gguf.dequantize(data, ggml_type, values.shape)
            if stored is not values:
                heads = (config.num_attention_heads if "q_proj" in name
                         else config.num_key_value_heads)
                rows = values.shape[0]
                held = (held.reshape(heads, rows // heads // 2, 2, *values.shape[1:])
                        .swapaxes(1, 2).reshape(values.shape))
            exact[name] = held
        return data

    tensors = []
    for name in sorted(weights, key=lambda n: (n.count("layers"), n)):
        shape = list(weights[name].shape)
        ggml_type = gguf.tensor_type(shape, args.type)
        tensors.append((gguf_name(name), shape, ggml_type, gguf.tensor_nbytes(shape, ggml_type),
                        functools.partial(encode, name)))
    try:
        gguf.write(args.out, meta, tensors)
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    if args.dequantized_out:
        os.makedirs(args.dequantized_out, exist_ok=True)
        for file in ("config.json", "tokenizer.model", "tokenizer.json", "tokenizer_config.json"):
            if os.path.exists(os.path.join(args.model_dir, file)):
                shutil.copy(os.path.join(args.model_dir, file), args.dequantized_out)
        save_file(os.path.join(args.dequantized_out, "model.safetensors"), exact)
    print(f"wrote {args.out} ({arch}, {args.type}, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
