# shellcheck shell=bash
# The hosts' base root file system: debootstrap, cached by its inputs.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

# The Debian mirror: DOCKFLEET_DEBIAN_MIRROR, else the first bookworm "main" source this machine's
# apt uses (deb822 .sources or one-line lists); a user's machine has its own mirror.
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0; deb = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:.*(^|[ \t])deb([ \t]|$)/) deb = 1
          if ($i ~ /^URIs:/) { split($i, w, /[ \t]+/); uri = w[2] }
          if ($i ~ /^Suites:/ && (" " $i " ") ~ (" " suite " ")) ok = 1
        }
        if (deb && ok && uri != "" && uri !~ /security/) { print uri; exit } }' "$f"
  done | head -1 | grep . && return 0
  sed -n -E "s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+${SUITE}[[:space:]].*/\2/p" \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -1 | grep .
}

# Everything that changes the cached base goes into its key.
customize_base() {
  local r=$1
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
  rm -f "$r"/etc/ssh/ssh_host_*
  mkdir -p "$r/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$r/etc/systemd/system/ssh.service.d/10-hostkeys.conf"
  mkdir -p "$r/etc/ssh/sshd_config.d"
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$r/etc/ssh/sshd_config.d/10-dockfleet.conf"
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' >"$r/etc/systemd/journald.conf.d/10-dockfleet.conf"
  systemctl --root="$r" enable systemd-networkd.service >/dev/null 2>&1
  systemctl --root="$r" mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
    fstrim.timer e2scrub_all.timer e2scrub_reap.service >/dev/null 2>&1 || true
  systemctl --root="$r" enable docker.service containerd.service ssh.service >/dev/null 2>&1
  # No DNS: hosts only talk to the sandbox bridge.
  rm -f "$r/etc/resolv.conf"
  : >"$r/etc/resolv.conf"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
  mkdir -p "$r/root/.ssh"
  chmod 700 "$r/root/.ssh"
}

base_key() {
  { echo "$SCRIPT_VERSION $SUITE $BASE_PKGS"; declare -f customize_base; } | sha256sum | cut -c1-16
}

build_base() {
  local key=$1 out tmp
  out=$CACHE/base-$SUITE-$key.tar.zst
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  MIRROR=${DOCKFLEET_DEBIAN_MIRROR:-$(host_mirror)} ||
    die "no Debian $SUITE mirror in this machine's apt sources; set DOCKFLEET_DEBIAN_MIRROR"
  log "   debootstrap $SUITE (minbase + $BASE_PKGS) from $MIRROR"
  if ! debootstrap --variant=minbase --include="$BASE_PKGS" "$SUITE" "$tmp/rootfs" "$MIRROR" \
    >"$CACHE/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/debootstrap.log" >&2
    rm -rf "$tmp"
    die "debootstrap failed (log: $CACHE/debootstrap.log)"
  fi
  customize_base "$tmp/rootfs"
  tar -C "$tmp/rootfs" --numeric-owner --xattrs -cf - . | zstd -q -3 -T0 -o "$tmp/base.tar.zst"
  mv "$tmp/base.tar.zst" "$out"
  rm -rf "$tmp"
}

ensure_base() {
  local key
  key=$(base_key)
  if [[ -f $STATE/base/.key && $(cat "$STATE/base/.key") == "$key" && -x $STATE/base/rootfs/usr/sbin/dockerd ]]; then
    log "   base rootfs $key present"
    return 0
  fi
  if any_host_mounted; then
    log "   base changed while hosts exist: tearing hosts down first"
    hosts_down
  fi
  if [[ ! -f $CACHE/base-$SUITE-$key.tar.zst ]]; then
    build_base "$key"
  else
    log "   using cached $CACHE/base-$SUITE-$key.tar.zst"
  fi
  rm -rf "$STATE/base"
  mkdir -p "$STATE/base/rootfs"
  zstd -q -d -c "$CACHE/base-$SUITE-$key.tar.zst" | tar -C "$STATE/base/rootfs" --numeric-owner --xattrs -xf -
  # Per-sandbox key goes into the (read-only) lower layer.
  install -m 600 "$SSH_KEY.pub" "$STATE/base/rootfs/root/.ssh/authorized_keys"
  echo "$key" >"$STATE/base/.key"
}
