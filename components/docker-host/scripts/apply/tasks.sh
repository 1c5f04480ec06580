# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The swarm task wait: this node serves as many tasks as before the restart (wait_tasks and the
#% docker node ps / service ls / ps readers it uses).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# Runs alongside the smoke container (serve_checks): a setting that starts dockerd but breaks
# containers fails the smoke run within seconds, and its error ends this wait at once (issue 12).
wait_tasks() {
    # The next batch may only start once this node serves again: as many swarm task containers
    # running and healthy as were running and not unhealthy before it. On a manager, which can ask
    # the swarm, only tasks the swarm wants here count, and the target is capped per check by the
    # tasks it wants here (desired running or ready: a replacement task waits in "ready" while
    # its predecessor shuts down), since services may be removed meanwhile. The cap is never
    # kept: lowering it for good on a replacement's transient state let the next batch start
    # while this node's task was still starting (issue 3). Right after a restart the agent may
    # bring back an old task's container that the manager then replaces, so the count must also
    # hold for STABLE_CHECKS consecutive checks. On a manager a task counts only once the swarm
    # itself reports it Running (a healthchecked task is Running only when healthy) in a report
    # made since the restart began (RESTART_AT; a report from before the restart says nothing about
    # the task now): that confirmation makes 2 checks a second apart enough there. A manager also
    # waits until each service that had a task here runs min(its count before, desired now) tasks
    # anywhere (services_short): the swarm may restart this node's task on another node. A worker,
    # whose count has no such confirmation, keeps 4 checks 2 s apart.
    local want=${TASKS_BEFORE:-0} target wanted n have short="" manager stable=0 poll checks deadline=${HEALTH_DEADLINE:-$(($(date +%s) + RESTART_TIMEOUT))}
    manager=$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null || echo false)
    # A worker's count cannot tell a task the swarm restarted elsewhere (a replacement may land on
    # any node with room: 60 s lost per such host on 1 manager + 5 workers) from one still coming:
    # when a manager watches this worker (--task-wait manager), the manager's serve-wait decides.
    if [ "$manager" != true ] && [ "$TASK_WAIT" = manager ] && [ "$want" -gt 0 ]; then
        log "swarm tasks: a manager waits for this worker's tasks and services (serve-wait)"
        return 0
    fi
    poll=${TASK_POLL_SECONDS:-$([ "$manager" = true ] && echo 1 || echo 2)}
    checks=${STABLE_CHECKS:-$([ "$manager" = true ] && echo 2 || echo 4)}
    while [ "$want" -gt 0 ]; do
        target=$want
        if [ "$manager" = true ]; then
            wanted=$(wanted_tasks)
            n=$(printf '%s' "$wanted" | grep -c . || true)
            [ "$n" -lt "$target" ] && target=$n
            have=$(ready_tasks after "$(fresh_running "$wanted")")
            # a task the swarm restarted on another node counts there, once its service is whole
            short=$(services_short | tr '\n' ' ')
        else
            have=$(ready_tasks after)
        fi
        if [ "$have" -ge "$target" ] && [ -z "$short" ]; then
            stable=$((stable + 1))
            if [ "$stable" -ge "$checks" ]; then
                say "swarm tasks back: $have running and healthy (before the restart: $want)"
                break
            fi
        else
            stable=0
        fi
        smoke_failed && return 1
        if [ "$(date +%s)" -ge "$deadline" ]; then
            if [ "$manager" = true ]; then
                FAIL_STEP="wait for this node's swarm tasks ($have of $target running and healthy${short:+; below their count before the restart: ${short% }})"
                return 1
            fi
            say "warning: $have of $target swarm tasks running and healthy on this worker after ${RESTART_TIMEOUT}s; continuing"
            break
        fi
        sleep "$poll"
    done
    return 0
}

# "NAME RUNNING DESIRED" per swarm service (manager only). Replicas reads "2/3" or "2/3 (max 1 per node)".
service_counts() {
    docker service ls --format '{{.Name}} {{.Replicas}}' 2>/dev/null | awk '{ split($2, r, "/"); print $1, r[1] + 0, r[2] + 0 }'
}

