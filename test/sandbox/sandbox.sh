#!/usr/bin/env bash
# dockfleet test sandbox: 3 (DOCKFLEET_SANDBOX_HOSTS: up to 9) Debian bookworm hosts (systemd-nspawn, systemd as PID 1,
# sshd, docker.io under docker.service), plus a single-node OpenStack Swift (tempauth +
# s3api) on the sandbox bridge. The swarm is the product's job (components/swarm).
#
#   sandbox.sh up       build / repair / health-check (fast no-op when healthy); no swarm
#   sandbox.sh swarm    a 3-manager swarm for the contract suites (no-op when healthy;
#                       DOCKFLEET_SANDBOX_MANAGERS=M: M managers, the other hosts workers)
#   sandbox.sh down     remove everything except the base-image cache
#   sandbox.sh status   print the state of every component
#   sandbox.sh recreate HOST...|all  wipe hosts and boot them again from the base (new instances)
#   sandbox.sh selftest run both local images on a host (proves they work)
#   sandbox.sh powercut HOST / boot HOST  kill every process of a host at once / boot it as it is
#
# See test/sandbox/README.md and /work/shared/notes/systemd-hosts.md.
set -euo pipefail

SCRIPT_VERSION=3
SELF=$(readlink -f "${BASH_SOURCE[0]}")
STATE=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
CACHE=${DOCKFLEET_CACHE:-/var/cache/dockfleet}
# The Debian mirror: DOCKFLEET_DEBIAN_MIRROR, else the first bookworm "main" source this machine's
# apt uses (deb822 .sources or one-line lists); a user's machine has its own mirror.
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0; deb = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:.*(^|[ \t])deb([ \t]|$)/) deb = 1
          if ($i ~ /^URIs:/) { split($i, w, /[ \t]+/); uri = w[2] }
          if ($i ~ /^Suites:/ && (" " $i " ") ~ (" " suite " ")) ok = 1
        }
        if (deb && ok && uri != "" && uri !~ /security/) { print uri; exit } }' "$f"
  done | head -1 | grep . && return 0
  sed -n -E "s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+${SUITE}[[:space:]].*/\2/p" \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -1 | grep .
}
SUITE=bookworm
BR=dfbr0
BR_ADDR=10.232.0.1
PREFIX=24
# DOCKFLEET_SANDBOX_HOSTS=N (3..9, default 3): host1..hostN at 10.232.0.11..1N. The suites use
# host1..host3; more hosts are for the larger-fleet benchmark (bench/rollout-vs-ansible.sh).
NHOSTS=${DOCKFLEET_SANDBOX_HOSTS:-3}
[[ $NHOSTS =~ ^[3-9]$ ]] || { echo "DOCKFLEET_SANDBOX_HOSTS must be 3..9, not '$NHOSTS'" >&2; exit 2; }
# DOCKFLEET_SANDBOX_MANAGERS=M (1..N, default 3): managers of the `swarm` fixture; the rest join
# as workers. The contract suites expect 3 managers.
NMANAGERS=${DOCKFLEET_SANDBOX_MANAGERS:-3}
if ! [[ $NMANAGERS =~ ^[1-9]$ ]] || ((NMANAGERS > NHOSTS)); then
  echo "DOCKFLEET_SANDBOX_MANAGERS must be 1..$NHOSTS, not '$NMANAGERS'" >&2
  exit 2
fi
HOSTS=()
declare -A ADDR=()
for ((i = 1; i <= NHOSTS; i++)); do HOSTS+=("host$i"); ADDR[host$i]=10.232.0.1$i; done
unset i
CG_NAME=dockfleet-sandbox
FW_COMMENT=dockfleet-sandbox
SWIFT_PORT=8080
IMG_BUSYBOX=local/busybox:1
IMG_REGISTRY=local/registry:2.8.2
# Packages inside every host. jq/curl: things a real operator host has.
# systemd-analyze ships in the systemd package.
BASE_PKGS=systemd,systemd-sysv,dbus,openssh-server,iproute2,docker.io,ca-certificates,iptables,procps,iputils-ping,less,jq,curl

SSH_KEY=$STATE/ssh/id_ed25519
SSH_CFG=$STATE/ssh_config
# Each host's pinned ed25519 host key (ssh_config and stacks/Pulumi.local.yaml verify against it).
KNOWN_HOSTS=$STATE/ssh/known_hosts
# Each host's ed25519 key pair, kept across a wipe: a recreated host is the same machine
# reinstalled, and keeps its identity, as an operator restores a reinstalled server's host keys.
# The state of the local stack pins the key; a new one would fail its destroy on "host key
# mismatch" (scripts/local-stack.sh).
HOST_KEYS=$STATE/host-keys
SWIFT_DIR=$STATE/swift
LOGS=$STATE/logs

