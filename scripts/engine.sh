#!/usr/bin/env bash
# `npm run engine`: builds (or finds, when cached) the Pulumi CLI + Node.js language host, the
# two resource plugins and the YAML and Python language hosts, then prints where they are. The CLI
# and the YAML host come from their Go modules, the rest from the upstream source tarballs in
# ${DOCKFLEET_UPSTREAM_DIR:-../shared/upstream} (tools/*/README.md).
# Everything else uses scripts/env.sh, which puts these directories first on PATH (the engine uses
# binaries on PATH as ambient plugins).
set -euo pipefail
cd "$(dirname "$0")/.."
# Go is installed under /usr/local/go on these machines; a non-login shell may not have it on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
t0=$(date +%s)
engine=$(bash tools/pulumi-engine/build.sh | tail -1)
cmd=$(bash tools/pulumi-resource-command/build.sh | tail -1)
dkr=$(bash tools/pulumi-docker-provider/build.sh | tail -1)
yaml=$(bash tools/pulumi-language-yaml/build.sh | tail -1)
py=$(bash tools/pulumi-language-python/build.sh | tail -1)
echo "engine: pulumi CLI + language host  $engine" >&2
echo "engine: pulumi-resource-command      $cmd" >&2
echo "engine: pulumi-resource-docker       $dkr" >&2
echo "engine: pulumi-language-yaml         $yaml" >&2
echo "engine: pulumi-language-python       $py" >&2
echo "engine: ready in $(($(date +%s) - t0)) s" >&2
echo "$engine:$cmd:$dkr:$yaml:$py"
