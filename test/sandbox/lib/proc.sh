# shellcheck shell=bash
# Background processes of this side, kept and stopped by PID file only.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

# pid_alive PID: true when PID exists and is not a zombie.
pid_alive() {
  local pid=$1 st
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z ]]
}

pidfile_alive() {
  local f=$1
  [[ -f $f ]] && pid_alive "$(cat "$f")"
}

# stop_pid PIDFILE [TIMEOUT]: SIGTERM, wait, SIGKILL. Only ever by PID.
stop_pidfile() {
  local f=$1 timeout=${2:-20} pid i
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "   pid $pid ($f) did not exit after ${timeout}s, SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$f"
}

# Closes every fd above 2 of the calling (sub)shell. A daemon must not inherit the fd of a lock
# its starter holds (`flock LOCK cmd` opens LOCK on an arbitrary fd): it would hold the lock for
# its whole life, and every later suite would wait for it forever.
close_inherited_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
  done
  return 0
}

start_bg() {
  local pidf=$1 logf=$2
  shift 2
  (close_inherited_fds; exec setsid "$@" >>"$logf" 2>&1 </dev/null) &
  echo $! >"$pidf"
}
