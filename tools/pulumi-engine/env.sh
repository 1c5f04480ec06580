# shellcheck shell=bash
# Source this file (bash or zsh) to use the Pulumi engine the project resolves
# (tools/pulumi-engine/resolve.sh): your own `pulumi` when it is installed, or
# the one built offline from source. Plugins are installed plugins, under
# $PULUMI_HOME/plugins; none is taken from $PATH.
#
#   source tools/pulumi-engine/env.sh
#
# It does not build or install anything: run dev/engine.sh first (it is a
# quick no-op when everything is there). Every variable below keeps the CLI
# offline and local; any of them that is already set is left alone.

if [ -n "${BASH_SOURCE:-}" ]; then
  _pe_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
else
  # zsh: %x is the file being sourced
  # shellcheck disable=SC2296
  _pe_here="$(cd "$(dirname "${(%):-%x}")" && pwd)"
fi

# "installed DIR" (already on PATH) or "built DIR" (goes first on PATH).
_pe_cli="$(bash "$_pe_here/resolve.sh" cli 2>/dev/null)"
_pe_kind="${_pe_cli%% *}"
_pe_bin="${_pe_cli#* }"
if [ "$_pe_kind" = built ]; then
  if [ ! -x "$_pe_bin/pulumi" ] || [ ! -x "$_pe_bin/pulumi-language-nodejs" ]; then
    echo "pulumi-engine: binaries missing in $_pe_bin; run dev/engine.sh" >&2
  fi
  case ":$PATH:" in
    *":$_pe_bin:"*) ;;
    *) PATH="$_pe_bin:$PATH" ;;
  esac
  export PATH
fi
export DOCKFLEET_PULUMI_BIN="$_pe_bin"

# State that must survive cache wipes lives under XDG state, not the cache.
_pe_state="${DOCKFLEET_PULUMI_STATE_DIR:-${XDG_STATE_HOME:-${HOME:-/root}/.local/state}/dockfleet/pulumi}"
export DOCKFLEET_PULUMI_STATE_DIR="$_pe_state"

# Pulumi's home (plugins, workspace settings, login credentials): with your own
# CLI, its default ~/.pulumi, where `pulumi plugin install` put the plugins;
# with the offline build, a dockfleet-only one under the state dir, so nothing
# from a user's ~/.pulumi (other logins, stale plugin downloads) leaks in.
PULUMI_HOME="$(bash "$_pe_here/resolve.sh" home "$_pe_kind")"
export PULUMI_HOME

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

unset _pe_here _pe_cli _pe_kind _pe_bin _pe_state
