#!/usr/bin/env bash
# dockfleet: swarm membership of one host, converged over SSH (components/swarm).
#
#   swarm-node.sh source --host NAME --advertise ADDR --marker M
#       This host hands out join tokens: inits a swarm if it is in none, refuses if it is a worker,
#       then prints "worker TOKEN" and "manager TOKEN" on stdout (a secret output; nothing else is
#       printed there).
#   swarm-node.sh join --host NAME --advertise ADDR --role manager|worker --managers A1,A2 --marker M <TOKENS
#       Joins the swarm of managers A1,A2 (port 2377) with the token for ROLE from stdin, unless the
#       host already is a node of it. A host in another swarm is refused, never moved.
#   swarm-node.sh nodes --host NAME --marker M --remove-nodes 0|1 --node 'HOSTNAME ROLE AVAIL [labels K=V...]'...
#       On a manager: prunes Down duplicates of configured nodes, promotes, demotes (never below
#       raft quorum), sets labels (exactly the given ones when "labels" is present) and
#       availability, and removes nodes not in the config when --remove-nodes 1 (else lists them).
#   swarm-node.sh leave --host NAME
#       Delete of a member: a node the config no longer wants and that a manager already removed
#       leaves cleanly; a node still in the swarm stays (removing nodes is the `nodes` step's job).
#
# Every step says what it did on stderr, prefixed "dockfleet[NAME]: swarm". After a successful run
# the marker is recorded in /var/lib/dockfleet/swarm/<action>.marker (see components/common/marker.ts).
# A join token is never an argument of a command (`ps` shows arguments to every local user): the
# join goes to the Engine API over the unix socket with the token in the request body, on curl's stdin.
set -euo pipefail
umask 077 # the state directory is root-only, like the rest of /var/lib/dockfleet
STATE_DIR=${DOCKFLEET_SWARM_STATE_DIR:-/var/lib/dockfleet/swarm}
DOCKER_SOCK=${DOCKFLEET_DOCKER_SOCK:-/var/run/docker.sock} # tests point it elsewhere
action=${1:?action}
shift
host=$(hostname) advertise="" marker="" role="" managers="" remove_nodes=0
nodes=()
while [ $# -gt 0 ]; do
    case "$1" in
        --host) host=$2; shift 2 ;;
        --advertise) advertise=$2; shift 2 ;;
        --marker) marker=$2; shift 2 ;;
        --role) role=$2; shift 2 ;;
        --managers) managers=$2; shift 2 ;;
        --remove-nodes) remove_nodes=$2; shift 2 ;;
        --node) nodes+=("$2"); shift 2 ;;
        *) echo "swarm-node.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

say() { echo "dockfleet[$host]: swarm: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
record() { mkdir -p "$STATE_DIR"; chmod 0700 "$STATE_DIR"; printf '%s\n' "$marker" >"$STATE_DIR/$1.marker.tmp"; mv "$STATE_DIR/$1.marker.tmp" "$STATE_DIR/$1.marker"; }
info() { docker info --format "$1" 2>/dev/null; }
# docker node promote|demote|update ..., retried while the manager answers "update out of
# sequence": the node object changed between the CLI's read and its write (seen in CI right after a
# promotion, when the manager updates the node itself). Other errors fail at once, printed.
node_op() {
    local out i
    for ((i = 0; i < 10; i++)); do
        if out=$(docker node "$@" 2>&1); then return 0; fi
        case "$out" in *"update out of sequence"*) sleep 1 ;; *) break ;; esac
    done
    printf '%s\n' "$out" >&2
    return 1
}
local_state() { info '{{.Swarm.LocalNodeState}}' || echo unreachable; }

