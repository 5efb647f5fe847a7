#!/usr/bin/env bash
# Push benchmark: a large random file (1 GiB by default, PUSH_BENCH_MIB to change) pushed to
# the bundle backend and to the local distribution registry, next to `openssl dgst -sha256`,
# `sha256sum` and `cp` of the same file. For each command: wall time, throughput, peak
# resident memory, and bytes read by the process divided by the file size (how many times the
# file was read). The page cache is warmed first, so the numbers are CPU and copy paths, not
# the disk. Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
work="$root/target/bench/push"
size_mib="${PUSH_BENCH_MIB:-1024}"
export RUVLTRA_TOOLS="$root/target/test-tools"
mkdir -p "$RUVLTRA_TOOLS/env.d" "$work"

bash scripts/setup/40-registry.sh >/dev/null
source "$RUVLTRA_TOOLS/env.d/40-registry.sh"
cargo build --release --quiet --bin ruvltra-export
bin="$root/target/release/ruvltra-export"

file="$work/model.gguf"
if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" != "$((size_mib * 1024 * 1024))" ]; then
  head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
fi
cat "$file" > /dev/null

# Runs a command, polling /proc/<pid>/io for bytes read (rchar) and /proc/<pid>/status for
# the peak resident set (VmHWM, which exec resets, so the parent's memory does not count).
measure() {
  local label="$1"; shift
  python3 - "$label" "$file" "$@" <<'PY'
import os, subprocess, sys, time
label, path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
size = os.path.getsize(path)
start = time.monotonic()
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
rchar = 0
hwm_kib = 0
while proc.poll() is None:
    try:
        with open(f"/proc/{proc.pid}/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    rchar = max(rchar, int(line.split()[1]))
        with open(f"/proc/{proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    hwm_kib = max(hwm_kib, int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.005)
elapsed = time.monotonic() - start
if proc.returncode != 0:
    sys.exit(f"{label}: exit {proc.returncode}")
print(f"| {label} | {elapsed:.2f} | {size / elapsed / 2**20:.0f} | {hwm_kib / 1024:.1f} | {rchar / size:.2f} |")
PY
}

grep -q sha_ni /proc/cpuinfo && sha_ni="yes" || sha_ni="no"
echo "File: ${size_mib} MiB of random bytes; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); SHA-NI: ${sha_ni}; $(nproc) cores."
echo
echo "| command | seconds | MiB/s | peak RSS (MiB) | reads of the file |"
echo "|---|---|---|---|---|"
measure "openssl dgst -sha256" openssl dgst -sha256 "$file"
measure "sha256sum" sha256sum "$file"
measure "cp" cp "$file" "$work/copy"
rm -f "$work/copy"

run="$(date +%s)"
rm -rf "$work/cache-"* "$work/store" "$work/bundle.tar"
measure "push: hash only (bundle --dry-run, digest not cached)" \
  env XDG_CACHE_HOME="$work/cache-a" "$bin" push --gguf "$file" --quiet --dry-run --to bundle --dir "$work/store" --name "bench/model:latest"
measure "push --to bundle --dir (digest not cached: hash + copy)" \
  env XDG_CACHE_HOME="$work/cache-b" "$bin" push --gguf "$file" --quiet --no-verify --to bundle --dir "$work/store" --name "bench/model:latest"
rm -rf "$work/store"
measure "push --to bundle --dir (digest cached: copy)" \
  env XDG_CACHE_HOME="$work/cache-b" "$bin" push --gguf "$file" --quiet --no-verify --to bundle --dir "$work/store" --name "bench/model:latest"
measure "push --to bundle --tar (digest cached)" \
  env XDG_CACHE_HOME="$work/cache-b" "$bin" push --gguf "$file" --quiet --no-verify --to bundle --tar "$work/bundle.tar" --name "bench/model:latest"
measure "push --to oci (digest not cached: hash + upload)" \
  env XDG_CACHE_HOME="$work/cache-c" "$bin" push --gguf "$file" --quiet --no-verify --to oci --registry "$RUVLTRA_TEST_REGISTRY" --insecure --name "bench/model-a$run:latest"
measure "push --to oci (digest cached: upload)" \
  env XDG_CACHE_HOME="$work/cache-c" "$bin" push --gguf "$file" --quiet --no-verify --to oci --registry "$RUVLTRA_TEST_REGISTRY" --insecure --name "bench/model-b$run:latest"
measure "push --to oci --to bundle (one command, digest not cached)" \
  env XDG_CACHE_HOME="$work/cache-d" "$bin" push --gguf "$file" --quiet --no-verify --to oci --to bundle --registry "$RUVLTRA_TEST_REGISTRY" --insecure --tar "$work/bundle2.tar" --name "bench/model-c$run:latest"
measure "push --to oci --to bundle (one command, digest cached)" \
  env XDG_CACHE_HOME="$work/cache-d" "$bin" push --gguf "$file" --quiet --no-verify --to oci --to bundle --registry "$RUVLTRA_TEST_REGISTRY" --insecure --tar "$work/bundle3.tar" --name "bench/model-d$run:latest"
measure "push --to oci again (nothing to send)" \
  env XDG_CACHE_HOME="$work/cache-c" "$bin" push --gguf "$file" --quiet --no-verify --to oci --registry "$RUVLTRA_TEST_REGISTRY" --insecure --name "bench/model-b$run:latest"
rm -rf "$work/store" "$work/bundle.tar" "$work/bundle2.tar" "$work/bundle3.tar"

# A big sparse file (5 GiB by default) shows memory stays flat however large the model is.
sparse_gib="${PUSH_BENCH_SPARSE_GIB:-5}"
if [ "$sparse_gib" -gt 0 ]; then
  sparse="$work/sparse.gguf"
  rm -f "$sparse"
  truncate -s "${sparse_gib}G" "$sparse"
  file="$sparse"
  measure "push --to oci, ${sparse_gib} GiB sparse file (hash + upload)" \
    env XDG_CACHE_HOME="$work/cache-e" "$bin" push --gguf "$sparse" --quiet --no-verify --to oci --registry "$RUVLTRA_TEST_REGISTRY" --insecure --name "bench/sparse-$run:latest"
  rm -f "$sparse"
fi
# The registry's storage now holds several GiB of benchmark blobs: restart it empty.
bash scripts/setup/40-registry.sh >/dev/null
