#!/usr/bin/env bash
# Build the upstream `pulumi-resource-command` plugin 1.2.1 (what the @pulumi/command@1.2.1 SDK
# asks for) from the pulumi-command v1.2.1 source tarball into a cache dir outside the repo, and
# print that bin dir on the last line of stdout.
#
#   tools/pulumi-resource-command/build.sh                 # build if missing, print bin dir
#   tools/pulumi-resource-command/build.sh --print-bin-dir # only print the bin dir (no build)
#   tools/pulumi-resource-command/build.sh --force         # rebuild for this key
#
# Source: ${DOCKFLEET_UPSTREAM_DIR:-<repo root>/../shared/upstream}/pulumi-command-v1.2.1.tar.xz,
# sha256-checked, unpacked under the key dir for the build and removed after it. See README.md.
# Progress and timings go to stderr; stdout carries only the bin dir.
# Cache: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-resource-command/<key>/bin
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- pins (README explains them) ----------------------------------------------------------------
PLUGIN_VERSION="1.2.1"   # must equal @pulumi/command's package.json "pulumi.version"
TARBALL="pulumi-command-v1.2.1.tar.xz" # github.com/pulumi/pulumi-command tag v1.2.1 (7f3eb6f3b77c)
TARBALL_SHA256="2498190a7a48d335c795c71520def06e183bed725663f3ddb5419f95d0a9a59a"
VERSION_VAR="github.com/pulumi/pulumi-command/provider/pkg/version.Version"
LDFLAGS="-s -w -X $VERSION_VAR=$PLUGIN_VERSION"
# The build as it runs below; part of the key, so edit it together with the commands.
BUILD_ID="cd pulumi-command/provider; CGO_ENABLED=0 GOFLAGS=-mod=readonly -buildvcs=false go build -trimpath -ldflags=$LDFLAGS ./cmd/pulumi-resource-command"

TOOL_NAME=pulumi-resource-command
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

parse_mode 2,13 "" "${1:-}"
print_version_if_asked "$PLUGIN_VERSION"
cache_dirs pulumi-resource-command "command-${PLUGIN_VERSION}_$(key_hash "$TARBALL_SHA256" "$BUILD_ID")"
plugin="$BIN_DIR/pulumi-resource-command"
exit_if_ready test -x "$plugin"
command -v go >/dev/null || die "go is not on PATH"
lock_key
exit_if_ready test -x "$plugin" # built by a concurrent run meanwhile

t_start=$SECONDS
verify_tarball "$TARBALL" "$TARBALL_SHA256"
src="$KEY_DIR/src"
work="$KEY_DIR/work"
rm -rf "$src" "$work"
mkdir -p "$work"
extract_tarball "$TARBALL" "$src"
log "extracted into $src ($((SECONDS - t_start))s)"

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
log "go: $(go version); building pulumi-resource-command $PLUGIN_VERSION ..."
t0=$SECONDS
(cd "$src/pulumi-command/provider" &&
  go build -trimpath -ldflags "$LDFLAGS" -o "$work/pulumi-resource-command" ./cmd/pulumi-resource-command)
log "go build pulumi-resource-command ($((SECONDS - t0))s)"
check_plugin_serves "$work/pulumi-resource-command" || die "the built plugin does not start"

mkdir -p "$BIN_DIR"
mv -f "$work/pulumi-resource-command" "$plugin"
rm -rf "$src" "$work"
log "built $plugin ($(du -h "$plugin" | cut -f1)) in $((SECONDS - t_start))s"
printf '%s\n' "$BIN_DIR"