# api_join MANAGER: POST /swarm/join with the token in the JSON body, written by printf (a shell
# builtin: no process has the token in its arguments) to curl's stdin. The path has no API
# version: every engine takes its own (v1.41 is 20.10's; engine 29 refuses versions below 1.44).
# On failure prints the daemon's message (its error JSON's "message") or curl's error.
api_join() {
    local out code body msg
    out=$(printf '{"ListenAddr":"%s:2377","AdvertiseAddr":"%s","RemoteAddrs":["%s:2377"],"JoinToken":"%s"}' "$advertise" "$advertise" "$1" "$token" |
        curl -sS --max-time 120 --unix-socket "$DOCKER_SOCK" -H 'Content-Type: application/json' -w '\n%{http_code}' -d @- http://localhost/swarm/join 2>&1) || {
        printf '%s' "$out" | tail -1
        return 1
    }
    code=${out##*$'\n'}
    body=${out%"$code"}
    [ "$code" = 200 ] && return 0
    msg=$(jq -r '.message // empty' <<<"$body" 2>/dev/null || true)
    [ -n "$msg" ] || msg=$(sed -n 's/.*"message"[[:space:]]*:[[:space:]]*"\(.*\)".*/\1/p' <<<"$body" | head -1)
    printf 'Error response from daemon (HTTP %s): %s' "$code" "${msg:-$(tr -d '\n' <<<"$body" | cut -c1-300)}"
    return 1
}

# Waits until this node's swarm state is settled (join and init return before raft catches up).
wait_state() {
    local want=$1 i st
    for ((i = 0; i < 60; i++)); do
        st=$(local_state)
        [ "$st" = "$want" ] && return 0
        sleep 1
    done
    die "state is ${st:-unknown} after 60 s, expected $want"
}

case "$action" in
source)
    [ -n "$advertise" ] || die "--advertise is required"
    st=$(local_state)
    case "$st" in
        inactive)
            say "no swarm here: docker swarm init --advertise-addr $advertise"
            docker swarm init --advertise-addr "$advertise" --listen-addr "$advertise:2377" >/dev/null || die "docker swarm init failed"
            wait_state active
            say "initialized swarm $(info '{{.Swarm.Cluster.ID}}') (this node: $(info '{{.Swarm.NodeID}}'))"
            ;;
        active)
            [ "$(info '{{.Swarm.ControlAvailable}}')" = true ] || die "this host is a worker of a swarm; the host that hands out join tokens must be a manager"
            say "manager of swarm $(info '{{.Swarm.Cluster.ID}}')"
            ;;
        *) die "swarm state is \"$st\" (docker info .Swarm.LocalNodeState); fix it by hand (docker swarm leave --force, or unlock)" ;;
    esac
    w=$(docker swarm join-token -q worker) || die "docker swarm join-token worker failed"
    m=$(docker swarm join-token -q manager) || die "docker swarm join-token manager failed"
    # Record first: nothing may fail after the tokens are printed (a failed command's error text
    # quotes its stdout).
    record member
    printf 'worker %s\nmanager %s\n' "$w" "$m"
    ;;
