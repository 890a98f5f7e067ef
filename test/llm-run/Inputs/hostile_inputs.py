#!/usr/bin/python3
"""Run the tools on a corpus of hostile inputs; each must fail cleanly.

    hostile_inputs.py --bin BUILD/bin --src REPO --work DIR

Every case builds its input in DIR, runs one command under a timeout and
requires: a non-zero exit that is not a signal (no crash, no abort), no
timeout (no hang), a bounded error output (at most 8 lines and 4 KiB) whose
first line starting with the tool's name says "error:" and contains the
expected words. Prints PASS/FAIL per case; exits 1 if any case failed.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

TIMEOUT = 120


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


def config(**fields):
    base = {"model_type": "llama", "hidden_size": 16, "intermediate_size": 24,
            "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
            "vocab_size": 40, "max_position_embeddings": 32}
    base.update(fields)
    return base


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--src", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    tool = lambda name: os.path.join(args.bin, name)  # noqa: E731
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    good = os.path.join(work, "good")
    subprocess.run(["/usr/bin/python3", os.path.join(args.src, "python", "make_checkpoint.py"),
                    "--out", good, "--seed", "3", "--hidden", "16", "--heads", "2",
                    "--kv-heads", "1", "--intermediate", "24", "--vocab", "40", "--layers", "1",
                    "--max-pos", "32"], check=True, capture_output=True)

    def model_with(name, cfg=None, weights=None):
        """A model directory: `cfg` as config.json (else the good one), the good weights."""
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        if cfg is None:
            shutil.copy(os.path.join(good, "config.json"), d)
        elif isinstance(cfg, str):
            write(os.path.join(d, "config.json"), cfg)
        else:
            write(os.path.join(d, "config.json"), json.dumps(cfg))
        if weights is None:
            shutil.copy(os.path.join(good, "model.safetensors"), d)
        return d

    def safetensors_with_header(header_text):
        data = header_text.encode()
        return struct.pack("<Q", len(data)) + data + b"\0" * 8

    cases = []

    def case(name, argv, expect, setup=None):
        cases.append((name, argv, expect, setup))

    # -- config.json (llm-translate and llm-run import it) -------------------------
    deep = '{"model_type": "llama", "hidden_size": ' + "[" * 200000 + "]" * 200000 + "}"
    for name, cfg, expect in [
        ("config: context 2^62", config(max_position_embeddings=1 << 62), "max_position_embeddings"),
        ("config: hidden 2^63-1", config(hidden_size=(1 << 63) - 1), "hidden_size"),
        ("config: 10^9 layers", config(num_hidden_layers=10**9), "num_hidden_layers"),
        ("config: negative heads", config(num_attention_heads=-2), "num_attention_heads"),
        ("config: eos not an integer", config(eos_token_id=["x"]), "eos_token_id"),
        ("config: deep nesting", deep, "hidden_size"),
        ("config: number overflow", '{"hidden_size": 1e99999}', "number overflow"),
        ("config: not an object", "[1, 2, 3]", "expected a JSON object"),
        ("config: empty", "", "malformed JSON"),
        ("config: torch_dtype", config(torch_dtype="float8"), "torch_dtype"),
    ]:
        d = model_with("cfg-" + str(len(cases)), cfg)
        case(name + " (llm-translate)", [tool("llm-translate"), "--import-llama-config", d], expect)
        case(name + " (llm-run)", [tool("llm-run"), "-m", d, "--prompt-ids", "1"], expect)

    # -- special files ------------------------------------------------------------
    fifo_cfg = model_with("fifo-config")
    os.remove(os.path.join(fifo_cfg, "config.json"))
    os.mkfifo(os.path.join(fifo_cfg, "config.json"))
    case("FIFO config.json (llm-run)", [tool("llm-run"), "-m", fifo_cfg, "--prompt-ids", "1"],
         "not a regular file")
    case("FIFO config.json (llm-translate)",
         [tool("llm-translate"), "--import-llama-config", fifo_cfg], "not a regular file")
    fifo_w = model_with("fifo-weights")
    os.remove(os.path.join(fifo_w, "model.safetensors"))
    os.mkfifo(os.path.join(fifo_w, "model.safetensors"))
    case("FIFO model.safetensors", [tool("llm-run"), "-m", fifo_w, "--prompt-ids", "1"],
         "not a regular file")
    case("/dev/zero as config", [tool("llm-translate"), "--import-llama-config", "/dev/zero"],
         "not a regular file")

    # -- safetensors files --------------------------------------------------------
    for name, blob, expect in [
        ("safetensors: deep shape", safetensors_with_header(
            '{"w": {"dtype": "F32", "shape": ' + "[" * 100000 + "]" * 100000 +
            ', "data_offsets": [0, 4]}}'), "shape"),
        ("safetensors: header length past the end", struct.pack("<Q", 1 << 60) + b"{}",
         "header length"),
        ("safetensors: huge shape", safetensors_with_header(
            '{"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], '
            '"data_offsets": [0, 8]}}'), "too large"),
        ("safetensors: offsets overlap", safetensors_with_header(
            '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
            '"b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}'), "overlap"),
        ("safetensors: empty file", b"", "too short"),
    ]:
        d = model_with("st-" + str(len(cases)), weights=False)
        write(os.path.join(d, "model.safetensors"), blob, "wb")
        case(name, [tool("llm-run"), "-m", d, "--prompt-ids", "1"], expect)

    # -- shard indexes ------------------------------------------------------------
    for name, target, expect in [
        ("index: absolute shard path", "/etc/passwd", "not a file name inside"),
        ("index: shard through ..", "../../../../../../etc/passwd", "not a file name inside"),
        ("index: shard in a subdirectory", "sub/model.safetensors", "not a file name inside"),
    ]:
        d = model_with("idx-" + str(len(cases)), weights=False)
        write(os.path.join(d, "model.safetensors.index.json"),
              json.dumps({"weight_map": {"model.norm.weight": target}}))
        case(name, [tool("llm-run"), "-m", d, "--prompt-ids", "1"], expect)

    # -- options ------------------------------------------------------------------
    case("prompt longer than the context",
         [tool("llm-run"), "-m", good, "--prompt-ids", ",".join(["1"] * 40)], "context")
    case("prompt ids outside the vocabulary",
         [tool("llm-run"), "-m", good, "--prompt-ids", "1,99999"], "not a token id")
    case("unknown option", [tool("llm-run"), "-m", good, "--frobnicate"],
         "unknown option '--frobnicate'")
    case("INT4 group size 2^20",
         [tool("llm-opt"), "--llm-quantize-int4=group-size=1048576",
          os.path.join(args.src, "test", "Transforms", "llm-quantize-int4.mlir")],
         "group-size")
    tiny = os.path.join(args.src, "test", "Frontend", "Inputs", "tiny")
    tiny_ir = os.path.join(work, "tiny.mlir")
    subprocess.run([tool("llm-translate"), "--import-llama-config", tiny, "-o", tiny_ir],
                   check=True)
    case("LPU: 2^31 chips", [tool("llm-opt"), tiny_ir, "--llm-lpu-pipeline=chips=2147483648"],
         "chips")

    # -- IR -----------------------------------------------------------------------
    ir = os.path.join(work, "clock0.mlir")
    write(ir, 'lpu.program target "t" chips 1 weight_bits 8 clock_mhz 0.0 slices 4 '
              'slice_bytes 1024 mxm 1 vxm 1 sxm 1 links 1 {\n}\n')
    case("LPU program with clock 0 to JSON", [tool("llm-translate"), "--lpu-to-json", ir],
         "clock_mhz")
    case("LPU program with clock 0 to a trace", [tool("llm-translate"), "--lpu-to-trace", ir],
         "clock_mhz")
    garbage = os.path.join(work, "garbage.mlir")
    write(garbage, "func.func @f( -> { llm.matmul }}}\n")
    case("malformed IR", [tool("llm-opt"), garbage], "error")

    failures = 0
    for name, argv, expect, _ in cases:
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {name}: no answer within {TIMEOUT} s (a hang)")
            failures += 1
            continue
        err = proc.stderr.decode("utf-8", "replace")
        lines = err.splitlines()
        problem = None
        if proc.returncode < 0:
            problem = f"killed by signal {-proc.returncode}"
        elif proc.returncode == 0:
            problem = "exit 0"
        elif len(err) > 4096 or len(lines) > 8:
            problem = f"{len(lines)} lines / {len(err)} bytes of error output"
        elif "error" not in err.lower() and expect.lower() not in err.lower():
            problem = "no error message"
        elif expect.lower() not in err.lower():
            problem = f"the message does not mention {expect!r}"
        if problem:
            print(f"FAIL: {name}: {problem}: {err[:300]!r}")
            failures += 1
        else:
            first = next((l for l in lines if "error" in l.lower()), lines[0] if lines else "")
            print(f"PASS: {name}: {first[:160]}")
    print(f"{len(cases) - failures} of {len(cases)} hostile inputs refused cleanly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
