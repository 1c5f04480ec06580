#!/usr/bin/env bash
# dockfleet: the manager's view of a worker's daemon restart (issue 11: the worker wait). A worker
# cannot ask which tasks the swarm wants on it; a manager can. Run on a manager, around one
# worker's apply:
#
#   swarm-serve-wait.sh snapshot --node NODE [--timeout SECONDS] [--max-unavailable N] [--stack-max-unavailable STACK=N]...
#       Before the apply (waits up to SECONDS for the manager's docker to answer). Refuses (exit 1)
#       when the node's restart would take a replicated service below its floor: desired tasks
#       minus its maxUnavailable (the service's dockfleet.max-unavailable label, else its stack's
#       --stack-max-unavailable, else --max-unavailable, default 1: as the restart plan counts it).
#       The plan saw the swarm before the rollout; a node lost or cut off since (or a task failing)
#       leaves a service at its floor, and this restart would take a second task: the rollout stops
#       here, naming the services and the nodes not Ready. Refuses as well when NODE itself is not
#       Ready by SECONDS (cut off from the managers: its restart could not be verified). Else prints the state the wait compares with, one line each:
#         node AVAILABILITY      ("node none": no swarm on this host, or NODE not in it; the wait then returns at once)
#         svc NAME RUNNING
#         task ID REPORTED   (each task Running on NODE, REPORTED = its status report's time in ns)
#       RUNNING = the service's running tasks (`docker service ls` counts Running tasks; a task with
#       a healthcheck is Running only once healthy: moby's executor Start() waits for
#       health_status: healthy, v20.10 to current).
#   swarm-serve-wait.sh wait --node NODE --timeout SECONDS [--stable N] [--poll SECONDS] <SNAPSHOT
#       After the apply. Waits until, for N consecutive checks POLL seconds apart (default 2 checks 2 s apart: the apply script has already waited out its own stability window):
#       the node is Ready with the availability it had; every task the swarm wants running on the
#       node is Running; every service runs at least min(its desired count now, its count in the
#       snapshot) tasks (a service removed meanwhile is skipped). On timeout exits 1, naming the
#       node and each service below its floor.
#       A line `dockfleet-apply: restarted` on stdin (the worker's apply printed it: dockerd
#       restarted) makes a task of the snapshot count only once the node has reported it again: a
#       manager keeps a Running report from before the restart until the worker's agent sends a new
#       one, and a stale Running must not let the next batch start. Same task, same report time =
#       no new report (no clock is compared, so manager and worker clocks may differ).
#       A manager whose own docker stops answering (dockerd stopped, the host lost) makes the wait
#       fail at its timeout naming it (--manager NAME, default its hostname): no other manager is
#       asked, and the rollout stops there.
#
# Says what it did on stderr, prefixed "dockfleet[NODE]: serve-wait".
set -euo pipefail
action=${1:?action: snapshot or wait}
shift
node="" timeout=300 stable_checks=2 poll=2 manager="" max_unavailable=1 stack_max=""
while [ $# -gt 0 ]; do
    case "$1" in
        --node) node=$2; shift 2 ;;
        --manager) manager=$2; shift 2 ;;
        --max-unavailable) max_unavailable=$2; shift 2 ;;
        --stack-max-unavailable) stack_max="$stack_max $2"; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --stable) stable_checks=$2; shift 2 ;;
        --poll) poll=$2; shift 2 ;;
        *) echo "swarm-serve-wait.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$node" ] || { echo "swarm-serve-wait.sh: --node is required" >&2; exit 2; }
[ -n "$manager" ] || manager=$(hostname)

say() { echo "dockfleet[$node]: serve-wait: $*" >&2; }

# "NAME RUNNING DESIRED" per service. Replicas reads "2/3" or "2/3 (max 1 per node)".
service_counts() {
    docker service ls --format '{{.Name}} {{.Replicas}}' | awk '{ split($2, r, "/"); print $1, r[1] + 0, r[2] + 0 }'
}

node_state() {
    docker node inspect "$node" --format '{{.Status.State}} {{.Spec.Availability}}'
}

# The tasks the swarm wants running on the node: "ID NAME STATE" lines (one ask serves both uses below).
node_tasks() {
    docker node ps "$node" --no-trunc --filter desired-state=running --format '{{.ID}} {{.Name}} {{.CurrentState}}'
}

