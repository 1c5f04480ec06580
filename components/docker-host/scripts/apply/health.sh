# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% After a restart or reload: the Docker API and the swarm node back (wait_up), a locked manager
#% unlocked; before a manager restarts: the unlock key checked, raft quorum kept (check_quorum).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
docker_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Waits until the API answers and, if the node was in a swarm, until it is active (and Ready
# when this node is a manager and can see itself). Sets HEALTH_DEADLINE (restart timeout from
# now), which wait_tasks shares: the whole health check stays within the restart timeout.
wait_up() {
    local swarm_before=$1 state ready
    HEALTH_DEADLINE=$(($(date +%s) + RESTART_TIMEOUT))
    until docker_up; do
        [ "$(date +%s)" -lt "$HEALTH_DEADLINE" ] || {
            FAIL_STEP="wait for the Docker API"
            FAIL_LINE="docker.service is $(systemctl is-active docker.service 2>/dev/null || echo unknown); $(docker version --format '{{.Server.Version}}' 2>&1 | tail -1)"
            return 1
        }
        sleep 0.5
    done
    if [ "$swarm_before" = active ]; then
        while :; do
            state=$(docker info --format '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}' 2>/dev/null || true)
            if [ "${state%/*}" = locked ]; then unlock_manager || return 1; continue; fi
            if [ "${state%/*}" = active ]; then
                [ "${state#*/}" = true ] || break # a worker cannot inspect itself; active means it has a manager session
                ready=$(docker node inspect self --format '{{.Status.State}}' 2>/dev/null || true)
                [ "$ready" = ready ] && break
            fi
            [ "$(date +%s)" -lt "$HEALTH_DEADLINE" ] || { FAIL_STEP="wait for the swarm node to be Ready (state: ${state:-unknown})"; return 1; }
            sleep 0.5
        done
    fi
    return 0
}

# Swarm autolock (issue 28): a restarted manager comes back locked. `docker swarm unlock` reads
# the key from stdin (printf is a builtin: the key is in no process's argument list).
unlock_manager() {
    local out
    FAIL_STEP="unlock the swarm manager"
    [ -n "$UNLOCK_KEY" ] || { FAIL_LINE="this manager is locked (swarm autolock) and no unlock key was given (dockfleet:swarmUnlockKey)"; return 1; }
    out=$(printf '%s\n' "$UNLOCK_KEY" | timeout "$RESTART_TIMEOUT" docker swarm unlock 2>&1) || { FAIL_LINE="docker swarm unlock: $(printf '%s' "$out" | tail -1)"; return 1; }
    FAIL_STEP=""
    log "swarm manager unlocked"
}

# Before a manager of an autolocked swarm restarts: the key given must be the swarm's, or the
# manager would stay locked. Nothing has been written yet.
check_unlock_key() {
    [ "$1" = active ] && [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] || return 0
    [ "$(docker info --format '{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}' 2>/dev/null)" = true ] || return 0
    [ -n "$UNLOCK_KEY" ] || die "the swarm is autolocked and no unlock key was given: this manager would stay locked after the restart; set dockfleet:swarm.autolock: true and the secret dockfleet:swarmUnlockKey; nothing changed"
    local have
    have=$(docker swarm unlock-key -q 2>/dev/null) || die "could not read the swarm's unlock key to check the one given; nothing changed"
    [ "$have" = "$UNLOCK_KEY" ] || die "the unlock key given (dockfleet:swarmUnlockKey) is not this swarm's (rotated with docker swarm unlock-key --rotate?); store the current one: docker swarm unlock-key -q | pulumi config set --secret dockfleet:swarmUnlockKey; nothing changed"
}

# Before a manager restarts (issue 30): the other managers must keep raft quorum while it is down.
# A manager already lost (dockerd stopped, cut off) makes this restart the one that stops the
# swarm's control plane (no scheduling, no leader, every manager's API refusing node and service
# calls): refuse, naming the lost ones; nothing has been written yet. A swarm of 1 or 2 managers
# cannot keep quorum through any manager's restart: only a manager already lost counts. No answer
# (no leader now) is left to the restart: it cannot lose what is already lost.
check_quorum() {
    [ "$1" = active ] && [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] || return 0
    local mgrs total up lost need deadline=$(($(date +%s) + (RESTART_TIMEOUT < 30 ? RESTART_TIMEOUT : 30)))
    while :; do
        mgrs=$(timeout 10 docker node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}' 2>/dev/null) || {
            log "raft quorum not checked: docker node ls did not answer (no leader now)"
            return 0
        }
        total=$(awk 'NF { n++ } END { print n + 0 }' <<<"$mgrs")
        up=$(awk '$2 == "Leader" || $2 == "Reachable" { n++ } END { print n + 0 }' <<<"$mgrs")
        lost=$(awk 'NF && $2 != "Leader" && $2 != "Reachable" { printf "%s%s (%s)", sep, $1, ($2 == "" ? "unknown" : tolower($2)); sep = ", " }' <<<"$mgrs")
        need=$((total / 2 + 1))
        # A manager with no status yet (just promoted, or after an election) is not lost: asked
        # again for a while; an Unreachable one is decided at once.
        if [ -n "$lost" ] && [ $((up - 1)) -lt "$need" ] && ! grep -q 'Unreachable' <<<"$mgrs" && [ "$(date +%s)" -lt "$deadline" ]; then
            sleep 1
            continue
        fi
        break
    done
    if [ -n "$lost" ] && [ $((up - 1)) -lt "$need" ]; then
        die "restarting this manager would lose the swarm's raft quorum: $((up - 1)) of $total managers reachable while it restarts, $need needed; managers lost: $lost; bring them back (or remove them from the swarm) and run pulumi up again; nothing changed"
    fi
}
