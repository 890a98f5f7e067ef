#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing, so it is
# safe to rerun) and builds everything into build/ (tools in build/bin).
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  cmake ninja-build g++ ccache
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools libomp-22-dev
  libsentencepiece-dev sentencepiece nlohmann-json3-dev libfmt-dev libgtest-dev
  libxxhash-dev libpcre2-dev libicu-dev clang-22 libfuzzer-22-dev libclang-rt-22-dev
  python3-numpy python3-setuptools python3-venv libcpp-httplib-dev
  libopenmpi-dev openmpi-bin
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# Relative paths in ccache keys, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
ninja -C build -j"$(nproc)"
