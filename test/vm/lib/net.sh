# shellcheck shell=bash
# The VM bridge, the VMs' taps and the FORWARD rule.
# Sourced by test/vm/vm.sh (its globals and config are set there).

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
