#!/usr/bin/env bash
# go vet + go test for dockfleet's pulumi-resource-command, with the real-SSH
# tests enabled: they start a throwaway sshd on 127.0.0.1 (random port).
#
#   tools/pulumi-resource-command/test.sh [go test flags...]   # e.g. -v -run TestSSH
#
# sshd: $DOCKFLEET_TEST_SSHD, else `sshd` on PATH or /usr/sbin/sshd, else the
# Debian openssh-server package is fetched with `apt-get download` and
# extracted (not installed) under
# ${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-resource-command/sshd/.
# As root without sshd's privsep user/dir, sshd runs as (and the test logs in
# as) $DOCKFLEET_TEST_SSHD_USER, default: the first non-system user with a shell.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[pulumi-resource-command test] %s\n' "$*" >&2; }

sshd="${DOCKFLEET_TEST_SSHD:-}"
if [[ -z "$sshd" ]]; then
  if command -v sshd >/dev/null; then
    sshd="$(command -v sshd)"
  elif [[ -x /usr/sbin/sshd ]]; then
    sshd=/usr/sbin/sshd
  else
    dir="${DOCKFLEET_CACHE:-/var/cache/dockfleet}/pulumi-resource-command/sshd"
    if [[ ! -x "$dir/root/usr/sbin/sshd" ]]; then
      log "fetching openssh-server + libwrap0 (.deb, extracted only) into $dir"
      mkdir -p "$dir"
      if (cd "$dir" && apt-get download openssh-server libwrap0 >&2); then
        for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
      else
        log "apt-get download failed: the real-SSH tests will be skipped"
      fi
    fi
    if [[ -x "$dir/root/usr/sbin/sshd" ]]; then
      sshd="$dir/root/usr/sbin/sshd"
      export LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
  fi
fi
if [[ -n "$sshd" ]]; then
  export DOCKFLEET_TEST_SSHD="$sshd"
  if [[ "$(id -u)" == 0 && -z "${DOCKFLEET_TEST_SSHD_USER:-}" ]] \
    && ! { getent passwd sshd >/dev/null && [[ -d /run/sshd ]]; }; then
    DOCKFLEET_TEST_SSHD_USER="$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 && $7 ~ /sh$/ { print $1; exit }')"
    export DOCKFLEET_TEST_SSHD_USER
  fi
  log "sshd: $sshd${DOCKFLEET_TEST_SSHD_USER:+ (as user $DOCKFLEET_TEST_SSHD_USER)}"
fi

cd "$here"
export GOFLAGS="-mod=readonly -buildvcs=false"
go vet ./...
go test -count=1 "$@" ./...
