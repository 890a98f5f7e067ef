#!/usr/bin/python3
"""Compare llm-run with the independent float64 numpy reference on one checkpoint.

Used by the lit tests of test/llm-run::

    check_logits.py --llm-run PATH --src REPO_ROOT --model DIR --work DIR \
        --ids 1,5,9 [--greedy N] [--module compiled.mlir] [--tol 1e-4] \
        [--llm-run-args "-t 1"] [--ref-model OTHER_DIR] [--ref-args "--int4-group 32"]

Checks, each against python/reference_logits.py (never against llm-run alone):

1. prefill: ``llm-run --prompt-ids IDS --logits-out`` gives the logits of
   every prompt position; require ``max|ours - ref| <= tol * max|ref|``.
2. with ``--greedy N``: ``llm-run --temp 0 -n N --json`` must generate the
   reference's greedy ids (``reference_logits.py --greedy N``; llm-run stops
   after an EOS id, so its ids are compared with the reference's up to and
   including the first EOS).  The only accepted divergence is a near-tie of
   the reference's two best logits (within the tolerance), reported as such.
3. with ``--greedy N`` (decode vs recompute): the generated ids came out of
   the KV-cached one-token decode path; feeding prompt + generated[:-1]
   through one prefill (``--logits-out``) must again match the reference's
   logits over that sequence, and at every generation step the id llm-run
   picked must be the reference's best (within the tolerance) there.

Prints one "PASS"/"FAIL" line per check naming the config and the error;
exits 1 if any check fails.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np


def _ids(text):
    return [int(part) for part in text.split(",") if part.strip()]


def _run(cmd, what):
    """Run ``cmd``; return stdout, or exit with a clear message on failure."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        # On stdout, so that FileCheck's input dump shows it as well.
        print(f"FAIL: {what}: command exited with {proc.returncode}:\n"
              f"  {shlex.join(cmd)}\n{proc.stdout}{proc.stderr}", flush=True)
        sys.exit(1)
    return proc.stdout


