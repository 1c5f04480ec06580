# shellcheck shell=bash
# What the tests read: ssh_config and sandbox.json.
# Sourced by test/vm/vm.sh (its globals and config are set there).

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
