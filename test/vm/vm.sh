#!/usr/bin/env bash
# dockfleet VM tier: test hosts that are real qemu VMs with Debian's own kernel (device-mapper,
# NFS, IPVS, AppArmor: what the nspawn sandbox's shared host kernel lacks). On this machine /dev/kvm
# is PVM (kvm_pvm), which runs no stock kernel, so the default accelerator is TCG (software
# emulation, ~65 s boot per VM). See test/vm/README.md and /work/shared/notes/vm-hosts.md.
#
#   vm.sh up       build the image (cached by its inputs), boot the selected VMs, import the
#                  busybox image, write sandbox.json + ssh_config (a fast no-op when healthy)
#   vm.sh down     power the VMs off (then kill own qemu PIDs), remove bridge/taps/rule and state;
#                  the image cache is kept
#   vm.sh status   print the state of every selected VM
#
# With an nfs VM selected, `up` exports /export/shared (rw) and /export/ro (ro) from its data disk;
# with a manager selected, `up` then makes the selected manager and workers one swarm (after the
# saved states are taken: they stay swarm-free, so a restore never brings back an old swarm).
#
# Environment:
#   DOCKFLEET_VM_HOSTS   space/comma separated VM names to boot (default: dm1). Known: see FLEET.
#   DOCKFLEET_VM_DIR     state (default /var/lib/dockfleet-vm); DOCKFLEET_SANDBOX_DIR=<this dir>
#                        makes test/contract/lib.ts talk to the VMs
#   DOCKFLEET_CACHE      image cache root (default /var/cache/dockfleet; the image is in vm/<key>/)
#   DOCKFLEET_VM_ACCEL   tcg (default) or kvm (only with real nested virtualization: svm/vmx)
#   DOCKFLEET_VM_MEM     MiB per VM (default 1280)
#   DOCKFLEET_DEBIAN_MIRROR  overrides the mirror taken from this machine's apt sources
#   DOCKFLEET_VM_SWARM   1 (default): make the swarm; 0: leave the nodes out of any swarm (the
#                        fleet suite's `pulumi up` makes it, as the product does on fresh hosts)
set -euo pipefail

SCRIPT_VERSION=1
STATE=${DOCKFLEET_VM_DIR:-/var/lib/dockfleet-vm}
CACHE_ROOT=${DOCKFLEET_CACHE:-/var/cache/dockfleet}
ACCEL=${DOCKFLEET_VM_ACCEL:-tcg}
MEM=${DOCKFLEET_VM_MEM:-1280}
SUITE=bookworm
BR=dfvm0
BR_ADDR=10.241.0.1
PREFIX=24
FW_COMMENT=dockfleet-vm
IMG_BUSYBOX=local/busybox:1
BOOT_TIMEOUT=${DOCKFLEET_VM_BOOT_TIMEOUT:-400}

