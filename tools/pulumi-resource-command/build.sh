#!/usr/bin/env bash
# Build dockfleet's `pulumi-resource-command` plugin (reports version 1.2.1,
# for the @pulumi/command@1.2.1 SDK) into a cache dir outside the repo, and
# print that bin dir on the last line of stdout.
#
#   tools/pulumi-resource-command/build.sh                 # build if missing, print bin dir
#   tools/pulumi-resource-command/build.sh --print-bin-dir # only print the bin dir (no build)
#   tools/pulumi-resource-command/build.sh --force         # rebuild for this key
#
# It is NOT pulumi-command's provider (that Go module is not served by the
# module proxy here): it is dockfleet's own implementation of
# command:remote:Command. See README.md.
#
# Progress and timings go to stderr; stdout carries only the bin dir.
# Cache: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-resource-command/<key>/bin
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PLUGIN_VERSION="1.2.1"   # must equal @pulumi/command's package.json "pulumi.version"
# Bump when the go build invocation below changes (part of the key).
BUILD_FLAGS_ID="CGO_ENABLED=0 -mod=readonly -trimpath -buildvcs=false -ldflags=-s -w"

TOOL_NAME=pulumi-resource-command
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

cache_key() {
  # Plugin version plus a short hash of go.mod, go.sum, the Go sources (not
  # the tests), the build flags and the Go version.
  local sum
  sum="$( { cat "$here/go.mod" "$here/go.sum"
    find "$here" -maxdepth 1 -name '*.go' ! -name '*_test.go' -print0 | sort -z | xargs -0 cat
    printf '%s\n' "$PLUGIN_VERSION" "$BUILD_FLAGS_ID" "$(go env GOVERSION)"; } | sha256sum | cut -c1-12)"
  printf 'command-%s_%s' "$PLUGIN_VERSION" "$sum"
}

parse_mode 2,15 "" "${1:-}"
command -v go >/dev/null || die "go is not on PATH"
cache_dirs pulumi-resource-command "$(cache_key)"
plugin="$BIN_DIR/pulumi-resource-command"
exit_if_ready test -x "$plugin"
lock_key
exit_if_ready test -x "$plugin" # built by a concurrent run meanwhile

t_start=$SECONDS
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
(cd "$here" && go mod download)
log "go mod download ($((SECONDS - t_start))s)"

work="$KEY_DIR/work"
rm -rf "$work"
mkdir -p "$work"
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$work/pulumi-resource-command" .)

got="$("$work/pulumi-resource-command" -version)"
[[ "$got" == "$PLUGIN_VERSION" ]] || die "built plugin reports version '$got', want $PLUGIN_VERSION"

mkdir -p "$BIN_DIR"
mv -f "$work/pulumi-resource-command" "$plugin"
rm -rf "$work"
log "built $plugin ($(du -h "$plugin" | cut -f1), version $got) in $((SECONDS - t_start))s"
printf '%s\n' "$BIN_DIR"
