#!/usr/bin/env bash
# Selects (creating if needed) the `local` stack on the file backend. Its secrets are committed in
# stacks/Pulumi.local.yaml, encrypted with the sandbox's public passphrase (PULUMI_CONFIG_PASSPHRASE
# from tools/pulumi-engine/env.sh): they only guard the throwaway sandbox. Expects scripts/env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
if ! pulumi stack select local --non-interactive 2>/dev/null; then
    pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
fi
echo "local-stack: stack 'local' selected (backend $PULUMI_BACKEND_URL)" >&2
