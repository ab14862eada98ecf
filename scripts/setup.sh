#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine that only has Node 20 and npm:
#   1. Debian packages for the integration tests: notary (notary, notary-server), docker-registry, openssl,
#      postgresql (notary-server's SQL storage, test/support/postgres.ts) and a docker client if none is on the machine;
#   2. npm dependencies (Node 22 itself comes from the `node@22` devDependency; npm scripts put
#      node_modules/.bin first in PATH).
#   3. the Pulumi CLI and its Node.js language host, built from the Go modules pinned in tools/pulumi by
#      scripts/pulumi-cli.sh (the machine's Go >= 1.26; several minutes the first time, reused afterwards).
# Fast no-op when everything is already there (`npm test` runs it every time).
# Env: SETUP_SKIP_DOCKER=1 skips installing a docker client.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else say "not root and no sudo: cannot install Debian packages"; fi
fi
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    "${SUDO[@]}" apt-get update -qq
    apt_updated=1
  fi
}
apt_install() {
  say "apt-get install $*"
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
# Prints the candidate version of a Debian package, or nothing when apt knows none.
apt_candidate() {
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

# --- 1. Debian packages ---------------------------------------------------------------------------------------------
missing=()
for bin in notary-server notary docker-registry openssl; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "missing: ${missing[*]}"
  apt_update_once
  apt_install notary docker-registry openssl
else
  say "notary, notary-server, docker-registry, openssl: present"
fi

# PostgreSQL server binaries (initdb, pg_ctl, psql under /usr/lib/postgresql/<version>/bin); tests start their own
# private cluster, so the Debian package's default cluster is not needed.
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  say "postgresql: present"
else
  say "missing: postgresql"
  apt_update_once
  apt_install postgresql
fi

# The tests drive the docker CLI without a daemon (docker trust inspect / signer add / key generate).
if command -v docker >/dev/null 2>&1 || [ -x /usr/local/bin/docker ]; then
  say "docker client: present"
elif [ "${SETUP_SKIP_DOCKER:-0}" = "1" ]; then
  say "docker client: missing (SETUP_SKIP_DOCKER=1, not installing; docker tests will be skipped)"
else
  apt_update_once
  if [ -n "$(apt_candidate docker-cli)" ]; then
    # Debian 13+ ships the client on its own.
    apt_install docker-cli
  elif [ -n "$(apt_candidate docker.io)" ]; then
    # Debian 12 has the client only inside docker.io (20.10), which also brings dockerd, containerd and runc.
    # Nothing here starts the daemon; tests point DOCKER_HOST at a socket that does not exist.
    say "docker client: only available in docker.io $(apt_candidate docker.io) (includes the daemon)"
    apt_install docker.io
  else
    say "docker client: no Debian package provides it here; docker tests will be skipped"
  fi
fi

# --- 2. npm dependencies --------------------------------------------------------------------------------------------
# node_modules/.package-lock.json is written by every npm install/ci: it is our stamp.
stamp=node_modules/.package-lock.json
if [ -f package-lock.json ]; then
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    say "npm ci"
    npm ci --no-audit --no-fund
  else
    say "node_modules: up to date"
  fi
elif [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "npm install (no package-lock.json)"
  npm install --no-audit --no-fund
else
  say "node_modules: present (no package-lock.json)"
fi

node_version="$(node_modules/.bin/node --version 2>/dev/null || true)"
case "$node_version" in
  v2[2-9].* | v[3-9][0-9].*) say "node for tests: $node_version" ;;
  *) say "node_modules/.bin/node is missing or too old (${node_version:-none}); expected the node@22 devDependency"; exit 1 ;;
esac

# --- 3. the Pulumi CLI ----------------------------------------------------------------------------------------------
bash scripts/pulumi-cli.sh
