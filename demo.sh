#!/usr/bin/env bash
# The main job: import LLaMA-2-70B into the llm dialect and print a summary
# of its graph; plan it for the Groq-style LPU and print the plan's summary;
# then compile a model for this CPU and generate text with it.
#   ./demo.sh [MODEL_DIR]   (default: ../shared/models/stories260K when
#                            present, else a generated random checkpoint)
set -euo pipefail
cd "$(dirname "$0")"
build/bin/llm-translate --import-llama-preset llama-2-70b -o build/llama-2-70b.mlir
build/bin/llm-opt build/llama-2-70b.mlir --llm-graph-summary -o /dev/null

echo
echo "== llama-2-70b on the LPU: 8-bit weights, 576 chips =="
build/bin/llm-opt build/llama-2-70b.mlir --llm-lpu-pipeline="weight-bits=8 chips=576" -o build/llama-2-70b.lpu.mlir
build/bin/llm-translate --lpu-to-json build/llama-2-70b.lpu.mlir -o build/llama-2-70b.lpu.json
/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(json.dumps({k: v for k, v in s.items() if k != "utilization"}, indent=1))
' build/llama-2-70b.lpu.json

model=${1:-}
if [ -z "$model" ]; then
  if [ -d ../shared/models/stories260K ]; then
    model=../shared/models/stories260K
  else
    model=build/demo-checkpoint
    [ -f "$model/config.json" ] || /usr/bin/python3 python/make_checkpoint.py --out "$model" --preset tiny --seed 1 >/dev/null
  fi
fi
echo
echo "== compiling $model for this CPU and generating =="
build/bin/llm-translate --import-llama-config "$model" | build/bin/llm-opt --llm-cpu-pipeline -o build/compiled.mlir
if [ -f "$model/tokenizer.model" ]; then
  build/bin/llm-run build/compiled.mlir -m "$model" -p "Once upon a time" -n 64 --temp 0
else
  build/bin/llm-run build/compiled.mlir -m "$model" --prompt-ids 1,2,3 -n 16 --temp 0 --json
fi
