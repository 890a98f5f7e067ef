#!/usr/bin/env bash
# Runs every test: the lit suite (IR at every level, tools, runtime, numeric
# checks against the numpy reference), the Python reference's own tests, the
# runtime's unit tests under sanitizers and a short run of every fuzzer.
set -uo pipefail
cd "$(dirname "$0")"
status=0
/usr/lib/llvm-22/bin/lit -sv build/test || status=1
/usr/bin/python3 -m unittest discover -s python/tests || status=1

# The Python package installed into a fresh virtual environment (no
# downloads), its runtime tests run against the installed copy.
venv="$(mktemp -d)/venv"
if /usr/bin/python3 -m venv --system-site-packages "$venv" &&
   "$venv/bin/pip" install -q --no-build-isolation ./python; then
  (cd "$(dirname "$venv")" &&
   LLM_TEST_INSTALLED=1 "$venv/bin/python" "$OLDPWD/python/tests/test_runtime.py") ||
    status=1
else
  echo "test.sh: installing the Python package (pip install ./python) failed" >&2
  status=1
fi
rm -rf "$(dirname "$venv")"

# The runtime and its unit tests under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (any report fails the run).
export CCACHE_BASEDIR="$PWD"
if cmake -S runtime -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
     -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
     >/dev/null && ninja -C build-asan >/dev/null; then
  build-asan/unittests/LLMRuntimeTests --gtest_brief=1 || status=1
else
  echo "test.sh: the sanitizer build of the runtime failed" >&2
  status=1
fi

# Every libFuzzer target, a few seconds on its seeds (bench/fuzz.sh runs
# them for longer).
bench/fuzz.sh 5 || status=1
exit $status
