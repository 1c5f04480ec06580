#!/usr/bin/env bash
# The main job (`npm start`: the `local` stack on the sandbox) and the tests share the sandbox
# hosts. `npm test` parks the main job before its suites (each suite needs hosts it controls: the
# registry's port, the swarm's tasks, the daemon config claims) and brings it back afterwards:
#   dev/main-job.sh park          # destroy the user's `local` stack if it is deployed; remember it
#   dev/main-job.sh unpark        # `pulumi up` it again if it was parked (also after an aborted run)
# Both are no-ops when there is nothing to do. They use the user's backend (dev/env.sh), never
# the throwaway backend of the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
sandbox=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
say() { echo "main-job: $*" >&2; }
stack_file=${DOCKFLEET_LOCAL_STACK_FILE:-stacks/Pulumi.local.yaml} # overridable for the unit test

sandbox_up() {
    [ -f "$sandbox/sandbox.json" ] && ssh -F "$sandbox/ssh_config" -o ConnectTimeout=5 host1 true 2>/dev/null
}

# shellcheck source=dev/run-logged.sh
source dev/run-logged.sh

engine_env() {
    bash dev/engine.sh >/dev/null
    # shellcheck source=dev/env.sh
    source dev/env.sh
    pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
}

# The suites edit stacks/Pulumi.local.yaml and put it back; a suite killed halfway cannot. The
# main job comes back with the file as it was parked; the changed file is kept, never lost.
restore_parked_file() {
    local saved=$DOCKFLEET_PULUMI_STATE_DIR/local-parked.yaml
    [ -f "$saved" ] || return 0
    # A file as committed (a git pull or checkout since the park) is nobody's edit: the parked copy
    # is the stale one (restoring it deployed an older config; seen 2026-12-08).
    local d
    d=$(dirname "$stack_file")
    if ! cmp -s "$saved" "$stack_file" && git -C "$d" ls-files --error-unmatch "$stack_file" >/dev/null 2>&1 &&
        git -C "$d" diff --quiet HEAD -- "$stack_file" 2>/dev/null; then
        mv -f "$saved" "$DOCKFLEET_PULUMI_STATE_DIR/local-parked-stale.yaml"
        say "note: $stack_file is as committed and differs from the copy parked earlier: kept it (the parked copy is at $DOCKFLEET_PULUMI_STATE_DIR/local-parked-stale.yaml)"
        return 0
    fi
    if ! cmp -s "$saved" "$stack_file"; then
        cp "$stack_file" "$DOCKFLEET_PULUMI_STATE_DIR/local-changed-while-parked.yaml" 2>/dev/null || true
        cp "$saved" "$stack_file"
        say "WARNING: $stack_file changed while the main job was parked (a test suite did not put it back): restored it as parked; the changed file is kept at $DOCKFLEET_PULUMI_STATE_DIR/local-changed-while-parked.yaml"
    fi
}

case "${1:-}" in
    park)
        sandbox_up || { say "sandbox not up: nothing to park"; exit 0; }
        engine_env
        marker=$DOCKFLEET_PULUMI_STATE_DIR/local-parked
        if ! pulumi stack select local --non-interactive 2>/dev/null; then say "no local stack: nothing to park"; exit 0; fi
        n=$(pulumi stack export --stack local 2>/dev/null | jq '.deployment.resources // [] | length')
        if [ "${n:-0}" -le 1 ]; then say "the local stack is not deployed: nothing to park"; exit 0; fi
        : >"$marker"
        cp "$stack_file" "$marker.yaml" # restore_parked_file
        if ! bash dev/local-stack.sh --check; then
            # sandbox.sh up recreated a host it was deployed to (or built a new sandbox):
            # local-stack.sh destroys what is left of it, or starts it afresh
            say "the main job (stack local, $n resources) was deployed to hosts the sandbox has since recreated: parking it for the tests (dev/local-stack.sh; unpark brings it back)"
            bash dev/local-stack.sh
        else
            say "the main job (stack local, $n resources) is deployed on the sandbox: parking it for the tests (destroy; unpark brings it back)"
            bash dev/local-stack.sh --destroy
        fi
        say "parked"
        ;;
    unpark)
        engine_env
        marker=$DOCKFLEET_PULUMI_STATE_DIR/local-parked
        [ -f "$marker" ] || exit 0
        sandbox_up || { say "the sandbox is down: the main job stays parked (npm start brings both back)"; exit 0; }
        say "bringing the main job back (pulumi up --stack local)"
        restore_parked_file
        bash dev/local-stack.sh
        run_logged pulumi up --stack local --yes --skip-preview --non-interactive
        rm -f "$marker" "$marker.yaml"
        say "the main job is deployed again"
        ;;
    restore-file)
        # npm start after an aborted npm test: deploy the file as parked, not a suite's edit of it
        : "${DOCKFLEET_PULUMI_STATE_DIR:?source dev/env.sh first}"
        restore_parked_file
        ;;
    *) echo "usage: $0 park|unpark|restore-file" >&2; exit 2 ;;
esac
