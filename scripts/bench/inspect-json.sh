#!/usr/bin/env bash
# The `inspect --json` benchmark: headers with 300,000 and 600,000 tensor infos (about 20 and
# 40 MB of header), printed as JSON by the release binary; wall time and peak memory of the
# whole process via /usr/bin/time. Target (issue #14): peak memory at most 3 times the
# header's bytes plus 64 MiB, time linear in the header. Numbers go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile="${PROFILE:-release}"
mkdir -p target/bench
if [ "$profile" = release ]; then
  cargo build --release --quiet --example gguf_header_bench --bin ruvltra-export
else
  cargo build --quiet --example gguf_header_bench --bin ruvltra-export
fi
bench="target/$profile/examples/gguf_header_bench"
bin="target/$profile/ruvltra-export"
for count in 300000 600000; do
  file="target/bench/tensors-$count.gguf"
  [ -f "$file" ] || "$bench" write-tensors "$file" "$count"
  echo "==> inspect --json, $count tensors"
  /usr/bin/time -f "wall %e s, user %U s, peak RSS %M KiB" "$bin" inspect --json "$file" > /dev/null
done