join)
    if [ -z "$advertise" ] || [ -z "$managers" ]; then die "--advertise and --managers are required"; fi
    case "$role" in manager | worker) ;; *) die "--role must be manager or worker" ;; esac
    # both go into a JSON body verbatim: addresses and host names only
    case "$advertise,$managers" in *[!A-Za-z0-9.:_,[\]-]*) die "--advertise and --managers must be addresses or host names" ;; esac
    token=""
    # The command provider trims stdout's last newline: read the last line without one too.
    while read -r kind tok || [ -n "${kind:-}" ]; do
        [ "$kind" = "$role" ] && token=$tok
        kind=""
    done
    st=$(local_state)
    IFS=, read -r -a addrs <<<"$managers"
    if [ "$st" = active ]; then
        # The node's view of its managers tells whether it is in the configured swarm.
        remote=" $(info '{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}') "
        for a in "${addrs[@]}"; do
            if [[ $remote == *" $a:2377 "* ]]; then
                say "already a node of this swarm ($(info '{{.Swarm.NodeID}}'))"
                record member
                exit 0
            fi
        done
        die "this host is a node of another swarm (managers:$remote); leave it by hand (docker swarm leave) or take the host out of the config"
    fi
    if [ "$st" = pending ] || [ "$st" = error ]; then
        say "swarm state \"$st\" (a node a manager removed, or a join that never finished): docker swarm leave --force"
        docker swarm leave --force >/dev/null 2>&1 || true
    fi
    [ -n "$token" ] || die "no $role join token on stdin"
    case "$token" in *[!A-Za-z0-9-]*) die "the $role join token on stdin is not a swarm join token (SWMTKN-...; not shown)" ;; esac
    command -v curl >/dev/null 2>&1 || die "curl is not installed on this host: the join goes to the Engine API over $DOCKER_SOCK with curl, so the token is never on a command line (apt-get install curl)"
    [ -S "$DOCKER_SOCK" ] || die "$DOCKER_SOCK is not a socket: the join talks to dockerd's API there"
    for a in "${addrs[@]}"; do
        say "joining as $role via $a:2377"
        if out=$(api_join "$a"); then
            wait_state active
            say "joined ($(info '{{.Swarm.NodeID}}'))"
            record member
            exit 0
        fi
        # The daemon's message never carries the token; it names what went wrong.
        say "join via $a failed: ${out//$token/<token>}"
    done
    die "could not join via any manager ($managers)"
    ;;
