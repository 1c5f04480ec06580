# shellcheck shell=bash
# The commands this machine must have.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

need_cmds() {
  local c missing=()
  for c in debootstrap systemd-nspawn iptables ip ssh ssh-keygen jq curl zstd busybox \
    docker-registry memcached swift-proxy-server swift-ring-builder nsenter; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /bin/$c || -x /usr/bin/$c ]] || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (run: bash test/sandbox/install-deps.sh)"
  [[ $(id -u) -eq 0 ]] || die "must run as root"
}