# Swarm topology: 3 managers (all hosts). Tests restart dockerd on every host in turn,
# including a manager. With a single manager, node status is unreadable (and no
# scheduling happens) while that one dockerd restarts; with 3 managers raft keeps
# quorum (2 of 3) when one is down, so `docker node ls` keeps working on the
# other two and the restarted node rejoins by itself. Managers also run tasks.

# ---------------------------------------------------------------- helpers
T0=$(date +%s.%N)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[sandbox %6ss] %s\n' "$(elapsed "$T0")" "$*"; }
die() { printf '[sandbox] ERROR: %s\n' "$*" >&2; exit 1; }

# step NAME FUNC [ARGS...]: run FUNC and print its duration.
step() {
  local name=$1 t rc=0
  shift
  t=$(now)
  log "-> $name"
  # Called from `if` too, where errexit is off: propagate the status explicitly.
  "$@" || rc=$?
  if ((rc == 0)); then
    log "   $name done in $(elapsed "$t")s"
  else
    log "   $name FAILED (rc=$rc) after $(elapsed "$t")s"
  fi
  return $rc
}

# ssh to a host; uses a running ControlMaster when there is one but never starts
# one implicitly (a ControlPersist master started inside $(...) keeps the pipe open).
hssh() {
  local h=$1
  shift
  ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes "$h" "$@"
}

# Start a persistent ssh master for a host with stdio detached.
ssh_master() {
  local h=$1
  if ssh -F "$SSH_CFG" -O check "$h" >/dev/null 2>&1; then return 0; fi
  ssh -F "$SSH_CFG" -o ControlMaster=yes -o ControlPersist=600 -o BatchMode=yes -fN "$h" \
    </dev/null >/dev/null 2>&1 9>&- || true
}

ssh_master_exit() {
  local h=$1
  [[ -f $SSH_CFG ]] || return 0
  ssh -F "$SSH_CFG" -O exit "$h" >/dev/null 2>&1 || true
}

# pid_alive PID: true when PID exists and is not a zombie.
pid_alive() {
  local pid=$1 st
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z ]]
}

pidfile_alive() {
  local f=$1
  [[ -f $f ]] && pid_alive "$(cat "$f")"
}

# stop_pid PIDFILE [TIMEOUT]: SIGTERM, wait, SIGKILL. Only ever by PID.
stop_pidfile() {
  local f=$1 timeout=${2:-20} pid i
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "   pid $pid ($f) did not exit after ${timeout}s, SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$f"
}

need_cmds() {
  local c missing=()
  for c in debootstrap systemd-nspawn iptables ip ssh ssh-keygen jq curl zstd busybox \
    docker-registry memcached swift-proxy-server swift-ring-builder nsenter; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /bin/$c || -x /usr/bin/$c ]] || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (run: bash test/sandbox/install-deps.sh)"
  [[ $(id -u) -eq 0 ]] || die "must run as root"
}

# ---------------------------------------------------------------- base image
# Everything that changes the cached base goes into its key.
customize_base() {
  local r=$1
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
  rm -f "$r"/etc/ssh/ssh_host_*
  mkdir -p "$r/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$r/etc/systemd/system/ssh.service.d/10-hostkeys.conf"
  mkdir -p "$r/etc/ssh/sshd_config.d"
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$r/etc/ssh/sshd_config.d/10-dockfleet.conf"
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' >"$r/etc/systemd/journald.conf.d/10-dockfleet.conf"
  systemctl --root="$r" enable systemd-networkd.service >/dev/null 2>&1
  systemctl --root="$r" mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
    fstrim.timer e2scrub_all.timer e2scrub_reap.service >/dev/null 2>&1 || true
  systemctl --root="$r" enable docker.service containerd.service ssh.service >/dev/null 2>&1
  # No DNS: hosts only talk to the sandbox bridge.
  rm -f "$r/etc/resolv.conf"
  : >"$r/etc/resolv.conf"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
  mkdir -p "$r/root/.ssh"
  chmod 700 "$r/root/.ssh"
}

base_key() {
  { echo "$SCRIPT_VERSION $SUITE $BASE_PKGS"; declare -f customize_base; } | sha256sum | cut -c1-16
}

build_base() {
  local key=$1 out tmp
  out=$CACHE/base-$SUITE-$key.tar.zst
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  MIRROR=${DOCKFLEET_DEBIAN_MIRROR:-$(host_mirror)} ||
    die "no Debian $SUITE mirror in this machine's apt sources; set DOCKFLEET_DEBIAN_MIRROR"
  log "   debootstrap $SUITE (minbase + $BASE_PKGS) from $MIRROR"
  if ! debootstrap --variant=minbase --include="$BASE_PKGS" "$SUITE" "$tmp/rootfs" "$MIRROR" \
    >"$CACHE/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/debootstrap.log" >&2
    rm -rf "$tmp"
    die "debootstrap failed (log: $CACHE/debootstrap.log)"
  fi
  customize_base "$tmp/rootfs"
  tar -C "$tmp/rootfs" --numeric-owner --xattrs -cf - . | zstd -q -3 -T0 -o "$tmp/base.tar.zst"
  mv "$tmp/base.tar.zst" "$out"
  rm -rf "$tmp"
}

