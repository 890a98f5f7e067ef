#!/usr/bin/python3
"""Side by side with llama.cpp on this CPU: prompt and decode tokens/s.

Writes one random checkpoint per shape (Hugging Face layout, F32) and runs
the same weights through both engines, in interleaved rounds (every engine
and format once per round, so that a slow spell of a shared machine hits
all of them):

  ours F32        llm-run on the checkpoint (--llm-cpu-pipeline)
  ours INT4 g32   llm-quantize-int4 with groups of 32, the LM head included
                  (llama-quantize stores a Q4_0 model's output matrix in
                  Q6_K, not F32); the x86 kernel llm-run picks for the
                  host (llm_compiler.cpu.int4_kernel). Asymmetric (an f16 scale and an i8 zero
                  point per group: 4.75 bits a weight), and symmetric (`int4sym`: an
                  f16 scale per group, every zero point 8: 4.5 bits a
                  weight, Q4_0's format and size)
  llama.cpp F32   the checkpoint as an F32 GGUF (python/hf_to_gguf.py)
  llama.cpp Q4_0  that GGUF through llama-quantize (blocks of 32: the
                  like-for-like format for INT4 g32)
  llama.cpp Q4_1  with --formats int4-vs-q4_1: the same, blocks of 32 with
                  an f16 scale and minimum (5 bits a weight), llama.cpp's
                  asymmetric format (ours, 4.75 bits, stores its zero
                  points as bytes)

Ours: llm-run --prompt-ids (PROMPT ids) -n GEN --temp 0 --ignore-eos --json;
llama.cpp: llama-bench -p PROMPT -n GEN -r 1 -mmp 0 -o json. Both hold the
weights in memory of their own, not in the mapped file: llm-run's default
(the weights copied onto huge pages), llama.cpp's --no-mmap (-mmp 0), its
faster setting here (TinyLlama-shaped F32 decode on one thread: 9.3 tok/s,
5.7 with the file mapped, its default). Both are timed warm:
llama-bench runs every test once untimed first, llm-run its warm-up (a
2-token prefill and a decode step) before the prompt. Before the first
round every weight file is written back and dropped from the page cache,
so that both engines load them as from disk (a file just written would be
read through 4 KiB pages: evict_from_page_cache). Each figure is the
best of the rounds; each ratio is the median over the rounds of ours /
llama.cpp within a round (runs next to each other, so that a slow spell of
the machine hits both; llama.cpp first in every other round). Decode is
also given as a fraction of the memory-bandwidth roofline, for both engines: bytes a decode step reads x
tokens/s over the read bandwidth llm-membw measures with as many threads
just before and just after that run (their mean: on a shared machine the
bandwidth swings by 2x from one minute to the next, so a roofline measured
in another spell says little about a run); the median over the rounds,
and in brackets the lowest and highest round.
Bytes a step reads: INT4 g32 counted as half a byte per weight plus an fp16
scale (and a byte's zero point, asymmetric) per group, the LM head
included; Q4_0 the same as symmetric INT4 g32; Q4_1 half a byte plus an
fp16 scale and minimum per block of 32. Both add the K and V rows of the
cache positions the step attends to, on average over the run: prompt +
gen / 2 for ours, which decodes after the prompt; gen / 2 for llama-bench's
tg test on an empty cache (prompt + gen / 2 with --decode-after-prompt).

Without --llama-cpp it prints our figures and the roofline only. llama.cpp
is never part of this project: build it from its public source outside the
repository, e.g. cmake -B build -DGGML_NATIVE=ON && ninja -C build
llama-bench llama-quantize, and pass that build directory.

Shape 7b (LLaMA-7B's) is written in BF16 by bench/make_large_checkpoint.py
(13.5 GB) and compared in INT4 only, the GGUF made from an F16 one.

Both engines keep the KV cache in the same type, --kv-cache f16 (llama.cpp's
default; ours compiled with llm-kv-cache-type) or f32 (llama-bench -ctk f32
-ctv f32).

Ours always decodes after the prompt; llama-bench's tg starts from an empty
cache. For long prompts, --decode-after-prompt measures llama.cpp's decode
after the prompt too (its -pg test less its prompt-only test, each the mean
of 3 repetitions), so that both decode over the prompt's cache.

Usage: bench/vs_llamacpp.py [--llama-cpp DIR] [--shapes stories110M,tinyllama,7b]
       [--threads 1,2] [--rounds 2] [--prompt 128] [--gen 64] [--build build]
       [--formats f32,int4,int4sym,int4-vs-q4_1] [--decode-after-prompt]
"""

