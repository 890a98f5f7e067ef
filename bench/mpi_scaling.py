"""One model over 1, 2 and 4 mpirun ranks, and what that predicts for
llama-2-70b INT4 across machines.

Part 1 (measured): `mpirun -np N llm-run` on a checkpoint, tensor parallel
(--split-mode row) and as a pipeline (--split-mode layer): each rank's peak
RSS (from /usr/bin/time), prompt and decode tokens/s on rank 0, and the
bytes each rank sends per decoded token (from the module's structure: two
all-reduces of the hidden state per layer, which a ring all-reduce carries
as 2 (N - 1) / N of the vector per rank; a pipeline sends the hidden state
once per stage boundary and the logits back to rank 0).

Part 2 (model): llama-2-70b with INT4 weights (group 128) on 2, 4 and 8
machines of 24 GB: memory per rank, bytes per token, and decode tokens/s
predicted from this machine's measured memory bandwidth (llm-membw) and the
interconnect's latency and bandwidth: measured between ranks here
(llm-mpi-transfer, shared memory) and assumed for 10 and 100 Gbit/s
networks.

    /usr/bin/python3 bench/mpi_scaling.py --model bench/out/stories110M-f32
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPIRUN = ["mpirun", "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"]
GB = 1e9


def checkpoint_bytes(model):
    return sum(os.path.getsize(os.path.join(model, f)) for f in os.listdir(model)
               if f.endswith(".safetensors"))


def tensor_bytes(model):
    """name -> bytes of every tensor of the checkpoint's .safetensors files."""
    sizes = {}
    for name in os.listdir(model):
        if not name.endswith(".safetensors"):
            continue
        with open(os.path.join(model, name), "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(length))
        for tensor, entry in header.items():
            if tensor != "__metadata__":
                begin, end = entry["data_offsets"]
                sizes[tensor] = end - begin
    return sizes


SPLIT = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def weights_per_rank(sizes, config, ranks, mode, rank):
    """The checkpoint bytes rank `rank` keeps resident: its slices of the
    split projections and the replicated rest (tensor parallel), or its
    stage's layers and, on the last stage, the final norm and LM head. The
    embedding is read by row (the prompt's rows only) unless it is also the
    LM head (tied)."""
    layers = config["num_hidden_layers"]
    tied = "lm_head.weight" not in sizes
    total = 0
    for name, size in sizes.items():
        if "embed_tokens" in name and not (tied and (mode == "row" or rank == ranks - 1)):
            continue  # read by row, only the prompt's rows resident
        layer = re.match(r"model\.layers\.(\d+)\.", name)
        if mode == "row" or ranks == 1:
            kv_parts = min(ranks, config.get("num_key_value_heads", ranks))
            if any(p in name for p in ("k_proj", "v_proj")):
                total += size / kv_parts
            elif any(p in name for p in SPLIT):
                total += size / ranks
            else:
                total += size
        elif layer:
            first, end = rank * layers // ranks, (rank + 1) * layers // ranks
            total += size if first <= int(layer.group(1)) < end else 0
        elif "embed_tokens" in name:
            total += size  # the last stage's LM head (tied embeddings)
        else:  # final norm, LM head
            total += size if rank == ranks - 1 else 0
    return total


def run_ranks(binary, model, ranks, mode, tokens, cores, module=None):
    threads = max(1, cores // ranks)
    ids = ",".join(str(3 + (37 * i) % 1000) for i in range(64))
    rss_dir = tempfile.mkdtemp()
    # Each rank's peak RSS in a file of its own (/usr/bin/time -o).
    command = ["sh", "-c", 'exec /usr/bin/time -f %M -o "$0/rss-${OMPI_COMM_WORLD_RANK:-0}" "$@"',
               rss_dir, binary] + ([module] if module else []) + ["-m", model,
               "--prompt-ids", ids, "-n", str(tokens), "--temp", "0", "--ignore-eos",
               "--json", "-t", str(threads), "--split-mode", mode, "-c", "256"]
    if ranks > 1:
        command = MPIRUN + ["-np", str(ranks)] + command
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(command), done.stderr[-3000:]))
    timings = json.loads(done.stdout.strip().splitlines()[-1])["timings"]
    rss = []
    for rank in range(ranks):
        with open(os.path.join(rss_dir, "rss-%d" % rank)) as f:
            rss.append(int(f.read().split()[-1]) * 1024)
    return timings, rss, threads


