#!/usr/bin/env bash
# `npm run engine`: makes sure the Pulumi engine and its plugins are there, then prints where.
#   - Your own Pulumi, when it is installed: a `pulumi` >= the pinned version on PATH (with its
#     Node.js language host beside it) and the plugins under $PULUMI_HOME/plugins as
#     `pulumi plugin install` lays them out. Nothing is built.
#   - Otherwise the offline build from the release sources in
#     ${DOCKFLEET_UPSTREAM_DIR:-../shared/upstream} (tools/*/README.md), cached under
#     ${DOCKFLEET_CACHE:-/var/cache/dockfleet}: the CLI with the Node.js, YAML and Python language
#     hosts beside it (as upstream's release archive), and each missing resource plugin built and
#     installed with `pulumi plugin install --file`, so the engine runs it as an installed plugin.
# tools/pulumi-engine/resolve.sh decides which; dev/env.sh then uses the same answer.
set -euo pipefail
cd "$(dirname "$0")/.."
# Go is installed under /usr/local/go on these machines; a non-login shell may not have it on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
TOOL_NAME=engine
# shellcheck source=tools/lib.sh
source tools/lib.sh
t0=$(date +%s)
upstream="$(upstream_dir)"
missing=()

# obtain TOOL: prints its bin dir, from the cache or built from the sources; fails when neither.
obtain() {
  bash "tools/$1/build.sh" --check 2>/dev/null && return 0
  [[ -d "$upstream" ]] || return 1
  bash "tools/$1/build.sh" | tail -n1
}

# explain: what to install, when there is neither an installed engine nor sources to build it.
explain() {
  local list
  list=$(printf ', %s' "${missing[@]}")
  log "error: missing: ${list#, }; and no sources to build them at $upstream"
  log "install either:"
  log "  - Pulumi >= $(bash tools/pulumi-engine/build.sh --print-version) (its install script or your package manager) and the plugins:"
  log "      pulumi plugin install resource command v$(bash tools/pulumi-resource-command/build.sh --print-version)"
  log "      pulumi plugin install resource docker v$(bash tools/pulumi-docker-provider/build.sh --print-version)"
  log "    (into the PULUMI_HOME the project uses: \$PULUMI_HOME when set, else ~/.pulumi)"
  log "  - or the upstream source tarballs (tools/*/README.md) in DOCKFLEET_UPSTREAM_DIR, to build them offline"
  exit 1
}

read -r kind cli_dir < <(bash tools/pulumi-engine/resolve.sh cli)
if [[ "$kind" == built ]]; then
  engine=$(obtain pulumi-engine) || missing+=("pulumi CLI $(bash tools/pulumi-engine/build.sh --print-version)")
  yaml=$(obtain pulumi-language-yaml) || missing+=(pulumi-language-yaml)
  py=$(obtain pulumi-language-python) || missing+=(pulumi-language-python)
  [[ ${#missing[@]} -eq 0 ]] || explain
  # The distribution dir: the CLI with the language hosts beside it, where the engine looks for
  # bundled plugins. Hard links (copies across file systems), put in place whole.
  if [[ ! -d "$cli_dir" ]]; then
    tmp="$(dirname "$cli_dir").tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp/bin"
    for f in "$engine"/* "$yaml"/* "$py"/*; do ln -f "$f" "$tmp/bin/" 2>/dev/null || cp -p "$f" "$tmp/bin/"; done
    mv -T "$tmp" "$(dirname "$cli_dir")" 2>/dev/null || rm -rf "$tmp" # a concurrent run made it first
  fi
  log "pulumi CLI + language hosts (offline build)  $cli_dir"
else
  log "pulumi CLI + language hosts (installed)      $cli_dir"
fi

# tools/pulumi-engine/env.sh: PATH and PULUMI_HOME as every later step sees them.
# shellcheck source=tools/pulumi-engine/env.sh
source tools/pulumi-engine/env.sh
plugins=()
for spec in command:pulumi-resource-command docker:pulumi-docker-provider; do
  name=${spec%%:*} tool=${spec#*:}
  version=$(bash "tools/$tool/build.sh" --print-version)
  dir="$PULUMI_HOME/plugins/resource-$name-v$version"
  if [[ -x "$dir/pulumi-resource-$name" && ! -e "$dir.partial" ]]; then
    log "pulumi-resource-$name $version (installed)  $dir"
  elif bin=$(obtain "$tool"); then
    pulumi plugin install resource "$name" "v$version" --file "$bin/pulumi-resource-$name" >&2
    log "pulumi-resource-$name $version (offline build, installed)  $dir"
  else
    missing+=("pulumi-resource-$name $version (not in $PULUMI_HOME/plugins)")
    continue
  fi
  plugins+=("$dir")
done
[[ ${#missing[@]} -eq 0 ]] || explain
log "ready in $(($(date +%s) - t0)) s"
(IFS=:; echo "$cli_dir:${plugins[*]}")
