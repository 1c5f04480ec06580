# shellcheck shell=bash
# Source this file (bash or zsh) to use the locally built Pulumi engine:
#
#   source tools/pulumi-engine/env.sh
#
# It does not build anything: run tools/pulumi-engine/build.sh first (it is a
# quick no-op when the binaries are cached). Every variable below keeps the
# CLI offline and local; any of them that is already set is left alone.

if [ -n "${BASH_SOURCE:-}" ]; then
  _pe_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
else
  # zsh: %x is the file being sourced
  # shellcheck disable=SC2296
  _pe_here="$(cd "$(dirname "${(%):-%x}")" && pwd)"
fi

_pe_bin="$(bash "$_pe_here/build.sh" --print-bin-dir)"
if [ ! -x "$_pe_bin/pulumi" ] || [ ! -x "$_pe_bin/pulumi-language-nodejs" ]; then
  echo "pulumi-engine: binaries missing in $_pe_bin; run $_pe_here/build.sh" >&2
fi

# The bin dir goes first on PATH: the CLI, and the plugins next to it, which
# the engine picks up as "ambient" plugins (found on $PATH, used in preference
# to anything under $PULUMI_HOME/plugins).
case ":$PATH:" in
  *":$_pe_bin:"*) ;;
  *) PATH="$_pe_bin:$PATH" ;;
esac
export PATH
export DOCKFLEET_PULUMI_BIN="$_pe_bin"

# State that must survive cache wipes lives under XDG state, not the cache.
_pe_state="${DOCKFLEET_PULUMI_STATE_DIR:-${XDG_STATE_HOME:-${HOME:-/root}/.local/state}/dockfleet/pulumi}"
export DOCKFLEET_PULUMI_STATE_DIR="$_pe_state"

# Pulumi's home (plugin cache, workspace settings, login credentials): a
# dockfleet-only one, so nothing from a user's ~/.pulumi (other logins, stale
# plugin downloads) leaks in.
export PULUMI_HOME="${PULUMI_HOME:-$_pe_state/home}"

# DIY ("file://") backend: stacks and their state live on local disk.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$_pe_state/backend}"

# Never try to reach the network for a newer-version check ...
export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
# ... nor to download missing plugins (there is no route to Pulumi's plugin download servers).
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"

# Secrets provider of local stacks is "passphrase". Default only for the local
# sandbox stack; real stacks should set their own (or PULUMI_CONFIG_PASSPHRASE_FILE).
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="dockfleet-local-sandbox"
fi

mkdir -p "$PULUMI_HOME" 2>/dev/null || true
case "$PULUMI_BACKEND_URL" in
  file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" 2>/dev/null || true ;;
esac

unset _pe_here _pe_bin _pe_state
