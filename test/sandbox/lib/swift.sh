# shellcheck shell=bash
# The single-node OpenStack Swift (tempauth + s3api) and memcached on the bridge.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

swift_key() {
  mkdir -p "$SWIFT_DIR"
  if [[ ! -s $SWIFT_DIR/key ]]; then
    # The local stack (stacks/Pulumi.local.yaml) holds this key encrypted with the sandbox's public
    # passphrase, so it is fixed unless DOCKFLEET_SANDBOX_SWIFT_KEY says otherwise. It guards only
    # this throwaway Swift on the sandbox bridge. Letters first: registry env values are YAML-decoded.
    printf '%s\n' "${DOCKFLEET_SANDBOX_SWIFT_KEY:-skDockfleetLocalSandbox}" >"$SWIFT_DIR/key"
    chmod 600 "$SWIFT_DIR/key"
  fi
  cat "$SWIFT_DIR/key"
}

write_swift_config() {
  local key=$1 e=$SWIFT_DIR/etc dev=$SWIFT_DIR/srv/node
  mkdir -p "$e" "$dev/d1" "$SWIFT_DIR/run"
  local common="[DEFAULT]
bind_ip = 127.0.0.1
workers = 0
user = root
swift_dir = $e
devices = $dev
mount_check = false
disable_fallocate = true
log_name = %s
"
  # shellcheck disable=SC2059
  {
    printf "$common" account
    printf 'bind_port = 6202\n\n[pipeline:main]\npipeline = healthcheck recon account-server\n\n[app:account-server]\nuse = egg:swift#account\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n[filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = %s\n\n[account-replicator]\n[account-auditor]\n[account-reaper]\n' "$SWIFT_DIR/run"
  } >"$e/account-server.conf"
  # shellcheck disable=SC2059
  {
    printf "$common" container
    printf 'bind_port = 6201\n\n[pipeline:main]\npipeline = healthcheck recon container-server\n\n[app:container-server]\nuse = egg:swift#container\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n[filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = %s\n\n[container-replicator]\n[container-updater]\n[container-auditor]\n[container-sync]\n' "$SWIFT_DIR/run"
  } >"$e/container-server.conf"
  # shellcheck disable=SC2059
  {
    printf "$common" object
    printf 'bind_port = 6200\n\n[pipeline:main]\npipeline = healthcheck recon object-server\n\n[app:object-server]\nuse = egg:swift#object\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n[filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = %s\n\n[object-replicator]\n[object-reconstructor]\n[object-updater]\n[object-auditor]\n' "$SWIFT_DIR/run"
  } >"$e/object-server.conf"
  cat >"$e/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $BR_ADDR
bind_port = $SWIFT_PORT
workers = 0
user = root
swift_dir = $e
log_name = proxy

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false

[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = $key .admin .reseller_admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
}

# shellcheck disable=SC2164 # sandbox.sh runs with set -e: a failed cd ends the subshell
build_rings() {
  local e=$SWIFT_DIR/etc t port
  for t in object container account; do
    [[ -f $e/$t.ring.gz ]] && continue
    case $t in object) port=6200 ;; container) port=6201 ;; account) port=6202 ;; esac
    (
      cd "$e"
      swift-ring-builder "$t.builder" create 8 1 1 >/dev/null
      swift-ring-builder "$t.builder" add "r1z1-127.0.0.1:$port/d1" 100 >/dev/null
      swift-ring-builder "$t.builder" rebalance >/dev/null || true
    ) &
  done
  wait
  for t in object container account; do [[ -f $e/$t.ring.gz ]] || die "ring $t not built"; done
}

swift_healthy() {
  local key=$1
  curl -fsS -m 3 "http://$BR_ADDR:$SWIFT_PORT/healthcheck" >/dev/null 2>&1 \
    && /usr/bin/swift -A "http://$BR_ADDR:$SWIFT_PORT/auth/v1.0" -U admin:admin -K "$key" stat >/dev/null 2>&1
}

ensure_swift() {
  local key run=$SWIFT_DIR/run s i
  key=$(swift_key)
  write_swift_config "$key"
  build_rings
  mkdir -p "$LOGS"
  if ! pidfile_alive "$run/memcached.pid"; then
    start_bg "$run/memcached.pid" "$LOGS/memcached.log" memcached -u memcache -l 127.0.0.1 -p 11211 -U 0 -m 64
  fi
  for s in account container object; do
    if ! pidfile_alive "$run/$s.pid"; then
      start_bg "$run/$s.pid" "$LOGS/swift-$s.log" "swift-$s-server" "$SWIFT_DIR/etc/$s-server.conf" --verbose
    fi
  done
  if ! pidfile_alive "$run/proxy.pid"; then
    start_bg "$run/proxy.pid" "$LOGS/swift-proxy.log" swift-proxy-server "$SWIFT_DIR/etc/proxy-server.conf" --verbose
  fi
  for ((i = 0; i < 120; i++)); do
    swift_healthy "$key" && return 0
    sleep 0.5
  done
  tail -5 "$LOGS/swift-proxy.log" >&2 || true
  die "swift not healthy"
}

swift_down() {
  local s
  for s in proxy object container account memcached; do
    stop_pidfile "$SWIFT_DIR/run/$s.pid" 15
  done
}