# The seed's fleet. name -> "address role extra-disks". Extra disks: spare = a 64 MiB disk with an
# ext4 filesystem (vdb), data20g = an empty 20 GiB sparse qcow2. Order = drive order after vda.
# dm1 runs the devicemapper suite; mgr1, wrk1, wrk2 and nfs1 the swarm suite (test/vm/groups.sh).
declare -A FLEET=(
  [mgr1]="10.241.0.11 manager"
  [wrk1]="10.241.0.21 worker"
  [wrk2]="10.241.0.22 worker"
  [wrk3]="10.241.0.23 worker"
  [nfs1]="10.241.0.31 nfs data20g"
  [reg1]="10.241.0.41 registry"
  [dm1]="10.241.0.51 devicemapper spare data20g"
)
read -r -a HOSTS <<<"$(echo "${DOCKFLEET_VM_HOSTS:-dm1}" | tr ',' ' ')"
((${#HOSTS[@]})) || { echo "DOCKFLEET_VM_HOSTS is empty" >&2; exit 2; }
for h in "${HOSTS[@]}"; do
  [[ -n ${FLEET[$h]:-} ]] || { echo "unknown VM '$h' (known: ${!FLEET[*]})" >&2; exit 2; }
done
((${#HOSTS[@]} <= 2)) || echo "[vm] WARNING: ${#HOSTS[@]} TCG VMs on this machine saturate its cores for minutes" >&2
unset h
vm_addr() { local f; read -r -a f <<<"${FLEET[$1]}"; echo "${f[0]}"; }
vm_role() { local f; read -r -a f <<<"${FLEET[$1]}"; echo "${f[1]}"; }
vm_disks() { local f; read -r -a f <<<"${FLEET[$1]}"; echo "${f[@]:2}"; }
vm_tap() { echo "dfvm-$1"; }
vm_mac() { printf '52:54:00:f1:%02x:%02x' "$(vm_addr "$1" | cut -d. -f3)" "$(vm_addr "$1" | cut -d. -f4)"; }

# Packages of the image (Debian's, nothing else). apparmor: the Debian kernel enables AppArmor
# and dockerd needs apparmor_parser for docker-default; busybox-static: the test image.
IMAGE_PKGS="systemd systemd-sysv udev dbus kmod openssh-server docker.io linux-image-amd64 \
lvm2 thin-provisioning-tools xfsprogs e2fsprogs util-linux nfs-common nfs-kernel-server ipvsadm \
iproute2 iptables curl ca-certificates busybox-static apparmor procps jq less iputils-ping"
IMAGE_SIZE=6G

SSH_KEY=$STATE/ssh/id_ed25519
BOOTED=()
SSH_CFG=$STATE/ssh_config
# Each VM's pinned ed25519 host key (ssh_config and stacks/Pulumi.vm.yaml verify against it).
KNOWN_HOSTS=$STATE/ssh/known_hosts
LOGS=$STATE/logs

# ---------------------------------------------------------------- helpers
T0=$(date +%s.%N)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[vm %6ss] %s\n' "$(elapsed "$T0")" "$*"; }
die() { printf '[vm] ERROR: %s\n' "$*" >&2; exit 1; }

step() {
  local name=$1 t rc=0
  shift
  t=$(now)
  log "-> $name"
  "$@" || rc=$?
  if ((rc == 0)); then
    log "   $name done in $(elapsed "$t")s"
  else
    log "   $name FAILED (rc=$rc) after $(elapsed "$t")s"
  fi
  return $rc
}

# The Debian mirror: DOCKFLEET_DEBIAN_MIRROR, else the first bookworm "main" source this machine's
# apt uses (the same parser as test/sandbox/sandbox.sh).
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

hssh() {
  local h=$1
  shift
  ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes "$h" "$@"
}

# pid_alive PID: exists and is not a zombie (this machine's PID 1 reaps slowly).
pid_alive() {
  local pid=$1 st
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z ]]
}

need_cmds() {
  local c missing=()
  for c in debootstrap qemu-system-x86_64 qemu-img mkfs.ext4 iptables ip ssh ssh-keygen jq busybox flock; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /bin/$c || -x /usr/bin/$c || -x /sbin/$c || -x /usr/sbin/$c ]] || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (run: bash test/sandbox/install-deps.sh)"
  [[ $(id -u) -eq 0 ]] || die "must run as root"
}

# ---------------------------------------------------------------- image
# Everything in this section goes into the image key (declare -f), with the package list and suite.
customize_image() {
  local r=$1
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id" "$r"/etc/ssh/ssh_host_*
  # Per-VM identity from the kernel command line: vm.name=, vm.ip=, vm.key= (base64 of the
  # authorized_keys line). Runs before networkd and sshd.
  cat >"$r/usr/local/sbin/vm-setup" <<'EOF'
#!/bin/sh
set -e
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -1; }
name=$(arg vm.name); ip=$(arg vm.ip); key=$(arg vm.key)
[ -n "$name" ] && { echo "$name" >/etc/hostname; hostname "$name"; printf '127.0.1.1 %s\n127.0.0.1 localhost\n' "$name" >/etc/hosts; }
if [ -n "$ip" ]; then
  mkdir -p /etc/systemd/network
  printf '[Match]\nName=eth0\n\n[Network]\nAddress=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' "$ip" >/etc/systemd/network/10-eth0.network
fi
if [ -n "$key" ]; then
  mkdir -p /root/.ssh; chmod 700 /root/.ssh
  echo "$key" | base64 -d >/root/.ssh/authorized_keys; chmod 600 /root/.ssh/authorized_keys
fi
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
EOF
  chmod 755 "$r/usr/local/sbin/vm-setup"
  cat >"$r/etc/systemd/system/vm-setup.service" <<'EOF'
[Unit]
Description=dockfleet VM identity from the kernel command line
DefaultDependencies=no
After=local-fs.target
Before=systemd-networkd.service ssh.service network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vm-setup

[Install]
WantedBy=sysinit.target
EOF
  mkdir -p "$r/etc/ssh/sshd_config.d"
  # Only an ed25519 host key (RSA generation takes ~10 s under TCG).
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$r/etc/ssh/sshd_config.d/10-dockfleet.conf"
  mkdir -p "$r/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/sbin/sshd -t\n' >"$r/etc/systemd/system/ssh.service.d/10-hostkeys.conf"
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' >"$r/etc/systemd/journald.conf.d/10-dockfleet.conf"
  printf '/dev/vda / ext4 rw,relatime,errors=remount-ro 0 1\n' >"$r/etc/fstab"
  systemctl --root="$r" enable vm-setup.service systemd-networkd.service docker.service containerd.service ssh.service >/dev/null 2>&1
  systemctl --root="$r" disable nfs-server.service rpcbind.service rpcbind.socket nfs-blkmap.service >/dev/null 2>&1 || true
  systemctl --root="$r" mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
    fstrim.timer e2scrub_all.timer e2scrub_reap.service man-db.timer getty@tty1.service \
    systemd-timesyncd.service >/dev/null 2>&1 || true
  # Serial console login is not needed (ssh only); no DNS, no default route.
  rm -f "$r/etc/resolv.conf"
  : >"$r/etc/resolv.conf"
  # No mirror address stays in the image.
  : >"$r/etc/apt/sources.list"
  rm -f "$r"/etc/apt/sources.list.d/*
  rm -f "$r/usr/sbin/policy-rc.d"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/*.log
  rm -rf "$r/var/lib/docker" "$r/var/lib/containerd"
}

image_key() {
  { echo "$SCRIPT_VERSION $SUITE $IMAGE_SIZE $IMAGE_PKGS"; declare -f build_image customize_image; } | sha256sum | cut -c1-16
}

build_image() {
  local out=$1 tmp r mirror v
  tmp=$(mktemp -d "$CACHE_ROOT/vm/build.XXXXXX")
  r=$tmp/rootfs
  mirror=${DOCKFLEET_DEBIAN_MIRROR:-$(host_mirror)} ||
    die "no Debian $SUITE mirror in this machine's apt sources; set DOCKFLEET_DEBIAN_MIRROR"
  log "   debootstrap --variant=minbase $SUITE (log: $tmp/build.log)"
  if ! debootstrap --variant=minbase "$SUITE" "$r" "$mirror" >"$tmp/build.log" 2>&1; then
    tail -20 "$tmp/build.log" >&2
    die "debootstrap failed (log: $tmp/build.log)"
  fi
  log "   chroot apt-get install ($(echo "$IMAGE_PKGS" | wc -w) packages)"
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  mount -t proc proc "$r/proc"
  mount --bind /dev "$r/dev"
  mount -t sysfs sys "$r/sys"
  local rc=0
  # shellcheck disable=SC2086
  chroot "$r" env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $IMAGE_PKGS" >>"$tmp/build.log" 2>&1 || rc=$?
  umount "$r/sys" "$r/dev" "$r/proc" 2>/dev/null || umount -l "$r/sys" "$r/dev" "$r/proc" || true
  if ((rc != 0)); then
    tail -30 "$tmp/build.log" >&2
    die "package install failed (log: $tmp/build.log)"
  fi
  v=$(basename "$(find "$r/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -1)")
  [[ -n $v && -f $r/boot/initrd.img-${v#vmlinuz-} ]] || die "no kernel/initrd in the image's /boot"
  cp "$r/boot/$v" "$tmp/vmlinuz"
  cp "$r/boot/initrd.img-${v#vmlinuz-}" "$tmp/initrd.img"
  customize_image "$r"
  log "   mkfs.ext4 -d rootfs base.raw ($IMAGE_SIZE sparse)"
  truncate -s "$IMAGE_SIZE" "$tmp/base.raw"
  mkfs.ext4 -q -F -L vmroot -d "$r" "$tmp/base.raw" >>"$tmp/build.log" 2>&1 || die "mkfs.ext4 -d failed"
  echo "${v#vmlinuz-}" >"$tmp/kernel-version"
  cp "$tmp/build.log" "$tmp/build-log.txt"
  rm -rf "$r"
  mkdir -p "$out"
  mv "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/kernel-version" "$tmp/build-log.txt" "$out/"
  mv "$tmp/base.raw" "$out/base.raw" # last: base.raw present = the image is complete
  rm -rf "$tmp"
}

ensure_image() {
  local key
  key=$(image_key)
  IMAGE_DIR=$CACHE_ROOT/vm/$key
  if [[ -f $IMAGE_DIR/base.raw && -f $IMAGE_DIR/vmlinuz && -f $IMAGE_DIR/initrd.img ]]; then
    log "   image $key cached ($IMAGE_DIR, kernel $(cat "$IMAGE_DIR/kernel-version"))"
  else
    mkdir -p "$CACHE_ROOT/vm"
    if any_vm_running; then
      log "   image changed while VMs run: stopping them first"
      vms_down
    fi
    build_image "$IMAGE_DIR"
  fi
  echo "$key" >"$STATE/image.key"
}

# ---------------------------------------------------------------- network
ensure_bridge() {
  # A fixed MAC: a restored VM's ARP cache still knows the bridge from when it was saved.
  ip link show "$BR" >/dev/null 2>&1 || ip link add "$BR" address 52:54:00:f1:00:01 type bridge
  ip -4 addr show dev "$BR" | grep -q "inet $BR_ADDR/$PREFIX" || ip addr add "$BR_ADDR/$PREFIX" dev "$BR"
  ip link set "$BR" up
  # br_netfilter sends bridged frames through FORWARD (VM to VM); one tagged rule, removed by down.
  iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD 1 -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT
}

ensure_tap() {
  local t
  t=$(vm_tap "$1")
  ip link show "$t" >/dev/null 2>&1 || ip tuntap add dev "$t" mode tap
  ip link set "$t" master "$BR"
  ip link set "$t" up
}

bridge_down() {
  local t
  while iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT 2>/dev/null; do
    iptables -D FORWARD -i "$BR" -o "$BR" -m comment --comment "$FW_COMMENT" -j ACCEPT
  done
  for t in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^dfvm-' || true); do
    ip link del "$t" 2>/dev/null || true
  done
  if ip link show "$BR" >/dev/null 2>&1; then ip link del "$BR"; fi
}

# ---------------------------------------------------------------- VMs
vdir() { echo "$STATE/vms/$1"; }

vm_running() {
  local f
  f=$(vdir "$1")/qemu.pid
  [[ -f $f ]] && pid_alive "$(cat "$f")"
}

any_vm_running() {
  local d
  for d in "$STATE"/vms/*/; do
    [[ -d $d ]] && vm_running "$(basename "$d")" && return 0
  done
  return 1
}

vm_healthy() {
  local h=$1
  vm_running "$h" && hssh "$h" 'systemctl is-active --quiet docker.service && docker info >/dev/null 2>&1' 2>/dev/null
}

# Disks: vda = qcow2 overlay on base.raw; then the extra disks in FLEET order (vdb, vdc, ...).
make_disks() {
  local h=$1 d disk
  d=$(vdir "$h")
  qemu-img create -q -f qcow2 -b "$IMAGE_DIR/base.raw" -F raw "$d/root.qcow2"
  for disk in $(vm_disks "$h"); do
    case $disk in
      spare)
        truncate -s 64M "$d/spare.raw"
        mkfs.ext4 -q -F -L spare "$d/spare.raw"
        ;;
      data20g) qemu-img create -q -f qcow2 "$d/data20g.qcow2" 20G ;;
      *) die "unknown disk kind $disk" ;;
    esac
  done
  cat "$STATE/image.key" >"$d/image.key"
}

