#!/usr/bin/env bash
# Build the upstream `pulumi-resource-docker` plugin, stamped 5.2.0 (what the @pulumi/docker@5.2.0
# SDK asks for), from the pulumi-docker and terraform-provider-docker source tarballs into a cache
# dir outside the repo, and print that bin dir on the last line of stdout.
#
#   tools/pulumi-docker-provider/build.sh                 # build if missing, print bin dir
#   tools/pulumi-docker-provider/build.sh --print-bin-dir # only print the bin dir (no build)
#   tools/pulumi-docker-provider/build.sh --force         # rebuild for this key
#
# Sources: ${DOCKFLEET_UPSTREAM_DIR:-<repo root>/../shared/upstream}/pulumi-docker-237b7899.tar.xz
# and terraform-provider-docker-v4.5.0.tar.xz, sha256-checked, unpacked under the key dir for the
# build and removed after it; pulumi-docker's patches/*.patch are applied to the latter, as
# pulumi-docker's `make upstream` does. The key dir keeps the embedded schema.json. See README.md.
# Progress and timings go to stderr; stdout carries only the bin dir.
# Cache: ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-docker-provider/<key>/
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- pins (README explains them) ----------------------------------------------------------------
PLUGIN_VERSION="5.2.0"   # must equal @pulumi/docker's package.json "pulumi.version"
PD_REV="237b7899"        # github.com/pulumi/pulumi-docker 237b7899bb51 (main after v5.1.0; no tag)
PD_TARBALL="pulumi-docker-$PD_REV.tar.xz"
PD_TARBALL_SHA256="21317d157e52e2cdb6ec8984f776e7b830bc983daf9da9e21ec3dfc8f54c7b3d"
TF_VERSION="4.5.0"       # github.com/kreuzwerker/terraform-provider-docker v4.5.0 (5074970c71ce)
TF_TARBALL="terraform-provider-docker-v$TF_VERSION.tar.xz"
TF_TARBALL_SHA256="91ec0c727355e63a53a423abec342ee150e01bab8f9d8e2cc56acc78152e9245"
VERSION_VAR="github.com/pulumi/pulumi-docker/provider/v5/pkg/version.Version"
BUILD_TAGS="no_compose"  # as pulumi-docker's Makefile: no docker_compose
LDFLAGS="-X $VERSION_VAR=$PLUGIN_VERSION -s -w" # the Makefile's LDFLAGS (version, then -s -w)
# The build as it runs below; part of the key, so edit it together with the commands.
BUILD_ID="mv terraform-provider-docker pulumi-docker/upstream; cd upstream; patch -p1 --fuzz=0 <../patches/*.patch;
cd provider; VERSION=$PLUGIN_VERSION go generate cmd/pulumi-resource-docker/main.go;
CGO_ENABLED=0 GOFLAGS=-mod=readonly -buildvcs=false go build -trimpath -tags=$BUILD_TAGS -ldflags=$LDFLAGS ./cmd/pulumi-resource-docker"

TOOL_NAME=pulumi-docker-provider
# shellcheck source=tools/lib.sh
source "$here/../lib.sh"

parse_mode 2,16 "" "${1:-}"
print_version_if_asked "$PLUGIN_VERSION"
cache_dirs pulumi-docker-provider \
  "docker-${PLUGIN_VERSION}_pd-${PD_REV}_tf-${TF_VERSION}_$(key_hash "$PD_TARBALL_SHA256" "$TF_TARBALL_SHA256" "$BUILD_ID")"
plugin="$BIN_DIR/pulumi-resource-docker"
exit_if_ready test -x "$plugin"
command -v go >/dev/null || die "go is not on PATH"
command -v patch >/dev/null || die "patch is not on PATH (apt-get install patch)"

t_start=$SECONDS
t_step=$SECONDS
step_done() { log "$1 ($((SECONDS - t_step))s)"; t_step=$SECONDS; }

lock_key
exit_if_ready test -x "$plugin" # built by a concurrent run meanwhile

# 1. Sources: pulumi-docker, with terraform-provider-docker as its `upstream` (the submodule).
verify_tarball "$PD_TARBALL" "$PD_TARBALL_SHA256"
verify_tarball "$TF_TARBALL" "$TF_TARBALL_SHA256"
src="$KEY_DIR/src"
work="$KEY_DIR/work"
rm -rf "$src" "$work"
mkdir -p "$work"
extract_tarball "$PD_TARBALL" "$src"
extract_tarball "$TF_TARBALL" "$src"
[[ ! -e "$src/pulumi-docker/upstream" ]] || die "$PD_TARBALL already has an upstream/ directory"
mv "$src/terraform-provider-docker" "$src/pulumi-docker/upstream"
step_done "extracted into $src"

# 2. pulumi-docker's patches, in order, inside upstream/. Its Makefile (`make upstream`) runs
#    ci-mgmt's scripts/upstream.sh init: a clean submodule checkout, then `git apply --3way` of
#    each ../patches/*.patch in sorted order, stopping at the first that fails. There is no git
#    checkout here, so `patch -p1` does it, with no fuzz (exact context, as `git apply`).
shopt -s nullglob
patches=("$src/pulumi-docker/patches/"*.patch)
shopt -u nullglob
for p in "${patches[@]}"; do
  patch -d "$src/pulumi-docker/upstream" -p1 --fuzz=0 --batch --forward --no-backup-if-mismatch \
    -i "$p" >&2 || die "patch $(basename "$p") does not apply to $TF_TARBALL"
done
step_done "applied ${#patches[@]} patch(es)"

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
log "go: $(go version)"
prov="$src/pulumi-docker/provider"

# 3. The schema the plugin embeds: generate.go writes schema-embed.json, the committed
#    schema.json with the version set.
(cd "$prov" && VERSION="$PLUGIN_VERSION" go generate cmd/pulumi-resource-docker/main.go)
grep -q "\"version\":\"$PLUGIN_VERSION\"" "$prov/cmd/pulumi-resource-docker/schema-embed.json" ||
  die "go generate wrote no schema-embed.json with version $PLUGIN_VERSION"
step_done "go generate (schema-embed.json)"

# 4. The plugin.
(cd "$prov" && go build -trimpath -tags "$BUILD_TAGS" -ldflags "$LDFLAGS" \
  -o "$work/pulumi-resource-docker" ./cmd/pulumi-resource-docker)
step_done "go build pulumi-resource-docker"
check_plugin_serves "$work/pulumi-resource-docker" || die "the built plugin does not start"

mkdir -p "$BIN_DIR"
install -m 0644 "$prov/cmd/pulumi-resource-docker/schema-embed.json" "$KEY_DIR/schema.json"
mv -f "$work/pulumi-resource-docker" "$plugin"
rm -rf "$src" "$work"
log "built $plugin ($(du -h "$plugin" | cut -f1)) in $((SECONDS - t_start))s; schema: $KEY_DIR/schema.json"
printf '%s\n' "$BIN_DIR"
