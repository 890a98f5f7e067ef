#!/usr/bin/env bash
# One transformer layer at LLaMA-2-70B's exact shapes (hidden 8192, FFN 28672,
# 64 query heads and 8 KV heads of 128, vocabulary 32000) with random bf16
# weights, compiled and run on this CPU by llm-run, and checked against the
# float64 numpy reference: logits of every prompt position within 1e-4 of
# their scale, and the same greedy continuation. Needs about 17 GiB of RAM
# (the reference holds the weights in float64) and 3 GiB of disk.
#   bench/layer_70b.sh [WORK_DIR]   (default build/bench/llama70b-layer)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-build/bench/llama70b-layer}
model=$work/model
ids=1,450,4996,310,263,931,29892,727
mkdir -p "$work"
if [ ! -f "$model/config.json" ]; then
  echo "== generating a 1-layer llama-2-70b-shaped checkpoint (bf16) in $model =="
  /usr/bin/python3 python/make_checkpoint.py --out "$model" --seed 70 \
    --hidden 8192 --intermediate 28672 --layers 1 --heads 64 --kv-heads 8 \
    --head-dim 128 --vocab 32000 --max-pos 4096 --theta 10000 --eps 1e-5 \
    --no-tie --dtype bf16
fi

echo "== llm-run (JIT for this CPU, 2 threads) =="
/usr/bin/time -f "%e s wall, peak %M KiB" -o "$work/time" \
  build/bin/llm-run -m "$model" --prompt-ids "$ids" -n 4 --temp 0 -c 64 -t 2 \
  --json --logits-out "$work/ours.npy" > "$work/ours.json"
cat "$work/time"
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timings"]
print("generated", r["generated_ids"], "| prompt %.1f tok/s, generation %.1f tok/s, TTFT %.0f ms, compile %.0f ms" % (
    t["prompt_tokens_per_s"], t["generation_tokens_per_s"], t["time_to_first_token_ms"], t.get("compile_ms", 0)))
' "$work/ours.json"

echo "== numpy float64 reference =="
/usr/bin/time -f "%e s wall, peak %M KiB" -o "$work/time.ref" \
  /usr/bin/python3 python/reference_logits.py --model "$model" --ids "$ids" \
  --out "$work/ref.npy" --greedy 4 > "$work/ref.txt"
cat "$work/time.ref"
echo "reference greedy: $(cat "$work/ref.txt")"

echo "== comparison =="
/usr/bin/python3 test/llm-run/Inputs/check_npy_logits.py "$work/ours.npy" "$work/ref.npy" --tol 1e-4
ours=$(/usr/bin/python3 -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["generated_ids"])))' "$work/ours.json")
ref=$(tr -d '[:space:]' < "$work/ref.txt")
if [ "$ours" = "$ref" ]; then
  echo "greedy continuation matches: $ours"
else
  echo "FAIL: greedy continuation $ours, reference $ref"; exit 1
fi
