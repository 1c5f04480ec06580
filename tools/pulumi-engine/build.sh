#!/usr/bin/env bash
# Build the pinned Pulumi engine binaries into a cache dir outside the repo, and print that bin
# dir on the last line of stdout:
#   pulumi                          the CLI, from the Go module pkg/v3 v3.248.0 (module dir cli/)
#   pulumi-language-nodejs          the Node.js language host v3.248.0, from the upstream source
#                                   tarball pulumi-v3.248.0-sdk-pkg.tar.xz (sha256-checked)
#   pulumi-resource-pulumi-nodejs   the Node.js dynamic-provider shim (written here)
#
#   tools/pulumi-engine/build.sh                  # build what is missing, print bin dir
#   tools/pulumi-engine/build.sh --print-bin-dir  # only print the bin dir (no build)
#   tools/pulumi-engine/build.sh --force          # rebuild everything for this key
#
# Tarballs: ${DOCKFLEET_UPSTREAM_DIR:-<repo root>/../shared/upstream}; see README.md.
# Progress and timings go to stderr; stdout carries only the bin dir.
# Cache root: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-engine/<key>/bin
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- pins (keep in sync with cli/go.mod; README explains each) ----------------------------------
PULUMI_VERSION="3.248.0" # github.com/pulumi/pulumi/pkg/v3 (tag pkg/v3.248.0), and the host's tag
HOST_TARBALL="pulumi-v3.248.0-sdk-pkg.tar.xz" # github.com/pulumi/pulumi tag v3.248.0 (a88168d865b7)
HOST_TARBALL_SHA256="28b96e539d016926cdd15d8e96f322025e4280ed10f3d28fdbb1ac5e24599872"
VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
LDFLAGS="-s -w -X $VERSION_VAR=v$PULUMI_VERSION"

# The builds as they run below; part of the key, so edit them together with the commands.
CLI_BUILD_ID="cd cli; go build -trimpath -ldflags=$LDFLAGS github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
HOST_BUILD_ID="cd pulumi/sdk/nodejs/cmd/pulumi-language-nodejs; go build -trimpath -ldflags=$LDFLAGS ."
GO_ENV_ID="CGO_ENABLED=0 GOFLAGS=-mod=readonly -buildvcs=false"
SHIM_ID="dynamic-provider-shim-v1"

TOOL_NAME=pulumi-engine
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

cache_key() {
  # Readable versions plus a short hash of cli/go.mod + go.sum, the host tarball's sha256, the
  # build commands and the shim, so any change of pins or flags gets a fresh directory.
  printf 'pulumi-%s_nodejs-%s_%s' "$PULUMI_VERSION" "$PULUMI_VERSION" \
    "$(key_hash "$(cat "$here/cli/go.mod" "$here/cli/go.sum")" "$HOST_TARBALL_SHA256" \
      "$CLI_BUILD_ID" "$HOST_BUILD_ID" "$GO_ENV_ID" "$SHIM_ID")"
}

all_present() {
  [[ -x "$BIN_DIR/pulumi" && -x "$BIN_DIR/pulumi-language-nodejs" && -x "$BIN_DIR/pulumi-resource-pulumi-nodejs" ]]
}

parse_mode 2,15 "" "${1:-}"
print_version_if_asked "$PULUMI_VERSION"
cache_dirs pulumi-engine "$(cache_key)"
exit_if_ready all_present

# Shim for Node.js dynamic providers (pulumi.dynamic.Resource). The official
# CLI tarball ships this next to `pulumi`; the engine looks for it on $PATH or
# next to the pulumi binary. It runs the dynamic-provider entry point of the
# @pulumi/pulumi package resolved from the program's directory.
write_dynamic_provider_shim() {
  local dest="$1/pulumi-resource-pulumi-nodejs"
  cat >"$dest.tmp" <<'SHIM'
#!/bin/sh
# Written by dockfleet tools/pulumi-engine/build.sh: run the Node.js dynamic
# provider from the @pulumi/pulumi package installed for the current program.
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
exec node "$script" "$@"
SHIM
  chmod 0755 "$dest.tmp"
  mv -f "$dest.tmp" "$dest"
}

# need NAME: whether NAME still has to be built (missing, or --force).
need() { [[ "$MODE" == force || ! -x "$BIN_DIR/$1" ]]; }

t_start=$SECONDS
command -v go >/dev/null || die "go is not on PATH"
mkdir -p "$BIN_DIR"
lock_key
exit_if_ready all_present # built by a concurrent run meanwhile

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
log "go: $(go version)"
log "target: $BIN_DIR"

# 1. The CLI, from the Go module (cli/go.mod pins pkg/v3 and sdk/v3 v3.248.0).
if need pulumi; then
  log "pulumi: building github.com/pulumi/pulumi/pkg/v3/cmd/pulumi (v$PULUMI_VERSION) from cli/ ..."
  t0=$SECONDS
  (cd "$here/cli" && go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv -f "$BIN_DIR/pulumi.tmp" "$BIN_DIR/pulumi"
  log "pulumi: built in $((SECONDS - t0))s, $(du -h "$BIN_DIR/pulumi" | cut -f1)"
else
  log "pulumi: present, skipping"
fi

# 2. The Node.js language host, from the release source (its own module, not served as one; its
#    go.mod replaces pkg/v3 and sdk/v3 with ../../../../pkg and ../../.., both in the tarball).
if need pulumi-language-nodejs; then
  t0=$SECONDS
  verify_tarball "$HOST_TARBALL" "$HOST_TARBALL_SHA256"
  src="$KEY_DIR/src"
  rm -rf "$src"
  extract_tarball "$HOST_TARBALL" "$src"
  log "pulumi-language-nodejs: extracted $HOST_TARBALL into $src ($((SECONDS - t0))s); building ..."
  (cd "$src/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs" &&
    go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR/pulumi-language-nodejs.tmp" .)
  got="$("$BIN_DIR/pulumi-language-nodejs.tmp" -version 2>/dev/null || true)"
  [[ "$got" == "v$PULUMI_VERSION" ]] || die "pulumi-language-nodejs -version printed '$got', expected v$PULUMI_VERSION"
  mv -f "$BIN_DIR/pulumi-language-nodejs.tmp" "$BIN_DIR/pulumi-language-nodejs"
  rm -rf "$src"
  log "pulumi-language-nodejs: built in $((SECONDS - t0))s, $(du -h "$BIN_DIR/pulumi-language-nodejs" | cut -f1)"
else
  log "pulumi-language-nodejs: present, skipping"
fi

write_dynamic_provider_shim "$BIN_DIR"

# Sanity check: the CLI must report the pinned version.
got="$("$BIN_DIR/pulumi" version 2>/dev/null || true)"
[[ "$got" == "v$PULUMI_VERSION" ]] || die "$BIN_DIR/pulumi version printed '$got', expected v$PULUMI_VERSION"
log "done in $((SECONDS - t_start))s: pulumi $got, pulumi-language-nodejs $("$BIN_DIR/pulumi-language-nodejs" -version)"
printf '%s\n' "$BIN_DIR"