# qemu_args NAME: the VM's qemu command line (arguments after the binary), the same for a boot and
# for a restore (-incoming is added to it then). Part of the snapshot key.
qemu_args() {
  local h=$1 d key disk
  d=$(vdir "$h")
  key=$(base64 -w0 <"$SSH_KEY.pub")
  # shellcheck disable=SC2054 # commas inside qemu option values
  case $ACCEL in
    tcg) QARGS=(-machine pc -accel tcg,tb-size=256 -cpu max) ;;
    kvm) QARGS=(-machine pc,accel=kvm -enable-kvm -cpu host,-arch-capabilities) ;;
    *) die "DOCKFLEET_VM_ACCEL must be tcg or kvm" ;;
  esac
  QARGS+=(-name "$h" -smp 1 -m "$MEM" -nodefaults -no-user-config
    -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img"
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.show_status=0 vm.name=$h vm.ip=$(vm_addr "$h")/$PREFIX vm.key=$key"
    -drive "file=$d/root.qcow2,if=virtio,format=qcow2,discard=unmap")
  for disk in $(vm_disks "$h"); do
    case $disk in
      spare) QARGS+=(-drive "file=$d/spare.raw,if=virtio,format=raw") ;;
      data20g) QARGS+=(-drive "file=$d/data20g.qcow2,if=virtio,format=qcow2,discard=unmap") ;;
    esac
  done
  QARGS+=(-nic "tap,ifname=$(vm_tap "$h"),script=no,downscript=no,model=virtio-net-pci,mac=$(vm_mac "$h")"
    -device virtio-rng-pci -display none -vga none -serial "file:$d/console.log"
    -qmp "unix:$d/qmp.sock,server=on,wait=off" -daemonize -pidfile "$d/qemu.pid")
}