# "NAME RUNNING" for each service with a task running on this node (manager only, before the
# restart): the services this restart may take a task from. A task is named SERVICE.SLOT or
# SERVICE.NODEID; service names have no dots.
services_here_before() {
    local here
    here=$(docker node ps self --filter desired-state=running --format '{{.Name}} {{.CurrentState}}' 2>/dev/null |
        awk '$2 == "Running" { n = $1; sub(/\.[^.]*$/, "", n); print n }' | sort -u)
    [ -n "$here" ] || return 0
    service_counts | awk -v here="$here" 'BEGIN { n = split(here, a, "\n"); for (i = 1; i <= n; i++) h[a[i]] = 1 } ($1 in h) { print $1, $2 }'
}

# The services of SERVICES_BEFORE running fewer tasks than min(before, desired now), one per line
# ("?" when the swarm does not answer: no leader yet). A replacement the swarm started on another
# node serves there: the next batch may go once it runs, wherever it runs.
services_short() {
    [ -n "${SERVICES_BEFORE:-}" ] || return 0
    local counts
    counts=$(service_counts)
    [ -n "$counts" ] || { echo "?"; return 0; }
    printf '%s\n' "$counts" | awk -v before="$SERVICES_BEFORE" '
        BEGIN { n = split(before, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); b[f[1]] = f[2] } }
        ($1 in b) { floor = b[$1] < $3 ? b[$1] : $3; if ($2 < floor) print $1 }'
}

# Tasks the swarm wants on this node (manager only): "<task id> <desired state> <current state>"
# per line, the current state as the swarm reports it ("Running 3 seconds ago", "Starting ...").
wanted_tasks() {
    docker node ps self --no-trunc --filter desired-state=running --filter desired-state=ready \
        --format '{{.ID}} {{.DesiredState}} {{.CurrentState}}' 2>/dev/null || true
}

# The lines of wanted_tasks output ($1) whose task the swarm reports Running in a report made at
# or after RESTART_AT (epoch seconds; unset or 0: every Running task, as after a reload, which
# restarts no task). The report's time is the task's status timestamp (`docker inspect --type task`).
fresh_running() {
    local running ids
    running=$(printf '%s\n' "$1" | awk '$3 == "Running"')
    [ -n "$running" ] || return 0
    if [ "${RESTART_AT:-0}" = 0 ]; then printf '%s\n' "$running"; return 0; fi
    # shellcheck disable=SC2046 # one argument per task id
    ids=$(docker inspect --type task --format '{{.ID}} {{.Status.Timestamp.Unix}}' $(printf '%s\n' "$running" | awk '{ print $1 }') 2>/dev/null |
        awk -v since="$RESTART_AT" '$2 >= since { print $1 }')
    printf '%s\n' "$running" | awk -v ids="$ids" 'BEGIN { n = split(ids, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 } ok[$1]'
}

# Running swarm task containers whose healthcheck (if any) passes. $1 = before: tasks whose
# healthcheck is still starting count too (they were coming up before the restart and must be back,
# healthy, after it). With $2 (a manager's wanted_tasks output, possibly empty) only the tasks the
# swarm wants running on this node count; without it (a worker cannot ask) every task container.
ready_tasks() {
    local when=$1 filter=0 wanted="" id status n=0
    if [ "$#" -ge 2 ]; then
        filter=1
        wanted=$(printf '%s\n' "$2" | awk '$2 == "Running" { print $1 }')
    fi
    while read -r id status; do
        [ -n "$id" ] || continue
        case "$status" in
            *"(unhealthy)"*) continue ;;
            *"(health: starting)"*) [ "$when" = before ] || continue ;;
        esac
        if [ "$filter" = 1 ] && ! grep -qx "$id" <<<"$wanted"; then continue; fi
        n=$((n + 1))
    done < <(docker ps --filter label=com.docker.swarm.task.id --format '{{.Label "com.docker.swarm.task.id"}} {{.Status}}' 2>/dev/null)
    echo "$n"
}
