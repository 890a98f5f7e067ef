"""Self-tests of the numpy reference, the safetensors I/O and the checkpoint generator.

Run from the repository root with::

    /usr/bin/python3 -m unittest discover -s python/tests -v
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PYTHON_DIR)

from llm_compiler import safetensors_io as st  # noqa: E402
from llm_compiler.checkpoint import (  # noqa: E402
    init_weights, make_checkpoint, preset_config, split_into_shards, tensor_specs)
from llm_compiler.config import LlamaConfig, llama3_rope_scaling  # noqa: E402
from llm_compiler.reference import (  # noqa: E402
    LlamaModel, apply_rope, llama3_scale_inv_freq, logits_all, rope_cos_sin, rope_inv_freq,
    rotate_half)

REPO_ROOT = os.path.dirname(PYTHON_DIR)
STORIES260K = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "models", "stories260K"))


def _f32_from_bits(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def _raw_safetensors(header, data):
    """Bytes of a safetensors file with the given header object and data."""
    header_bytes = json.dumps(header).encode("utf-8") if isinstance(header, dict) else header
    return struct.pack("<Q", len(header_bytes)) + header_bytes + data


def _gqa_config(**overrides):
    """A small grouped-query config with llama3 RoPE scaling."""
    fields = dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, vocab_size=50,
                  max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=500.0,
                  rope_scaling=llama3_rope_scaling(8.0, 1.0, 4.0, 16))
    fields.update(overrides)
    return LlamaConfig(**fields)


class TempDirTestCase(unittest.TestCase):
    """Gives each test a fresh temporary directory ``self.tmp``."""

    def setUp(self):
        handle = tempfile.TemporaryDirectory()
        self.addCleanup(handle.cleanup)
        self.tmp = handle.name


class SafetensorsTest(TempDirTestCase):

    def test_round_trip_each_dtype(self):
        tensors = {
            "f64": np.array([[1.5, -2.25e-300], [np.pi, 7.0]], dtype=np.float64),
            "f32": np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
            "f16": np.array([0.5, -65504.0, 6e-8, 1.0009765625], dtype=np.float16),
            "bf16": np.array([1.0, -2.5, 0.15625, 3.3895314e38, 1.0078125], dtype=np.float32),
            "i64": np.array([-2**63, 2**63 - 1, 0], dtype=np.int64),
            "i32": np.array([[-2**31, 2**31 - 1]], dtype=np.int32),
            "i8": np.array([-128, 127, 0], dtype=np.int8),
            "u8": np.array([0, 255, 17], dtype=np.uint8),
            "scalar": np.float32(3.5),
            "empty": np.zeros((0, 4), dtype=np.float32),
        }
        dtypes = {"bf16": "BF16"}
        path = os.path.join(self.tmp, "t.safetensors")
        st.save_file(path, tensors, dtype=dtypes, metadata={"format": "pt"})

        with open(path, "rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))
        self.assertEqual((8 + header_len) % 8, 0, "data section must be 8-byte aligned")

        raw, metadata = st.load_file(path, float32=False)
        self.assertEqual(metadata, {"format": "pt"})
        self.assertEqual(list(raw), list(tensors))
        expected_dtypes = {"f64": np.float64, "f32": np.float32, "f16": np.float16,
                           "bf16": np.uint16, "i64": np.int64, "i32": np.int32, "i8": np.int8,
                           "u8": np.uint8, "scalar": np.float32, "empty": np.float32}
        for name, value in tensors.items():
            with self.subTest(name=name):
                self.assertEqual(raw[name].dtype, expected_dtypes[name])
                self.assertEqual(raw[name].shape, np.shape(value))
                if name != "bf16":
                    np.testing.assert_array_equal(raw[name], value)

        converted, _ = st.load_file(path)
        for name in ("f64", "f16", "bf16"):
            with self.subTest(name=name):
                self.assertEqual(converted[name].dtype, np.float32)
                np.testing.assert_array_equal(converted[name], np.asarray(tensors[name], np.float32))
        self.assertEqual(converted["i64"].dtype, np.int64)

    def test_bf16_round_to_nearest_even_bit_patterns(self):
        # float32 bit pattern -> expected bfloat16 bit pattern.
        cases = [
            (0x3F800000, 0x3F80),  # 1.0, exact
            (0xC0200000, 0xC020),  # -2.5, exact
            (0x3F807FFF, 0x3F80),  # just below the halfway point: down
            (0x3F808000, 0x3F80),  # halfway, kept bit even: stays
            (0x3F808001, 0x3F81),  # just above halfway: up
            (0x3F818000, 0x3F82),  # halfway, kept bit odd: up to even
            (0xBF818000, 0xBF82),  # negative halfway, odd: away from zero to even
            (0x3FFF8000, 0x4000),  # rounding carries into the exponent
            (0x80000000, 0x8000),  # -0.0
            (0x00000001, 0x0000),  # smallest subnormal rounds to +0
            (0x7F800000, 0x7F80),  # +inf
            (0xFF800000, 0xFF80),  # -inf
            (0x7F7FFFFF, 0x7F80),  # largest float32 overflows to +inf
            (0x7FC00000, 0x7FC0),  # quiet NaN
            (0x7F800001, 0x7FC0),  # signalling NaN with low payload stays NaN
            (0xFFFFFFFF, 0xFFFF),  # negative NaN with full payload
        ]
        values = _f32_from_bits([c[0] for c in cases])
        expected = np.array([c[1] for c in cases], dtype=np.uint16)
        np.testing.assert_array_equal(st.f32_to_bf16_bits(values), expected)

        path = os.path.join(self.tmp, "bf16.safetensors")
        st.save_file(path, {"x": values}, dtype="BF16")
        entries, _, data_start = st.read_header(path)
        self.assertEqual(entries["x"], ("BF16", (len(cases),), 0, 2 * len(cases)))
        with open(path, "rb") as f:
            f.seek(data_start)
            stored = np.frombuffer(f.read(), dtype="<u2")
        np.testing.assert_array_equal(stored, expected)

        loaded = st.load_file(path)[0]["x"]
        np.testing.assert_array_equal(loaded.view(np.uint32),
                                      expected.astype(np.uint32) << 16)

    def test_bad_files_raise_value_error(self):
        good_header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "b": {"dtype": "I8", "shape": [2, 2], "data_offsets": [8, 12]}}
        good = _raw_safetensors(good_header, bytes(12))

        def with_entry(**entry):
            header = dict(good_header)
            header["b"] = {**good_header["b"], **entry}
            return _raw_safetensors(header, bytes(12))

        garbage = np.random.default_rng(1).integers(0, 256, 200, dtype=np.uint8).tobytes()
        bad_files = {
            "empty": b"",
            "short prefix": b"\x05\x00\x00",
            "header past end": struct.pack("<Q", 1000) + b"{}",
            "huge header length": struct.pack("<Q", 2**62) + b"{}",
            "truncated data": good[:-1],
            "trailing bytes": good + b"\x00",
            "random garbage": garbage,
            "not json": _raw_safetensors(b"{not json", b""),
            "not utf-8": _raw_safetensors(b'{"\xff": 1}', b""),
            "json array": _raw_safetensors(b"[1, 2]", b""),
            "duplicate key": _raw_safetensors(
                b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},'
                b' "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}', b"\x00"),
            "unknown dtype": with_entry(dtype="F8_E4M3"),
            "negative dim": with_entry(shape=[-2, -2]),
            "float dim": with_entry(shape=[2.0, 2]),
            "size mismatch": with_entry(shape=[3]),
            "reversed offsets": with_entry(data_offsets=[12, 8]),
            "overlap": with_entry(data_offsets=[4, 8], shape=[4]),
            "gap": _raw_safetensors({"a": good_header["a"],
                                     "b": {"dtype": "I8", "shape": [4], "data_offsets": [9, 13]}},
                                    bytes(13)),
            "extra entry key": with_entry(extra=1),
            "missing entry key": _raw_safetensors({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)),
            "bad metadata": _raw_safetensors({"__metadata__": {"k": 1}, **good_header}, bytes(12)),
        }
        path = os.path.join(self.tmp, "bad.safetensors")
        with open(path, "wb") as f:
            f.write(good)
        self.assertEqual(list(st.load_file(path)[0]), ["a", "b"])
        for label, content in bad_files.items():
            with self.subTest(label):
                with open(path, "wb") as f:
                    f.write(content)
                with self.assertRaises(ValueError):
                    st.load_file(path)

    def test_save_rejects_bad_requests(self):
        path = os.path.join(self.tmp, "x.safetensors")
        with self.assertRaises(ValueError):
            st.save_file(path, {"x": np.ones(2, dtype=np.int32)}, dtype={"x": "BF16"})
        with self.assertRaises(ValueError):
            st.save_file(path, {"x": np.array([300])}, dtype={"x": "U8"})
        with self.assertRaises(ValueError):
            st.save_file(path, {"x": np.ones(2, dtype=np.complex64)})

    def test_bad_checkpoint_dirs_raise_value_error(self):
        with self.assertRaisesRegex(ValueError, "no model.safetensors"):
            st.load_checkpoint(self.tmp)
        st.save_file(os.path.join(self.tmp, "s1.safetensors"), {"a": np.ones(2, np.float32)})
        index_path = os.path.join(self.tmp, st.INDEX_FILE)
        bad_maps = {
            "missing shard": {"a": "s1.safetensors", "b": "s2.safetensors"},
            "tensor not in shard": {"a": "s1.safetensors", "c": "s1.safetensors"},
            "path escape": {"a": "../s1.safetensors"},
        }
        for label, weight_map in bad_maps.items():
            with self.subTest(label):
                with open(index_path, "w") as f:
                    json.dump({"weight_map": weight_map}, f)
                with self.assertRaises(ValueError):
                    st.load_checkpoint(self.tmp)
        with open(index_path, "w") as f:
            json.dump({"weight_map": {"a": "s1.safetensors"}}, f)
        self.assertEqual(list(st.load_checkpoint(self.tmp)), ["a"])
        st.save_file(os.path.join(self.tmp, st.SINGLE_FILE), {"a": np.ones(2, np.float32)})
        with self.assertRaisesRegex(ValueError, "both"):
            st.load_checkpoint(self.tmp)


class CheckpointTest(TempDirTestCase):

    def test_sharded_checkpoint_round_trip(self):
        config = preset_config("tiny")
        weights = make_checkpoint(self.tmp, config, seed=3, shards=3)
        names = [name for name, _, _ in tensor_specs(config)]
        self.assertEqual(list(weights), names)
        self.assertIn("lm_head.weight", names)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, st.SINGLE_FILE)))

        with open(os.path.join(self.tmp, st.INDEX_FILE)) as f:
            index = json.load(f)
        files = sorted(set(index["weight_map"].values()))
        self.assertEqual(files, [f"model-0000{k}-of-00003.safetensors" for k in (1, 2, 3)])
        self.assertEqual(index["metadata"]["total_size"], 4 * sum(w.size for w in weights.values()))

        loaded = st.load_checkpoint(self.tmp)
        self.assertEqual(list(loaded), names)
        for name in names:
            np.testing.assert_array_equal(loaded[name], weights[name])

        with open(os.path.join(self.tmp, "config.json")) as f:
            data = json.load(f)
        self.assertEqual(data["architectures"], ["LlamaForCausalLM"])
        self.assertNotIn("head_dim", data)
        self.assertEqual(LlamaConfig.from_dict(data), config)

        # Rewriting as a single file replaces the shards.
        make_checkpoint(self.tmp, config, seed=3, include_head_dim=True)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["config.json", st.SINGLE_FILE])
        self.assertEqual(LlamaConfig.load(self.tmp).to_dict()["num_key_value_heads"], 2)
        with open(os.path.join(self.tmp, "config.json")) as f:
            self.assertEqual(json.load(f)["head_dim"], 16)

    def test_low_precision_weights_are_rounded_f32_weights(self):
        config = preset_config("tiny", tie_word_embeddings=True)
        reference = init_weights(config, seed=5)
        self.assertNotIn("lm_head.weight", reference)
        for dtype in ("F16", "BF16"):
            with self.subTest(dtype):
                out = os.path.join(self.tmp, dtype)
                make_checkpoint(out, config, seed=5, dtype=dtype)
                with open(os.path.join(out, "config.json")) as f:
                    self.assertEqual(json.load(f)["torch_dtype"],
                                     {"F16": "float16", "BF16": "bfloat16"}[dtype])
                loaded = st.load_checkpoint(out)
                for name, value in reference.items():
                    np.testing.assert_array_equal(loaded[name], st.round_to_dtype(value, dtype))
                    np.testing.assert_allclose(loaded[name], value, rtol=2.0**-8, atol=1e-7)

    def test_init_statistics(self):
        config = preset_config("tiny", vocab_size=1000)
        weights = init_weights(config, seed=0)
        self.assertAlmostEqual(weights["model.embed_tokens.weight"].std(), 1.0, delta=0.02)
        self.assertAlmostEqual(weights["model.layers.0.mlp.down_proj.weight"].std(),
                               1 / math.sqrt(config.intermediate_size), delta=0.01)
        norm = weights["model.layers.1.input_layernorm.weight"]
        self.assertAlmostEqual(norm.mean(), 1.0, delta=0.05)
        self.assertAlmostEqual(norm.std(), 0.1, delta=0.05)
        again = init_weights(config, seed=0)
        for name in weights:
            np.testing.assert_array_equal(weights[name], again[name])

    def test_split_into_shards(self):
        self.assertEqual(split_into_shards([100, 1, 1, 1], 3), [[0], [1], [2, 3]])
        self.assertEqual(split_into_shards([1, 1, 1, 1], 2), [[0, 1], [2, 3]])
        self.assertEqual(split_into_shards([1, 1, 1, 100], 3), [[0, 1], [2], [3]])
        with self.assertRaises(ValueError):
            split_into_shards([1, 2], 3)

    def test_config_validation(self):
        with self.assertRaises(ValueError):
            preset_config("tiny", num_key_value_heads=3)
        with self.assertRaises(ValueError):
            preset_config("tiny", hidden_size=30)
        with self.assertRaises(ValueError):
            LlamaConfig.from_dict({**preset_config("tiny").to_dict(),
                                   "rope_scaling": {"rope_type": "yarn", "factor": 2.0}})
        config = LlamaConfig.from_dict({**preset_config("tiny").to_dict(),
                                        "rope_scaling": {"type": "llama3", "factor": 8,
                                                         "low_freq_factor": 1,
                                                         "high_freq_factor": 4,
                                                         "original_max_position_embeddings": 32}})
        self.assertEqual(config.rope_scaling["rope_type"], "llama3")


class RopeTest(unittest.TestCase):

    def setUp(self):
        self.x = np.random.default_rng(7).standard_normal((3, 5, 8))
        self.inv_freq = rope_inv_freq(8, 10000.0)

    def test_inv_freq(self):
        np.testing.assert_allclose(self.inv_freq, [1.0, 0.1, 0.01, 0.001], rtol=1e-15)

    def test_rotate_half(self):
        x = np.arange(6.0)
        np.testing.assert_array_equal(rotate_half(x), [-3.0, -4.0, -5.0, 0.0, 1.0, 2.0])
        np.testing.assert_array_equal(rotate_half(rotate_half(self.x)), -self.x)

    def test_rotation_of_pairs(self):
        cos, sin = rope_cos_sin(self.inv_freq, np.arange(5))
        out = apply_rope(self.x, cos, sin)
        # Position 0 is the identity; rotation preserves each (i, i + 4) pair's length.
        np.testing.assert_allclose(out[:, 0], self.x[:, 0], rtol=1e-15)
        np.testing.assert_allclose(out[..., :4] ** 2 + out[..., 4:] ** 2,
                                   self.x[..., :4] ** 2 + self.x[..., 4:] ** 2, rtol=1e-12)
        # Element 1 pairs with element 5 and turns by angle position * 0.1.
        p, angle = 3, 3 * 0.1
        x1, x5 = self.x[0, p, 1], self.x[0, p, 5]
        self.assertAlmostEqual(out[0, p, 1], x1 * math.cos(angle) - x5 * math.sin(angle), places=13)
        self.assertAlmostEqual(out[0, p, 5], x5 * math.cos(angle) + x1 * math.sin(angle), places=13)

    def test_scores_depend_only_on_relative_position(self):
        q, k = self.x[0, 0], self.x[1, 0]

        def score(m, n):
            cos, sin = rope_cos_sin(self.inv_freq, [m, n])
            return apply_rope(q, cos[0], sin[0]) @ apply_rope(k, cos[1], sin[1])

        self.assertAlmostEqual(score(5, 2), score(105, 102), places=10)
        self.assertAlmostEqual(score(0, 0), q @ k, places=12)

    def test_llama3_scaling(self):
        # original length 8192, low/high factors 1/4: wavelengths below 2048 keep
        # their frequency, above 8192 are slowed by the factor 8, and in between
        # smooth = (8192 / wavelen - 1) / 3, e.g. 1/3 at 4096.
        wavelens = np.array([100.0, 2048.0, 4096.0, 8192.0, 50000.0])
        inv_freq = 2 * np.pi / wavelens
        scaled = llama3_scale_inv_freq(inv_freq, 8.0, 1.0, 4.0, 8192)
        ratios = [1.0, 1.0, (2 / 3) / 8 + 1 / 3, 1 / 8, 1 / 8]
        np.testing.assert_allclose(scaled, inv_freq * ratios, rtol=1e-12)


class ReferenceModelTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.config = _gqa_config()
        self.weights = init_weights(self.config, seed=11)
        self.model = LlamaModel(self.config, self.weights)
        self.ids = np.random.default_rng(2).integers(0, self.config.vocab_size, 12)

    def test_kv_cache_decode_matches_full_recomputation(self):
        full = self.model.forward(self.ids)
        cache = self.model.new_cache()
        rows = [self.model.forward(self.ids[:5], cache=cache)]
        rows.append(self.model.forward(self.ids[5:8], start_pos=5, cache=cache))
        for pos in range(8, len(self.ids)):
            rows.append(self.model.forward(self.ids[pos:pos + 1], start_pos=pos, cache=cache))
        self.assertEqual(cache.length, len(self.ids))
        np.testing.assert_allclose(np.concatenate(rows), full, rtol=1e-11, atol=1e-11)

    def test_greedy_with_cache_matches_recomputation(self):
        generated = self.model.generate_greedy(self.ids[:4], 6)
        sequence = list(self.ids[:4])
        for _ in range(6):
            sequence.append(int(np.argmax(self.model.forward(sequence)[-1])))
        self.assertEqual(generated, sequence[4:])

    def test_causality(self):
        changed = self.ids.copy()
        changed[7] = (changed[7] + 1) % self.config.vocab_size
        a, b = self.model.forward(self.ids), self.model.forward(changed)
        np.testing.assert_array_equal(a[:7], b[:7])
        self.assertFalse(np.allclose(a[7:], b[7:]))

    def test_grouped_query_heads_map_to_kv_head_h_div_group(self):
        # An MHA model whose kv heads repeat the GQA model's kv heads group-wise
        # (query head h -> kv head h // 2) must produce identical logits.
        mha_config = _gqa_config(num_key_value_heads=4)
        mha_weights = dict(self.weights)
        d, head_dim = self.config.hidden_size, self.config.head_dim
        for name, value in self.weights.items():
            if name.endswith(("k_proj.weight", "v_proj.weight")):
                mha_weights[name] = np.repeat(value.reshape(2, head_dim, d), 2, axis=0).reshape(-1, d)
        mha = LlamaModel(mha_config, mha_weights)
        np.testing.assert_allclose(mha.forward(self.ids), self.model.forward(self.ids),
                                   rtol=1e-12, atol=1e-12)

    def test_matches_naive_loop_implementation(self):
        config = _gqa_config(num_hidden_layers=1)
        weights = init_weights(config, seed=4)
        ids = [3, 17, 42, 8, 0]
        expected = self._naive_forward(config, {k: v.astype(np.float64) for k, v in weights.items()}, ids)
        np.testing.assert_allclose(LlamaModel(config, weights).forward(ids), expected,
                                   rtol=1e-10, atol=1e-10)

    @staticmethod
    def _naive_forward(config, w, ids):
        """One-layer forward pass written with explicit per-position loops."""
        eps, dh, half = config.rms_norm_eps, config.head_dim, config.head_dim // 2
        sc = config.rope_scaling
        inv_freq = []
        for i in range(half):
            f = config.rope_theta ** (-2.0 * i / dh)
            wavelen = 2 * math.pi / f
            if wavelen > sc["original_max_position_embeddings"] / sc["low_freq_factor"]:
                f /= sc["factor"]
            elif wavelen >= sc["original_max_position_embeddings"] / sc["high_freq_factor"]:
                s = ((sc["original_max_position_embeddings"] / wavelen - sc["low_freq_factor"])
                     / (sc["high_freq_factor"] - sc["low_freq_factor"]))
                f = (1 - s) * f / sc["factor"] + s * f
            inv_freq.append(f)

        def norm(v, weight):
            return v / math.sqrt(sum(t * t for t in v) / len(v) + eps) * weight

        def rope(vec, pos):
            out = vec.copy()
            for i in range(half):
                c, s = math.cos(pos * inv_freq[i]), math.sin(pos * inv_freq[i])
                out[i] = vec[i] * c - vec[i + half] * s
                out[i + half] = vec[i + half] * c + vec[i] * s
            return out

        p = "model.layers.0."
        xs = [w["model.embed_tokens.weight"][t].copy() for t in ids]
        qs, ks, vs = [], [], []
        for pos, x in enumerate(xs):
            h = norm(x, w[p + "input_layernorm.weight"])
            q = w[p + "self_attn.q_proj.weight"] @ h
            k = w[p + "self_attn.k_proj.weight"] @ h
            qs.append([rope(q[j * dh:(j + 1) * dh], pos) for j in range(config.num_attention_heads)])
            ks.append([rope(k[j * dh:(j + 1) * dh], pos) for j in range(config.num_key_value_heads)])
            vs.append(w[p + "self_attn.v_proj.weight"] @ h)
        group = config.num_attention_heads // config.num_key_value_heads
        logits = []
        for pos, x in enumerate(xs):
            heads = []
            for j in range(config.num_attention_heads):
                kv = j // group
                scores = [qs[pos][j] @ ks[t][kv] / math.sqrt(dh) for t in range(pos + 1)]
                top = max(scores)
                e = [math.exp(s - top) for s in scores]
                heads.append(sum(e[t] / sum(e) * vs[t][kv * dh:(kv + 1) * dh] for t in range(pos + 1)))
            x = x + w[p + "self_attn.o_proj.weight"] @ np.concatenate(heads)
            h = norm(x, w[p + "post_attention_layernorm.weight"])
            g = w[p + "mlp.gate_proj.weight"] @ h
            u = w[p + "mlp.up_proj.weight"] @ h
            act = np.array([gi / (1 + math.exp(-gi)) * ui for gi, ui in zip(g, u)])
            x = x + w[p + "mlp.down_proj.weight"] @ act
            logits.append(w["lm_head.weight"] @ norm(x, w["model.norm.weight"]))
        return np.array(logits)

    def test_lm_head_falls_back_to_embeddings(self):
        without_head = {k: v for k, v in self.weights.items() if k != "lm_head.weight"}
        untied_missing = LlamaModel(self.config, without_head)
        tied = _gqa_config(tie_word_embeddings=True)
        tied_with_head = LlamaModel(tied, self.weights)
        np.testing.assert_array_equal(untied_missing.lm_head,
                                      self.weights["model.embed_tokens.weight"])
        np.testing.assert_array_equal(tied_with_head.forward(self.ids),
                                      untied_missing.forward(self.ids))
        self.assertFalse(np.allclose(self.model.forward(self.ids), untied_missing.forward(self.ids)))

    def test_invalid_inputs_raise_value_error(self):
        with self.assertRaises(ValueError):
            self.model.forward([0, self.config.vocab_size])
        with self.assertRaises(ValueError):
            self.model.forward([])
        with self.assertRaises(ValueError):
            self.model.forward([1, 2], start_pos=3, cache=self.model.new_cache())
        broken = dict(self.weights)
        del broken["model.layers.1.mlp.up_proj.weight"]
        with self.assertRaisesRegex(ValueError, "missing"):
            LlamaModel(self.config, broken)
        broken = dict(self.weights, **{"model.norm.weight": np.ones(3, np.float32)})
        with self.assertRaisesRegex(ValueError, "shape"):
            LlamaModel(self.config, broken)
        broken = dict(self.weights, **{"model.layers.9.mlp.up_proj.weight": np.ones(3, np.float32)})
        with self.assertRaisesRegex(ValueError, "unexpected"):
            LlamaModel(self.config, broken)

    def test_checkpoint_on_disk_and_command_line_tools(self):
        out = os.path.join(self.tmp, "ckpt")
        logits_path = os.path.join(self.tmp, "logits.npy")
        subprocess.run([sys.executable, os.path.join(PYTHON_DIR, "make_checkpoint.py"),
                        "--out", out, "--hidden", "32", "--intermediate", "48", "--heads", "4",
                        "--kv-heads", "2", "--vocab", "50", "--theta", "500", "--dtype", "bf16",
                        "--rope-scaling-llama3", "8,1,4,16", "--shards", "2", "--seed", "11"],
                       check=True, capture_output=True)
        config = LlamaConfig.load(out)
        self.assertEqual(config.rope_scaling, self.config.rope_scaling)
        ids = [int(t) for t in self.ids[:6]]
        result = subprocess.run([sys.executable, os.path.join(PYTHON_DIR, "reference_logits.py"),
                                 "--model", out, "--ids", ",".join(map(str, ids)),
                                 "--out", logits_path, "--greedy", "4"],
                                check=True, capture_output=True, text=True)
        expected = logits_all(out, ids)
        saved = np.load(logits_path)
        self.assertEqual(saved.dtype, np.float32)
        np.testing.assert_array_equal(saved, expected.astype(np.float32))
        model = LlamaModel.from_pretrained(out)
        self.assertEqual(result.stdout.strip(), ",".join(map(str, model.generate_greedy(ids, 4))))
        # The bf16 checkpoint holds the bf16-rounded weights of the same seed.
        rounded = {k: st.round_to_dtype(v, "BF16") for k, v in self.weights.items()}
        np.testing.assert_allclose(expected, LlamaModel(self.config, rounded).forward(ids),
                                   rtol=1e-12, atol=1e-12)

        bad = subprocess.run([sys.executable, os.path.join(PYTHON_DIR, "reference_logits.py"),
                              "--model", out, "--ids", "1,50"], capture_output=True, text=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("outside", bad.stderr)


@unittest.skipUnless(os.path.isdir(STORIES260K),
                     f"real model not found at {STORIES260K} (../shared/models/stories260K)")
class Stories260KTest(unittest.TestCase):
    PROMPT = [1, 403, 407, 261, 378]
    EXPECTED = [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
                410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394,
                261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432,
                398, 312, 286, 267, 414, 270, 333, 415, 426, 13, 438, 310, 439, 419, 357, 336]

    @classmethod
    def setUpClass(cls):
        cls.model = LlamaModel.from_pretrained(STORIES260K)

    def test_greedy_continuation(self):
        self.assertEqual(self.model.generate_greedy(self.PROMPT, 64), self.EXPECTED)

    def test_last_prompt_position_logits(self):
        last = self.model.forward(self.PROMPT)[-1]
        best, runner_up = np.argsort(-last)[:2]
        self.assertEqual((best, runner_up), (432, 383))
        self.assertAlmostEqual(last[432], 17.7994, places=3)
        self.assertAlmostEqual(last[383], 14.2813, places=3)

    def test_full_recomputation_agrees_with_greedy_path(self):
        sequence = self.PROMPT + self.EXPECTED
        predicted = np.argmax(self.model.forward(sequence[:-1]), axis=-1)
        self.assertEqual(predicted[len(self.PROMPT) - 1:].tolist(), self.EXPECTED)


if __name__ == "__main__":
    unittest.main()
