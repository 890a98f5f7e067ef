#!/usr/bin/env bash
# The main job: import LLaMA-2-70B into the llm dialect, verify it, and print
# a summary of its graph.
set -euo pipefail
cd "$(dirname "$0")"
build/bin/llm-translate --import-llama-preset llama-2-70b -o build/llama-2-70b.mlir
build/bin/llm-opt build/llama-2-70b.mlir --llm-graph-summary -o /dev/null
