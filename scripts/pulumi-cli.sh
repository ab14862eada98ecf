#!/usr/bin/env bash
# Builds the Pulumi CLI the tests, the demo and the benchmark run, from the Go modules pinned in tools/pulumi
# (go.mod + go.sum: versions and checksums), into .tools/pulumi/bin (git-ignored):
#   pulumi                         github.com/pulumi/pulumi/pkg/v3/cmd/pulumi, stamped with its version as upstream's
#                                  release build does (-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version)
#   pulumi-language-nodejs         tools/pulumi/langhost (why ours: tools/pulumi/README.md)
#   pulumi-resource-pulumi-nodejs  a link to the dynamic provider plugin that ships in node_modules/@pulumi/pulumi
# The first build takes several minutes on 2 cores (README: "The Pulumi CLI"); later runs reuse the binaries while the
# stamp (the hash of go.mod, go.sum and the language host's source) matches. Needs Go >= 1.26 (the machine's, not
# Debian's golang-go) and the Go module proxy; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'pulumi-cli: %s\n' "$*"; }

src=tools/pulumi
out=.tools/pulumi/bin
version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2 }' "$src/go.mod")"
[ -n "$version" ] || { say "no github.com/pulumi/pulumi/pkg/v3 requirement in $src/go.mod"; exit 1; }
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src"/langhost/*.go | sha256sum | cut -c1-16)"

# Go 1.26 or newer: prefer the machine's own toolchain over an older one that Debian's golang-go puts first on PATH.
find_go() {
  local g
  for g in /usr/local/go/bin/go "$(command -v go 2>/dev/null || true)"; do
    [ -x "$g" ] || continue
    case "$("$g" env GOVERSION 2>/dev/null)" in
      go1.2[6-9]* | go1.[3-9][0-9]* | go[2-9]*) echo "$g"; return 0 ;;
    esac
  done
  return 1
}

link_plugin() {
  ln -sfn "$PWD/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$out/pulumi-resource-pulumi-nodejs"
}

if [ -x "$out/pulumi" ] && [ -x "$out/pulumi-language-nodejs" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  link_plugin
  say "pulumi $version: built ($out), reused"
  exit 0
fi

go="$(find_go)" || { say "Go >= 1.26 is needed to build the Pulumi CLI (found: $(go version 2>/dev/null || echo none))"; exit 1; }
say "building pulumi $version and its Node.js language host with $("$go" env GOVERSION) (first build: several minutes)"
mkdir -p "$out"
rm -f "$out/.stamp"
start=$(date +%s)
(
  cd "$src"
  export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
  "$go" build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "../../$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  "$go" build -trimpath -ldflags "-s -w -X main.version=${version#v}" -o "../../$out/pulumi-language-nodejs" ./langhost
)
link_plugin
echo "$stamp" > "$out/.stamp"
say "built in $(( $(date +%s) - start )) s: $("$out/pulumi" version)"
