#!/usr/bin/env bash
#% The shipped script's shebang, usage and guarantees (the comment a host's root reads), and the
#% shell options every other module relies on (set -euo pipefail, nullglob, umask 077).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# dockfleet: apply Docker daemon files (daemon.json, docker.service drop-ins) on ONE host, safely.
#
# Usage (run as root on the host; dockfleet sends it over SSH as `bash -c "<this file>" ...`):
#   apply-docker-config.sh apply   --host NAME [options] 3<PUBLIC_BUNDLE <SECRET_BUNDLE
#   apply-docker-config.sh restore --host NAME [options]   # put back the pre-dockfleet files
#   apply-docker-config.sh forget  --host NAME             # keep current files, drop dockfleet state
#   apply-docker-config.sh status  --host NAME             # digests of managed files (drift checks)
#       with DOCKFLEET_STATUS_KEY=stdin and a one-time key (64 hex digits) on stdin: root-only files
#       as HMAC-SHA256 under that key ("hmac:HEX"), never as their plain digest
#   apply-docker-config.sh recover --host NAME             # finish/roll back an interrupted apply
#
# Ownership (why a replaced resource's delete never undoes its successor): every Pulumi resource
# that applies to this host holds a claim, a count under $STATE/claims/<owner>. `apply --op create`
# adds one after a verified apply, `--op update` makes sure there is one, `restore`/`forget` drop
# one, and only the delete that drops the last claim puts back (or forgets) the pre-dockfleet
# files. A replacement (new resource created, then the old one deleted), a rename, or two resources
# with the same owner therefore leave the newest config in place. State written by dockfleet
# versions without claims (/var/lib/dockfleet/docker-host) is moved here on first contact, so a
# delete command stored by such a version finds nothing to restore.
#
# A bundle is text: a header line `=== <absolute path> <octal mode>` followed by the file's lines,
# or `=== <absolute path> absent` for a file that must not exist. A daemon.json is followed by its
# facts, `=== @facts <absolute path>` and lines the controller computed (canonical form, host needs,
# storage settings; facts.sh), so this script parses no JSON for the files it is sent. The public
# bundle (fd 3) is visible in `pulumi preview`; the secret bundle (stdin) carries files with credentials.
#
# Options:
#   --restart-timeout SEC   wait this long for restart + API + swarm (default 60; busy nodes need it)
#   --smoke-image IMAGE     run `docker run --rm IMAGE true` after a restart ("" disables; default "")
#   --smoke-pull POLICY     missing: pull the smoke image when it is not on the host; never: it must
#                           be there, checked before anything is written (default missing)
#   --restart-cmd CMD       how to restart dockerd (default: systemctl restart docker.service)
#   --reload-cmd CMD        how to reload dockerd (default: systemctl reload docker.service)
#   --log-cmd CMD           prints dockerd's recent log (default: journalctl -u docker.service ...)
#   --reload-digest HEX     digest of the daemon.json keys that need a restart; if only other keys
#                           changed since the last apply, dockerd is reloaded (SIGHUP), not restarted
#   --owner NAME            the claim's name (letters, digits, . _ -; default "default")
#   --op create|update      apply: which Pulumi operation runs it (claims, see above; default update)
#   --repair MARKER         apply: the drift-repair marker to record after a verified apply; `status`
#                           prints it back, so a repaired host's next preview is unchanged
#   --task-wait WHO         node: after a restart this node waits for its own swarm tasks (default);
#                           manager: on a worker, a manager does (DockerFleet's serve-wait, which
#                           can see a task the swarm moved to another node), so the worker does not
#
# On stdout, after a verified apply that restarted dockerd: the line `dockfleet-apply: restarted`
# (the manager's serve-wait then trusts no task report from before the restart).
#
# Guarantees: nothing is written before every new file passed its checks; every file is first
# written as a temp file beside its target (a read-only or full directory fails there, before
# anything changed), then renamed into place; the last known-good files are kept and restored on
# any failure; the rollback waits out a slow stop (then SIGKILL), reset-failed, starts containerd
# if it is down, starts dockerd on the known-good files and tries twice before saying CRITICAL; a
# rollback guard (a systemd timer, or a detached sleeper without systemd) armed before the first
# write runs `recover` if this script is killed mid-way, rollback included.
# Files whose settings equal the wanted ones (daemon.json as parsed JSON, drop-ins as parsed
# directives and Environment= assignments) and that the running dockerd has loaded are rewritten
# in canonical form without a restart (adopting a fleet restarts nothing).
# Exit codes: 0 applied or unchanged, 1 rejected or rolled back, 3 rollback failed (dockerd down).
set -euo pipefail
shopt -s nullglob
# Files this script creates (state, backups, the bundle's copies) are root-only: the proxy's
# environment file carries credentials; each target file gets its bundle mode explicitly.
umask 077