nodes)
    [ "$(info '{{.Swarm.ControlAvailable}}')" = true ] || die "this host is not a swarm manager; node updates run on a manager"
    declare -A want_role want_avail want_labels managed_labels seen
    for spec in "${nodes[@]}"; do
        read -r -a f <<<"$spec"
        n=${f[0]}
        want_role[$n]=${f[1]}
        want_avail[$n]=${f[2]}
        if [ "${f[3]:-}" = labels ]; then
            managed_labels[$n]=1
            want_labels[$n]="${f[*]:4}"
        fi
    done
    list() { docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}}'; }
    # Reachable managers now, and the raft majority after removing one more manager.
    quorum_ok_without_one() {
        local total=0 reach=0 id r
        for id in $(docker node ls -q); do
            r=$(docker node inspect -f '{{if .ManagerStatus}}{{.ManagerStatus.Reachability}}{{end}}' "$id")
            [ -n "$r" ] || continue
            total=$((total + 1))
            [ "$r" = reachable ] && reach=$((reach + 1))
        done
        [ $((reach - 1)) -ge $(((total - 1) / 2 + 1)) ]
    }
    # 1. Down duplicates of configured hosts (a wiped host that rejoined): demote, remove.
    while read -r id name status; do
        [ -n "${want_role[$name]:-}" ] || continue
        if [ "$status" = Down ] && [ "$(list | awk -v n="$name" '$2==n && $3=="Ready"' | wc -l)" -ge 1 ]; then
            say "prune stale node $id ($name, Down; the host rejoined as a new node)"
            docker node demote "$id" >/dev/null 2>&1 || true
            docker node rm --force "$id" >/dev/null || die "docker node rm $id failed"
        fi
    done < <(list)
    node_id() {
        local ids i
        # A node whose dockerd just restarted (its daemon apply) is Down/Unknown in this manager's
        # list for a few seconds after it is Ready in its own view: wait for it.
        for ((i = 0; i < 60; i++)); do
            ids=$(list | awk -v n="$1" '$2==n && $3=="Ready" {print $1}')
            [ -z "$ids" ] || break
            [ "$i" -gt 0 ] || say "waiting for $1 to be Ready in this manager's node list"
            sleep 1
        done
        [ -n "$ids" ] || die "host $1 is not a Ready node of this swarm after 60 s (did its join fail?)"
        [ "$(wc -w <<<"$ids")" = 1 ] || die "more than one Ready node is named $1 ($ids); node names (hostnames) must be unique"
        echo "$ids"
    }
    changed=()
    # 2. Promotions before demotions: the manager count never dips on the way.
    for n in "${!want_role[@]}"; do
        id=$(node_id "$n")
        seen[$id]=1
        cur=$(docker node inspect -f '{{.Spec.Role}}' "$id")
        if [ "${want_role[$n]}" = manager ] && [ "$cur" = worker ]; then
            say "promote $n"; node_op promote "$id" || die "docker node promote $n failed"; changed+=("promote:$n")
        fi
    done
    for n in "${!want_role[@]}"; do
        id=$(node_id "$n")
        cur=$(docker node inspect -f '{{.Spec.Role}}' "$id")
        if [ "${want_role[$n]}" = worker ] && [ "$cur" = manager ]; then
            quorum_ok_without_one || die "demoting $n would leave fewer reachable managers than raft needs; nothing demoted"
            say "demote $n"; node_op demote "$id" || die "docker node demote $n failed"; changed+=("demote:$n")
        fi
    done
    # 3. Labels and availability.
    for n in "${!want_role[@]}"; do
        id=$(node_id "$n")
        upd=()
        if [ -n "${managed_labels[$n]:-}" ]; then
            declare -A have=()
            while IFS='=' read -r k v; do [ -n "$k" ] && have[$k]=$v; done < <(docker node inspect -f '{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}}{{"\n"}}{{end}}' "$id")
            declare -A want=()
            for kv in ${want_labels[$n]}; do want[${kv%%=*}]=${kv#*=}; done
            for k in "${!want[@]}"; do [ "${have[$k]-__unset__}" = "${want[$k]}" ] || upd+=(--label-add "$k=${want[$k]}"); done
            for k in "${!have[@]}"; do [ -n "${want[$k]+x}" ] || upd+=(--label-rm "$k"); done
            unset have want
        fi
        cur=$(docker node inspect -f '{{.Spec.Availability}}' "$id")
        [ "$cur" = "${want_avail[$n]}" ] || upd+=(--availability "${want_avail[$n]}")
        if [ ${#upd[@]} -gt 0 ]; then
            say "update $n: ${upd[*]}"
            node_op update "${upd[@]}" "$id" || die "docker node update $n failed"
            changed+=("update:$n")
        fi
    done
    # 4. Nodes not in the config.
    while read -r id name status; do
        [ -z "${seen[$id]:-}" ] || continue
        [ -z "${want_role[$name]:-}" ] || continue
        if [ "$remove_nodes" = 1 ]; then
            if [ -n "$(docker node inspect -f '{{if .ManagerStatus}}m{{end}}' "$id")" ]; then
                if [ "$status" = Ready ]; then quorum_ok_without_one || die "removing manager $name would leave fewer reachable managers than raft needs"; fi
                say "demote $name (not in the config)"; node_op demote "$id" || die "docker node demote $name failed"
            fi
            say "remove $name ($id, $status; not in the config, removeNodes: true)"
            docker node rm --force "$id" >/dev/null || die "docker node rm $name failed"
            changed+=("remove:$name")
        else
            say "node $name ($id, $status) is not in the config: kept (removeNodes: false)"
        fi
    done < <(list)
    say "nodes converged${changed[*]:+: ${changed[*]}}"
    echo "${changed[*]:-no changes}"
    record nodes
    ;;
leave)
    st=$(local_state)
    case "$st" in
        inactive) say "not in a swarm" ;;
        pending | error) say "removed from the swarm by a manager: docker swarm leave --force"; docker swarm leave --force >/dev/null 2>&1 || true ;;
        active) say "still a node of the swarm: kept (a manager removes nodes the config drops when removeNodes is true)" ;;
        *) say "swarm state \"$st\": left as it is" ;;
    esac
    rm -f "$STATE_DIR/member.marker"
    ;;
*) echo "usage: swarm-node.sh source|join|nodes|leave [options]" >&2; exit 2 ;;
esac
