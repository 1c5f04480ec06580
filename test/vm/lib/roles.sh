# shellcheck shell=bash
# Per-role setup inside the VMs (the NFS server's exports).
# Sourced by test/vm/vm.sh (its globals and config are set there).

# The NFS server: the 20 GiB data disk (vdb) as ext4 on /export, two exports to the VM subnet.
# Idempotent; run before the state is saved, so a restored nfs1 serves at once.
# shellcheck disable=SC2016 # expanded on the VM
NFS_ROLE='set -e
if ! blkid -o value -s TYPE /dev/vdb >/dev/null 2>&1; then mkfs.ext4 -q -L export /dev/vdb; fi
mkdir -p /export
mountpoint -q /export || mount /dev/vdb /export
mkdir -p /export/shared /export/ro
chmod 1777 /export/shared
echo "read-only export on nfs1" >/export/ro/README
want="/export/shared SUBNET(rw,sync,no_subtree_check,no_root_squash)
/export/ro SUBNET(ro,sync,no_subtree_check)"
[ "$(cat /etc/exports 2>/dev/null)" = "$want" ] || echo "$want" >/etc/exports
systemctl is-active --quiet nfs-server || systemctl enable --now nfs-server >/dev/null 2>&1
exportfs -ra
exportfs -v | grep -q "^/export/ro"'

ensure_roles() {
  local h
  for h in "${HOSTS[@]}"; do
    case $(vm_role "$h") in
      nfs) hssh "$h" "${NFS_ROLE//SUBNET/${BR_ADDR%.*}.0/$PREFIX}" || die "$h: NFS exports failed" ;;
    esac
  done
}
