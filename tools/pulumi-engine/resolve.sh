#!/usr/bin/env bash
# Which Pulumi CLI the project runs, decided the same way by dev/engine.sh (which then builds or
# installs what is missing) and tools/pulumi-engine/env.sh (which only reads):
#
#   resolve.sh cli        prints "installed DIR" when a `pulumi` on PATH (outside the dockfleet
#                         cache) is at least the pinned version and has its Node.js language host
#                         beside it, as every Pulumi install has; else "built DIR", the dockfleet
#                         distribution dir under the cache (the CLI built from source with the
#                         language hosts beside it, as upstream's release archive lays them out)
#   resolve.sh home DIR_KIND
#                         prints the PULUMI_HOME the project uses: $PULUMI_HOME when set, else the
#                         CLI's own default ~/.pulumi for an installed CLI (where `pulumi plugin
#                         install` put its plugins), else dockfleet's own home under the state dir
#
# Why a usable CLI on PATH was passed over goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${DOCKFLEET_CACHE:-/var/cache/dockfleet}"
say() { printf 'engine: %s\n' "$*" >&2; }

# version_at_least GOT PIN: GOT (v-prefix and build metadata allowed) >= PIN, by version order.
version_at_least() {
  local got=${1#v}
  got=${got%%+*}
  [[ "$got" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || return 1
  got=${BASH_REMATCH[0]}
  [[ "$(printf '%s\n' "$2" "$got" | sort -V | head -n1)" == "$2" ]]
}

# installed_cli: the first `pulumi` on PATH that is not dockfleet's own build; prints its dir when
# it is usable.
installed_cli() {
  local dir real cache_real pin got
  cache_real="$(readlink -f "$cache_root" 2>/dev/null || printf '%s' "$cache_root")"
  local -a dirs
  IFS=: read -r -a dirs <<<"$PATH"
  for dir in "${dirs[@]}"; do
    [[ -n "$dir" && -x "$dir/pulumi" && ! -d "$dir/pulumi" ]] || continue
    real="$(readlink -f "$dir/pulumi")"
    [[ "$real" != "$cache_real"/* ]] || continue
    pin="$(bash "$here/build.sh" --print-version)"
    got="$("$dir/pulumi" version 2>/dev/null || true)"
    if ! version_at_least "$got" "$pin"; then
      say "$dir/pulumi is ${got:-of unknown version}, older than the pinned $pin: not using it"
      return 1
    fi
    # The engine takes bundled language hosts from beside the CLI's real path (after symlinks).
    if [[ ! -x "$(dirname "$real")/pulumi-language-nodejs" ]]; then
      say "$dir/pulumi has no pulumi-language-nodejs beside it ($(dirname "$real")): not using it"
      return 1
    fi
    printf '%s\n' "$dir"
    return 0
  done
  return 1
}

# dist_dir: the distribution dir of the offline build, keyed by the bin dirs it links from.
dist_dir() {
  local engine yaml py
  engine="$(bash "$here/build.sh" --print-bin-dir)"
  yaml="$(bash "$here/../pulumi-language-yaml/build.sh" --print-bin-dir)"
  py="$(bash "$here/../pulumi-language-python/build.sh" --print-bin-dir)"
  printf '%s/pulumi-dist/pulumi-%s_%s/bin\n' "$cache_root" "$(bash "$here/build.sh" --print-version)" \
    "$(printf '%s\n' "$engine" "$yaml" "$py" | sha256sum | cut -c1-12)"
}

case "${1:-}" in
  cli)
    if dir="$(installed_cli)"; then echo "installed $dir"; else echo "built $(dist_dir)"; fi ;;
  home)
    if [[ -n "${PULUMI_HOME:-}" ]]; then
      printf '%s\n' "$PULUMI_HOME"
    elif [[ "${2:-}" == installed ]]; then
      # The CLI's own default: the account's home from the user database (not $HOME), + .pulumi.
      home="$(getent passwd "$(id -u)" | cut -d: -f6)"
      printf '%s\n' "${home:-${HOME:-/root}}/.pulumi"
    else
      printf '%s\n' "${DOCKFLEET_PULUMI_STATE_DIR:?set by tools/pulumi-engine/env.sh}/home"
    fi ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
