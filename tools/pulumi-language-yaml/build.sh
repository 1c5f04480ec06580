#!/usr/bin/env bash
# Build the Pulumi YAML language host `pulumi-language-yaml` (what a Pulumi.yaml with `runtime: yaml`
# runs on): the host of the Go module github.com/pulumi/pulumi-yaml v1.25.0 with the no-op Link RPC
# of v1.26.2 (module/main.go), into a cache dir outside the repo, and print that bin dir on the last
# line of stdout.
#
#   tools/pulumi-language-yaml/build.sh                  # build if missing, print bin dir
#   tools/pulumi-language-yaml/build.sh --print-bin-dir  # only print the bin dir (no build)
#   tools/pulumi-language-yaml/build.sh --force          # rebuild for this key
#
# The module dir module/ pins it (go.mod + go.sum) and holds the wrapper (main.go); modules come
# from the Go module proxy. See README.md. Progress and timings go to stderr; stdout carries only
# the bin dir.
# Cache: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-language-yaml/<key>/bin
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- pins (keep in sync with module/go.mod; README explains them) -------------------------------
YAML_VERSION="1.25.0" # github.com/pulumi/pulumi-yaml tag v1.25.0 (requires pulumi pkg/sdk v3.206.0)
VERSION_VAR="github.com/pulumi/pulumi-yaml/pkg/version.Version"
LDFLAGS="-s -w -X $VERSION_VAR=v$YAML_VERSION" # as upstream's .goreleaser.yml ({{.Tag}})
# The build as it runs below; part of the key, so edit it together with the command.
BUILD_ID="cd module; CGO_ENABLED=0 GOFLAGS=-mod=readonly -buildvcs=false go build -trimpath -ldflags=$LDFLAGS ."

TOOL_NAME=pulumi-language-yaml
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

parse_mode 2,14 "" "${1:-}"
print_version_if_asked "$YAML_VERSION"
cache_dirs pulumi-language-yaml \
  "yaml-${YAML_VERSION}_$(key_hash "$(cat "$here/module/go.mod" "$here/module/go.sum" "$here/module/main.go")" "$BUILD_ID")"
host="$BIN_DIR/pulumi-language-yaml"
exit_if_ready test -x "$host"
command -v go >/dev/null || die "go is not on PATH"
lock_key
exit_if_ready test -x "$host" # built by a concurrent run meanwhile

t_start=$SECONDS
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
log "go: $(go version); building pulumi-language-yaml (pulumi-yaml v$YAML_VERSION + Link) from module/ ..."
mkdir -p "$BIN_DIR"
(cd "$here/module" && go build -trimpath -ldflags "$LDFLAGS" -o "$host.tmp" .)
log "go build pulumi-language-yaml ($((SECONDS - t_start))s)"
check_plugin_serves "$host.tmp" || die "the built language host does not start"
mv -f "$host.tmp" "$host"
log "built $host ($(du -h "$host" | cut -f1)) in $((SECONDS - t_start))s"
printf '%s\n' "$BIN_DIR"
