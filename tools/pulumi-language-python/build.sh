#!/usr/bin/env bash
# Build the Pulumi Python language host v3.248.0 (what a Pulumi.yaml with `runtime: python` runs
# on) from the upstream source tarball into a cache dir outside the repo, and print that bin dir on
# the last line of stdout:
#   pulumi-language-python       sdk/python/cmd/pulumi-language-python (go build)
#   pulumi-language-python-exec  the tarball's exec shim (a Python script the host runs beside itself)
#
#   tools/pulumi-language-python/build.sh                  # build if missing, print bin dir
#   tools/pulumi-language-python/build.sh --print-bin-dir  # only print the bin dir (no build)
#   tools/pulumi-language-python/build.sh --force          # rebuild for this key
#
# Tarball: ${DOCKFLEET_UPSTREAM_DIR:-<repo root>/../shared/upstream}/pulumi-v3.248.0-sdk-pkg.tar.xz,
# sha256-checked (the one tools/pulumi-engine builds the Node.js host from). See README.md.
# Progress and timings go to stderr; stdout carries only the bin dir.
# Cache: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-language-python/<key>/bin
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- pins (as tools/pulumi-engine/build.sh; README explains them) -------------------------------
PULUMI_VERSION="3.248.0"
TARBALL="pulumi-v3.248.0-sdk-pkg.tar.xz" # github.com/pulumi/pulumi tag v3.248.0 (a88168d865b7)
TARBALL_SHA256="28b96e539d016926cdd15d8e96f322025e4280ed10f3d28fdbb1ac5e24599872"
VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
LDFLAGS="-s -w -X $VERSION_VAR=v$PULUMI_VERSION"
# The build as it runs below; part of the key, so edit it together with the commands.
BUILD_ID="cd pulumi/sdk/python/cmd/pulumi-language-python; CGO_ENABLED=0 GOFLAGS=-mod=readonly -buildvcs=false go build -trimpath -ldflags=$LDFLAGS .; cp ../pulumi-language-python-exec"

TOOL_NAME=pulumi-language-python
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

all_present() { [[ -x "$BIN_DIR/pulumi-language-python" && -x "$BIN_DIR/pulumi-language-python-exec" ]]; }

parse_mode 2,15 "" "${1:-}"
print_version_if_asked "$PULUMI_VERSION"
cache_dirs pulumi-language-python "python-${PULUMI_VERSION}_$(key_hash "$TARBALL_SHA256" "$BUILD_ID")"
exit_if_ready all_present
command -v go >/dev/null || die "go is not on PATH"
lock_key
exit_if_ready all_present # built by a concurrent run meanwhile

t_start=$SECONDS
verify_tarball "$TARBALL" "$TARBALL_SHA256"
src="$KEY_DIR/src"
rm -rf "$src"
extract_tarball "$TARBALL" "$src"
log "extracted into $src ($((SECONDS - t_start))s)"

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
log "go: $(go version); building pulumi-language-python v$PULUMI_VERSION ..."
mkdir -p "$BIN_DIR"
t0=$SECONDS
cmd_dir="$src/pulumi/sdk/python/cmd"
(cd "$cmd_dir/pulumi-language-python" && go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR/pulumi-language-python.tmp" .)
got="$("$BIN_DIR/pulumi-language-python.tmp" -version 2>/dev/null || true)"
[[ "$got" == "v$PULUMI_VERSION" ]] || die "pulumi-language-python -version printed '$got', expected v$PULUMI_VERSION"
install -m 0755 "$cmd_dir/pulumi-language-python-exec" "$BIN_DIR/pulumi-language-python-exec"
mv -f "$BIN_DIR/pulumi-language-python.tmp" "$BIN_DIR/pulumi-language-python"
rm -rf "$src"
log "built in $((SECONDS - t0))s ($((SECONDS - t_start))s in all): $BIN_DIR/pulumi-language-python $(du -h "$BIN_DIR/pulumi-language-python" | cut -f1)"
printf '%s\n' "$BIN_DIR"