ensure_base() {
  local key
  key=$(base_key)
  if [[ -f $STATE/base/.key && $(cat "$STATE/base/.key") == "$key" && -x $STATE/base/rootfs/usr/sbin/dockerd ]]; then
    log "   base rootfs $key present"
    return 0
  fi
  if any_host_mounted; then
    log "   base changed while hosts exist: tearing hosts down first"
    hosts_down
  fi
  if [[ ! -f $CACHE/base-$SUITE-$key.tar.zst ]]; then
    build_base "$key"
  else
    log "   using cached $CACHE/base-$SUITE-$key.tar.zst"
  fi
  rm -rf "$STATE/base"
  mkdir -p "$STATE/base/rootfs"
  zstd -q -d -c "$CACHE/base-$SUITE-$key.tar.zst" | tar -C "$STATE/base/rootfs" --numeric-owner --xattrs -xf -
  # Per-sandbox key goes into the (read-only) lower layer.
  install -m 600 "$SSH_KEY.pub" "$STATE/base/rootfs/root/.ssh/authorized_keys"
  echo "$key" >"$STATE/base/.key"
}

# ---------------------------------------------------------------- container images
images_key() {
  { echo "$SCRIPT_VERSION images-2"; sha256sum /bin/busybox /usr/bin/docker-registry; dpkg-query -W docker-registry busybox-static; } \
    | sha256sum | cut -c1-16
}

