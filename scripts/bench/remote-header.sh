#!/usr/bin/env bash
# The remote-header benchmark: how many bytes and range requests reading a GGUF header over
# HTTP costs, ours (`ruvltra-export inspect hf://...`) next to `@huggingface/gguf` (npm, run
# with Debian's nodejs), both against the same Range-capable stand-in Hub (range_hub.py).
#
# Files: generated GGUFs with a 262,144-token vocabulary, laid out as Gemma 3's (tokens,
# scores, token types; `gguf_header_bench write-spm`) and with 262,144 merges as well
# (`gguf_header_bench write`, the header benchmark's file); the real BPE vocabulary of
# command-r from the corpus (../shared/corpus/gguf, 256,000 tokens); and the real Gemma 3 270M
# GGUF when RUVLTRA_GEMMA_GGUF names it (scripts/setup/60-gemma.sh). The byte and request
# counts do not depend on the build, so a debug build does. Numbers go to docs/benchmarks.md.
#
# Needs python3, nodejs and npm; `@huggingface/gguf` is installed into target/bench/npm (not
# committed). Nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

work="target/bench/remote-header"
mkdir -p "$work/vocab" "$work/gemma" target/bench/npm
corpus="${RUVLTRA_CORPUS:-../shared/corpus}"

cargo build --quiet --example gguf_header_bench --bin ruvltra-export
bin=target/debug/ruvltra-export
# Each file is served with 256 MiB of (sparse) zeros appended, as if it had tensor data, so
# a reader that over-fetches pays for it as it would on a real model file.
for layout in write-spm write; do
  file="$work/vocab/vocab-262k-$layout.gguf"
  if [ ! -f "$file" ]; then
    target/debug/examples/gguf_header_bench "$layout" "$file"
    truncate -s +256M "$file"
  fi
done
if [ ! -f "$work/vocab/command-r-vocab.gguf" ]; then
  cp "$corpus/gguf/ggml-vocab-command-r.gguf" "$work/vocab/command-r-vocab.gguf"
  truncate -s +256M "$work/vocab/command-r-vocab.gguf"
fi
repos=("bench/vocab=$work/vocab")
if [ -n "${RUVLTRA_GEMMA_GGUF:-}" ] && [ -f "$RUVLTRA_GEMMA_GGUF" ]; then
  ln -sf "$RUVLTRA_GEMMA_GGUF" "$work/gemma/gemma-3-270m-q4_k_m.gguf"
  repos+=("bench/gemma=$work/gemma")
fi

if [ ! -d target/bench/npm/node_modules/@huggingface/gguf ]; then
  (cd target/bench/npm && npm init -y >/dev/null && npm install --silent @huggingface/gguf)
fi
cp scripts/bench/hf_gguf_peer.mjs target/bench/npm/

rm -f "$work/port"
python3 scripts/bench/range_hub.py "$work/port" "${repos[@]}" &
server=$!
trap 'kill "$server"' EXIT
for _ in $(seq 100); do [ -f "$work/port" ] && break; sleep 0.1; done
endpoint="http://127.0.0.1:$(cat "$work/port")"
stats() { curl -s "$endpoint/_stats"; }

# The header's size, measured by our reader on the local file.
header_size() {
  $bin inspect "$1" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["data_offset"])'
}

report() { # name header-size stats-json
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
name, header, stats = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
print(f"{name}: {stats['range_requests']} range requests, {stats['range_bytes']:,} bytes "
      f"({stats['range_bytes'] / header:.3f}x the {header:,}-byte header); "
      f"{stats['requests']} requests and {stats['bytes']:,} bytes in all")
PY
}

for spec in "${repos[@]}"; do
  repo="${spec%%=*}"
  folder="${spec#*=}"
  for file in "$folder"/*.gguf; do
    name="$(basename "$file")"
    size="$(header_size "$file")"
    echo "==> $repo/$name (header $size bytes, file $(stat -L -c %s "$file") bytes)"
    stats >/dev/null
    HF_ENDPOINT="$endpoint" HF_TOKEN= $bin inspect "hf://$repo/$name" >/dev/null
    ours="$(stats)"
    # Only the range requests count for the header: the model-info request (sizes and
    # digests, which @huggingface/gguf does not fetch) is shown in "requests in all".
    report "ruvltra-export inspect hf://" "$size" "$ours"
    (cd target/bench/npm && node hf_gguf_peer.mjs "$endpoint/$repo/resolve/main/$name" >/dev/null)
    report "@huggingface/gguf $(node -p 'require("./target/bench/npm/node_modules/@huggingface/gguf/package.json").version')" "$size" "$(stats)"
  done
done
