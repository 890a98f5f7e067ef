"""Tensor and pipeline parallelism under mpirun against one process: for
each checkpoint and split, `mpirun -np N llm-run` must generate the same
greedy ids as one process and give the prompt's logits within 1e-4; F32
(the model directory compiled by llm-run itself) and INT4 (modules compiled
with llm-shard and llm-quantize-int4: one for every rank of a tensor-parallel
group, one per stage of a pipeline). Then the errors: a checkpoint missing a
tensor is reported once (by rank 0, naming the tensor) and every rank
stops; a module partitioned for another number of ranks is refused.

    mpi_parallel.py BIN_DIR WORK_DIR SOURCE_DIR
"""

import json
import os
import subprocess
import sys

import numpy as np

bin_dir, work, source = sys.argv[1], sys.argv[2], sys.argv[3]
llm_run = os.path.join(bin_dir, "llm-run")
PROMPT = "1,5,9,13,17,21,25,29"
TOKENS = 10
MPIRUN = ["mpirun", "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"]
failures = []


def checkpoint(name, kv_heads):
    out = os.path.join(work, name)
    subprocess.run(["/usr/bin/python3", os.path.join(source, "python", "make_checkpoint.py"),
                    "--out", out, "--seed", str(11 + kv_heads), "--hidden", "128",
                    "--heads", "8", "--kv-heads", str(kv_heads), "--intermediate", "256",
                    "--layers", "2", "--vocab", "256", "--max-pos", "64",
                   # An LM head of its own (split by vocabulary), and a tied one.
                   "--no-tie" if kv_heads == 2 else "--tie"],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def compile_int4(model, ranks, mode="row"):
    """The INT4 module(s) for `ranks` ranks: its path, '{rank}' standing for
    the stage of a pipeline."""
    imported = subprocess.run([os.path.join(bin_dir, "llm-translate"), "--import-llama-config",
                               model], check=True, capture_output=True).stdout
    name = os.path.join(work, "%s-int4-%s%d" % (os.path.basename(model), mode, ranks))
    stages = range(ranks) if mode == "layer" else [None]
    for stage in stages:
        if ranks == 1:
            passes = []
        elif mode == "layer":
            passes = ["--llm-shard=pipeline-parallel=%d stage=%d" % (ranks, stage)]
        else:
            passes = ["--llm-shard=tensor-parallel=%d" % ranks]
        path = name + (".stage%d.mlir" % stage if stage is not None else ".mlir")
        with open(path, "wb") as f:
            subprocess.run([os.path.join(bin_dir, "llm-opt")] + passes +
                           ["--llm-quantize-int4=group-size=32", "--llm-cpu-pipeline"],
                           input=imported, check=True, stdout=f)
    return name + (".stage{rank}.mlir" if mode == "layer" else ".mlir")


def run(model, ranks, module=None, expect_failure=False, mode="row"):
    """(generated ids, prompt logits) of one run, or (returncode, stderr)."""
    logits = os.path.join(work, "logits-%d.npy" % ranks)
    args = ([module] if module else []) + [
        "-m", model, "--prompt-ids", PROMPT, "-n", str(TOKENS), "--temp", "0",
        "--ignore-eos", "--json", "-t", "1", "--logits-out", logits, "--split-mode", mode]
    command = (MPIRUN + ["-np", str(ranks)] if ranks > 1 else []) + [llm_run] + args
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if expect_failure:
        return done.returncode, done.stderr
    if done.returncode != 0:
        failures.append("%s: exit %d: %s" % (" ".join(command[-14:]), done.returncode,
                                             done.stderr[-2000:]))
        return None, None
    return json.loads(done.stdout)["generated_ids"], np.load(logits)


for kv_heads in (2, 8):
    model = checkpoint("kv%d" % kv_heads, kv_heads)
    for precision in ("f32", "int4"):
        module = compile_int4(model, 1) if precision == "int4" else None
        ids, logits = run(model, 1, module)
        for mode, ranks in (("row", 2), ("row", 4), ("layer", 2)):
            sharded = compile_int4(model, ranks, mode) if precision == "int4" else None
            got_ids, got_logits = run(model, ranks, sharded, mode=mode)
            if got_ids is None:
                continue
            error = float(np.abs(got_logits - logits).max())
            name = "kv_heads=%d %s %s-parallel %d" % (
                kv_heads, precision, "tensor" if mode == "row" else "pipeline", ranks)
            if got_ids != ids or error > 1e-4:
                failures.append("%s: ids %s vs %s, logits differ by %.2e"
                                % (name, got_ids, ids, error))
            else:
                print("%s: same %d ids, logits within %.1e" % (name, len(ids), error))

# A tensor missing from the checkpoint: one message, from rank 0.
model = os.path.join(work, "kv2")
broken = os.path.join(work, "broken")
subprocess.run(["/usr/bin/python3", os.path.join(source, "test", "llm-run", "Inputs",
                                                 "corrupt_checkpoint.py"),
                "--src", source, "--good", model, "--out", broken, "drop",
                "model.layers.1.mlp.down_proj.weight"],
               check=True)
code, stderr = run(broken, 2, expect_failure=True)
errors = [line for line in stderr.splitlines() if line.startswith("llm-run: error")]
if code == 0 or len(errors) != 1 or "down_proj.weight: missing" not in stderr:
    failures.append("missing tensor: exit %d, stderr:\n%s" % (code, stderr))
else:
    print("missing tensor: exit %d, one message: %s" % (code, errors[0]))

# A module partitioned for 4 ranks, started on 2.
code, stderr = run(model, 2, compile_int4(model, 4), expect_failure=True)
if code == 0 or "partitioned for 4 rank(s)" not in stderr:
    failures.append("wrong rank count: exit %d, stderr:\n%s" % (code, stderr))
else:
    print("wrong rank count refused: exit %d" % code)

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("tensor- and pipeline-parallel runs match one process")