# "ID REPORTED" for each task of $1 (node_tasks' lines) that the swarm reports Running.
running_reports() {
    local ids
    ids=$(printf '%s\n' "$1" | awk '$3 == "Running" { print $1 }')
    [ -n "$ids" ] || return 0
    # shellcheck disable=SC2086 # one argument per task id
    docker inspect --type task --format '{{.ID}} {{.Status.Timestamp.UnixNano}}' $ids 2>/dev/null || true # a task removed meanwhile: the others still print
}

snapshot() {
    local st="" sw="" tasks deadline=$(($(date +%s) + timeout))
    # the manager's docker may be restarting (an earlier apply still settling): wait for it to answer
    until sw=$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null) && [ -n "$sw" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { say "FAILED: the manager's docker did not answer for ${timeout}s (docker info)"; exit 1; }
        sleep "$poll"
    done
    # no swarm yet (the first up: the swarm part joins the nodes after the daemon applies), or the
    # node not in it: nothing the swarm wants on the node, nothing to wait for
    if [ "$sw" != "active true" ]; then
        say "this host is not a swarm manager ($sw): no swarm to wait for"
        echo "node none"
        return 0
    fi
    if ! st=$(node_state 2>/dev/null) || [ -z "$st" ]; then
        say "$node is not a node of this swarm: nothing to wait for"
        echo "node none"
        return 0
    fi
    # A node the swarm does not see Ready (cut off from the managers, its dockerd gone) would be
    # restarted without a manager to rejoin: its apply could only fail, and the swarm cannot say
    # what it runs. Waited for within the timeout (after a leader election every node is
    # "unknown" for a few heartbeats), then refused, naming it.
    while [ "${st%% *}" != ready ]; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "REFUSED: $node (${st%% *}) as this manager sees it for ${timeout}s: its restart could not be verified (it must reach a manager to be Ready again); nothing changed on $node; bring it back (network, dockerd) and run pulumi up again"
            exit 1
        fi
        sleep "$poll"
        st=$(node_state 2>/dev/null) || st="unknown ${st#* }"
    done
    # no answer (a manager still electing): no task listed (the wait then says the node's tasks are unknown)
    tasks=$(node_tasks 2>/dev/null || true)
    refuse_below_floor "$tasks"
    echo "node ${st#* }"
    service_counts | awk '{ print "svc", $1, $2 }'
    running_reports "$tasks" | awk '{ print "task", $1, $2 }'
}

# Exits 1, saying why, when the node's restart would take a replicated service below its floor
# ($1: node_tasks' lines; see the header).
refuse_below_floor() {
    local here names specs short lost
    here=$(printf '%s\n' "$1" | awk '$3 == "Running" { n = $2; sub(/\.[^.]*$/, "", n); c[n]++ } END { for (s in c) print s, c[s] }')
    [ -n "$here" ] || return 0
    names=$(printf '%s\n' "$here" | awk '{ print $1 }')
    # shellcheck disable=SC2086 # one argument per service
    specs=$(docker service inspect --format '{{.Spec.Name}} {{if .Spec.Mode.Replicated}}replicated{{else}}other{{end}} {{with index .Spec.Labels "com.docker.stack.namespace"}}{{.}}{{else}}-{{end}} {{with index .Spec.Labels "dockfleet.max-unavailable"}}{{.}}{{else}}-{{end}}' $names 2>/dev/null) || true
    short=$(service_counts 2>/dev/null | awk -v here="$here" -v specs="$specs" -v dflt="$max_unavailable" -v stacks="$stack_max" -v node="$node" '
        BEGIN {
            n = split(here, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); on[f[1]] = f[2] }
            n = split(specs, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); mode[f[1]] = f[2]; stack[f[1]] = f[3]; label[f[1]] = f[4] }
            n = split(stacks, a, " "); for (i = 1; i <= n; i++) { j = index(a[i], "="); if (j) sm[substr(a[i], 1, j - 1)] = substr(a[i], j + 1) }
        }
        ($1 in on) && mode[$1] == "replicated" {
            allowed = label[$1] != "-" && label[$1] != "" ? label[$1] : ((stack[$1] in sm) ? sm[stack[$1]] : dflt)
            floor = $3 - allowed; if (floor < 0) floor = 0
            if ($2 - on[$1] < floor) print $1 " runs " $2 " of " $3 " tasks, " on[$1] " of them on " node ": " ($2 - on[$1]) " while it restarts, floor " floor " (maxUnavailable " allowed ")"
        }')
    [ -n "$short" ] || return 0
    lost=$(docker node ls --format '{{.Hostname}} {{.Status}}' 2>/dev/null | awk '$2 != "Ready" { printf "%s%s (%s)", sep, $1, tolower($2); sep = ", " }') || true
    say "REFUSED: restarting $node now would take a service below its floor (nodes not ready: ${lost:-none}); nothing changed on $node:"
    printf '%s\n' "$short" | sed "s/^/dockfleet[$node]: serve-wait:   /" >&2
    say "bring the services (or the nodes) back, or raise their maxUnavailable, and run pulumi up again"
    exit 1
}