import argparse
import atexit
import json
import os
import statistics
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cpu_generation import weight_bytes_per_token  # noqa: E402
from llm_compiler.cpu import int4_kernel  # noqa: E402

GROUP = 32


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    return proc.stdout


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def write_vocabulary(path, size):
    """A SentencePiece model file with `size` pieces (unknown, BOS, EOS, the
    256 byte pieces, then distinct words): what a GGUF needs for llama.cpp
    to load the checkpoint; the bench feeds token ids, never text."""
    def piece(text, score, kind):
        body = (_varint(1 << 3 | 2) + _varint(len(text.encode())) + text.encode() +
                _varint(2 << 3 | 5) + struct.pack("<f", score) +
                _varint(3 << 3 | 0) + _varint(kind))
        return _varint(1 << 3 | 2) + _varint(len(body)) + body
    pieces = [piece("<unk>", 0.0, 2), piece("<s>", 0.0, 3), piece("</s>", 0.0, 3)]
    pieces += [piece(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    pieces += [piece(f"\u2581w{i}", -float(i), 1) for i in range(size - len(pieces))]
    with open(path, "wb") as f:
        f.write(b"".join(pieces))


# Shapes whose checkpoint is written in BF16 by make_large_checkpoint.py (an
# F32 one would not fit in memory): INT4 against Q4_0 only, from an F16 GGUF.
LARGE_SHAPES = ("7b",)


def checkpoint(shape):
    path = os.path.join(OUT, f"vs-{shape}")
    # The weights are written last (an interrupted run leaves none).
    if not any(os.path.isfile(os.path.join(path, name))
               for name in ("model.safetensors", "model.safetensors.index.json")):
        os.makedirs(OUT, exist_ok=True)
        if shape in LARGE_SHAPES:
            run([sys.executable, os.path.join(ROOT, "bench", "make_large_checkpoint.py"),
                 "--out", path, "--shape", shape])
        else:
            run([sys.executable, os.path.join(ROOT, "python", "make_checkpoint.py"), "--out",
                 path, "--preset", shape, "--no-tie", "--seed", "1"])
    return path


def ggufs(model, llama_cpp, source_type="f32", quantized=("Q4_0",)):
    """A `source_type` (F32, or F16 for a large model) GGUF file of `model`
    (a vocabulary added for it) and one llama-quantize made of it per type
    in `quantized`: the F32/F16 path and {type: path}."""
    f32 = model + f".{source_type}.gguf"
    if not os.path.isfile(f32):
        source = model + "-gguf-source"
        os.makedirs(source, exist_ok=True)
        for name in os.listdir(model):
            target = os.path.join(source, name)
            if not os.path.exists(target):
                os.symlink(os.path.abspath(os.path.join(model, name)), target)
        vocab = json.load(open(os.path.join(model, "config.json")))["vocab_size"]
        write_vocabulary(os.path.join(source, "tokenizer.model"), vocab)
        run([sys.executable, os.path.join(ROOT, "python", "hf_to_gguf.py"), source, f32,
             "--type", source_type])
        shutil.rmtree(source)
    paths = {}
    for kind in quantized:
        paths[kind] = model + f".{kind.lower()}.gguf"
        if not os.path.isfile(paths[kind]):
            run([os.path.join(llama_cpp, "bin", "llama-quantize"), f32, paths[kind], kind])
    return f32, paths


def evict_from_page_cache(paths):
    """Writes back and drops `paths` from the page cache, so that each
    engine's first load reads them as from disk, as a user's model is read.
    A file this bench (or a converter) has just written sits in the page
    cache in the small folios the write path made, and both engines would
    then read their weights through 4 KiB pages, whatever their own loading
    asks for; read cold, the kernel's readahead puts them in 2 MiB folios
    that map as huge pages (stories110M-shaped F32 decode on one thread:
    47-54 tok/s on the written file's 4 KiB pages, 55-62 on the same file
    read cold; llama.cpp's GGUFs the same)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def kv_cache_bytes(model_dir, positions, kv_cache):
    """Bytes of K and V a decode step reads attending to `positions` cached
    positions, stored as `kv_cache` (f16 or f32)."""
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    element = {"f16": 2, "f32": 4}[kv_cache]
    return 2 * cfg["num_hidden_layers"] * kv_heads * head_dim * positions * element


def compile_ours(bin_dir, model, fmt, kv_cache):
    """`fmt`: f32, int4 (asymmetric) or int4sym (symmetric); `kv_cache`: the
    KV cache's element type, f32 or f16."""
    # Compiled afresh every time: a module left by an older compiler would
    # measure that compiler.
    int4 = fmt != "f32"
    suffix = {"f32": ".f32", "int4": f".int4g{GROUP}-head",
              "int4sym": f".int4g{GROUP}sym-head"}[fmt]
    path = model + suffix + ("" if kv_cache == "f32" else f"-kv{kv_cache}") + ".mlir"
    ir = run([os.path.join(bin_dir, "llm-translate"), "--import-llama-config", model])
    # The prompt's logits for its last position only, as llm-run compiles a
    # module it imports and as llama-bench computes them.
    passes = ["--llm-prefill-last-logits", f"--llm-kv-cache-type=type={kv_cache}"]
    if int4:
        symmetric = " symmetric=true" if fmt == "int4sym" else ""
        passes.append(f"--llm-quantize-int4=group-size={GROUP} lm-head=true{symmetric}")
    pipeline = "--llm-cpu-pipeline"
    if int4:
        pipeline += f"=int4-kernel={int4_kernel()}"
    run([os.path.join(bin_dir, "llm-opt"), *passes, pipeline, "-o", path], input=ir)
    return path


def ours(bin_dir, module, model, threads, prompt, gen, cache_dir):
    ids = ",".join(str(i) for i in [1] + [(7 * k + 3) % 500 + 259 for k in range(prompt - 1)])
    out = run([os.path.join(bin_dir, "llm-run"), module, "-m", model, "--prompt-ids", ids,
               "-n", str(gen), "-c", str(prompt + gen), "--temp", "0", "--ignore-eos",
               "--json", "-t", str(threads), "--cache-dir", cache_dir])
    t = json.loads(out)["timings"]
    return t["prompt_tokens_per_s"], t["generation_tokens_per_s"]


def llama(llama_cpp, gguf, threads, prompt, gen, kv_cache, after_prompt=False):
    """llama-bench's pp and tg. With `after_prompt`, decode is measured after
    the prompt, as ours is: from its -pg test (the prompt, then `gen` tokens)
    less its prompt-only test, gen / (time(pg) - time(pp))."""
    # After the prompt, decode is the difference of two timed runs: each the
    # mean of 3 repetitions, or the noise of one would decide it (one run
    # apiece once gave a decode after 1024 tokens faster than llama.cpp's
    # own on an empty cache).
    repetitions = "3" if after_prompt else "1"
    cmd = [os.path.join(llama_cpp, "bin", "llama-bench"), "-m", gguf, "-p", str(prompt),
           "-t", str(threads), "-r", repetitions, "-mmp", "0", "-o", "json", "-ctk",
           kv_cache, "-ctv", kv_cache]
    cmd += ["-n", "0", "-pg", f"{prompt},{gen}"] if after_prompt else ["-n", str(gen)]
    pp = tg = pg = 0.0
    for r in json.loads(run(cmd)):
        if r["n_prompt"] > 0 and r["n_gen"] == 0:
            pp = r["avg_ts"]
        elif r["n_gen"] > 0 and r["n_prompt"] == 0:
            tg = r["avg_ts"]
        elif r["n_gen"] > 0 and r["n_prompt"] > 0:
            pg = r["avg_ts"]
    if after_prompt:
        decode_s = (prompt + gen) / pg - prompt / pp
        tg = gen / decode_s if decode_s > 0 else 0.0
    return pp, tg


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-cpp", help="a llama.cpp build directory (with bin/llama-bench)")
    parser.add_argument("--shapes", default="stories110M")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prompt", type=int, default=128)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--build", default="build")
    parser.add_argument("--decode-after-prompt", action="store_true",
                        help="measure llama.cpp's decode after the prompt, as ours is (for long "
                             "prompts: attention over the prompt's cache; from llama-bench -pg)")
    parser.add_argument("--formats", default="f32,int4,int4sym",
                        help="which of f32, int4 (asymmetric) and int4sym (symmetric) to run")
    parser.add_argument("--kv-cache", default="f16", choices=("f16", "f32"),
                        help="the KV cache's element type in both engines (default f16, "
                             "llama.cpp's default)")
    args = parser.parse_args()
    bin_dir = os.path.join(ROOT, args.build, "bin")
    threads = [int(t) for t in args.threads.split(",")]

    # Read bandwidth with `t` threads now (a shared machine's varies from
    # one minute to the next, so each run's roofline is measured beside it).
    def bandwidth_now(t):
        fields = dict(kv.split("=") for kv in run(
            [os.path.join(bin_dir, "llm-membw"), str(t), str(t)]).split())
        return float(fields["read_GBps"]) * 1e9

    # (shape, format) -> [ours module, llama.cpp gguf or None, (bytes a decode
    # step reads: ours, llama.cpp's), checkpoint]
    runs = {}
    for shape in args.shapes.split(","):
        model = checkpoint(shape)
        f32_bytes = weight_bytes_per_token(model)
        # And the KV cache over the positions a step attends to on average
        # (ours decodes after the prompt; llama-bench's tg test on an empty
        # cache, unless --decode-after-prompt).
        after_prompt = args.prompt + args.gen / 2
        kv_bytes = (kv_cache_bytes(model, after_prompt, args.kv_cache),
                    kv_cache_bytes(model, after_prompt if args.decode_after_prompt
                                   else args.gen / 2, args.kv_cache))
        # Bytes a decode step reads per 4-bit format: linear layers and the
        # LM head at half a byte a weight, plus per group an fp16 scale (and
        # a byte's zero point; Q4_1: an fp16 minimum) (norms and the
        # embedding row, in F32, are a rounding error).
        int4_bytes = {"int4": f32_bytes / 4 * (0.5 + 3 / GROUP),
                      "int4sym": f32_bytes / 4 * (0.5 + 2 / GROUP),
                      "Q4_0": f32_bytes / 4 * (0.5 + 2 / GROUP),
                      "Q4_1": f32_bytes / 4 * (0.5 + 4 / GROUP)}
        formats = args.formats.split(",")
        unknown = set(formats) - {"f32", "int4", "int4sym", "int4-vs-q4_1"}
        if unknown:
            sys.exit(f"--formats: unknown {', '.join(sorted(unknown))} "
                     "(expected f32, int4, int4sym, int4-vs-q4_1)")
        f32_gguf, quantized = None, {}
        large = shape in LARGE_SHAPES
        if args.llama_cpp:
            kinds = ["Q4_0"] + (["Q4_1"] if "int4-vs-q4_1" in formats else [])
            f32_gguf, quantized = ggufs(model, args.llama_cpp, "f16" if large else "f32",
                                        kinds)
        if large and "f32" in formats:
            print(f"{shape}: BF16 checkpoint, INT4 against Q4_0 only")
        if "f32" in formats and not large:
            runs[(shape, "F32 vs F32")] = [compile_ours(bin_dir, model, "f32", args.kv_cache),
                                            f32_gguf, (f32_bytes + kv_bytes[0],
                                                       f32_bytes + kv_bytes[1]), model]
        # (format, our module's format, llama.cpp's, label).
        for fmt, ours_fmt, theirs, label in (
                ("int4", "int4", "Q4_0", f"INT4 g{GROUP} vs Q4_0"),
                ("int4sym", "int4sym", "Q4_0", f"INT4 g{GROUP} symmetric vs Q4_0"),
                ("int4-vs-q4_1", "int4", "Q4_1", f"INT4 g{GROUP} vs Q4_1")):
            if fmt in formats:
                runs[(shape, label)] = [compile_ours(bin_dir, model, ours_fmt, args.kv_cache),
                                        quantized.get(theirs),
                                        (int4_bytes[ours_fmt] + kv_bytes[0],
                                         int4_bytes[theirs] + kv_bytes[1]),
                                        model]

    # Every weight file either engine reads, loaded as from disk.
    weight_files = set()
    for module, gguf, decode_bytes, model in runs.values():
        weight_files.update(os.path.join(model, name) for name in os.listdir(model)
                            if name.endswith(".safetensors"))
        if gguf:
            weight_files.add(gguf)
    evict_from_page_cache(sorted(weight_files))

    # Compiled code and prepared weights of this run's modules, removed at
    # exit: the modules are compiled afresh every run, so an older run's
    # would never be read again, only fill the disk (gigabytes at 7B).
    cache_dir = tempfile.mkdtemp(prefix="vs-cache-", dir=OUT)
    atexit.register(shutil.rmtree, cache_dir, True)
    best = {}
    # (key, threads) -> per round (prompt ratio, decode ratio), each ours /
    # llama.cpp from runs next to each other.
    ratios = {}
    # (key, threads, engine) -> per round, decode / the roofline of the
    # bandwidth measured around that run.
    roofline = {}
    bandwidths = []
    for round_index in range(args.rounds):
        for t in threads:
            for key, (module, gguf, decode_bytes, model) in runs.items():
                # Bytes a decode step reads, per engine.
                step_bytes = {"ours": decode_bytes[0], "llama.cpp": decode_bytes[1]}
                engines = [("ours", lambda: ours(bin_dir, module, model, t, args.prompt,
                                                 args.gen, cache_dir))]
                if gguf:
                    engines.append(("llama.cpp", lambda: llama(
                        args.llama_cpp, gguf, t, args.prompt, args.gen, args.kv_cache,
                        args.decode_after_prompt)))
                # Every other round llama.cpp goes first: a drift within the
                # round (the machine's, or one run's wake on the next) then
                # favours neither engine.
                order = engines[::-1] if round_index % 2 else engines
                before = bandwidth_now(t)
                figures = {}
                for engine, measure in order:
                    pp, tg = measure()
                    after = bandwidth_now(t)
                    bandwidths.append((t, before, after))
                    roofline.setdefault((key, t, engine), []).append(
                        tg * step_bytes[engine] / ((before + after) / 2))
                    before = after
                    figures[engine] = (pp, tg)
                    old = best.get((key, t, engine), (0.0, 0.0))
                    best[(key, t, engine)] = (max(old[0], pp), max(old[1], tg))
                if gguf:
                    (pp, tg), (lpp, ltg) = figures["ours"], figures["llama.cpp"]
                    ratios.setdefault((key, t), []).append((pp / lpp, tg / ltg))

    for t in threads:
        seen = [b / 1e9 for n, before, after in bandwidths if n == t for b in (before, after)]
        print(f"memory read bandwidth, {t} thread(s), measured around each run: "
              f"{min(seen):.1f} to {max(seen):.1f} GB/s (median "
              f"{statistics.median(seen):.1f})")
    print(f"\npp{args.prompt} / tg{args.gen}, tokens/s, KV cache {args.kv_cache} in both: the "
          f"best of {args.rounds} interleaved rounds; ratios: the median over the rounds of "
          "ours / llama.cpp in the same round")
    print("| shape | formats | threads | prompt ours | prompt llama.cpp | prompt ratio "
          "| decode ours | decode llama.cpp | decode ratio | decode / roofline, ours "
          "| decode / roofline, llama.cpp |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    def share(fractions):
        """The median over the rounds, and their range when there are several:
        a shared machine's bandwidth swings within a run."""
        text = f"{100 * statistics.median(fractions):.0f}%"
        if len(fractions) > 1:
            text += f" ({100 * min(fractions):.0f}-{100 * max(fractions):.0f})"
        return text

    for (shape, formats), (_, gguf, _, _) in runs.items():
        for t in threads:
            key = (shape, formats)
            pp, tg = best[(key, t, "ours")]
            ours_roof = share(roofline[(key, t, "ours")])
            if gguf:
                lpp, ltg = best[(key, t, "llama.cpp")]
                rounds = ratios[(key, t)]
                ppr = statistics.median(r[0] for r in rounds)
                tgr = statistics.median(r[1] for r in rounds)
                their_roof = share(roofline[(key, t, "llama.cpp")])
                theirs = (f"{lpp:.1f} | {ppr:.2f} | {tg:.1f} | {ltg:.1f} | {tgr:.2f} | "
                          f"{ours_roof} | {their_roof}")
            else:
                theirs = f"- | - | {tg:.1f} | - | - | {ours_roof} | -"
            print(f"| {shape} | {formats} | {t} | {pp:.1f} | {theirs} |")

if __name__ == "__main__":
    main()
