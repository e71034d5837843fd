#!/usr/bin/env bash
# A Docker Engine of the project's own, for the compose test and the base-image builds: its own
# data root (the image cache, kept between runs), exec root, socket and pidfile under
# $DOCKER_ENGINE_DIR, so it never touches a system dockerd.
#   engine.sh start         reuse our daemon if its socket answers, else start one; prints "reused"
#                           or "started" once `docker info` answers (bounded wait), exits 1 with
#                           the daemon's last log lines when it cannot start
#   engine.sh stop          stop our daemon (by its pidfile) and wait for it to exit
#   engine.sh acquire ID    start (or reuse) on behalf of a user ID "PID-anything" (a test file,
#   engine.sh release ID    the install) that may run beside others; the last release stops the
#                           daemon if an acquire started it, and leaves one started by hand alone
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

DIR="$DOCKER_ENGINE_DIR"
SOCKET="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
START_TIMEOUT_S="${DOCKER_ENGINE_START_TIMEOUT_S:-60}"

die() {
  printf 'docker-engine: %s\n' "$1" >&2
  exit 1
}

answers() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

start() {
  if answers; then
    echo reused
    return
  fi
  command -v dockerd >/dev/null || die "dockerd is not installed (apt-get install docker.io; scripts/install-tools.sh does it)"
  mkdir -p "$DIR/root" "$DIR/exec"
  # A daemon of ours that no longer answers (killed, machine restarted) leaves its pidfile and
  # socket behind; dockerd refuses to start over a live pidfile.
  if [ -f "$PIDFILE" ]; then
    local old; old="$(cat "$PIDFILE")"
    if kill -0 "$old" 2>/dev/null; then
      die "our dockerd (pid $old) runs but $SOCKET does not answer; see $LOG, or stop it: scripts/docker-engine/engine.sh stop"
    fi
    rm -f "$PIDFILE" "$SOCKET"
  fi
  # setsid and a log file: the daemon holds none of the caller's pipes, so a test runner that
  # waits for its children's output is not kept waiting by it; nor the lock (fd 9) of acquire.
  setsid dockerd \
    --data-root "$DIR/root" \
    --exec-root "$DIR/exec" \
    --pidfile "$PIDFILE" \
    -H "unix://$SOCKET" \
    --storage-driver overlay2 \
    >"$LOG" 2>&1 </dev/null 9>&- &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT_S))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      die "dockerd exited while starting; its last log lines ($LOG):
$(tail -n 15 "$LOG")"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill "$pid" 2>/dev/null || true
      die "dockerd did not answer on $SOCKET within ${START_TIMEOUT_S}s; its last log lines ($LOG):
$(tail -n 15 "$LOG")"
    fi
    sleep 0.2
  done
  echo started
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; return 0; }
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && die "dockerd (pid $pid) did not stop within 30s"
    sleep 0.2
  done
}

LEASES="$DIR/leases"
# Marks a daemon that an acquire started: the last release stops it.
ACQUIRED="$DIR/started-by-acquire"

# One acquire or release at a time: two test files starting at once must not start two daemons.
lock() {
  mkdir -p "$DIR"
  exec 9>"$DIR/engine.lock"
  flock 9
}

# Leases whose process is gone (a killed test run) no longer hold the daemon.
prune_leases() {
  local lease
  for lease in "$LEASES"/*; do
    [ -e "$lease" ] || continue
    kill -0 "$(basename "$lease" | cut -d- -f1)" 2>/dev/null || rm -f "$lease"
  done
}

acquire() {
  local id="$1"
  lock
  local how; how="$(start)"
  [ "$how" = started ] && touch "$ACQUIRED"
  mkdir -p "$LEASES"
  touch "$LEASES/$id"
  echo "$how"
}

release() {
  local id="$1"
  lock
  rm -f "$LEASES/$id"
  prune_leases
  if [ -z "$(ls -A "$LEASES" 2>/dev/null)" ] && [ -f "$ACQUIRED" ]; then
    stop
    rm -f "$ACQUIRED"
  fi
}

need_id() {
  [[ ${2:-} =~ ^[0-9]+(-[A-Za-z0-9_.-]+)?$ ]] || die "$1 needs an ID of the form PID or PID-name (got '${2:-}')"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  acquire) need_id "$@"; acquire "$2" ;;
  release) need_id "$@"; release "$2" ;;
  *) die "usage: engine.sh start|stop|acquire ID|release ID (got '${1:-}')" ;;
esac
