#!/usr/bin/env bash
# Runs every test: the lit suite (IR at every level, tools, runtime, numeric
# checks against the numpy reference) and the Python reference's own tests.
set -uo pipefail
cd "$(dirname "$0")"
status=0
/usr/lib/llvm-22/bin/lit -sv build/test || status=1
/usr/bin/python3 -m unittest discover -s python/tests || status=1
exit $status
