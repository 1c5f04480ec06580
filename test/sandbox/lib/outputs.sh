# shellcheck shell=bash
# What the tests read: ssh_config and sandbox.json.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

write_ssh_config() {
  local h
  mkdir -p "$STATE/ssh"
  if [[ ! -f $SSH_KEY ]]; then
    ssh-keygen -q -t ed25519 -N '' -C dockfleet-sandbox -f "$SSH_KEY"
  fi
  {
    for h in "${HOSTS[@]}"; do
      cat <<EOF
Host $h
  HostName ${ADDR[$h]}
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
  KexAlgorithms curve25519-sha256
  ConnectTimeout 5
  ServerAliveInterval 5
  ServerAliveCountMax 3

EOF
    done
  } >"$SSH_CFG.tmp"
  mv "$SSH_CFG.tmp" "$SSH_CFG"
}

write_json() {
  local ver key h hosts_json
  ver=$(hssh "${HOSTS[0]}" 'docker version --format "{{.Server.Version}}"')
  key=$(cat "$SWIFT_DIR/key")
  # instance: the host's machine-id, new whenever the host is recreated from the base (a wipe).
  # dev/local-stack.sh compares it: state deployed to a wiped host describes nothing there.
  hosts_json=$(for h in "${HOSTS[@]}"; do
    local role=worker inst hk
    if want_manager "$h"; then role=manager; fi
    inst=$(cat "$(hdir "$h")/root/etc/machine-id" 2>/dev/null || echo unknown)
    hk=$(host_key "$h" || true)
    jq -nc --arg n "$h" --arg a "${ADDR[$h]}" --arg r "$role" --arg i "$inst" --arg k "$hk" '{name:$n,address:$a,role:$r,instance:$i,hostKey:$k}'
  done | jq -sc .)
  jq -n --argjson hosts "$hosts_json" --arg key "$SSH_KEY" --arg cfg "$SSH_CFG" --arg br "$BR_ADDR" \
    --arg bb "$IMG_BUSYBOX" --arg reg "$IMG_REGISTRY" --arg pw "$key" --arg ver "$ver" \
    --arg url "http://$BR_ADDR:$SWIFT_PORT" --arg state "$STATE" '{
      hosts: $hosts, user: "root", sshKeyPath: $key, sshConfigPath: $cfg, bridgeAddress: $br,
      images: {busybox: $bb, registry: $reg},
      swift: {authUrl: ($url + "/auth/v1.0"), username: "admin:admin", password: $pw,
              s3Endpoint: $url, s3Region: "us-east-1"},
      dockerVersion: ($ver | sub("[+~-].*$"; "")), dockerServerVersion: $ver,
      stateDir: $state, swarmManagers: [$hosts[] | select(.role == "manager") | .name]
    }' >"$STATE/sandbox.json.tmp"
  mv "$STATE/sandbox.json.tmp" "$STATE/sandbox.json"
}