# start_vm NAME [STATEFILE]: boot the VM, or with STATEFILE resume it from a saved state.
start_vm() {
  local h=$1 state=${2:-} d
  d=$(vdir "$h")
  if [[ -f $d/image.key && $(cat "$d/image.key") != "$(cat "$STATE/image.key")" ]]; then
    log "   $h: image changed, new disks"
    rm -rf "$d"
  fi
  mkdir -p "$d"
  [[ -n $state || -f $d/root.qcow2 ]] || make_disks "$h"
  ensure_tap "$h"
  qemu_args "$h"
  [[ -z $state ]] || QARGS+=(-incoming "exec:zstd -dcq $state")
  : >>"$d/console.log"
  rm -f "$d/qmp.sock"
  qemu-system-x86_64 "${QARGS[@]}" 9>&-
  date +%s.%N >"$d/started"
}

# qmp NAME CMD...: send QMP commands (JSON, one per argument) to the VM; prints the last reply.
qmp() {
  local sock
  sock=$(vdir "$1")/qmp.sock
  shift
  /usr/bin/python3 - "$sock" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect(sys.argv[1]); f = s.makefile("rw")
def rd():
    while True:
        m = json.loads(f.readline())
        if "event" not in m: return m
rd()
last = None
for c in ["{\"execute\":\"qmp_capabilities\"}"] + sys.argv[2:]:
    f.write(c + "\n"); f.flush(); last = rd()
    if "error" in last: print(json.dumps(last)); sys.exit(1)
print(json.dumps(last.get("return")))
PY
}

