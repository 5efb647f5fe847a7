#!/usr/bin/env bash
# The GGUF header benchmark: writes a GGUF with a 262,144-token vocabulary, reads its header
# with our reader (release build; time per read and peak memory of the whole process), then
# with the reference reader, gguf-py's `gguf-dump`, once. Numbers go to docs/benchmarks.md.
#
# Needs the test tools (`bash scripts/test.sh` installs them), or RUVLTRA_TEST_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."

python="${RUVLTRA_TEST_PYTHON:-$PWD/target/test-tools/venv/bin/python}"
dump="$(dirname "$python")/gguf-dump"
file="target/bench/vocab-262k.gguf"
mkdir -p target/bench

cargo build --release --quiet --example gguf_header_bench
bench="target/release/examples/gguf_header_bench"
[ -f "$file" ] || "$bench" write "$file"
ls -l "$file"

echo "==> ruvltra-export reader (20 runs in one process)"
"$bench" read "$file" 20
echo "==> ruvltra-export reader, one read: peak memory"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$bench" read "$file" 1

echo "==> gguf-dump (gguf-py 0.19), one run"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$python" "$dump" --no-tensors "$file" > /dev/null
