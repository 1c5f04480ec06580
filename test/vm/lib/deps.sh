# shellcheck shell=bash
# The commands this machine must have.
# Sourced by test/vm/vm.sh (its globals and config are set there).

need_cmds() {
  local c missing=()
  for c in debootstrap qemu-system-x86_64 qemu-img mkfs.ext4 iptables ip ssh ssh-keygen jq busybox flock; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /bin/$c || -x /usr/bin/$c || -x /sbin/$c || -x /usr/sbin/$c ]] || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (run: bash test/sandbox/install-deps.sh)"
  [[ $(id -u) -eq 0 ]] || die "must run as root"
}
