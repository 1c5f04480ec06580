#!/usr/bin/env bash
# `npm start`: the main job on the local default. Brings up the sandbox of test hosts and the
# engine (both cached), then `pulumi up --stack local --yes` converges the sandbox hosts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/sandbox/sandbox.sh up
bash dev/engine.sh >/dev/null
# shellcheck source=dev/env.sh
source dev/env.sh
bash dev/local-stack.sh
bash dev/main-job.sh restore-file
pulumi up --stack local --yes --skip-preview "$@"
# the main job is deployed: a park left by an aborted `npm test` is settled
rm -f "$DOCKFLEET_PULUMI_STATE_DIR/local-parked" "$DOCKFLEET_PULUMI_STATE_DIR/local-parked.yaml"
