#!/usr/bin/env bash
# Idempotent installation of everything the dockfleet test sandbox needs on the
# machine that runs it (Debian 12). Safe to re-run: it only installs what is missing.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root" >&2
  exit 1
fi

PKGS=(
  debootstrap systemd-container iptables bridge-utils iproute2 openssh-client
  jq curl busybox-static zstd docker-registry
  swift swift-proxy swift-account swift-container swift-object python3-swiftclient memcached
  shellcheck
  qemu-system-x86 qemu-utils e2fsprogs # test/vm/vm.sh: qemu VMs (TCG), mkfs.ext4 -d
  python3 python3-venv python3-pip
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi

# systemd-container can pull libnss-mymachines, which edits /etc/nsswitch.conf.
# We do not run machined, so remove it again.
if dpkg-query -W -f='${Status}' libnss-mymachines 2>/dev/null | grep -q 'install ok installed'; then
  echo "install-deps: purging libnss-mymachines"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq libnss-mymachines
fi

# /etc/swift/swift.conf is a hard-coded path in Swift. Keep Debian's default;
# only create it from the packaged defaults when it is missing.
if [[ ! -f /etc/swift/swift.conf ]]; then
  mkdir -p /etc/swift
  if [[ -f /usr/share/doc/swift/examples/swift.conf-sample ]]; then
    cp /usr/share/doc/swift/examples/swift.conf-sample /etc/swift/swift.conf
  else
    printf '[swift-hash]\nswift_hash_path_suffix = changeme\nswift_hash_path_prefix = changeme\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' >/etc/swift/swift.conf
  fi
fi
echo "install-deps: done"
