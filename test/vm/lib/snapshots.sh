# shellcheck shell=bash
# Saved VM states: a booted, healthy VM saved once, restored by a later up.
# Sourced by test/vm/vm.sh (its globals and config are set there).

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