# ---------------------------------------------------------------- saved VM states
# A booted, healthy VM (docker active, test image imported) is saved once per image + VM
# definition in the image cache: the migration stream (zstd) + copies of its disks + the ssh key
# it trusts. A later `up` restores it instead of booting (DOCKFLEET_VM_SNAPSHOT=0: always boot).
SNAP=${DOCKFLEET_VM_SNAPSHOT:-1}
snap_dir() { echo "$IMAGE_DIR/snap/$1"; }
snap_key() {
  local h=$1
  qemu_args "$h"
  { echo "snap-1 $(qemu-system-x86_64 --version | head -1) ${FLEET[$h]} $(busybox_key)"; printf '%s\n' "${QARGS[@]}"; } | sha256sum | cut -c1-16
}
snap_valid() {
  local s
  s=$(snap_dir "$1")
  [[ $SNAP == 1 && -f $s/state.zst && -f $s/key && $(cat "$s/key") == "$(snap_key "$1")" ]]
}

# save_vm NAME: migrate the running VM to a file (qemu pauses it when the migration completes and
# flushes its disks), copy the disks, quit qemu. The caller then restores from the copy (which
# also proves the saved state works).
save_vm() {
  local h=$1 s d t st i
  s=$(snap_dir "$h")
  d=$(vdir "$h")
  t=$(now)
  rm -rf "$s.tmp"
  mkdir -p "$s.tmp"
  hssh "$h" 'sync; echo 3 >/proc/sys/vm/drop_caches' || true # less guest page cache in the state
  qmp "$h" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:zstd -1 -q -o $s.tmp/state.zst\"}}" >/dev/null
  for ((i = 0; i < 600; i++)); do
    st=$(qmp "$h" '{"execute":"query-migrate"}' | jq -r .status)
    [[ $st == completed ]] && break
    [[ $st == failed || $st == cancelled ]] && die "$h: saving the VM state failed ($st)"
    sleep 0.5
  done
  [[ $st == completed ]] || die "$h: saving the VM state timed out"
  qmp "$h" '{"execute":"quit"}' >/dev/null 2>&1 || true
  for ((i = 0; i < 100; i++)); do vm_running "$h" || break; sleep 0.1; done
  rm -f "$d/qemu.pid"
  local f
  for f in root.qcow2 spare.raw data20g.qcow2; do
    [[ -f $d/$f ]] && cp --sparse=always "$d/$f" "$s.tmp/$f"
  done
  snap_key "$h" >"$s.tmp/key"
  rm -rf "$s"
  mv "$s.tmp" "$s"
  log "   $h: state saved in $(elapsed "$t")s ($(du -sm "$s" | cut -f1) MiB in $s)"
}