build_images() {
  local key=$1 tmp r lib
  tmp=$(mktemp -d "$CACHE/img.XXXXXX")
  # busybox: all applets as links, a web root for httpd.
  r=$tmp/busybox
  mkdir -p "$r/bin" "$r/www" "$r/tmp" "$r/etc"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do
    [[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
  done
  echo '<html><body>dockfleet sandbox busybox</body></html>' >"$r/www/index.html"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  tar -C "$r" --numeric-owner -cf "$tmp/busybox.tar" .
  # registry: Debian's docker-registry binary + the libs ldd names + CA bundle.
  r=$tmp/registry
  mkdir -p "$r/usr/bin" "$r/bin" "$r/etc/docker/registry" "$r/etc/ssl/certs" "$r/var/lib/registry" "$r/tmp"
  cp /usr/bin/docker-registry "$r/usr/bin/docker-registry"
  ln -s /usr/bin/docker-registry "$r/bin/registry"
  # sh + wget for healthchecks, as the official (alpine-based) registry image has them.
  cp /bin/busybox "$r/bin/busybox"
  ln -s busybox "$r/bin/sh"
  ln -s busybox "$r/bin/wget"
  while read -r lib; do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done < <(ldd /usr/bin/docker-registry | grep -oE '/[^ ]+' | sort -u)
  cp -L /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/ca-certificates.crt"
  printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/bin/false\n' >"$r/etc/passwd"
  # No storage section: storage comes from REGISTRY_STORAGE* env.
  cat >"$r/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  level: info
  fields:
    service: registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
YAML
  chmod 1777 "$r/tmp"
  tar -C "$r" --numeric-owner -cf "$tmp/registry.tar" .
  mv "$tmp/busybox.tar" "$CACHE/img-busybox-$key.tar"
  mv "$tmp/registry.tar" "$CACHE/img-registry-$key.tar"
  rm -rf "$tmp"
}

# import_image HOST TAR TAG CHANGE...
import_image() {
  local h=$1 tar=$2 tag=$3 key=$4
  shift 4
  local cur args=(docker import)
  cur=$(hssh "$h" "docker image inspect -f '{{index .Config.Labels \"dockfleet.sandbox.key\"}}' $tag 2>/dev/null" || true)
  [[ $cur == "$key" ]] && return 0
  local c
  for c in "$@" "LABEL dockfleet.sandbox.key=$key"; do args+=(--change "$c"); done
  args+=(- "$tag")
  hssh "$h" "$(printf '%q ' "${args[@]}") >/dev/null" <"$tar"
}

ensure_images() {
  local key pids=() h rc=0 p
  key=$(images_key)
  mkdir -p "$CACHE"
  if [[ ! -f $CACHE/img-busybox-$key.tar || ! -f $CACHE/img-registry-$key.tar ]]; then
    build_images "$key"
  fi
  for h in "${HOSTS[@]}"; do
    (
      # Retried: a test may be restarting this host's dockerd right now.
      for try in 1 2 3 4 5; do
        if import_image "$h" "$CACHE/img-busybox-$key.tar" "$IMG_BUSYBOX" "$key" 'CMD ["sh"]' \
          && import_image "$h" "$CACHE/img-registry-$key.tar" "$IMG_REGISTRY" "$key" \
            'ENTRYPOINT ["/bin/registry"]' 'CMD ["serve", "/etc/docker/registry/config.yml"]' \
            'EXPOSE 5000/tcp' 'VOLUME ["/var/lib/registry"]'; then
          exit 0
        fi
        log "   $h: image import failed (try $try), retrying"
        sleep 3
      done
      exit 1
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "image import failed"
}

# ---------------------------------------------------------------- network
ensure_bridge() {
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
  fi
  if ! grep -q "inet $BR_ADDR/$PREFIX" <<<"$(ip -4 addr show dev "$BR")"; then # no pipe: SIGPIPE under pipefail
    ip addr add "$BR_ADDR/$PREFIX" dev "$BR"
  fi
  ip link set "$BR" up
  # br_netfilter sends bridged frames through FORWARD; a foreign dockerd may set
  # its policy to DROP. One tagged ACCEPT rule, added once, removed by down.
  if ! iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT 2>/dev/null; then
    iptables -I FORWARD 1 -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT
  fi
}

bridge_down() {
  while iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT 2>/dev/null; do
    iptables -D FORWARD -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT
  done
  if ip link show "$BR" >/dev/null 2>&1; then ip link del "$BR"; fi
}

# ---------------------------------------------------------------- hosts
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
  setsid bash "$SELF" __launch "$h" >"$LOGS/$h-nspawn.log" 2>&1 </dev/null 9>&- &
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
  if [[ $wipe == wipe ]]; then
    keep_host_key "$h"
    rm -rf "$d"
  fi
}

keep_host_key() {
  local h=$1 k
  k=$(hdir "$h")/upper/etc/ssh/ssh_host_ed25519_key
  [[ -s $k && -s $k.pub ]] || return 0
  mkdir -p "$HOST_KEYS/$h"
  chmod 700 "$HOST_KEYS" "$HOST_KEYS/$h"
  cp -p "$k" "$k.pub" "$HOST_KEYS/$h/"
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

host_running() {
  local h=$1 d
  d=$(hdir "$h")
  pidfile_alive "$d/nspawn.pid" && mountpoint -q "$d/root"
}

# Wait until systemd finished booting and report its state.
wait_host() {
  local h=$1
  rm -f "$(hdir "$h")/healthy"
  wait_host_inner "$h" && touch "$(hdir "$h")/healthy"
}

wait_host_inner() {
  local h=$1 i st="" deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    if st=$(ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes -o ConnectTimeout=2 "$h" 'timeout 60 systemctl is-system-running --wait' 2>/dev/null); then
      break
    fi
    [[ -n $st && $st != starting && $st != initializing ]] && break
    sleep 0.3
  done
  # "degraded" only means some unit failed (tests create units of their own): warn, do not
  # recreate a host that may be in use. Health = booted + ssh + docker answering.
  case $st in
    running) ;;
    degraded)
      log "   $h: is-system-running=degraded (failed units: $(hssh "$h" 'systemctl --failed --no-legend --plain --no-pager' 2>/dev/null | awk '{printf "%s ", $1}'))"
      ;;
    *)
      log "   $h: is-system-running=${st:-unreachable}"
      return 1
      ;;
  esac
  fix_cgroups "$h" || return 1
  ssh_master "$h"
  # Wait up to 30 s for the API; give up at once when docker.service is "failed".
  # shellcheck disable=SC2016 # expanded remotely
  if hssh "$h" 'for i in $(seq 60); do docker info >/dev/null 2>&1 && exit 0
      systemctl is-failed -q docker.service && exit 2; sleep 0.5; done; exit 1'; then
    return 0
  fi
  log "   $h: docker not answering ($(hssh "$h" 'systemctl is-active docker.service' 2>/dev/null || true))"
  return 1
}

