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

start_bg() {
  local pidf=$1 logf=$2
  shift 2
  setsid "$@" >>"$logf" 2>&1 </dev/null 9>&- &
  echo $! >"$pidf"
}