# restore_vm NAME: the saved disks + the saved state.
restore_vm() {
  local h=$1 s d f
  s=$(snap_dir "$h")
  d=$(vdir "$h")
  rm -rf "$d"
  mkdir -p "$d"
  for f in root.qcow2 spare.raw data20g.qcow2; do
    [[ -f $s/$f ]] && cp --sparse=always "$s/$f" "$d/$f"
  done
  cat "$STATE/image.key" >"$d/image.key"
  start_vm "$h" "$s/state.zst"
  date +%s.%N >"$d/restored"
}

# After a restore: the guest clock is where it was saved; set it from the host.
after_restore() {
  hssh "$1" "date -s @$(date +%s) >/dev/null" || die "$1: cannot set the clock after the restore"
}

# pin_vm_key NAME: the VM's ed25519 host key into $KNOWN_HOSTS, replacing its old line. Read with
# ssh-keyscan over the host-only bridge right after our own qemu started the VM: the image makes the
# key inside the VM at its first boot, so nothing on this side can read it earlier (the sandbox
# reads its hosts' keys from their root file systems instead). A restored VM presents its saved key.
pin_vm_key() {
  local h=$1 addr line
  addr=$(vm_addr "$h")
  line=$(ssh-keyscan -T 2 -t ed25519 "$addr" 2>/dev/null | awk '!/^#/ && $2 == "ssh-ed25519" {print; exit}') || true
  [[ -n $line ]] || return 1
  touch "$KNOWN_HOSTS"
  { awk -v a="$addr" '$1 != a' "$KNOWN_HOSTS"; echo "$line"; } >"$KNOWN_HOSTS.tmp"
  mv "$KNOWN_HOSTS.tmp" "$KNOWN_HOSTS"
}

# wait_vm NAME: ssh, then docker active; prints the times since qemu started.
wait_vm() {
  local h=$1 d t0 i ssh_t=""
  d=$(vdir "$h")
  t0=$(cat "$d/started")
  for ((i = 0; i < BOOT_TIMEOUT; i++)); do
    vm_running "$h" || { tail -20 "$d/console.log" >&2; die "$h: qemu exited (console: $d/console.log)"; }
    if [[ -z $ssh_t ]] && ! pin_vm_key "$h"; then
      sleep 1
      continue
    fi
    if [[ -z $ssh_t ]] && hssh "$h" true 2>/dev/null; then
      ssh_t=$(elapsed "$t0")
      log "   $h: ssh answers after ${ssh_t}s"
      [[ -f $d/restored ]] && after_restore "$h"
    fi
    if [[ -n $ssh_t ]] && hssh "$h" 'systemctl is-active --quiet docker.service && docker info >/dev/null 2>&1' 2>/dev/null; then
      log "   $h: docker active after $(elapsed "$t0")s (qemu RSS $(vm_rss "$h") MiB)"
      return 0
    fi
    sleep 1
  done
  tail -20 "$d/console.log" >&2
  die "$h: not healthy after ${BOOT_TIMEOUT}s"
}

vm_rss() {
  local f
  f=$(vdir "$1")/qemu.pid
  [[ -f $f ]] || { echo -; return; }
  awk '/^VmRSS:/{printf "%d", $2/1024}' "/proc/$(cat "$f")/status" 2>/dev/null || echo -
}

ensure_vms() {
  local h started=()
  BOOTED=()
  for h in "${HOSTS[@]}"; do
    if vm_healthy "$h"; then
      log "   $h: healthy"
      continue
    fi
    if vm_running "$h"; then
      log "   $h: running but docker not answering; waiting"
    elif snap_valid "$h"; then
      log "   $h: restoring the saved state ($(snap_dir "$h"))"
      restore_vm "$h"
    else
      log "   $h: booting qemu ($ACCEL, ${MEM} MiB, disks: vda $(vm_disks "$h"))"
      start_vm "$h"
      BOOTED+=("$h")
    fi
    started+=("$h")
  done
  for h in "${started[@]}"; do wait_vm "$h"; done
}

# Booted VMs (not restored) that are healthy and have their test image: save them for next time.
save_booted() {
  local h
  [[ $SNAP == 1 ]] || return 0
  for h in "${BOOTED[@]}"; do
    snap_valid "$h" && continue
    save_vm "$h"
    log "   $h: restoring the state just saved"
    restore_vm "$h"
    wait_vm "$h"
  done
}

