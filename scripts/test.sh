#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (each file in
# scripts/setup/ installs one thing and writes its environment to target/test-tools/env.d/),
# starts the services the tests use, then runs formatting, lint and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUVLTRA_TOOLS="$PWD/target/test-tools"
mkdir -p "$RUVLTRA_TOOLS/env.d"

for setup in scripts/setup/*.sh; do
  echo "==> ${setup}"
  bash "$setup"
done
for env in "$RUVLTRA_TOOLS"/env.d/*.sh; do
  [ -e "$env" ] && source "$env"
done

# Services started by setup scripts record their pid here; stop them whatever happens.
cleanup() {
  for pidfile in "$RUVLTRA_TOOLS"/pids/*.pid; do
    [ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}
trap cleanup EXIT

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "==> cargo test"
cargo test --all-targets
cargo test --doc
