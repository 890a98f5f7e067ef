#!/usr/bin/python3
"""CPU inference benchmark: prompt and generation tokens/s, time to first
token and peak memory of llm-run on stories260K and on random checkpoints
shaped like stories15M and stories110M, with 1 and 2 threads; generation
speed as a fraction of the memory-bandwidth roofline (weight bytes read per
token / measured read bandwidth).

Run from the repository root after ./build.sh:  /usr/bin/python3 bench/cpu_generation.py
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
OUT = os.path.join(ROOT, "bench", "out")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "models", "stories260K")
PROMPT = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 2 for k in range(31)])


def make_checkpoint(name, preset):
    path = os.path.join(OUT, name)
    if not os.path.exists(os.path.join(path, "config.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "python", "make_checkpoint.py"),
                        "--out", path, "--preset", preset, "--no-tie", "--seed", "1"],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def weight_bytes_per_token(model_dir):
    """Bytes of f32 weights a decode step reads: every matrix and norm, the LM
    head, and one embedding row."""
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    h = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", h)
    hd = cfg.get("head_dim") or d // h
    layer = d * h * hd * 2 + 2 * d * kv * hd + 3 * d * f + 2 * d
    return 4 * (cfg["num_hidden_layers"] * layer + v * d + d + d)


def run(model_dir, threads, n=64):
    cmd = ["/usr/bin/time", "-f", "%M", os.path.join(BIN, "llm-run"), "-m", model_dir,
           "--prompt-ids", PROMPT, "-n", str(n), "--temp", "0", "--json", "-t", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"llm-run failed: {proc.stderr}")
    result = json.loads(proc.stdout)
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return result["timings"], peak_kib / 1024


def main():
    os.makedirs(OUT, exist_ok=True)
    bw = {}
    for line in subprocess.run([os.path.join(BIN, "llm-membw"), "2"], capture_output=True,
                               text=True, check=True).stdout.splitlines():
        fields = dict(kv.split("=") for kv in line.split())
        bw[int(fields["threads"])] = float(fields["read_GBps"])
    print(f"memory read bandwidth: " + ", ".join(f"{t} thread(s) {g:.1f} GB/s" for t, g in bw.items()))
    models = []
    if os.path.isdir(SHARED):
        models.append(("stories260K", SHARED))
    models.append(("stories15M-shaped (random, f32)", make_checkpoint("stories15M", "stories15M")))
    models.append(("stories110M-shaped (random, f32)", make_checkpoint("stories110M", "stories110M")))
    header = f"{'model':34} {'thr':>3} {'prompt tok/s':>12} {'gen tok/s':>10} {'TTFT ms':>8} {'peak MiB':>9} {'roofline':>9}"
    print(header)
    print("-" * len(header))
    for name, path in models:
        bytes_per_token = weight_bytes_per_token(path)
        for threads in (1, 2):
            t, peak = run(path, threads)
            roofline = bw[threads] * 1e9 / bytes_per_token
            frac = t["generation_tokens_per_s"] / roofline
            print(f"{name:34} {threads:>3} {t['prompt_tokens_per_s']:>12.1f} "
                  f"{t['generation_tokens_per_s']:>10.1f} {t['time_to_first_token_ms']:>8.1f} "
                  f"{peak:>9.1f} {100 * frac:>8.1f}%")
    print("(prompt: 32 tokens; generation: 64 greedy tokens; roofline = read bandwidth / "
          "f32 weight bytes per token)")


if __name__ == "__main__":
    main()