# What a host that did not boot healthy looked like, kept before the repair wipes it (its journal
# is volatile and the repair boot overwrites its nspawn log): why a restored sandbox's first boot
# fails now and then is not known yet. Every probe is bounded: the host may be hung.
keep_failed_boot() {
  local h=$1 leader out
  out="$LOGS/$h-failed-boot-$(date -u +%Y%m%dT%H%M%SZ).log"
  {
    echo "== nspawn log"
    cat "$LOGS/$h-nspawn.log" 2>/dev/null || true
    leader=$(host_leader "$h" || true)
    if [[ -n $leader && -d /proc/$leader ]]; then
      echo "== failed units"
      timeout 10 nsenter -t "$leader" -a systemctl --failed --no-legend --plain --no-pager 2>&1 || true
      echo "== jobs"
      timeout 10 nsenter -t "$leader" -a systemctl list-jobs --no-legend --no-pager 2>&1 | head -40 || true
      echo "== addresses"
      timeout 10 nsenter -t "$leader" -n ip -br addr 2>&1 || true
      echo "== journal"
      timeout 20 journalctl --directory="/proc/$leader/root/run/log/journal" -b --no-pager -o short-monotonic 2>&1 | tail -400 || true
    else
      echo "== no running container (leader pid '${leader:-}')"
    fi
    echo "== ssh"
    timeout 10 ssh -v -F "$SSH_CFG" -o ControlPath=none -o BatchMode=yes -o ConnectTimeout=3 "$h" true 2>&1 | tail -25 || true
  } >"$out" 2>&1
  log "   $h: what the failed boot left: $out"
  # shellcheck disable=SC2012 # our own file names: no odd characters
  ls -t "$LOGS"/*-failed-boot-*.log 2>/dev/null | tail -n +6 | xargs -r rm -f || true
}

# The pinned keys: each host's own /etc/ssh/ssh_host_ed25519_key.pub, read from its root file
# system on this side (never from the network). Rewritten whenever hosts are started.
host_key() {
  local f
  f=$(hdir "$1")/root/etc/ssh/ssh_host_ed25519_key.pub
  [[ -s $f ]] && awk '$1 == "ssh-ed25519" {print $1 " " $2; exit}' "$f"
}

write_known_hosts() {
  local h k
  mkdir -p "$STATE/ssh"
  for h in "${HOSTS[@]}"; do
    if k=$(host_key "$h") && [[ -n $k ]]; then echo "${ADDR[$h]} $k"; fi
  done >"$KNOWN_HOSTS.tmp"
  chmod 644 "$KNOWN_HOSTS.tmp"
  mv "$KNOWN_HOSTS.tmp" "$KNOWN_HOSTS"
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

# ---------------------------------------------------------------- swarm
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
  for ((i = 0; i < 120; i++)); do
    ready=$(hssh "$mgr" "docker node ls --format '{{.Hostname}} {{.Status}}'" 2>/dev/null | awk '$2=="Ready"' | sort -u | wc -l)
    ((ready == ${#HOSTS[@]})) && return 0
    sleep 0.5
  done
  hssh "$mgr" 'docker node ls' >&2 || true
  return 1
}

# ---------------------------------------------------------------- swift
swift_key() {
  mkdir -p "$SWIFT_DIR"
  if [[ ! -s $SWIFT_DIR/key ]]; then
    # The local stack (stacks/Pulumi.local.yaml) holds this key encrypted with the sandbox's public
    # passphrase, so it is fixed unless DOCKFLEET_SANDBOX_SWIFT_KEY says otherwise. It guards only
    # this throwaway Swift on the sandbox bridge. Letters first: registry env values are YAML-decoded.
    printf '%s\n' "${DOCKFLEET_SANDBOX_SWIFT_KEY:-skDockfleetLocalSandbox}" >"$SWIFT_DIR/key"
    chmod 600 "$SWIFT_DIR/key"
  fi
  cat "$SWIFT_DIR/key"
}

write_swift_config() {
  local key=$1 e=$SWIFT_DIR/etc dev=$SWIFT_DIR/srv/node
  mkdir -p "$e" "$dev/d1" "$SWIFT_DIR/run"
  local common="[DEFAULT]
bind_ip = 127.0.0.1
workers = 0
user = root
swift_dir = $e
devices = $dev
mount_check = false
disable_fallocate = true
log_name = %s
"
  # shellcheck disable=SC2059
  {
    printf "$common" account
    printf 'bind_port = 6202\n\n[pipeline:main]\npipeline = healthcheck recon account-server\n\n[app:account-server]\nuse = egg:swift#account\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n[filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = %s\n\n[account-replicator]\n[account-auditor]\n[account-reaper]\n' "$SWIFT_DIR/run"
  } >"$e/account-server.conf"
  # shellcheck disable=SC2059
  {
    printf "$common" container
    printf 'bind_port = 6201\n\n[pipeline:main]\npipeline = healthcheck recon container-server\n\n[app:container-server]\nuse = egg:swift#container\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n[filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = %s\n\n[container-replicator]\n[container-updater]\n[container-auditor]\n[container-sync]\n' "$SWIFT_DIR/run"
  } >"$e/container-server.conf"
  # shellcheck disable=SC2059
  {
    printf "$common" object
    printf 'bind_port = 6200\n\n[pipeline:main]\npipeline = healthcheck recon object-server\n\n[app:object-server]\nuse = egg:swift#object\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n[filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = %s\n\n[object-replicator]\n[object-reconstructor]\n[object-updater]\n[object-auditor]\n' "$SWIFT_DIR/run"
  } >"$e/object-server.conf"
  cat >"$e/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $BR_ADDR
bind_port = $SWIFT_PORT
workers = 0
user = root
swift_dir = $e
log_name = proxy

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false

[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = $key .admin .reseller_admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
}

build_rings() {
  local e=$SWIFT_DIR/etc t port
  for t in object container account; do
    [[ -f $e/$t.ring.gz ]] && continue
    case $t in object) port=6200 ;; container) port=6201 ;; account) port=6202 ;; esac
    (
      cd "$e"
      swift-ring-builder "$t.builder" create 8 1 1 >/dev/null
      swift-ring-builder "$t.builder" add "r1z1-127.0.0.1:$port/d1" 100 >/dev/null
      swift-ring-builder "$t.builder" rebalance >/dev/null || true
    ) &
  done
  wait
  for t in object container account; do [[ -f $e/$t.ring.gz ]] || die "ring $t not built"; done
}

start_bg() {
  local pidf=$1 logf=$2
  shift 2
  setsid "$@" >>"$logf" 2>&1 </dev/null 9>&- &
  echo $! >"$pidf"
}

swift_healthy() {
  local key=$1
  curl -fsS -m 3 "http://$BR_ADDR:$SWIFT_PORT/healthcheck" >/dev/null 2>&1 \
    && /usr/bin/swift -A "http://$BR_ADDR:$SWIFT_PORT/auth/v1.0" -U admin:admin -K "$key" stat >/dev/null 2>&1
}

ensure_swift() {
  local key run=$SWIFT_DIR/run s i
  key=$(swift_key)
  write_swift_config "$key"
  build_rings
  mkdir -p "$LOGS"
  if ! pidfile_alive "$run/memcached.pid"; then
    start_bg "$run/memcached.pid" "$LOGS/memcached.log" memcached -u memcache -l 127.0.0.1 -p 11211 -U 0 -m 64
  fi
  for s in account container object; do
    if ! pidfile_alive "$run/$s.pid"; then
      start_bg "$run/$s.pid" "$LOGS/swift-$s.log" "swift-$s-server" "$SWIFT_DIR/etc/$s-server.conf" --verbose
    fi
  done
  if ! pidfile_alive "$run/proxy.pid"; then
    start_bg "$run/proxy.pid" "$LOGS/swift-proxy.log" swift-proxy-server "$SWIFT_DIR/etc/proxy-server.conf" --verbose
  fi
  for ((i = 0; i < 120; i++)); do
    swift_healthy "$key" && return 0
    sleep 0.5
  done
  tail -5 "$LOGS/swift-proxy.log" >&2 || true
  die "swift not healthy"
}

swift_down() {
  local s
  for s in proxy object container account memcached; do
    stop_pidfile "$SWIFT_DIR/run/$s.pid" 15
  done
}

# ---------------------------------------------------------------- outputs
write_ssh_config() {
  local h
  mkdir -p "$STATE/ssh"
  if [[ ! -f $SSH_KEY ]]; then
    ssh-keygen -q -t ed25519 -N '' -C dockfleet-sandbox -f "$SSH_KEY"
  fi
  {
    for h in "${HOSTS[@]}"; do
      cat <<EOF
Host $h
  HostName ${ADDR[$h]}
  User root
  IdentityFile $SSH_KEY
  IdentitiesOnly yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $KNOWN_HOSTS
  GlobalKnownHostsFile none
  HostKeyAlgorithms ssh-ed25519
  LogLevel ERROR
  ControlMaster auto
  ControlPath $STATE/ssh/cm-%h
  ControlPersist 60
  KexAlgorithms curve25519-sha256
  ConnectTimeout 5
  ServerAliveInterval 5
  ServerAliveCountMax 3

EOF
    done
  } >"$SSH_CFG.tmp"
  mv "$SSH_CFG.tmp" "$SSH_CFG"
}

write_json() {
  local ver key h hosts_json
  ver=$(hssh "${HOSTS[0]}" 'docker version --format "{{.Server.Version}}"')
  key=$(cat "$SWIFT_DIR/key")
  # instance: the host's machine-id, new whenever the host is recreated from the base (a wipe).
  # scripts/local-stack.sh compares it: state deployed to a wiped host describes nothing there.
  hosts_json=$(for h in "${HOSTS[@]}"; do
    local role=worker inst hk
    if want_manager "$h"; then role=manager; fi
    inst=$(cat "$(hdir "$h")/root/etc/machine-id" 2>/dev/null || echo unknown)
    hk=$(host_key "$h" || true)
    jq -nc --arg n "$h" --arg a "${ADDR[$h]}" --arg r "$role" --arg i "$inst" --arg k "$hk" '{name:$n,address:$a,role:$r,instance:$i,hostKey:$k}'
  done | jq -sc .)
  jq -n --argjson hosts "$hosts_json" --arg key "$SSH_KEY" --arg cfg "$SSH_CFG" --arg br "$BR_ADDR" \
    --arg bb "$IMG_BUSYBOX" --arg reg "$IMG_REGISTRY" --arg pw "$key" --arg ver "$ver" \
    --arg url "http://$BR_ADDR:$SWIFT_PORT" --arg state "$STATE" '{
      hosts: $hosts, user: "root", sshKeyPath: $key, sshConfigPath: $cfg, bridgeAddress: $br,
      images: {busybox: $bb, registry: $reg},
      swift: {authUrl: ($url + "/auth/v1.0"), username: "admin:admin", password: $pw,
              s3Endpoint: $url, s3Region: "us-east-1"},
      dockerVersion: ($ver | sub("[+~-].*$"; "")), dockerServerVersion: $ver,
      stateDir: $state, swarmManagers: [$hosts[] | select(.role == "manager") | .name]
    }' >"$STATE/sandbox.json.tmp"
  mv "$STATE/sandbox.json.tmp" "$STATE/sandbox.json"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  need_cmds
  mkdir -p "$STATE" "$LOGS" "$CACHE"
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock busy (another sandbox.sh up/down running?)"
  step "ssh key + ssh_config" write_ssh_config
  step "base rootfs" ensure_base
  step "bridge $BR + FORWARD rule" ensure_bridge
  # Swift (rings + 5 python servers, ~9 s cold) comes up in parallel with the hosts.
  local swift_job
  log "-> swift + memcached on $BR_ADDR:$SWIFT_PORT (background, log: $LOGS/swift-up.log)"
  step "swift + memcached" ensure_swift >"$LOGS/swift-up.log" 2>&1 &
  swift_job=$!
  drop_extra_hosts
  if ! step "hosts (systemd-nspawn)" ensure_hosts; then
    # First try: wipe and recreate only the unhealthy hosts (they rejoin the swarm).
    local h bad=()
    for h in "${HOSTS[@]}"; do [[ -f $(hdir "$h")/healthy ]] || bad+=("$h"); done
    log "   unhealthy: ${bad[*]}: recreating them"
    for h in "${bad[@]}"; do keep_failed_boot "$h"; stop_host "$h" wipe; done
    if ! step "hosts (systemd-nspawn, repair)" ensure_hosts; then
      log "   still unhealthy: recreating all hosts"
      hosts_down
      step "hosts (systemd-nspawn, recreate)" ensure_hosts || die "hosts failed to boot (logs: $LOGS)"
    fi
  fi
  # No swarm here: forming it is the product's job (`npm start`: components/swarm). Suites that
  # need one before the product has run call `sandbox.sh swarm`.
  step "images ($IMG_BUSYBOX, $IMG_REGISTRY)" ensure_images
  if ! wait "$swift_job"; then
    cat "$LOGS/swift-up.log" >&2
    die "swift failed"
  fi
  log "   swift: $(grep 'done in' "$LOGS/swift-up.log" | sed 's/.*done in/ready after/')"
  step "sandbox.json" write_json
  log "up: ready in $(elapsed "$T0")s -> $STATE/sandbox.json"
}

# A 3-manager swarm for the contract suites (a fixture, not the product: `npm start` and the e2e
# swarm suite form it with components/swarm). A no-op when the swarm is healthy.
cmd_swarm() {
  need_cmds
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock busy (another sandbox.sh running?)"
  drop_extra_hosts
  if ! step "swarm ($NMANAGERS managers, $((NHOSTS - NMANAGERS)) workers)" ensure_swarm; then
    log "   swarm unhealthy: recreating hosts"
    hosts_down
    step "hosts (systemd-nspawn, recreate)" ensure_hosts || die "hosts failed to boot (logs: $LOGS)"
    step "images ($IMG_BUSYBOX, $IMG_REGISTRY)" ensure_images
    step "swarm ($NMANAGERS managers, $((NHOSTS - NMANAGERS)) workers)" ensure_swarm || die "swarm failed"
  fi
  step "sandbox.json" write_json # the roles
  log "swarm: ready in $(elapsed "$T0")s"
}

cmd_down() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 15 9 || log "WARNING: lock $STATE/.lock busy (another sandbox.sh running?); continuing"
  step "hosts" hosts_down
  step "swift + memcached" swift_down
  step "bridge + FORWARD rule" bridge_down
  if grep -q " $STATE/" /proc/mounts; then
    grep " $STATE/" /proc/mounts >&2
    die "mounts remain under $STATE; not deleting it"
  fi
  rm -rf "$STATE"
  log "down: done in $(elapsed "$T0")s (cache kept in $CACHE)"
}

cmd_status() {
  local h d mem rc=0 cg
  echo "state: $STATE   cache: $CACHE"
  ip -br addr show "$BR" 2>/dev/null || { echo "bridge $BR: absent"; rc=1; }
  for h in "${HOSTS[@]}"; do
    d=$(hdir "$h")
    if host_running "$h"; then
      mem=-
      if [[ -f $d/cgroups ]]; then
        cg=$(grep '/memory/' "$d/cgroups" || true)
        [[ -n $cg ]] && mem=$(($(cat "$cg/memory.usage_in_bytes") / 1048576))MiB
      fi
      local sys dk
      sys=$(hssh "$h" 'systemctl is-system-running' 2>/dev/null) || true
      dk=$(hssh "$h" 'docker info --format "{{.ServerVersion}}/{{.Swarm.LocalNodeState}}"' 2>/dev/null) || dk="not-answering($(hssh "$h" 'systemctl is-active docker' 2>/dev/null || true))"
      printf '%s %s nspawn=%s mem=%s system=%s docker=%s\n' "$h" "${ADDR[$h]}" "$(cat "$d/nspawn.pid")" "$mem" "$sys" "$dk"
    else
      echo "$h: not running"
      rc=1
    fi
  done
  for h in "${HOSTS[@]}"; do
    if hssh "$h" 'docker node ls' 2>/dev/null; then break; fi
  done
  if [[ -s $SWIFT_DIR/key ]] && swift_healthy "$(cat "$SWIFT_DIR/key")"; then
    echo "swift: healthy (http://$BR_ADDR:$SWIFT_PORT)"
  else
    echo "swift: not healthy"
    rc=1
  fi
  return $rc
}

cmd_selftest() {
  local h=${1:-host1}
  echo "busybox on $h:"
  hssh "$h" "docker run --rm $IMG_BUSYBOX sh -c 'echo hello from busybox; ls /www'"
  echo "registry on $h (filesystem storage, /v2/):"
  hssh "$h" "set -e; docker rm -f sandbox-selftest >/dev/null 2>&1 || true
    docker run -d --name sandbox-selftest -e REGISTRY_STORAGE=filesystem -p 127.0.0.1:5999:5000 $IMG_REGISTRY >/dev/null
    for i in \$(seq 50); do curl -fsS http://127.0.0.1:5999/v2/ && break; sleep 0.2; done; echo
    docker rm -f sandbox-selftest >/dev/null"
}

# Wipes one host and boots it again from the base, as `up` does to a host that does not boot
# healthy: a new instance (machine-id), no docker state; the swarm still lists its old node.
# `recreate all` wipes every host (the SSH key, Swift and the host keys stay).
cmd_recreate() {
  local h hs=("$@")
  [[ ${#hs[@]} -gt 0 ]] || die "usage: sandbox.sh recreate HOST...|all"
  if [[ ${hs[*]} == all ]]; then hs=("${HOSTS[@]}"); fi
  for h in "${hs[@]}"; do
    [[ -n ${ADDR[$h]:-} ]] || die "no host $h in this sandbox (${HOSTS[*]})"
  done
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock busy (another sandbox.sh running?)"
  for h in "${hs[@]}"; do step "wipe $h" stop_host "$h" wipe; done
  step "hosts (systemd-nspawn)" ensure_hosts || die "hosts failed to boot (logs: $LOGS)"
  step "images ($IMG_BUSYBOX, $IMG_REGISTRY)" ensure_images
  step "sandbox.json" write_json
  log "recreate: ${hs[*]} ready in $(elapsed "$T0")s"
}

# A power cut, as near as a container comes to one: every process of the host SIGKILLed at once
# (nothing inside runs a stop job or flushes), then its mounts released. Its files stay (the
# kernel's page cache survives, unlike a real power loss). `boot HOST` starts it again.
cmd_powercut() {
  local h=${1:?usage: sandbox.sh powercut HOST} d pid i
  [[ -n ${ADDR[$h]:-} ]] || die "no host $h in this sandbox (${HOSTS[*]})"
  d=$(hdir "$h")
  host_running "$h" || die "$h is not running"
  kill_host_procs "$d"
  pid=$(cat "$d/nspawn.pid" 2>/dev/null || true)
  if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  stop_host "$h"
  # the kernel tears the host's network namespace down after its last process: its veth lingers a
  # moment, and a boot before it is gone fails ("Failed to add new veth interfaces: File exists")
  for ((i = 0; i < 50; i++)); do
    ip link show "vb-$h" >/dev/null 2>&1 || break
    sleep 0.2
  done
  ip link delete "vb-$h" >/dev/null 2>&1 || true
  log "powercut: $h"
}

# Boots a stopped host with its files as they are, and waits for systemd to finish booting; unlike
# `up`, never wipes it (a failed docker.service is what a test may want to see).
cmd_boot() {
  local h=${1:?usage: sandbox.sh boot HOST} i st=""
  [[ -n ${ADDR[$h]:-} ]] || die "no host $h in this sandbox (${HOSTS[*]})"
  host_running "$h" && die "$h is running"
  stop_host "$h"
  start_host "$h"
  for ((i = 0; i < 300; i++)); do
    st=$(ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes -o ConnectTimeout=2 "$h" 'timeout 60 systemctl is-system-running --wait' 2>/dev/null) && break
    [[ -n $st && $st != starting && $st != initializing ]] && break
    sleep 0.3
  done
  [[ $st == running || $st == degraded ]] || die "$h did not boot (is-system-running=${st:-unreachable})"
  fix_cgroups "$h" || die "$h: cgroup mounts"
  log "boot: $h up ($st) in $(elapsed "$T0")s"
}

case ${1:-} in
  up) cmd_up ;;
  powercut) shift; cmd_powercut "$@" ;;
  boot) shift; cmd_boot "$@" ;;
  recreate) shift; cmd_recreate "$@" ;;
  swarm) cmd_swarm ;;
  down) cmd_down ;;
  status) cmd_status ;;
  selftest) shift; cmd_selftest "$@" ;;
  __launch) launch_host "$2" ;;
  *) echo "usage: $0 up|swarm|down|status|selftest [host]|recreate host...|all|powercut host|boot host" >&2; exit 2 ;;
esac
