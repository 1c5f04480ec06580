#!/usr/bin/env bash
# Selects (creating if needed) the `local` stack on the file backend. Its secrets are committed in
# stacks/Pulumi.local.yaml, encrypted with the sandbox's public passphrase (PULUMI_CONFIG_PASSPHRASE
# from tools/pulumi-engine/env.sh): they only guard the throwaway sandbox. Expects scripts/env.sh.
#
# The sandbox is rebuilt from scratch by `sandbox:down`/`up`; state that describes an earlier
# sandbox would make `pulumi up` believe the new hosts are already configured. The stack remembers
# which sandbox it was deployed to (its SSH key) and is recreated when that changes.
set -euo pipefail
cd "$(dirname "$0")/.."
sandbox=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
marker=${DOCKFLEET_PULUMI_STATE_DIR:?source scripts/env.sh first}/local-sandbox-id
pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
current=$(sha256sum "$sandbox/ssh/id_ed25519.pub" 2>/dev/null | cut -c1-16 || echo none)
if pulumi stack select local --non-interactive 2>/dev/null; then
    # no marker: deployed by an older dockfleet that did not record its sandbox; start afresh too
    if [ ! -f "$marker" ] || [ "$(cat "$marker")" != "$current" ]; then
        echo "local-stack: the sandbox was rebuilt since the last deploy; starting the local stack afresh" >&2
        pulumi stack rm local --force --yes --preserve-config --non-interactive >/dev/null
        pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
    fi
else
    pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
fi
printf '%s\n' "$current" >"$marker"
echo "local-stack: stack 'local' selected (backend $PULUMI_BACKEND_URL)" >&2
