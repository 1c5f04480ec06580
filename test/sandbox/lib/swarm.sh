# shellcheck shell=bash
# The swarm fixture of the contract suites (sandbox.sh swarm).
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

swarm_state() { hssh "$1" 'docker info --format "{{.Swarm.LocalNodeState}}"' 2>/dev/null || echo unreachable; }

want_manager() { [[ ${1#host} -le $NMANAGERS ]]; }

ensure_swarm() {
  local first=${HOSTS[0]} h st token mgr="" i ready
  # Find a host that is an active manager with quorum.
  for h in "${HOSTS[@]}"; do
    want_manager "$h" || continue
    st=$(swarm_state "$h")
    if [[ $st == active ]] && hssh "$h" 'docker node ls -q >/dev/null 2>&1'; then
      mgr=$h
      break
    fi
  done
  if [[ -z $mgr ]]; then
    st=$(swarm_state "$first")
    if [[ $st == active ]]; then
      # Active but no quorum anywhere: rebuild the cluster from the first host.
      log "   no manager with quorum: force-new-cluster on $first"
      hssh "$first" "docker swarm init --force-new-cluster --advertise-addr ${ADDR[$first]}" >/dev/null
    else
      hssh "$first" "docker swarm init --advertise-addr ${ADDR[$first]} --listen-addr ${ADDR[$first]}:2377" >/dev/null
    fi
    mgr=$first
  fi
  local mtoken wtoken
  mtoken=$(hssh "$mgr" 'docker swarm join-token -q manager')
  wtoken=$(hssh "$mgr" 'docker swarm join-token -q worker')
  for h in "${HOSTS[@]}"; do
    [[ $h == "$mgr" ]] && continue
    if want_manager "$h"; then token=$mtoken; else token=$wtoken; fi
    st=$(swarm_state "$h")
    if [[ $st != active ]]; then
      [[ $st == inactive ]] || hssh "$h" 'docker swarm leave --force >/dev/null 2>&1' || true
      # Drop stale entries for this hostname (a wiped host rejoins as a new node);
      # a dead manager entry would otherwise count against raft quorum.
      local id
      for id in $(hssh "$mgr" "docker node ls --format '{{.ID}} {{.Hostname}}'" | awk -v h="$h" '$2==h{print $1}'); do
        hssh "$mgr" "docker node demote $id >/dev/null 2>&1; docker node rm --force $id >/dev/null 2>&1" || true
      done
      hssh "$h" "docker swarm join --token $token --advertise-addr ${ADDR[$h]} --listen-addr ${ADDR[$h]}:2377 ${ADDR[$mgr]}:2377" >/dev/null
    fi
  done
  # The first NMANAGERS hosts are managers, the rest workers (re-promote or demote if some path
  # changed a role). Promotions first, so a demotion never costs quorum.
  local role
  for h in "${HOSTS[@]}"; do
    role=$(hssh "$mgr" "docker node inspect -f '{{.Spec.Role}}' $h" 2>/dev/null || true)
    if want_manager "$h" && [[ $role == worker ]]; then hssh "$mgr" "docker node promote $h" >/dev/null; fi
  done
  for h in "${HOSTS[@]}"; do
    role=$(hssh "$mgr" "docker node inspect -f '{{.Spec.Role}}' $h" 2>/dev/null || true)
    if ! want_manager "$h" && [[ $role == manager ]]; then hssh "$mgr" "docker node demote $h" >/dev/null; fi
  done
  # Remove stale Down entries left by recreated hosts.
  for i in $(hssh "$mgr" "docker node ls --format '{{.ID}} {{.Status}}'" | awk '$2=="Down"{print $1}'); do
    hssh "$mgr" "docker node demote $i >/dev/null 2>&1; docker node rm --force $i" >/dev/null 2>&1 || true
  done
  # Ready is not enough: a node just promoted shows no manager status for a while (minutes, seen
  # after going back from 1 + 5 to 3 managers), and the next apply's quorum check counts it lost.
  local want_mgrs=0 out mgrs
  for h in "${HOSTS[@]}"; do want_manager "$h" && want_mgrs=$((want_mgrs + 1)); done
  for ((i = 0; i < 360; i++)); do
    out=$(hssh "$mgr" "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'" 2>/dev/null || true)
    ready=$(awk '$2=="Ready"' <<<"$out" | sort -u | wc -l)
    mgrs=$(awk '$3=="Leader" || $3=="Reachable"' <<<"$out" | wc -l)
    ((ready == ${#HOSTS[@]} && mgrs == want_mgrs)) && return 0
    sleep 0.5
  done
  hssh "$mgr" 'docker node ls' >&2 || true
  return 1
}

# After `up` recreated hosts (a repair wipes a host that did not boot healthy), the hosts that kept
# their disks may still be a swarm that lists the recreated ones as nodes (Down, or Unknown right
# after the managers' own boot): a manager lost for good, which leaves every later restart of a
# manager refused for quorum (seen in CI on 2026-12-08: `npm start` stopped on "managers lost:
# host3"). A host out of the swarm whose name the swarm lists rejoins (ensure_swarm). Where no
# swarm lists it, it is left alone: forming the swarm is the product's job.
rejoin_replaced_hosts() {
  local h mgr="" listed="" stale=()
  local -A st=() # each host asked once
  for h in "${HOSTS[@]}"; do st[$h]=$(swarm_state "$h"); done
  for h in "${HOSTS[@]}"; do
    [[ ${st[$h]} == active ]] || continue
    if hssh "$h" 'docker node ls -q >/dev/null 2>&1'; then
      mgr=$h
      break
    fi
    [[ -n $mgr ]] || mgr="-" # in a swarm without a manager that answers
  done
  [[ -n $mgr ]] || return 0 # no swarm
  if [[ $mgr != - ]]; then
    listed=$(hssh "$mgr" "docker node ls --format '{{.Hostname}}'")
  fi
  for h in "${HOSTS[@]}"; do
    if [[ ${st[$h]} != active ]] && { [[ $mgr == - ]] || grep -qx "$h" <<<"$listed"; }; then stale+=("$h"); fi
  done
  ((${#stale[@]})) || return 0
  log "   ${stale[*]}: recreated out of the swarm the other hosts kept (or no manager answers): rejoining"
  ensure_swarm
}