# stop_vm NAME: poweroff over ssh, wait up to 60 s, then SIGTERM/SIGKILL the own qemu PID.
stop_vm() {
  local h=$1 d pid i
  d=$(vdir "$h")
  [[ -f $d/qemu.pid ]] || return 0
  pid=$(cat "$d/qemu.pid")
  if pid_alive "$pid"; then
    hssh "$h" 'systemctl poweroff --no-block' >/dev/null 2>&1 || true
    for ((i = 0; i < 600; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "   $h: no poweroff after 60 s, SIGTERM $pid"
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && { log "   $h: SIGKILL $pid"; kill -KILL "$pid" 2>/dev/null || true; }
    fi
  fi
  rm -f "$d/qemu.pid"
}

vms_down() {
  local d pids=() p
  for d in "$STATE"/vms/*/; do
    [[ -d $d ]] || continue
    stop_vm "$(basename "$d")" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
}

# ---------------------------------------------------------------- images inside the VMs
busybox_key() {
  { echo "$SCRIPT_VERSION busybox-1"; sha256sum /bin/busybox; } | sha256sum | cut -c1-16
}

build_busybox_tar() {
  local out=$1 tmp r a
  tmp=$(mktemp -d "$CACHE_ROOT/vm/img.XXXXXX")
  r=$tmp/busybox
  mkdir -p "$r/bin" "$r/www" "$r/tmp" "$r/etc"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do
    [[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
  done
  echo '<html><body>dockfleet vm busybox</body></html>' >"$r/www/index.html"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  tar -C "$r" --numeric-owner -cf "$tmp/busybox.tar" .
  mv "$tmp/busybox.tar" "$out"
  rm -rf "$tmp"
}

ensure_images() {
  local key tar h cur
  key=$(busybox_key)
  tar=$CACHE_ROOT/vm/img-busybox-$key.tar
  mkdir -p "$CACHE_ROOT/vm"
  [[ -f $tar ]] || build_busybox_tar "$tar"
  for h in "${HOSTS[@]}"; do
    cur=$(hssh "$h" "docker image inspect -f '{{index .Config.Labels \"dockfleet.sandbox.key\"}}' $IMG_BUSYBOX 2>/dev/null" || true)
    [[ $cur == "$key" ]] && continue
    hssh "$h" "docker import --change 'CMD [\"sh\"]' --change 'LABEL dockfleet.sandbox.key=$key' - $IMG_BUSYBOX >/dev/null" <"$tar" ||
      die "$h: docker import failed"
  done
}

# ---------------------------------------------------------------- roles
# The NFS server: the 20 GiB data disk (vdb) as ext4 on /export, two exports to the VM subnet.
# Idempotent; run before the state is saved, so a restored nfs1 serves at once.
# shellcheck disable=SC2016 # expanded on the VM
NFS_ROLE='set -e
if ! blkid -o value -s TYPE /dev/vdb >/dev/null 2>&1; then mkfs.ext4 -q -L export /dev/vdb; fi
mkdir -p /export
mountpoint -q /export || mount /dev/vdb /export
mkdir -p /export/shared /export/ro
chmod 1777 /export/shared
echo "read-only export on nfs1" >/export/ro/README
want="/export/shared SUBNET(rw,sync,no_subtree_check,no_root_squash)
/export/ro SUBNET(ro,sync,no_subtree_check)"
[ "$(cat /etc/exports 2>/dev/null)" = "$want" ] || echo "$want" >/etc/exports
systemctl is-active --quiet nfs-server || systemctl enable --now nfs-server >/dev/null 2>&1
exportfs -ra
exportfs -v | grep -q "^/export/ro"'

ensure_roles() {
  local h
  for h in "${HOSTS[@]}"; do
    case $(vm_role "$h") in
      nfs) hssh "$h" "${NFS_ROLE//SUBNET/${BR_ADDR%.*}.0/$PREFIX}" || die "$h: NFS exports failed" ;;
    esac
  done
}

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

# ---------------------------------------------------------------- outputs
write_ssh_config() {
  local h
  mkdir -p "$STATE/ssh"
  # The key lives in the image cache too: saved VM states trust it (a throwaway key for VMs on a
  # host-only bridge).
  local ck=$CACHE_ROOT/vm/ssh/id_ed25519
  if [[ ! -f $SSH_KEY ]]; then
    if [[ ! -f $ck ]]; then
      mkdir -p "$(dirname "$ck")"
      chmod 700 "$(dirname "$ck")"
      ssh-keygen -q -t ed25519 -N '' -C dockfleet-vm -f "$ck"
    fi
    cp "$ck" "$ck.pub" "$STATE/ssh/"
  fi
  {
    for h in "${!FLEET[@]}"; do
      cat <<EOF
Host $h
  HostName $(vm_addr "$h")
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
  ConnectTimeout 10
  ServerAliveInterval 10
  ServerAliveCountMax 6

EOF
    done
  } >"$SSH_CFG.tmp"
  mv "$SSH_CFG.tmp" "$SSH_CFG"
}

write_json() {
  local ver h hosts_json
  ver=$(hssh "${HOSTS[0]}" 'docker version --format "{{.Server.Version}}"')
  hosts_json=$(for h in "${HOSTS[@]}"; do
    local hk
    hk=$(awk -v a="$(vm_addr "$h")" '$1 == a {print $2 " " $3; exit}' "$KNOWN_HOSTS" 2>/dev/null || true)
    jq -nc --arg n "$h" --arg a "$(vm_addr "$h")" --arg r "$(vm_role "$h")" --arg k "$hk" '{name:$n,address:$a,role:$r,hostKey:$k}'
  done | jq -sc .)
  jq -n --argjson hosts "$hosts_json" --arg key "$SSH_KEY" --arg cfg "$SSH_CFG" --arg br "$BR_ADDR" \
    --arg bb "$IMG_BUSYBOX" --arg ver "$ver" --arg state "$STATE" --arg accel "$ACCEL" '{
      hosts: $hosts, user: "root", sshKeyPath: $key, sshConfigPath: $cfg, bridgeAddress: $br,
      images: {busybox: $bb, registry: null}, swift: null,
      dockerVersion: ($ver | sub("[+~-].*$"; "")), dockerServerVersion: $ver,
      stateDir: $state, kind: "vm", accel: $accel
    }' >"$STATE/sandbox.json.tmp"
  mv "$STATE/sandbox.json.tmp" "$STATE/sandbox.json"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  need_cmds
  mkdir -p "$STATE" "$LOGS" "$CACHE_ROOT/vm"
  exec 9>"$STATE/.lock"
  flock -w 600 9 || die "lock $STATE/.lock busy (another vm.sh up/down running?)"
  step "ssh key + ssh_config" write_ssh_config
  step "image (debootstrap $SUITE + Debian kernel)" ensure_image
  step "bridge $BR + FORWARD rule" ensure_bridge
  step "VMs (${HOSTS[*]})" ensure_vms
  step "image $IMG_BUSYBOX (docker import)" ensure_images
  step "roles (NFS exports)" ensure_roles
  ((${#BOOTED[@]} == 0)) || step "save booted VMs (${BOOTED[*]}) for the next up" save_booted
  step "swarm" ensure_swarm
  step "sandbox.json" write_json
  log "up: ready in $(elapsed "$T0")s -> $STATE/sandbox.json"
}

cmd_down() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 15 9 || log "WARNING: lock $STATE/.lock busy (another vm.sh running?); continuing"
  step "VMs" vms_down
  step "bridge $BR + taps + FORWARD rule" bridge_down
  local h
  for h in "${!FLEET[@]}"; do ssh -F "$SSH_CFG" -O exit "$h" >/dev/null 2>&1 || true; done
  any_vm_running && die "a VM is still running; not deleting $STATE"
  rm -rf "$STATE"
  log "down: done in $(elapsed "$T0")s (image cache kept in $CACHE_ROOT/vm)"
}

cmd_status() {
  local h rc=0 d dk
  echo "state: $STATE   cache: $CACHE_ROOT/vm   image: $(cat "$STATE/image.key" 2>/dev/null || echo none)"
  ip -br addr show "$BR" 2>/dev/null || { echo "bridge $BR: absent"; rc=1; }
  for h in "${HOSTS[@]}"; do
    d=$(vdir "$h")
    if vm_running "$h"; then
      # shellcheck disable=SC2016 # expanded on the VM
      dk=$(hssh "$h" 'echo "$(systemctl is-system-running) docker=$(docker info --format "{{.ServerVersion}}/{{.Driver}}" 2>/dev/null || systemctl is-active docker)"' 2>/dev/null) || dk=not-answering
      printf '%s %s qemu=%s rss=%sMiB system=%s\n' "$h" "$(vm_addr "$h")" "$(cat "$d/qemu.pid")" "$(vm_rss "$h")" "$dk"
    else
      echo "$h: not running"
      rc=1
    fi
  done
  return $rc
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status   (DOCKFLEET_VM_HOSTS=\"dm1 ...\")" >&2; exit 2 ;;
esac
