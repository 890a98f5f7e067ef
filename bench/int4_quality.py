#!/usr/bin/python3
"""Quality of INT4 weights against F32, measured through llm-run.

For each prompt, the F32 module generates its greedy 64-token continuation;
then the F32 and the INT4 modules are teacher-forced over prompt +
continuation (llm-run --logits-out) and compared at the 64 positions that
predict the continuation:

  top-1     fraction of positions where INT4's best token is F32's
  KL        mean KL(P_f32 || P_int4) of the next-token distributions
  PPL       perplexity of the F32 continuation under each model

The same metrics are computed for an independent numpy implementation of
round-to-nearest INT4 (python/llm_compiler/int4.py, float64 reference
forward pass) as a cross-check of our own round-to-nearest.

Usage: bench/int4_quality.py [--model DIR] [--group-size 32] [--build build]
       [--variant rtn] [--variant awq:SCALES.safetensors ...]
Default model: ../shared/models/stories260K, group size 32.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from llm_compiler.int4 import fake_quantize, is_linear_weight  # noqa: E402
from llm_compiler.reference import LlamaModel  # noqa: E402

# Calibration text for the activation-aware search (distinct from PROMPTS).
CALIBRATION = [
    "Lily and Ben went to the zoo. They saw a big lion and a funny monkey.",
    "The cat sat on the mat. It was a sunny day and the birds were singing.",
    "Sam found a shiny rock in the garden. He showed it to his mom and she smiled.",
    "Once there was a brave little bird who wanted to fly over the tall mountain.",
]

PROMPTS = [
    "Once upon a time",
    "The little dog",
    "One day, Lily went to the park",
    "Tom had a big red ball",
    "The sun was shining and",
]


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc.stdout


# The README's full fusion recipe, run before quantizing.
FUSIONS = ["--llm-fuse-projections", "--llm-fuse-rms-norm", "--llm-fuse-attention"]


def compile_module(bin_dir, model, out, quantize=None, expose=False, fusions=()):
    ir = run([os.path.join(bin_dir, "llm-translate"), "--import-llama-config", model])
    passes = (list(fusions) + ([f"--llm-quantize-int4={quantize}"] if quantize else []) +
              (["--llm-expose-activations"] if expose else []) + ["--llm-cpu-pipeline"])
    run([os.path.join(bin_dir, "llm-opt"), *passes, "-o", out], input=ir)


def log_softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def metrics(ref_logits, logits, targets):
    """top-1 agreement, mean KL(ref || q), perplexities of targets."""
    lp, lq = log_softmax(ref_logits.astype(np.float64)), log_softmax(logits.astype(np.float64))
    top1 = float(np.mean(ref_logits.argmax(-1) == logits.argmax(-1)))
    kl = float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=-1)))
    rows = np.arange(len(targets))
    ppl_ref = float(np.exp(-np.mean(lp[rows, targets])))
    ppl = float(np.exp(-np.mean(lq[rows, targets])))
    return top1, kl, ppl_ref, ppl


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.path.join(os.path.dirname(ROOT), "shared",
                                                         "models", "stories260K"))
    parser.add_argument("--group-size", type=int, default=32)
    parser.add_argument("--build", default="build")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--prompt-ids", action="append",
                        help="use these token ids as a prompt (repeatable) instead of text")
    args = parser.parse_args()
    if not os.path.isdir(args.model):
        sys.exit(f"model directory {args.model} not found")
    bin_dir = os.path.join(ROOT, args.build, "bin")
    llm_run = os.path.join(bin_dir, "llm-run")
    work = tempfile.mkdtemp(prefix="int4-quality-")

    f32 = os.path.join(work, "f32.mlir")
    int4 = os.path.join(work, "int4.mlir")
    int4_head = os.path.join(work, "int4_head.mlir")
    awq = os.path.join(work, "awq.mlir")
    calibration = os.path.join(work, "calibration.mlir")
    compile_module(bin_dir, args.model, f32)
    compile_module(bin_dir, args.model, int4, f"group-size={args.group_size}")
    compile_module(bin_dir, args.model, int4_head,
                   f"group-size={args.group_size} lm-head=true")
    int4_fused = os.path.join(work, "int4_fused.mlir")
    compile_module(bin_dir, args.model, int4_fused, f"group-size={args.group_size}",
                   fusions=FUSIONS)
    compile_module(bin_dir, args.model, awq,
                   f"group-size={args.group_size} activation-aware=true")

    reference = LlamaModel.from_pretrained(args.model)
    vocab = reference.config.vocab_size

    # Activation-aware scales: calibration activations from our CPU path,
    # then the per-layer search.
    compile_module(bin_dir, args.model, calibration, expose=True)
    act_dirs = []
    has_tokenizer = os.path.isfile(os.path.join(args.model, "tokenizer.model"))
    rng = np.random.default_rng(7)
    for i, text in enumerate(CALIBRATION):
        # Each calibration text (random ids for a model without a tokenizer),
        # continued by the F32 model (sampled, seeded) to a longer sample,
        # then run through the calibration module.
        if has_tokenizer:
            start = ["-p", text]
        else:
            start = ["--prompt-ids", ",".join(map(str, [1] + list(
                rng.integers(3, vocab, 12))))]
        sample = json.loads(run([llm_run, f32, "-m", args.model, *start, "-n", "192",
                                 "--temp", "0.8", "-s", str(i + 1), "--json"]))
        ids = ",".join(map(str, sample["prompt_ids"] + sample["generated_ids"]))
        act = os.path.join(work, f"calibration-{i}")
        run([llm_run, calibration, "-m", args.model, "--prompt-ids", ids, "-n", "0",
             "--json", "--activations-out", act])
        act_dirs.append(act)
    scales = os.path.join(work, "awq_scales.safetensors")
    run([sys.executable, os.path.join(ROOT, "python", "awq_search.py"), "--model", args.model,
         *sum((["--activations", d] for d in act_dirs), []),
         "--group-size", str(args.group_size), "--out", scales])
    reference_q = LlamaModel.from_pretrained(args.model)
    for name in list(reference_q.weights):
        if is_linear_weight(name):
            reference_q.weights[name] = fake_quantize(
                reference_q.weights[name], args.group_size).astype(np.float64)

    if args.prompt_ids:
        prompts = [["--prompt-ids", p] for p in args.prompt_ids]
    elif os.path.isfile(os.path.join(args.model, "tokenizer.model")):
        prompts = [["-p", p] for p in PROMPTS]
    else:
        prompts = [["--prompt-ids", ",".join(map(str, [1] + list(rng.integers(3, vocab, 8))))]
                   for _ in range(5)]
    rows = {"ours": [], "fused": [], "head": [], "awq": [], "numpy": []}
    for i, prompt in enumerate(prompts):
        gen = json.loads(run([llm_run, f32, "-m", args.model, *prompt, "-n", str(args.tokens),
                              "--temp", "0", "--json", "--ignore-eos"]))
        ids = gen["prompt_ids"] + gen["generated_ids"]
        n_prompt = len(gen["prompt_ids"])
        seq = ",".join(map(str, ids[:-1]))
        logits = {}
        for name, module, extra in (("f32", f32, []), ("int4", int4, []),
                                    ("int4_fused", int4_fused, []),
                                    ("int4_head", int4_head, []),
                                    ("awq", awq, ["--extra-weights", scales])):
            out = os.path.join(work, f"{name}-{i}.npy")
            run([llm_run, module, "-m", args.model, "--prompt-ids", seq, "-n", "0",
                 "--logits-out", out, "--json", "--cache-dir", os.path.join(work, "cache"),
                 *extra])
            logits[name] = np.load(out)[n_prompt - 1:]
        targets = np.array(ids[n_prompt:])
        rows["ours"].append(metrics(logits["f32"], logits["int4"], targets))
        rows["fused"].append(metrics(logits["f32"], logits["int4_fused"], targets))
        rows["head"].append(metrics(logits["f32"], logits["int4_head"], targets))
        rows["awq"].append(metrics(logits["f32"], logits["awq"], targets))
        ref = reference.forward(ids[:-1])[n_prompt - 1:]
        ref_q = reference_q.forward(ids[:-1])[n_prompt - 1:]
        rows["numpy"].append(metrics(ref, ref_q, targets))

    positions = len(prompts) * args.tokens
    print(f"model {os.path.basename(os.path.normpath(args.model))}, INT4 round to nearest, "
          f"asymmetric, group size {args.group_size}, LM head and embeddings in float "
          "unless said; "
          f"{len(prompts)} prompts x {args.tokens} teacher-forced positions = {positions}\n")
    print("| implementation | top-1 agreement | mean KL | PPL F32 | PPL INT4 |")
    print("|---|---|---|---|---|")
    for name, label in (("ours", "round to nearest (llm-run, compiled INT4 kernel)"),
                        ("fused", "round to nearest after the full fusion recipe "
                                  "(projections, RMS norms, attention)"),
                        ("head", "round to nearest, LM head in INT4 too (lm-head=true)"),
                        ("awq", "activation-aware (llm-run, scales searched on "
                                f"{len(CALIBRATION)} calibration samples)"),
                        ("numpy", "round to nearest, independent numpy (float64 forward)")):
        m = np.array(rows[name])
        print(f"| {label} | {m[:, 0].mean():.4f} | {m[:, 1].mean():.4f} | "
              f"{m[:, 2].mean():.3f} | {m[:, 3].mean():.3f} |")


if __name__ == "__main__":
    main()
