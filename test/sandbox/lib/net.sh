# shellcheck shell=bash
# The sandbox bridge and its FORWARD rule.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

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
