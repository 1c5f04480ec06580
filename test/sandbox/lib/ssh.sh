# shellcheck shell=bash
# ssh to the hosts, and their ControlMaster connections.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

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
