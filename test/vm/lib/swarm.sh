# shellcheck shell=bash
# One swarm of the selected managers and workers.
# Sourced by test/vm/vm.sh (its globals and config are set there).

# One swarm of the selected managers and workers: init on the first manager, the others join.
# A node in another swarm (or a stale one) leaves first. Waits until every node is Ready.
ensure_swarm() {
  local h mgr="" maddr id nid st managers token wtoken="" mtoken="" want=0 i ready
  for h in "${HOSTS[@]}"; do
    [[ $(vm_role "$h") == manager ]] && { mgr=$h; break; }
  done
  [[ -n $mgr ]] || return 0
  if [[ ${DOCKFLEET_VM_SWARM:-1} == 0 ]]; then
    for h in "${HOSTS[@]}"; do
      [[ $(vm_role "$h") == manager || $(vm_role "$h") == worker ]] || continue
      hssh "$h" 'docker info --format "{{.Swarm.LocalNodeState}}" | grep -qx inactive || docker swarm leave --force >/dev/null'
    done
    log "   DOCKFLEET_VM_SWARM=0: no swarm (every node inactive)"
    return 0
  fi
  maddr=$(vm_addr "$mgr")
  st=$(hssh "$mgr" "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'")
  if [[ $st != "active true" ]]; then
    [[ $st == inactive* ]] || hssh "$mgr" 'docker swarm leave --force' >/dev/null 2>&1 || true
    hssh "$mgr" "docker swarm init --advertise-addr $maddr --listen-addr $maddr:2377" >/dev/null
  fi
  id=$(hssh "$mgr" "docker info --format '{{.Swarm.Cluster.ID}}'")
  # both tokens in one round trip (ssh under TCG is slow)
  read -r -d '' wtoken mtoken < <(hssh "$mgr" 'docker swarm join-token -q worker; docker swarm join-token -q manager') || true
  for h in "${HOSTS[@]}"; do
    [[ $h == "$mgr" ]] && continue
    case $(vm_role "$h") in
      manager) token=$mtoken ;;
      worker) token=$wtoken ;;
      *) continue ;;
    esac
    want=$((want + 1))
    # a worker has no Cluster.ID: compare the manager address it knows
    read -r st nid managers < <(hssh "$h" "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} {{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}'") || true
    if [[ $st == active && $managers == "$maddr:2377" ]] && hssh "$mgr" "docker node inspect $nid >/dev/null 2>&1"; then continue; fi
    [[ $st == inactive ]] || hssh "$h" 'docker swarm leave --force' >/dev/null 2>&1 || true
    hssh "$h" "docker swarm join --token $token --advertise-addr $(vm_addr "$h") --listen-addr $(vm_addr "$h"):2377 $maddr:2377" >/dev/null ||
      die "$h: docker swarm join $maddr:2377 failed"
  done
  for ((i = 0; i < 120; i++)); do
    ready=$(hssh "$mgr" "docker node ls --format '{{.Hostname}} {{.Status}}' | grep -c ' Ready$'" || true)
    ((ready >= want + 1)) && break
    sleep 2
  done
  ((ready >= want + 1)) || die "swarm: $ready of $((want + 1)) nodes Ready after 240 s"
  log "   swarm $id: manager $mgr, $ready nodes Ready"
}
