# shellcheck shell=bash
# The systemd-nspawn hosts: start, stop, cgroups, extra hosts.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

hdir() { echo "$STATE/hosts/$1"; }

any_host_mounted() {
  local h
  for h in "${HOSTS[@]}"; do
    mountpoint -q "$(hdir "$h")/root" 2>/dev/null && return 0
  done
  return 1
}

# Internal: runs as the nspawn launcher (setsid'd). Moves itself into a per-host
# cgroup below its own cgroup in every hierarchy, then execs systemd-nspawn.
launch_host() {
  local h=$1 d line hier path mnt cg parent f fd
  # A host outlives whoever started it: no descriptor of theirs may live on in it (a suite lock
  # held by test-all.sh's bash would stay held as long as the host runs).
  for fd in "/proc/$$/fd/"*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  d=$(hdir "$h")
  echo $$ >"$d/nspawn.pid"
  : >"$d/cgroups"
  while IFS= read -r line; do
    hier=${line#*:}
    hier=${hier%%:*}
    path=${line#*:*:}
    case $hier in
      '') mnt=/sys/fs/cgroup/unified ;;
      name=systemd) mnt=/sys/fs/cgroup/systemd ;;
      *) mnt=/sys/fs/cgroup/${hier%%,*} ;;
    esac
    [[ -d $mnt ]] || continue
    parent=$mnt${path%/}/$CG_NAME
    cg=$parent/$h
    mkdir -p "$cg"
    if [[ $hier == cpuset ]]; then
      for f in cpuset.cpus cpuset.mems; do
        [[ -n $(cat "$parent/$f") ]] || cat "$mnt${path%/}/$f" >"$parent/$f"
        cat "$parent/$f" >"$cg/$f"
      done
    fi
    echo "$cg" >>"$d/cgroups"
    echo $$ >"$cg/cgroup.procs"
  done </proc/self/cgroup
  exec systemd-nspawn --boot --directory="$d/root" --machine="$h" --hostname="$h" \
    --register=no --keep-unit --network-bridge="$BR" \
    --bind="$d/docker:/var/lib/docker" \
    --resolv-conf=off --timezone=off --link-journal=no --console=read-only \
    --system-call-filter=@keyring
}

host_leader() {
  local pid
  pid=$(cat "$(hdir "$1")/nspawn.pid" 2>/dev/null) || return 1
  pgrep -P "$pid" | head -1
}

# v1 controllers are mounted read-only inside the container; docker needs them rw.
# Done after boot (an early remount can race nspawn's own mount setup) and verified.
fix_cgroups() {
  local h=$1 leader mnt i
  for ((i = 0; i < 5; i++)); do
    leader=$(host_leader "$h" || true)
    [[ -n $leader && -r /proc/$leader/mounts ]] || return 1
    awk '$3 == "cgroup" && $4 ~ /(^|,)ro(,|$)/ {print $2}' "/proc/$leader/mounts" >"$STATE/hosts/$h/ro-cgroups"
    [[ -s $STATE/hosts/$h/ro-cgroups ]] || return 0
    while read -r mnt; do
      nsenter -t "$leader" -m mount -o remount,bind,rw,nosuid,nodev,noexec "$mnt" || true
    done <"$STATE/hosts/$h/ro-cgroups"
    sleep 0.2
  done
  log "   $h: cgroup mounts still read-only: $(tr '\n' ' ' <"$STATE/hosts/$h/ro-cgroups")"
  return 1
}

start_host() {
  local h=$1 d
  d=$(hdir "$h")
  mkdir -p "$d/upper" "$d/work" "$d/root" "$d/docker"
  if ! mountpoint -q "$d/root"; then
    mount -t overlay overlay -o "lowerdir=$STATE/base/rootfs,upperdir=$d/upper,workdir=$d/work" "$d/root"
  fi
  local r=$d/root
  echo "$h" >"$r/etc/hostname"
  if [[ ! -s $r/etc/machine-id ]]; then
    tr -d '-' </proc/sys/kernel/random/uuid >"$r/etc/machine-id"
  fi
  {
    echo "127.0.0.1 localhost"
    echo "127.0.1.1 $h"
    local o
    for o in "${HOSTS[@]}"; do echo "${ADDR[$o]} $o"; done
  } >"$r/etc/hosts"
  mkdir -p "$r/etc/systemd/network"
  printf '[Match]\nName=host0\n\n[Network]\nAddress=%s/%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
    "${ADDR[$h]}" "$PREFIX" >"$r/etc/systemd/network/10-host0.network"
  # The host's ed25519 key is made here, before it boots, so that it is pinned before the first
  # connection (its ssh.service's `ssh-keygen -A` makes the other types, and keeps this one).
  if [[ ! -s $r/etc/ssh/ssh_host_ed25519_key.pub ]]; then
    rm -f "$r/etc/ssh/ssh_host_ed25519_key" "$r/etc/ssh/ssh_host_ed25519_key.pub"
    if [[ -s $HOST_KEYS/$h/ssh_host_ed25519_key && -s $HOST_KEYS/$h/ssh_host_ed25519_key.pub ]]; then
      cp -p "$HOST_KEYS/$h/ssh_host_ed25519_key" "$HOST_KEYS/$h/ssh_host_ed25519_key.pub" "$r/etc/ssh/"
    else
      ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$r/etc/ssh/ssh_host_ed25519_key"
    fi
  fi
  # a master of an earlier boot is gone: its socket would only print "Connection refused"
  rm -f "$STATE/ssh/cm-${ADDR[$h]}"
  release_veth "$h"
  (close_inherited_fds; exec setsid bash "$SELF" __launch "$h" >"$LOGS/$h-nspawn.log" 2>&1 </dev/null) &
}