# One check: prints what is missing (empty = all good); $1 = the file holding the snapshot (read
# from a file: as an awk -v argument it would be limited to 128 KiB).
missing() {
    local snap_file=$1 st avail want_avail tasks
    want_avail=$(awk '$1 == "node" { print $2 }' "$snap_file")
    if ! st=$(node_state 2>/dev/null) || [ -z "$st" ]; then
        # the manager itself: its docker gone (stopped, the host lost) says more than the node's state
        if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
            local unit # is-active exits 3 for inactive: its word, not its status, says it
            unit=$(systemctl is-active docker.service 2>/dev/null) || true
            echo "the manager $manager running this wait does not answer (its docker.service: ${unit:-unknown})"
            return 0
        fi
        st="unknown unknown"
    fi
    avail=${st#* }
    [ "${st%% *}" = ready ] || echo "node is ${st%% *}, not ready"
    [ -z "$want_avail" ] || [ "$avail" = "$want_avail" ] || echo "node availability is $avail, was $want_avail"
    tasks=$(node_tasks 2>/dev/null) || tasks="? ? unknown"
    printf '%s\n' "$tasks" | awk 'NF && $3 != "Running" { print "task " $2 " on the node is " $3 }'
    if grep -qx 'dockfleet-apply: restarted' "$snap_file"; then
        running_reports "$tasks" | awk '
            NR == FNR { if ($1 == "task") old[$2 " " $3] = 1; next }
            ($1 " " $2) in old { print "task " $1 " on the node: no report since the restart (Running as before it)" }' "$snap_file" -
    fi
    service_counts 2>/dev/null | awk '
        NR == FNR { if ($1 == "svc") before[$2] = $3; next }
        ($1 in before) {
            floor = before[$1] < $3 ? before[$1] : $3
            if ($2 < floor) print "service " $1 " runs " $2 " tasks, floor " floor " (before: " before[$1] ", desired: " $3 ")"
        }' "$snap_file" -
}

wait_serving() {
    local deadline stable=0 miss="" t0
    snap_file=$(mktemp) # global: the EXIT trap runs after this function has returned
    trap 'rm -f "$snap_file"' EXIT
    cat >"$snap_file"
    # grep reads the file, not `printf | grep -q`: under pipefail, grep exiting at the first line
    # failed printf's next write with SIGPIPE, and this check with it (once in CI, under load)
    grep -q '^node ' "$snap_file" || { say "no snapshot on stdin (a line \"node AVAILABILITY\" expected)"; exit 2; }
    if [ "$(awk '$1 == "node" { print $2 }' "$snap_file")" = none ]; then
        say "no swarm, or $node not in it, before the apply: nothing to wait for"
        return 0
    fi
    t0=$(date +%s)
    deadline=$((t0 + timeout))
    while :; do
        miss=$(missing "$snap_file") || true # a check that fails says what is missing; it never ends the wait early
        if [ -z "$miss" ]; then
            stable=$((stable + 1))
            if [ "$stable" -ge "$stable_checks" ]; then
                say "serving again after $(($(date +%s) - t0))s (node ready, its tasks running, every service at its floor for $stable_checks checks)"
                return 0
            fi
        else
            stable=0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "FAILED: not serving again after ${timeout}s:"
            printf '%s\n' "$miss" | sed "s/^/dockfleet[$node]: serve-wait:   /" >&2
            return 1
        fi
        sleep "$poll"
    done
}

case "$action" in
    snapshot) snapshot ;;
    wait) wait_serving ;;
    *) echo "swarm-serve-wait.sh: unknown action $action (snapshot, wait)" >&2; exit 2 ;;
esac