class Checker:
    def __init__(self, args):
        self.args = args
        with open(os.path.join(args.model if os.path.isdir(args.model) else args.ref_model, "config.json"), encoding="utf-8") as f:
            self.config = json.load(f)
        c = self.config
        dtype = self._stored_dtypes()
        kv = c.get("num_key_value_heads", c["num_attention_heads"])
        self.label = (
            f"[{os.path.basename(os.path.normpath(args.model))}: hidden {c['hidden_size']}, "
            f"intermediate {c['intermediate_size']}, layers {c['num_hidden_layers']}, "
            f"heads {c['num_attention_heads']}/{kv} (GQA {c['num_attention_heads'] // kv}), "
            f"head_dim {c.get('head_dim', c['hidden_size'] // c['num_attention_heads'])}, "
            f"vocab {c['vocab_size']}, tied {c.get('tie_word_embeddings', False)}, "
            f"dtype {dtype}, shards {self._shards()}"
            f"{', module ' + os.path.basename(args.module) if args.module else ''}]")
        eos = c.get("eos_token_id")
        self.eos = set(eos if isinstance(eos, list) else ([] if eos is None else [eos]))
        self.failures = 0

    def _shards(self):
        index = os.path.join(self.args.model, "model.safetensors.index.json")
        if not os.path.exists(index):
            return 1
        with open(index, encoding="utf-8") as f:
            return len(set(json.load(f)["weight_map"].values()))

    def _stored_dtypes(self):
        if not os.path.isdir(self.args.model):
            return "GGUF"  # a .gguf file: its types are in its own header
        sys.path.insert(0, os.path.join(self.args.src, "python"))
        from llm_compiler import safetensors_io as st
        dtypes = set()
        for name in sorted(os.listdir(self.args.model)):
            if name.endswith(".safetensors"):
                entries, _, _ = st.read_header(os.path.join(self.args.model, name))
                dtypes.update(entry[0] for entry in entries.values())
        return "/".join(sorted(dtypes))

    # -- tools ---------------------------------------------------------------

    def llm_run(self, ids, extra, what):
        cmd = [self.args.llm_run]
        if self.args.module:
            cmd.append(self.args.module)
        cmd += ["-m", self.args.model, "--prompt-ids", ",".join(map(str, ids))]
        cmd += shlex.split(self.args.llm_run_args) + extra
        return _run(cmd, f"{self.label} {what}")

    def reference(self, ids, out, greedy=None):
        cmd = [sys.executable, os.path.join(self.args.src, "python", "reference_logits.py"),
               "--model", self.args.ref_model or self.args.model,
               "--ids", ",".join(map(str, ids)), "--out", out]
        if greedy is not None:
            cmd += ["--greedy", str(greedy)]
        cmd += shlex.split(self.args.ref_args)
        stdout = _run(cmd, f"{self.label} reference_logits.py")
        return _ids(stdout.strip()) if greedy is not None else None

    # -- checks --------------------------------------------------------------

    def report(self, ok, what, detail):
        status = "PASS" if ok else "FAIL"
        print(f"{status}: {self.label} {what}: {detail}", flush=True)
        if not ok:
            self.failures += 1

    def compare_logits(self, ours_path, ref_path, what):
        ours, ref = np.load(ours_path), np.load(ref_path)
        if ours.dtype != np.float32 or ours.shape != ref.shape:
            self.report(False, what, f"llm-run wrote {ours.dtype}{list(ours.shape)}, "
                                     f"the reference has float32{list(ref.shape)}")
            return None
        if not np.all(np.isfinite(ours)):
            self.report(False, what, "llm-run's logits are not all finite")
            return None
        err = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
        scale = float(np.abs(ref).max())
        bound = self.args.tol * scale
        worst = np.unravel_index(int(np.argmax(err)), err.shape)
        rel = float(err.max()) / scale
        detail = (f"max|ours - ref| = {err.max():.3e} (relative {rel:.3e}, bound {self.args.tol:g}) "
                  f"over {ours.shape[0]} positions; worst at position {worst[0]}, id {worst[1]}: "
                  f"ours {ours[worst]:.7g}, ref {ref[worst]:.7g}")
        self.report(bool(err.max() <= bound), what, detail)
        print(f"MAXERR {self.label} {what} abs={err.max():.3e} rel={rel:.3e}", flush=True)
        return ref

    def run(self):
        a = self.args
        prompt = _ids(a.ids)
        n = len(prompt)
        work = a.work
        os.makedirs(work, exist_ok=True)

        # 1. Prefill logits (+ greedy generation in the same run).
        ours_prompt = os.path.join(work, "ours-prompt.npy")
        ref_prompt = os.path.join(work, "ref-prompt.npy")
        extra = ["--logits-out", ours_prompt, "--json", "--temp", "0", "-n", str(a.greedy or 0)]
        result = json.loads(self.llm_run(prompt, extra, "prefill"))
        ref_greedy = self.reference(prompt, ref_prompt, a.greedy if a.greedy else None)
        if result.get("prompt_ids") != prompt:
            self.report(False, "prompt ids", f"llm-run used {result.get('prompt_ids')}, expected {prompt}")
        self.compare_logits(ours_prompt, ref_prompt, "prefill logits")
        if not a.greedy:
            return self.failures

        # 2. Greedy ids vs the reference's.
        ours = result["generated_ids"]
        expected = list(ref_greedy)
        for i, token in enumerate(expected):
            if token in self.eos:
                expected = expected[:i + 1]
                break

        # 3. Recompute prompt + ours[:-1] through one prefill.
        full = prompt + ours[:-1]
        ours_full = os.path.join(work, "ours-recompute.npy")
        ref_full = os.path.join(work, "ref-recompute.npy")
        self.llm_run(full, ["--logits-out", ours_full, "--json", "--temp", "0", "-n", "0"],
                     "recompute")
        self.reference(full, ref_full)
        ref = self.compare_logits(ours_full, ref_full,
                                  f"recompute logits of prompt + {len(ours) - 1} generated")

        # Every greedy decision of llm-run's decode path, judged on the
        # reference's logits along llm-run's own path.
        if ref is not None:
            tol = a.tol * float(np.abs(ref).max())
            bad, margins = [], []
            for i, token in enumerate(ours):
                row = ref[n - 1 + i].astype(np.float64)
                top2 = np.sort(row)[-2:]
                margins.append(top2[1] - top2[0])
                if row[token] < row.max() - tol:
                    bad.append(f"step {i}: picked {token} (ref logit {row[token]:.6g}) but the "
                               f"reference's best is {int(np.argmax(row))} ({row.max():.6g})")
            self.report(not bad, f"greedy decisions of {len(ours)} decode steps",
                        "; ".join(bad) if bad else
                        f"each is the reference's argmax (smallest top-2 margin {min(margins):.3e})")

        if ours == expected:
            self.report(True, "greedy ids", f"{ours} == reference")
        else:
            first = next((i for i in range(min(len(ours), len(expected)))
                          if ours[i] != expected[i]), min(len(ours), len(expected)))
            near_tie = False
            if ref is not None and first < len(ours) and first < len(expected):
                row = ref[n - 1 + first].astype(np.float64)
                near_tie = abs(row[ours[first]] - row[expected[first]]) <= a.tol * float(np.abs(ref).max())
            detail = (f"llm-run generated {ours}, the reference {expected} "
                      f"(first difference at step {first})")
            if near_tie:
                detail += " - a near-tie of the reference's logits there, accepted"
            self.report(near_tie, "greedy ids", detail)
        return self.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm-run", required=True, help="the llm-run binary")
    parser.add_argument("--src", required=True, help="repository root (for python/)")
    parser.add_argument("--model", required=True, help="checkpoint directory")
    parser.add_argument("--work", help="directory for .npy files (default: a temporary one)")
    parser.add_argument("--ids", required=True, help="prompt token ids, comma-separated")
    parser.add_argument("--greedy", type=int, default=0, help="also check N greedy tokens")
    parser.add_argument("--module", help="compiled module to pass to llm-run")
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="bound on max|ours - ref| relative to max|ref|")
    parser.add_argument("--llm-run-args", default="", help="extra llm-run arguments")
    parser.add_argument("--ref-args", default="",
                        help="extra reference_logits.py arguments (e.g. \"--int4-group 32\")")
    parser.add_argument("--ref-model",
                        help="checkpoint for the reference (default: --model); only for "
                             "self-tests showing that a different model fails the checks")
    args = parser.parse_args()
    if args.work is None:
        with tempfile.TemporaryDirectory() as work:
            args.work = work
            failures = Checker(args).run()
    else:
        failures = Checker(args).run()
    if failures:
        print(f"{failures} check(s) failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
