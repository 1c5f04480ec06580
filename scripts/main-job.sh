#!/usr/bin/env bash
# The main job (`npm start`: the `local` stack on the sandbox) and the tests share the sandbox
# hosts. `npm test` parks the main job before its suites (each suite needs hosts it controls: the
# registry's port, the swarm's tasks, the daemon config claims) and brings it back afterwards:
#   scripts/main-job.sh park      # destroy the user's `local` stack if it is deployed; remember it
#   scripts/main-job.sh unpark    # `pulumi up` it again if it was parked (also after an aborted run)
# Both are no-ops when there is nothing to do. They use the user's backend (scripts/env.sh), never
# the throwaway backend of the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
sandbox=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
say() { echo "main-job: $*" >&2; }

sandbox_up() {
    [ -f "$sandbox/sandbox.json" ] && ssh -F "$sandbox/ssh_config" -o ConnectTimeout=5 host1 true 2>/dev/null
}

# Quiet on success; on failure the engine's last lines say why.
run_logged() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        say "FAILED: $* (last lines of its output follow)"
        grep -v '^ *$' "$log" | cut -c1-400 | tail -40 >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

engine_env() {
    bash scripts/engine.sh >/dev/null
    # shellcheck source=scripts/env.sh
    source scripts/env.sh
    pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
}

case "${1:-}" in
    park)
        sandbox_up || { say "sandbox not up: nothing to park"; exit 0; }
        engine_env
        marker=$DOCKFLEET_PULUMI_STATE_DIR/local-parked
        if ! pulumi stack select local --non-interactive 2>/dev/null; then say "no local stack: nothing to park"; exit 0; fi
        n=$(pulumi stack export --stack local 2>/dev/null | jq '.deployment.resources // [] | length')
        if [ "${n:-0}" -le 1 ]; then say "the local stack is not deployed: nothing to park"; exit 0; fi
        say "the main job (stack local, $n resources) is deployed on the sandbox: parking it for the tests (destroy; unpark brings it back)"
        : >"$marker"
        run_logged pulumi destroy --stack local --yes --skip-preview --non-interactive
        say "parked"
        ;;
    unpark)
        engine_env
        marker=$DOCKFLEET_PULUMI_STATE_DIR/local-parked
        [ -f "$marker" ] || exit 0
        sandbox_up || { say "the sandbox is down: the main job stays parked (npm start brings both back)"; exit 0; }
        say "bringing the main job back (pulumi up --stack local)"
        bash scripts/local-stack.sh
        run_logged pulumi up --stack local --yes --skip-preview --non-interactive
        rm -f "$marker"
        say "the main job is deployed again"
        ;;
    *) echo "usage: $0 park|unpark" >&2; exit 2 ;;
esac
