#!/usr/bin/env bash
# Selects (creating if needed) the `local` stack on the file backend. Its secrets are committed in
# stacks/Pulumi.local.yaml, encrypted with the sandbox's public passphrase (PULUMI_CONFIG_PASSPHRASE
# from tools/pulumi-engine/env.sh): they only guard the throwaway sandbox. Expects dev/env.sh.
#
# The sandbox is rebuilt from scratch by `sandbox:down`/`up`, and `sandbox:up` recreates a host
# that does not boot healthy; state that describes an earlier sandbox would make `pulumi up` believe
# the new hosts are already configured (a swarm service it never recreates, a destroy that fails on
# it). The stack remembers which sandbox it was deployed to (its SSH key and each host's instance,
# sandbox.json):
#   - a new key (a sandbox built from scratch) or every host recreated: nothing of the stack is
#     left; it starts afresh;
#   - some hosts recreated (same key): the others still run what it deployed; it is destroyed
#     (tolerant of what vanished with the host), and `pulumi up` deploys it again. Where that
#     destroy fails even so, every host is recreated and the stack starts afresh.
#   local-stack.sh            select the stack, as above
#   local-stack.sh --check    exit 1 if the stack was deployed to another sandbox than the current
#                             one (0 without a record)
#   local-stack.sh --destroy  destroy the stack; if that fails on something removed behind its
#                             back, refresh it from the hosts and destroy again
set -euo pipefail
cd "$(dirname "$0")/.."
sandbox=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
marker=${DOCKFLEET_PULUMI_STATE_DIR:?source dev/env.sh first}/local-sandbox-id
# the sandbox's own script (a recording fake in test/unit/local-stack.test.ts)
sandbox_cmd=${DOCKFLEET_SANDBOX_CMD:-bash test/sandbox/sandbox.sh}

# "<key> <hosts>": the SSH key's hash, then each host's name=instance (sandbox.json), or "unknown"
# when a host has none (a sandbox.json from an older sandbox.sh). Instances are machine-ids.
sandbox_id() {
    local key hosts
    key=$(sha256sum "$sandbox/ssh/id_ed25519.pub" 2>/dev/null | cut -c1-16 || echo none)
    hosts=$(jq -r 'if any(.hosts[]; (.instance // "unknown") == "unknown") then "unknown"
        else [.hosts[] | "\(.name)=\(.instance)"] | join(" ") end' "$sandbox/sandbox.json" 2>/dev/null || echo unknown)
    printf '%s %s\n' "$key" "$hosts"
}

# compare WAS NOW: "same", "destroy" (some hosts the stack was deployed to were recreated or are
# gone, others still run what it deployed) or "afresh" (a new key, no marker, or every host
# recreated: nothing of the stack is left anywhere, and a destroy could not even reach a swarm).
# Where the instances are unknown on either side (a marker from an older dockfleet holds the key's
# hash alone), the key decides: recreating the stack on intact hosts would collide with it.
compare() {
    local was=$1 now=$2 was_key was_hosts now_hosts h survivors=0 changed=0
    [ -n "$was" ] || { echo afresh; return; }
    was_key=${was%% *}
    [ "$was_key" = "${now%% *}" ] || { echo afresh; return; }
    was_hosts=${was#"$was_key"}; was_hosts=${was_hosts# }
    now_hosts=${now#* }
    if [ -z "$was_hosts" ] || [ "$was_hosts" = unknown ] || [ "$now_hosts" = unknown ]; then echo same; return; fi
    for h in $was_hosts; do
        case " $now_hosts " in
            *" $h "*) survivors=$((survivors + 1)) ;;
            *) changed=$((changed + 1)) ;;
        esac
    done
    if [ "$changed" = 0 ]; then echo same
    elif [ "$survivors" = 0 ]; then echo afresh
    else echo destroy
    fi
}

say() { echo "local-stack: $*" >&2; }

# shellcheck source=dev/run-logged.sh
source dev/run-logged.sh

destroy_tolerant() {
    if ! run_logged pulumi destroy --stack local --yes --skip-preview --non-interactive; then
        # The docker provider fails to delete what it cannot find (a swarm service, a container
        # removed by hand or gone with its host). A refresh drops it from the state.
        say "destroy failed: refreshing the stack from the hosts, then destroying again"
        run_logged pulumi refresh --stack local --yes --skip-preview --non-interactive || return 1
        run_logged pulumi destroy --stack local --yes --skip-preview --non-interactive || return 1
    fi
}

current=$(sandbox_id)
was=$(cat "$marker" 2>/dev/null || true)
case "${1:-}" in
    --check)
        # no record: nothing says the hosts changed (the park then destroys, as it always did;
        # forgetting the state instead could leave what it deployed unmanaged)
        [ -z "$was" ] || [ "$(compare "$was" "$current")" = same ]
        exit
        ;;
    --destroy)
        destroy_tolerant
        exit
        ;;
esac

pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
if pulumi stack select local --non-interactive 2>/dev/null; then
    case $(compare "$was" "$current") in
        afresh)
            # no marker: deployed by an older dockfleet that did not record its sandbox
            say "the sandbox is not the one the local stack was deployed to (a new SSH key, every host recreated, or no record): starting the stack afresh"
            pulumi stack rm local --force --yes --preserve-config --non-interactive >/dev/null
            pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
            ;;
        destroy)
            say "a sandbox host was recreated since the last deploy (its instance changed): destroying the local stack (what is left of it on the other hosts), so that pulumi up deploys it again"
            if ! destroy_tolerant; then
                # e.g. a host recreated by an older sandbox.sh, with a new host key the state's
                # pinned key refuses. Wiping every host leaves nothing the stack deployed anywhere,
                # so starting it afresh manages all there is.
                say "the local stack could not be destroyed from the hosts that survived: recreating every sandbox host and starting the stack afresh"
                $sandbox_cmd recreate all >&2 || { say "FAILED: recreating the sandbox hosts; start over with: bash test/sandbox/sandbox.sh down && npm start"; exit 1; }
                current=$(sandbox_id)
                pulumi stack rm local --force --yes --preserve-config --non-interactive >/dev/null
                pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
            fi
            ;;
    esac
else
    pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
fi
printf '%s\n' "$current" >"$marker"
say "stack 'local' selected (backend $PULUMI_BACKEND_URL)"
