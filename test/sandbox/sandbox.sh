#!/usr/bin/env bash
# dockfleet test sandbox: 3 (DOCKFLEET_SANDBOX_HOSTS: up to 9) Debian bookworm hosts (systemd-nspawn, systemd as PID 1,
# sshd, docker.io under docker.service), plus a single-node OpenStack Swift (tempauth +
# s3api) on the sandbox bridge. The swarm is the product's job (components/swarm).
#
#   sandbox.sh up       build / repair / health-check (fast no-op when healthy); no swarm
#   sandbox.sh swarm    a 3-manager swarm for the contract suites (no-op when healthy;
#                       DOCKFLEET_SANDBOX_MANAGERS=M: M managers, the other hosts workers)
#   sandbox.sh down     remove everything except the base-image cache
#   sandbox.sh status   print the state of every component
#   sandbox.sh recreate HOST...|all  wipe hosts and boot them again from the base (new instances)
#   sandbox.sh selftest run both local images on a host (proves they work)
#   sandbox.sh powercut HOST / boot HOST  kill every process of a host at once / boot it as it is
#
# See test/sandbox/README.md and /work/shared/notes/systemd-hosts.md.
# This file holds the configuration and the dispatch (main); the code is in lib/, one concern per
# file.
set -euo pipefail

SCRIPT_VERSION=3
SELF=$(readlink -f "${BASH_SOURCE[0]}")
STATE=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
CACHE=${DOCKFLEET_CACHE:-/var/cache/dockfleet}
SUITE=bookworm
BR=dfbr0
BR_ADDR=10.232.0.1
PREFIX=24
# DOCKFLEET_SANDBOX_HOSTS=N (3..9, default 3): host1..hostN at 10.232.0.11..1N. The suites use
# host1..host3; more hosts are for the larger-fleet benchmark (bench/rollout-vs-ansible.sh).
NHOSTS=${DOCKFLEET_SANDBOX_HOSTS:-3}
[[ $NHOSTS =~ ^[3-9]$ ]] || { echo "DOCKFLEET_SANDBOX_HOSTS must be 3..9, not '$NHOSTS'" >&2; exit 2; }
# DOCKFLEET_SANDBOX_MANAGERS=M (1..N, default 3): managers of the `swarm` fixture; the rest join
# as workers. The contract suites expect 3 managers.
NMANAGERS=${DOCKFLEET_SANDBOX_MANAGERS:-3}
if ! [[ $NMANAGERS =~ ^[1-9]$ ]] || ((NMANAGERS > NHOSTS)); then
  echo "DOCKFLEET_SANDBOX_MANAGERS must be 1..$NHOSTS, not '$NMANAGERS'" >&2
  exit 2
fi
HOSTS=()
declare -A ADDR=()
for ((i = 1; i <= NHOSTS; i++)); do HOSTS+=("host$i"); ADDR[host$i]=10.232.0.1$i; done
unset i
CG_NAME=dockfleet-sandbox
FW_COMMENT=dockfleet-sandbox
SWIFT_PORT=8080
IMG_BUSYBOX=local/busybox:1
IMG_REGISTRY=local/registry:2.8.2
# Packages inside every host. jq/curl: things a real operator host has.
# systemd-analyze ships in the systemd package.
BASE_PKGS=systemd,systemd-sysv,dbus,openssh-server,iproute2,docker.io,ca-certificates,iptables,procps,iputils-ping,less,jq,curl

SSH_KEY=$STATE/ssh/id_ed25519
SSH_CFG=$STATE/ssh_config
# Each host's pinned ed25519 host key (ssh_config and stacks/Pulumi.local.yaml verify against it).
KNOWN_HOSTS=$STATE/ssh/known_hosts
# Each host's ed25519 key pair, kept across a wipe: a recreated host is the same machine
# reinstalled, and keeps its identity, as an operator restores a reinstalled server's host keys.
# The state of the local stack pins the key; a new one would fail its destroy on "host key
# mismatch" (dev/local-stack.sh).
HOST_KEYS=$STATE/host-keys
SWIFT_DIR=$STATE/swift
LOGS=$STATE/logs

# Swarm topology: 3 managers (all hosts). Tests restart dockerd on every host in turn,
# including a manager. With a single manager, node status is unreadable (and no
# scheduling happens) while that one dockerd restarts; with 3 managers raft keeps
# quorum (2 of 3) when one is down, so `docker node ls` keeps working on the
# other two and the restarted node rejoins by itself. Managers also run tasks.

T0=$(date +%s.%N)

# One concern per file, in the order of the sections the single script had (__launch runs this
# script again, so the modules are found from its resolved path, $SELF).
LIB_DIR=$(dirname "$SELF")/lib
# shellcheck source=test/sandbox/lib/log.sh
source "$LIB_DIR/log.sh"
# shellcheck source=test/sandbox/lib/ssh.sh
source "$LIB_DIR/ssh.sh"
# shellcheck source=test/sandbox/lib/proc.sh
source "$LIB_DIR/proc.sh"
# shellcheck source=test/sandbox/lib/deps.sh
source "$LIB_DIR/deps.sh"
# shellcheck source=test/sandbox/lib/base.sh
source "$LIB_DIR/base.sh"
# shellcheck source=test/sandbox/lib/images.sh
source "$LIB_DIR/images.sh"
# shellcheck source=test/sandbox/lib/net.sh
source "$LIB_DIR/net.sh"
# shellcheck source=test/sandbox/lib/hosts.sh
source "$LIB_DIR/hosts.sh"
# shellcheck source=test/sandbox/lib/health.sh
source "$LIB_DIR/health.sh"
# shellcheck source=test/sandbox/lib/keys.sh
source "$LIB_DIR/keys.sh"
# shellcheck source=test/sandbox/lib/swarm.sh
source "$LIB_DIR/swarm.sh"
# shellcheck source=test/sandbox/lib/swift.sh
source "$LIB_DIR/swift.sh"
# shellcheck source=test/sandbox/lib/outputs.sh
source "$LIB_DIR/outputs.sh"
# shellcheck source=test/sandbox/lib/commands.sh
source "$LIB_DIR/commands.sh"
# shellcheck source=test/sandbox/lib/power.sh
source "$LIB_DIR/power.sh"

main() {
  case ${1:-} in
    up) cmd_up ;;
    powercut) shift; cmd_powercut "$@" ;;
    boot) shift; cmd_boot "$@" ;;
    recreate) shift; cmd_recreate "$@" ;;
    swarm) cmd_swarm ;;
    down) cmd_down ;;
    status) cmd_status ;;
    selftest) shift; cmd_selftest "$@" ;;
    __launch) launch_host "$2" ;;
    *) echo "usage: $0 up|swarm|down|status|selftest [host]|recreate host...|all|powercut host|boot host" >&2; exit 2 ;;
  esac
}

main "$@"
