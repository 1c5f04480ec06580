# shellcheck shell=bash
# ssh to the VMs, and pinning their host keys.
# Sourced by test/vm/vm.sh (its globals and config are set there).

hssh() {
  local h=$1
  shift
  ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes "$h" "$@"
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
