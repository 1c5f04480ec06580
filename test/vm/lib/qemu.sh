# shellcheck shell=bash
# shellcheck disable=SC2153 # STATE is set by vm.sh (start_vm's local state is another variable)
# The qemu processes: disks, command line, start, QMP, stop.
# Sourced by test/vm/vm.sh (its globals and config are set there).

# pid_alive PID: exists and is not a zombie (this machine's PID 1 reaps slowly).
pid_alive() {
  local pid=$1 st
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z ]]
}

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

vm_rss() {
  local f
  f=$(vdir "$1")/qemu.pid
  [[ -f $f ]] || { echo -; return; }
  awk '/^VmRSS:/{printf "%d", $2/1024}' "/proc/$(cat "$f")/status" 2>/dev/null || echo -
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