# SIGKILL to every process in the host's cgroups (the list in its dir's `cgroups`).
kill_host_procs() {
  local d=$1 cg pid
  [[ -f $d/cgroups ]] || return 0
  while read -r cg; do
    [[ -d $cg ]] || continue
    while read -r pid; do
      if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
  done <"$d/cgroups"
}

# Full cleanup of one host: processes, mounts, cgroups. Keeps data unless $2=wipe.
stop_host() {
  local h=$1 wipe=${2:-} d cg
  d=$(hdir "$h")
  [[ -d $d ]] || return 0
  ssh_master_exit "$h"
  # nspawn's per-image lock file is named after the root dir's device:inode.
  local lock=""
  if mountpoint -q "$d/root"; then lock=/run/systemd/nspawn/locks/inode-$(stat -c '%d:%i' "$d/root"); fi
  stop_pidfile "$d/nspawn.pid" 40
  # Anything left in our cgroups (should be nothing): kill by PID.
  if [[ -f $d/cgroups ]]; then
    kill_host_procs "$d"
    sleep 0.2
    while read -r cg; do
      if [[ -d $cg ]]; then find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
      rmdir "$(dirname "$cg")" 2>/dev/null || true
    done <"$d/cgroups"
    rm -f "$d/cgroups"
  fi
  if mountpoint -q "$d/root"; then
    umount "$d/root" 2>/dev/null || { sleep 1; umount "$d/root"; }
  fi
  # nspawn leaves these behind because /run is not a tmpfs here.
  rm -rf "/run/systemd/nspawn/propagate/$h" 2>/dev/null || true
  if [[ -n $lock ]]; then rm -f "$lock"; fi
  release_veth "$h"
  if [[ $wipe == wipe ]]; then
    keep_host_key "$h"
    rm -rf "$d"
  fi
}

# The kernel tears a stopped host's network namespace down after its last process: its veth
# lingers a moment, and a boot before it is gone fails ("Failed to add new veth interfaces
# (vb-host3:host0): File exists", seen in CI on 2026-12-08: the repair then wiped the host out of
# its swarm). Wait for it, then delete what is left.
release_veth() {
  local h=$1 i
  for ((i = 0; i < 50; i++)); do
    ip link show "vb-$h" >/dev/null 2>&1 || return 0
    host_running "$h" && return 0
    sleep 0.2
  done
  ip link delete "vb-$h" >/dev/null 2>&1 || true
}

host_running() {
  local h=$1 d
  d=$(hdir "$h")
  pidfile_alive "$d/nspawn.pid" && mountpoint -q "$d/root"
}

# Hosts of an earlier, larger sandbox (DOCKFLEET_SANDBOX_HOSTS) beyond this run's N.
extra_hosts() {
  local d
  for d in "$STATE"/hosts/host*; do
    [[ -d $d ]] || continue
    [[ -n ${ADDR[${d##*/}]:-} ]] || echo "${d##*/}"
  done
}

# Stops the extra hosts and drops their nodes from the swarm (tasks would land on them).
drop_extra_hosts() {
  local h extra id
  mapfile -t extra < <(extra_hosts)
  ((${#extra[@]} > 0)) || return 0
  log "   stopping hosts beyond DOCKFLEET_SANDBOX_HOSTS=$NHOSTS: ${extra[*]}"
  for h in "${extra[@]}"; do
    hssh "$h" 'docker swarm leave --force >/dev/null 2>&1' 2>/dev/null || true
    stop_host "$h" wipe
  done
  for h in "${HOSTS[@]}"; do
    hssh "$h" 'docker node ls -q >/dev/null 2>&1' 2>/dev/null || continue
    for id in $(hssh "$h" "docker node ls --format '{{.ID}} {{.Hostname}}'" | awk -v x=" ${extra[*]} " 'index(x, " " $2 " ") {print $1}'); do
      hssh "$h" "docker node demote $id >/dev/null 2>&1; docker node rm --force $id >/dev/null 2>&1" || true
    done
    break
  done
}

hosts_down() {
  local h pids=() p
  for h in "${HOSTS[@]}" $(extra_hosts); do
    stop_host "$h" wipe &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null || true
}

ensure_hosts() {
  local h started=() pids=() p rc=0
  mkdir -p "$STATE/hosts" "$LOGS"
  write_known_hosts # the running hosts' keys (an earlier sandbox.sh wrote none)
  for h in "${HOSTS[@]}"; do
    if host_running "$h" && hssh "$h" true 2>/dev/null; then
      continue
    fi
    log "   starting $h"
    stop_host "$h"
    start_host "$h"
    started+=("$h")
  done
  write_known_hosts
  for h in "${HOSTS[@]}"; do
    wait_host "$h" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || return 1
  ((${#started[@]} == 0)) || log "   booted: ${started[*]}"
}