def bytes_per_token(config, ranks, mode):
    hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    vector = 4 * hidden
    if ranks == 1:
        return 0
    if mode == "row":
        # Two ring all-reduces of the hidden state per layer, per rank.
        return int(2 * layers * 2 * (ranks - 1) / ranks * vector)
    # One hidden state per stage boundary, the logits back to rank 0.
    return int((ranks - 1) * vector + 4 * config["vocab_size"])


def measured_part(args):
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    size = checkpoint_bytes(args.model)
    cores = os.cpu_count() or 1
    print("## %s (%.2f GB of weights), %d cores, %d tokens generated\n"
          % (os.path.basename(os.path.normpath(args.model)), size / GB, cores, args.tokens))
    sizes = tensor_bytes(args.model)
    print("| split | ranks | threads per rank | weights per rank (GB) | peak RSS per rank (GB) "
          "| RSS - weights (GB) | prompt tok/s | decode tok/s | decode vs 1 rank "
          "| bytes sent per token per rank |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    base = None
    for mode, ranks in [("row", 1), ("row", 2), ("row", 4), ("layer", 2), ("layer", 4)]:
        timings, rss, threads = run_ranks(args.llm_run, args.model, ranks, mode, args.tokens,
                                          cores)
        decode = timings["generation_tokens_per_s"]
        base = base or decode
        name = "one process" if ranks == 1 else ("tensor" if mode == "row" else "pipeline")
        weights = [weights_per_rank(sizes, config, ranks, mode, r) for r in range(ranks)]
        print("| %s | %d | %d | %s | %s | %s | %.1f | %.1f | %.2fx | %d |" % (
            name, ranks, threads, ", ".join("%.3f" % (w / GB) for w in weights),
            ", ".join("%.3f" % (r / GB) for r in rss),
            ", ".join("%.3f" % ((r - w) / GB) for r, w in zip(rss, weights)),
            timings["prompt_tokens_per_s"], decode, decode / base,
            bytes_per_token(config, ranks, mode)))
    print()


def lm_head_part(args):
    """Tensor parallel with the LM head split by vocabulary (its logits
    gathered) against the LM head replicated: modules compiled with
    llm-shard's vocab-parallel on and off."""
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    if config.get("tie_word_embeddings"):
        print("(the LM head is tied to the embeddings: it stays whole)\n")
        return
    bin_dir = os.path.dirname(args.llm_run)
    imported = subprocess.run([os.path.join(bin_dir, "llm-translate"),
                               "--import-llama-config", args.model],
                              check=True, capture_output=True).stdout
    cores = os.cpu_count() or 1
    print("## LM head, tensor parallel: split by vocabulary or replicated\n")
    print("| ranks | LM head | peak RSS per rank (GB) | decode tok/s | prompt tok/s |")
    print("|---|---|---|---|---|")
    for ranks in (2, 4):
        for vocab in ("true", "false"):
            module = os.path.join(tempfile.mkdtemp(), "tp.mlir")
            with open(module, "wb") as f:
                subprocess.run([os.path.join(bin_dir, "llm-opt"), "--llm-prefill-last-logits",
                                "--llm-shard=tensor-parallel=%d vocab-parallel=%s"
                                % (ranks, vocab)],
                               input=imported, check=True, stdout=f)
            timings, rss, _ = run_ranks(args.llm_run, args.model, ranks, "row", args.tokens,
                                        cores, module)
            print("| %d | %s | %s | %.1f | %.1f |" % (
                ranks, "split by vocabulary" if vocab == "true" else "replicated",
                ", ".join("%.3f" % (r / GB) for r in rss),
                timings["generation_tokens_per_s"], timings["prompt_tokens_per_s"]))
    print()


def transfer_figures(binary, ranks):
    done = subprocess.run(MPIRUN + ["-np", str(ranks), binary, "--hidden", "8192"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit("llm-mpi-transfer failed:\n" + done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def membw(binary):
    out = subprocess.run([binary], capture_output=True, text=True, timeout=600).stdout
    return max(float(v) for v in re.findall(r"read_GBps=([\d.]+)", out)) * GB


def model_part(args):
    # llama-2-70b: 80 layers, hidden 8192, MLP 28672, 64 heads, 8 KV heads
    # of 128, vocabulary 32000.
    layers, hidden, ffn, kv, head, vocab = 80, 8192, 28672, 8, 128, 32000
    per_layer = hidden * (hidden + 2 * kv * head) + hidden * hidden + 3 * hidden * ffn
    # INT4 with one f32 scale and one f32 offset per group of 128 inputs.
    layer_bytes = layers * per_layer * (0.5 + 8 / 128)
    embedding = vocab * hidden * 2          # bf16, rows read by id
    lm_head = vocab * hidden * 4            # kept in f32 (not quantized)
    context = args.context
    kv_bytes = layers * context * kv * head * 2 * 4  # f32 K and V
    bandwidth = membw(args.membw) * args.roofline_fraction
    local = {n: transfer_figures(args.transfer, n) for n in (2, 4)}
    networks = [
        ("shared memory, measured here (2 ranks)", local[2]["latency_us"] * 1e-6,
         local[2]["bandwidth_1MiB_GBps"] * GB),
        ("10 Gbit/s Ethernet (assumed 25 us, 1.1 GB/s)", 25e-6, 1.1 * GB),
        ("100 Gbit/s RDMA (assumed 3 us, 11 GB/s)", 3e-6, 11 * GB),
    ]
    print("## Model: llama-2-70b INT4 (g128) on machines of 24 GB\n")
    print("Weights: %.1f GB of INT4 layers, %.2f GB bf16 embeddings, %.2f GB f32 LM head; "
          "KV cache %.2f GB at context %d (f32). Memory bandwidth per machine: %.1f GB/s "
          "measured here (llm-membw) x %.2f of the roofline reached by INT4 decode. "
          "All-reduce of 8192 floats measured here: %.1f us (2 ranks), %.1f us (4 ranks).\n"
          % (layer_bytes / GB, embedding / GB, lm_head / GB, kv_bytes / GB, context,
             bandwidth / args.roofline_fraction / GB, args.roofline_fraction,
             local[2]["allreduce_us"], local[4]["allreduce_us"]))
    print("| split | machines | memory per rank (GB) | fits 24 GB | bytes sent per token "
          "per rank | network | predicted decode tok/s |")
    print("|---|---|---|---|---|---|---|")
    for mode in ("tensor", "pipeline"):
        for n in (2, 4, 8):
            if mode == "tensor":
                memory = layer_bytes / n + embedding + lm_head + kv_bytes / min(n, kv)
                compute = (layer_bytes / n + lm_head) / bandwidth
                messages = 2 * layers * 2 * (n - 1)   # ring: 2 (N-1) steps
                sent = 2 * layers * 2 * (n - 1) / n * 4 * hidden
            else:
                # The largest stage: its layers, plus the embedding (stage
                # 0) or the LM head (the last stage).
                memory = layer_bytes / n + lm_head + kv_bytes / n
                compute = (layer_bytes + lm_head) / bandwidth  # stages in turn
                messages = n                              # n - 1 hand-offs + logits
                sent = (n - 1) * 4 * hidden + 4 * vocab
            for network, latency, link in networks:
                comm = messages * latency + sent / link
                print("| %s | %d | %.1f | %s | %d | %s | %.1f |" % (
                    mode, n, memory / GB, "yes" if memory < 22 * GB else "no", sent,
                    network, 1 / (compute + comm)))
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="checkpoint directory for the measured part")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--lm-head-only", action="store_true",
                        help="only compare the LM head split by vocabulary and replicated")
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--roofline-fraction", type=float, default=0.65,
                        help="fraction of the memory bandwidth INT4 decode reaches")
    parser.add_argument("--llm-run", default=os.path.join(ROOT, "build/bin/llm-run"))
    parser.add_argument("--membw", default=os.path.join(ROOT, "build/bin/llm-membw"))
    parser.add_argument("--transfer", default=os.path.join(ROOT, "build/bin/llm-mpi-transfer"))
    args = parser.parse_args()
    if args.model:
        if args.lm_head_only:
            lm_head_part(args)
            return
        measured_part(args)
        lm_head_part(args)
    model_part(args)


if __name__ == "__main__":
    main()
