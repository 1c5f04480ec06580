# shellcheck shell=bash
# The VM image: debootstrap + Debian kernel, cached by its inputs.
# Sourced by test/vm/vm.sh (its globals and config are set there).

# The Debian mirror: DOCKFLEET_DEBIAN_MIRROR, else the first bookworm "main" source this machine's
# apt uses (the same parser as test/sandbox/sandbox.sh).
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

# Everything in this section goes into the image key (declare -f), with the package list and suite.
customize_image() {
  local r=$1
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id" "$r"/etc/ssh/ssh_host_*
  # Per-VM identity from the kernel command line: vm.name=, vm.ip=, vm.key= (base64 of the
  # authorized_keys line). Runs before networkd and sshd.
  cat >"$r/usr/local/sbin/vm-setup" <<'EOF'
#!/bin/sh
set -e
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -1; }
name=$(arg vm.name); ip=$(arg vm.ip); key=$(arg vm.key)
[ -n "$name" ] && { echo "$name" >/etc/hostname; hostname "$name"; printf '127.0.1.1 %s\n127.0.0.1 localhost\n' "$name" >/etc/hosts; }
if [ -n "$ip" ]; then
  mkdir -p /etc/systemd/network
  printf '[Match]\nName=eth0\n\n[Network]\nAddress=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' "$ip" >/etc/systemd/network/10-eth0.network
fi
if [ -n "$key" ]; then
  mkdir -p /root/.ssh; chmod 700 /root/.ssh
  echo "$key" | base64 -d >/root/.ssh/authorized_keys; chmod 600 /root/.ssh/authorized_keys
fi
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
EOF
  chmod 755 "$r/usr/local/sbin/vm-setup"
  cat >"$r/etc/systemd/system/vm-setup.service" <<'EOF'
[Unit]
Description=dockfleet VM identity from the kernel command line
DefaultDependencies=no
After=local-fs.target
Before=systemd-networkd.service ssh.service network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vm-setup

[Install]
WantedBy=sysinit.target
EOF
  mkdir -p "$r/etc/ssh/sshd_config.d"
  # Only an ed25519 host key (RSA generation takes ~10 s under TCG).
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$r/etc/ssh/sshd_config.d/10-dockfleet.conf"
  mkdir -p "$r/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/sbin/sshd -t\n' >"$r/etc/systemd/system/ssh.service.d/10-hostkeys.conf"
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' >"$r/etc/systemd/journald.conf.d/10-dockfleet.conf"
  printf '/dev/vda / ext4 rw,relatime,errors=remount-ro 0 1\n' >"$r/etc/fstab"
  systemctl --root="$r" enable vm-setup.service systemd-networkd.service docker.service containerd.service ssh.service >/dev/null 2>&1
  systemctl --root="$r" disable nfs-server.service rpcbind.service rpcbind.socket nfs-blkmap.service >/dev/null 2>&1 || true
  systemctl --root="$r" mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
    fstrim.timer e2scrub_all.timer e2scrub_reap.service man-db.timer getty@tty1.service \
    systemd-timesyncd.service >/dev/null 2>&1 || true
  # Serial console login is not needed (ssh only); no DNS, no default route.
  rm -f "$r/etc/resolv.conf"
  : >"$r/etc/resolv.conf"
  # No mirror address stays in the image.
  : >"$r/etc/apt/sources.list"
  rm -f "$r"/etc/apt/sources.list.d/*
  rm -f "$r/usr/sbin/policy-rc.d"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/*.log
  rm -rf "$r/var/lib/docker" "$r/var/lib/containerd"
}

image_key() {
  { echo "$SCRIPT_VERSION $SUITE $IMAGE_SIZE $IMAGE_PKGS"; declare -f build_image customize_image; } | sha256sum | cut -c1-16
}

build_image() {
  local out=$1 tmp r mirror v
  tmp=$(mktemp -d "$CACHE_ROOT/vm/build.XXXXXX")
  r=$tmp/rootfs
  mirror=${DOCKFLEET_DEBIAN_MIRROR:-$(host_mirror)} ||
    die "no Debian $SUITE mirror in this machine's apt sources; set DOCKFLEET_DEBIAN_MIRROR"
  log "   debootstrap --variant=minbase $SUITE (log: $tmp/build.log)"
  if ! debootstrap --variant=minbase "$SUITE" "$r" "$mirror" >"$tmp/build.log" 2>&1; then
    tail -20 "$tmp/build.log" >&2
    die "debootstrap failed (log: $tmp/build.log)"
  fi
  log "   chroot apt-get install ($(echo "$IMAGE_PKGS" | wc -w) packages)"
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  mount -t proc proc "$r/proc"
  mount --bind /dev "$r/dev"
  mount -t sysfs sys "$r/sys"
  local rc=0
  # shellcheck disable=SC2086
  chroot "$r" env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $IMAGE_PKGS" >>"$tmp/build.log" 2>&1 || rc=$?
  umount "$r/sys" "$r/dev" "$r/proc" 2>/dev/null || umount -l "$r/sys" "$r/dev" "$r/proc" || true
  if ((rc != 0)); then
    tail -30 "$tmp/build.log" >&2
    die "package install failed (log: $tmp/build.log)"
  fi
  v=$(basename "$(find "$r/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -1)")
  [[ -n $v && -f $r/boot/initrd.img-${v#vmlinuz-} ]] || die "no kernel/initrd in the image's /boot"
  cp "$r/boot/$v" "$tmp/vmlinuz"
  cp "$r/boot/initrd.img-${v#vmlinuz-}" "$tmp/initrd.img"
  customize_image "$r"
  log "   mkfs.ext4 -d rootfs base.raw ($IMAGE_SIZE sparse)"
  truncate -s "$IMAGE_SIZE" "$tmp/base.raw"
  mkfs.ext4 -q -F -L vmroot -d "$r" "$tmp/base.raw" >>"$tmp/build.log" 2>&1 || die "mkfs.ext4 -d failed"
  echo "${v#vmlinuz-}" >"$tmp/kernel-version"
  cp "$tmp/build.log" "$tmp/build-log.txt"
  rm -rf "$r"
  mkdir -p "$out"
  mv "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/kernel-version" "$tmp/build-log.txt" "$out/"
  mv "$tmp/base.raw" "$out/base.raw" # last: base.raw present = the image is complete
  rm -rf "$tmp"
}

ensure_image() {
  local key
  key=$(image_key)
  IMAGE_DIR=$CACHE_ROOT/vm/$key
  if [[ -f $IMAGE_DIR/base.raw && -f $IMAGE_DIR/vmlinuz && -f $IMAGE_DIR/initrd.img ]]; then
    log "   image $key cached ($IMAGE_DIR, kernel $(cat "$IMAGE_DIR/kernel-version"))"
  else
    mkdir -p "$CACHE_ROOT/vm"
    if any_vm_running; then
      log "   image changed while VMs run: stopping them first"
      vms_down
    fi
    build_image "$IMAGE_DIR"
  fi
  echo "$key" >"$STATE/image.key"
}
