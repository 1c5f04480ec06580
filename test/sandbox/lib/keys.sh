# shellcheck shell=bash
# The hosts' ed25519 host keys: kept across a wipe, pinned in known_hosts.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

keep_host_key() {
  local h=$1 k
  k=$(hdir "$h")/upper/etc/ssh/ssh_host_ed25519_key
  [[ -s $k && -s $k.pub ]] || return 0
  mkdir -p "$HOST_KEYS/$h"
  chmod 700 "$HOST_KEYS" "$HOST_KEYS/$h"
  cp -p "$k" "$k.pub" "$HOST_KEYS/$h/"
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
