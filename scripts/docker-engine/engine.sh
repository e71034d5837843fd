#!/usr/bin/env bash
# A Docker Engine of the project's own, for the compose test and the base-image builds: its own
# data root (the image cache, kept between runs), exec root, socket and pidfile under
# $DOCKER_ENGINE_DIR, so it never touches a system dockerd.
#   engine.sh start   reuse our daemon if its socket answers, else start one; prints "reused" or
#                     "started" once `docker info` answers (bounded wait), exits 1 with the
#                     daemon's last log lines when it cannot start
#   engine.sh stop    stop our daemon (by its pidfile) and wait for it to exit
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
  # waits for its children's output is not kept waiting by it.
  setsid dockerd \
    --data-root "$DIR/root" \
    --exec-root "$DIR/exec" \
    --pidfile "$PIDFILE" \
    -H "unix://$SOCKET" \
    --storage-driver overlay2 \
    >"$LOG" 2>&1 </dev/null &
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

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: engine.sh start|stop (got '${1:-}')" ;;
esac
