#!/usr/bin/env bash
# Build the pinned Pulumi engine binaries from Go modules into a cache dir
# outside the repo, and print that bin dir on the last line of stdout.
#
#   tools/pulumi-engine/build.sh               # build what is missing, print bin dir
#   tools/pulumi-engine/build.sh --print-bin-dir  # only print the bin dir (no build)
#   tools/pulumi-engine/build.sh --force       # rebuild everything for this key
#
# Progress and timings go to stderr; stdout carries only the bin dir.
# Cache root: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-engine/<key>/bin
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- pins (keep in sync with */go.mod; README explains each) -----------------
PULUMI_VERSION="3.248.0"          # github.com/pulumi/pulumi/pkg/v3 (tag pkg/v3.248.0)
NODEJS_HOST_SDK_VERSION="3.68.0"  # github.com/pulumi/pulumi/sdk/v3 (see README: why not dc7edd58bc13)
VERSION_PKG="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

# name|module dir|package|version stamped via -ldflags -X
BINARIES=(
  "pulumi|cli|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|v${PULUMI_VERSION}"
  "pulumi-language-nodejs|langhost-nodejs|github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs|v${NODEJS_HOST_SDK_VERSION}"
)

# Bump when the go build invocation below or the shim changes (part of the key).
BUILD_FLAGS_ID="CGO_ENABLED=0 -mod=readonly -trimpath -buildvcs=false -ldflags=-s -w -X"
SHIM_ID="dynamic-provider-shim-v1"

TOOL_NAME=pulumi-engine
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

cache_key() {
  # Readable versions plus a short hash of every go.mod/go.sum, the binary
  # list and the build flags, so any change of pins or flags gets a fresh
  # directory (comment edits to this script do not).
  local sum
  sum="$( { cat "$here"/cli/go.mod "$here"/cli/go.sum \
    "$here"/langhost-nodejs/go.mod "$here"/langhost-nodejs/go.sum
    printf '%s\n' "${BINARIES[@]}" "$BUILD_FLAGS_ID" "$SHIM_ID"; } \
    | sha256sum | cut -c1-12)"
  printf 'pulumi-%s_nodejs-host-%s_%s' "$PULUMI_VERSION" "$NODEJS_HOST_SDK_VERSION" "$sum"
}

all_present() {
  local entry
  for entry in "${BINARIES[@]}"; do
    [[ -x "$BIN_DIR/${entry%%|*}" ]] || return 1
  done
  [[ -x "$BIN_DIR/pulumi-resource-pulumi-nodejs" ]]
}

parse_mode 2,10 "" "${1:-}"
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

t_start=$(date +%s)
command -v go >/dev/null || die "go is not on PATH"
mkdir -p "$BIN_DIR"
lock_key

log "go: $(go version)"
log "target: $BIN_DIR"
for entry in "${BINARIES[@]}"; do
  IFS='|' read -r name moddir pkg ver <<<"$entry"
  if [[ "$MODE" != "force" && -x "$BIN_DIR/$name" ]]; then
    log "$name: present, skipping"
    continue
  fi
  log "$name: building $pkg ($ver) from $moddir/ ..."
  t0=$(date +%s)
  (
    cd "$here/$moddir"
    # -mod=readonly: build exactly what go.mod/go.sum pin; never edit them.
    # CGO off: static binaries, no C toolchain needed (matches upstream releases).
    CGO_ENABLED=0 GOFLAGS="-mod=readonly" go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X ${VERSION_PKG}=${ver}" \
      -o "$BIN_DIR/$name.tmp" "$pkg"
  )
  mv -f "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
  log "$name: built in $(( $(date +%s) - t0 ))s, $(du -h "$BIN_DIR/$name" | cut -f1)"
done

write_dynamic_provider_shim "$BIN_DIR"

# Sanity check: the CLI must report the pinned version.
got="$("$BIN_DIR/pulumi" version 2>/dev/null || true)"
if [[ "$got" != "v${PULUMI_VERSION}" ]]; then
  log "ERROR: $BIN_DIR/pulumi version printed '$got', expected v${PULUMI_VERSION}"
  exit 1
fi
log "done in $(( $(date +%s) - t_start ))s: pulumi $got"
printf '%s\n' "$BIN_DIR"
