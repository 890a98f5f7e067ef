"""Tests of the Python package's runtime binding (llm_compiler.runtime) and
compile helpers (llm_compiler.compiler) against the numpy reference.

Run from the repository root (the project built):

    /usr/bin/python3 -m unittest python/tests/test_runtime.py -v

With LLM_TEST_INSTALLED=1 the installed package is tested (not the source
tree's), as test.sh does in a fresh virtual environment.
"""

import os
import shutil
import sys
import tempfile
import unittest

import numpy as np

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(PYTHON_DIR)
if not os.environ.get("LLM_TEST_INSTALLED"):
    sys.path.insert(0, PYTHON_DIR)

from llm_compiler.checkpoint import make_checkpoint, preset_config  # noqa: E402
from llm_compiler.compiler import ToolError, import_model, optimize  # noqa: E402
from llm_compiler.reference import LlamaModel  # noqa: E402
from llm_compiler.runtime import LLMError, Model  # noqa: E402

SHARED_MODEL = os.path.join(os.path.dirname(REPO_ROOT), "shared", "models", "stories260K")


class RuntimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="llm-python-")
        # Grouped-query attention (8 query heads on 2 KV heads), 3 layers.
        config = preset_config("tiny", num_attention_heads=8, num_key_value_heads=2,
                               num_hidden_layers=3, max_position_embeddings=64)
        cls.checkpoint = os.path.join(cls.dir, "checkpoint")
        make_checkpoint(cls.checkpoint, config, seed=7)
        cls.cache = os.path.join(cls.dir, "cache")
        cls.model = Model(cls.checkpoint, slots=3, context_size=48, threads=2,
                          cache_dir=cls.cache)
        cls.reference = LlamaModel.from_pretrained(cls.checkpoint)
        rng = np.random.default_rng(3)
        cls.prompts = [[int(i) for i in rng.integers(3, config.vocab_size, n)]
                       for n in (6, 11, 2)]

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_describes_the_model(self):
        self.assertEqual(self.model.vocab_size, self.reference.config.vocab_size)
        self.assertEqual(self.model.context_size, 48)
        self.assertEqual(self.model.slots, 3)
        self.assertTrue(self.model.has_batched_decode)

    def test_prefill_matches_the_reference(self):
        for slot, prompt in enumerate(self.prompts):
            logits = self.model.prefill(prompt, slot=slot)
            self.assertEqual(logits.shape, (len(prompt), self.model.vocab_size))
            self.assertEqual(logits.dtype, np.float32)
            expected = self.reference.forward(prompt)
            np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
            last = self.model.prefill(prompt, slot=slot, last_only=True)
            np.testing.assert_array_equal(last, logits[-1])

    def test_batched_decode_equals_each_sequence_alone(self):
        for slot, prompt in enumerate(self.prompts):
            self.model.prefill(prompt, slot=slot)
        tokens = [5, 17, 42]
        positions = [len(p) for p in self.prompts]
        batch = self.model.decode_batch(tokens, slots=[0, 1, 2], positions=positions)
        self.assertEqual(batch.shape, (3, self.model.vocab_size))
        for b, prompt in enumerate(self.prompts):
            # The same sequence alone, in another slot.
            self.model.prefill(prompt, slot=2)
            alone = self.model.prefill([tokens[b]], slot=2, position=len(prompt))
            self.assertLessEqual(float(np.abs(alone[0] - batch[b]).max()), 1e-5)
            expected = self.reference.forward(prompt + [tokens[b]])[-1]
            np.testing.assert_allclose(batch[b], expected, rtol=1e-4, atol=1e-4)

    def test_batch_order_and_subsets_do_not_matter(self):
        for slot, prompt in enumerate(self.prompts):
            self.model.prefill(prompt, slot=slot)
        full = self.model.decode_batch([9, 8, 7], [0, 1, 2], [len(p) for p in self.prompts])
        for slot, prompt in enumerate(self.prompts):
            self.model.prefill(prompt, slot=slot)
        part = self.model.decode_batch([7, 9], [2, 0], [len(self.prompts[2]), len(self.prompts[0])])
        self.assertLessEqual(float(np.abs(part[0] - full[2]).max()), 1e-5)
        self.assertLessEqual(float(np.abs(part[1] - full[0]).max()), 1e-5)

    def test_generate_greedy_matches_the_reference(self):
        prompt = self.prompts[1]
        ids = self.model.generate(prompt, 8, slot=1, temperature=0, ignore_eos=True)
        self.assertEqual(ids, self.reference.generate_greedy(prompt, 8))

    def test_errors_name_the_problem(self):
        with self.assertRaisesRegex(LLMError, "slot 3 is outside the pool of 3"):
            self.model.prefill([1, 2], slot=3)
        with self.assertRaisesRegex(LLMError, "outside the vocabulary"):
            self.model.prefill([self.model.vocab_size], slot=0)
        with self.assertRaisesRegex(LLMError, "exceed the context size 48"):
            self.model.prefill([1] * 49, slot=0)
        with self.assertRaisesRegex(LLMError, "appears twice"):
            self.model.decode_batch([1, 2], [0, 0], [1, 2])
        with self.assertRaisesRegex(LLMError, "exceeds the context size"):
            self.model.generate([1, 2, 3], 46)
        with self.assertRaisesRegex(LLMError, "has no tokenizer"):
            self.model.tokenize("hello")
        with self.assertRaisesRegex(LLMError, "does not exist"):
            Model(os.path.join(self.dir, "missing"))

    def test_compile_helpers_give_the_same_logits(self):
        module = import_model(self.checkpoint, os.path.join(self.dir, "model.mlir"))
        with open(module) as f:
            self.assertIn("@decode_batch", f.read())
        with Model(self.checkpoint, module, slots=2, context_size=16,
                   cache_dir=self.cache) as compiled:
            np.testing.assert_array_equal(compiled.prefill(self.prompts[0]),
                                          self.model.prefill(self.prompts[0]))
        quantized = optimize(module, os.path.join(self.dir, "int4.mlir"),
                             ["--llm-quantize-int4=group-size=32"])
        with Model(self.checkpoint, quantized, context_size=16, cache_dir=self.cache) as int4:
            logits = int4.prefill(self.prompts[0])
            # INT4 is close to the float model, not equal.
            self.assertGreater(float(np.abs(logits - self.model.prefill(self.prompts[0])).max()), 0)
        with self.assertRaisesRegex(ToolError, "llm-opt failed"):
            optimize(module, os.path.join(self.dir, "bad.mlir"), ["--no-such-pass"])


@unittest.skipUnless(os.path.isdir(SHARED_MODEL),
                     "../shared/models/stories260K is absent (the team's test data)")
class TokenizerTest(unittest.TestCase):
    def test_real_model_round_trip_and_greedy_text(self):
        with Model(SHARED_MODEL, context_size=64, slots=1,
                   cache_dir=tempfile.mkdtemp(prefix="llm-python-cache-")) as model:
            ids = model.tokenize("Once upon a time")
            self.assertEqual(ids, [1, 403, 407, 261, 378])
            self.assertEqual(model.detokenize(ids), "Once upon a time")
            out = model.generate(ids, 12, temperature=0)
            self.assertEqual(model.detokenize(out), ", there was a little girl named Lily. She")


if __name__ == "__main__":
    unittest.main()
