"""Pure-Python helpers for the LLM compiler project.

The modules in this package form the *independent numerical reference* that
the C++/MLIR compiler is tested against.  They depend only on the Python
standard library and numpy:

* :mod:`llm_compiler.safetensors_io` -- reading and writing ``.safetensors``
  files and Hugging Face checkpoint directories by hand.
* :mod:`llm_compiler.config` -- the subset of a Hugging Face ``LlamaConfig``
  that the model math needs, with validation.
* :mod:`llm_compiler.checkpoint` -- generation of seeded random-weight LLaMA
  checkpoints in Hugging Face layout.
* :mod:`llm_compiler.reference` -- a float64 numpy forward pass with the
  semantics of Hugging Face's ``LlamaForCausalLM``.
"""
