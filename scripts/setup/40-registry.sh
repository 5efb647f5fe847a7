#!/usr/bin/env bash
# A real OCI registry for the push tests: Debian's `docker-registry` (the CNCF distribution
# registry), `skopeo` as a second, independent client, and `htpasswd` for bcrypt passwords.
# Starts three registries with the project's own configs (tests/data/registry/) on 127.0.0.1
# only: one open, one with htpasswd auth, and one open registry that logs every request so a
# test can count the blob uploads of a push in its log. Storage lives under target/; pids go to pids/.
set -euo pipefail
tools="${RUVLTRA_TOOLS:?run through scripts/test.sh}"
root="$(cd "$(dirname "$0")/../.." && pwd)"

if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null || ! command -v htpasswd >/dev/null; then
  # The package's own service would listen on :5000 on all interfaces: forbid service starts
  # while installing (policy-rc.d exit 101), and remove the rule afterwards if we added it.
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry skopeo apache2-utils
  [ -n "$added_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
# Whatever started it (systemd on a full machine), the package's service must not run.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
  systemctl disable docker-registry || true
fi
if command -v service >/dev/null; then
  service docker-registry stop >/dev/null 2>&1 || true
fi

mkdir -p "$tools/pids" "$tools/registry"
open_addr="${RUVLTRA_REGISTRY_OPEN_ADDR:-127.0.0.1:45101}"
auth_addr="${RUVLTRA_REGISTRY_AUTH_ADDR:-127.0.0.1:45102}"
logged_addr="${RUVLTRA_REGISTRY_LOGGED_ADDR:-127.0.0.1:45103}"
user="ruvltra"
password="ruvltra-test-password"
htpasswd -bcB "$tools/registry/htpasswd" "$user" "$password" 2>/dev/null

start() {
  local name="$1" config="$2" addr="$3"
  shift 3
  local pidfile="$tools/pids/registry-$name.pid"
  if [ -e "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")" || true
    sleep 0.5
  fi
  rm -rf "$tools/registry/$name-storage"
  mkdir -p "$tools/registry/$name-storage"
  REGISTRY_HTTP_ADDR="$addr" \
  REGISTRY_HTTP_SECRET="ruvltra-test-secret-$name" \
  REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$tools/registry/$name-storage" \
  env "$@" setsid docker-registry serve "$root/tests/data/registry/$config" \
    >"$tools/registry/$name.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "registry $name did not start on $addr; its log:" >&2
  cat "$tools/registry/$name.log" >&2
  exit 1
}
start open open.yml "$open_addr"
start auth auth.yml "$auth_addr" REGISTRY_AUTH_HTPASSWD_PATH="$tools/registry/htpasswd"
start logged logged.yml "$logged_addr"

cat > "$tools/env.d/40-registry.sh" <<ENV
export RUVLTRA_TEST_REGISTRY="$open_addr"
export RUVLTRA_TEST_REGISTRY_AUTH="$auth_addr"
export RUVLTRA_TEST_REGISTRY_USER="$user"
export RUVLTRA_TEST_REGISTRY_PASSWORD="$password"
export RUVLTRA_TEST_REGISTRY_LOGGED="$logged_addr"
export RUVLTRA_TEST_REGISTRY_LOGGED_LOG="$tools/registry/logged.log"
ENV
