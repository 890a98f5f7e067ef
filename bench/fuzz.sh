#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz with clang-22 (AddressSanitizer
# and UndefinedBehaviorSanitizer on all of the project's code) into
# build-fuzz/, then runs each for SECONDS on its seeds and prints a report:
# runs, coverage (libFuzzer's cov/ft), corpus size and whether it crashed.
#
#   bench/fuzz.sh [SECONDS] [TARGET ...]     (default: 600 seconds, every target)
#   LLM_FUZZ_JOBS=2 bench/fuzz.sh 600        (targets run two at a time)
#
# Corpora grow in build-fuzz/corpus/TARGET (kept between runs); crashes are
# written to build-fuzz/crashes/TARGET/. Exits non-zero if any target crashed.
# .ci/run's test.sh runs every target for a few seconds on its seeds.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
build=${LLM_FUZZ_BUILD:-build-fuzz}
jobs=${LLM_FUZZ_JOBS:-1}
all=(safetensors-fuzzer checkpoint-index-fuzzer tokenizer-fuzzer hf-tokenizer-fuzzer
     chat-template-fuzzer gguf-fuzzer npy-fuzzer config-fuzzer ir-fuzzer)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
# The tokenizer target needs a real SentencePiece model.
tokenizer=${LLM_FUZZ_TOKENIZER:-../shared/models/stories260K/tokenizer.model}
if [ ! -f "$tokenizer" ]; then
  echo "fuzz.sh: $tokenizer not found (set LLM_FUZZ_TOKENIZER): tokenizer-fuzzer is skipped" >&2
  kept=()
  for t in "${targets[@]}"; do [ "$t" != tokenizer-fuzzer ] && kept+=("$t"); done
  targets=("${kept[@]}")
fi
export LLM_FUZZ_TOKENIZER="$(realpath "$tokenizer" 2>/dev/null || echo "$tokenizer")"
# The tokenizer.json target needs the Llama-3.1 tokenizer.
hf_tokenizer=${LLM_FUZZ_HF_TOKENIZER:-../shared/models/llama3-tokenizer/tokenizer.json}
if [ ! -f "$hf_tokenizer" ]; then
  echo "fuzz.sh: $hf_tokenizer not found (set LLM_FUZZ_HF_TOKENIZER): hf-tokenizer-fuzzer is skipped" >&2
  kept=()
  for t in "${targets[@]}"; do [ "$t" != hf-tokenizer-fuzzer ] && kept+=("$t"); done
  targets=("${kept[@]}")
fi
export LLM_FUZZ_HF_TOKENIZER="$(realpath "$hf_tokenizer" 2>/dev/null || echo "$hf_tokenizer")"

for tool in clang-22 clang++-22; do
  command -v "$tool" >/dev/null || {
    echo "fuzz.sh: $tool is missing (apt-get install clang-22 libfuzzer-22-dev)" >&2
    exit 2
  }
done

# Coverage and UBSan everywhere; test/fuzz/CMakeLists.txt adds ASan where it
# is sound (not in code that inlines LLVM's allocators).
flags="-fsanitize=fuzzer-no-link,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
export CCACHE_BASEDIR="$PWD"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DLLM_BUILD_FUZZERS=ON "${launcher[@]}" >/dev/null || exit 2
ninja -C "$build" llm-fuzzers >/dev/null || { ninja -C "$build" llm-fuzzers | tail -30; exit 2; }

# Seeds of each target (read-only; the corpus grows in build-fuzz/corpus).
seeds() {
  case "$1" in
    safetensors-fuzzer) echo test/fuzz/Inputs/safetensors ;;
    checkpoint-index-fuzzer) echo test/fuzz/Inputs/checkpoint-index ;;
    tokenizer-fuzzer|hf-tokenizer-fuzzer) echo test/fuzz/Inputs/tokenizer ;;
    chat-template-fuzzer) echo test/fuzz/Inputs/chat-template ;;
    gguf-fuzzer) echo test/fuzz/Inputs/gguf ;;
    npy-fuzzer) echo test/fuzz/Inputs/npy ;;
    config-fuzzer) echo test/Frontend/Inputs/tiny test/Frontend/Inputs/bad ;;
    ir-fuzzer) echo test/Dialect/LLM test/Dialect/LPU ;;
  esac
}

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_one() {
  local t=$1 corpus="$build/corpus/$1" crashes="$build/crashes/$1/"
  mkdir -p "$corpus" "$crashes"
  "$build/fuzz/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes" \
    "$corpus" $(seeds "$t") > "$build/$t.log" 2>&1
  echo $? > "$build/$t.status"
}

mkdir -p "$build/corpus" "$build/crashes"
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
echo "| target | seconds | runs | coverage (cov / ft) | corpus files | result |"
echo "|---|---|---|---|---|---|"
for t in "${targets[@]}"; do
  log="$build/$t.log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  [ -z "$done_line" ] && done_line=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1)
  cov=$(echo "$done_line" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
  ft=$(echo "$done_line" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
  files=$(find "$build/corpus/$t" -type f | wc -l)
  if [ "$(cat "$build/$t.status")" = 0 ]; then
    result="no crash"
  else
    result="CRASH: see $log and $build/crashes/$t/"
    status=1
  fi
  echo "| $t | $seconds | ${runs:-?} | ${cov:-?} / ${ft:-?} | $files | $result |"
done
exit $status
