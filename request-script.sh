#!/usr/bin/env bash
# Puts the demo app under realistic load with siege: every demo route plus a missing page, mixed by
# weight, hit at random by concurrent users with think time, so that workers are really busy and
# every panel of the dashboard has something to show.
set -euo pipefail

usage() {
  # printf, not cat: --help must work even when PATH holds nothing.
  printf '%s' 'Usage: ./request-script.sh [options] [-- extra siege options]

Load the demo app with siege: concurrent users picking, at random, from a weighted mix of
  /               8   cheap page
  /random_status  4   200 mostly; sometimes 300, 400 or 500
  /cpu_task       3   a few milliseconds of CPU
  /io_task        2   waits 2 s (times the app --demo-delay-scale)
  /random_sleep   2   waits 0-5 s (same scale)
  /no-such-page   1   404
and pausing a random 0..DELAY seconds between requests. Under this default mix no alert fires.
Other mixes make alerts fire (which ones, and how fast: docs/saturation-and-slos.md):
  errors   only /exception: every response a 500 and an exception in the log (an error burst)
  slow     only /io_task and /random_sleep (a slow-request burst); most take over 5 s when the
           app runs with --demo-delay-scale=4 (with compose:
           GUNICORN_CMD_ARGS=--demo-delay-scale=4 docker compose up -d app)
  cpu      only /cpu_task: with --delay 0 and 50 users, the event loops of the workers are never idle

Options (each also settable by the environment variable in brackets):
  -u, --url URL            base URL of the app        [BASE_URL, default http://localhost:8000]
  -t, --duration TIME      how long: 30s, 5m, 1h      [DURATION, default 60s]
  -c, --concurrency N      simulated users            [CONCURRENCY, default 10]
  -d, --delay SECONDS      longest pause per request  [DELAY, default 0.5; 0 = no pause]
  -m, --mix NAME           default, errors, slow or cpu  [MIX, default default]
  -r, --reps N             instead of a duration: exactly N requests per user (N x concurrency
                           in all, which tests compare with the counters)  [REPS]
  -h, --help               this help

Before the load, one GET / (with curl) checks that the app answers.
Needs siege (Debian/Ubuntu: apt-get install siege; macOS: brew install siege) and curl.
Example: ./request-script.sh --duration 5m --concurrency 20
         ./request-script.sh --mix errors --duration 15m
'
}

die() {
  printf 'request-script.sh: %s\n' "$1" >&2
  exit "${2:-1}"
}

# Before anything else, and with shell built-ins only, so the message is right even on a bare PATH.
if ! command -v siege >/dev/null 2>&1; then
  for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then usage; exit 0; fi
  done
  die "siege is not installed (or not on PATH). Install it: apt-get install siege (Debian/Ubuntu), brew install siege (macOS)." 127
fi

BASE_URL="${BASE_URL:-http://localhost:8000}"
DURATION="${DURATION:-60s}"
CONCURRENCY="${CONCURRENCY:-10}"
DELAY="${DELAY:-0.5}"
REPS="${REPS:-}"
MIX="${MIX:-default}"
extra=()

need_value() {
  [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    -u | --url) need_value "$@"; BASE_URL=$2; shift 2 ;;
    -t | --duration) need_value "$@"; DURATION=$2; shift 2 ;;
    -c | --concurrency) need_value "$@"; CONCURRENCY=$2; shift 2 ;;
    -d | --delay) need_value "$@"; DELAY=$2; shift 2 ;;
    -r | --reps) need_value "$@"; REPS=$2; shift 2 ;;
    -m | --mix) need_value "$@"; MIX=$2; shift 2 ;;
    --url=* | --duration=* | --concurrency=* | --delay=* | --reps=* | --mix=*)
      name=${1%%=*}
      set -- "$name" "${1#*=}" "${@:2}"
      ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

BASE_URL=${BASE_URL%/}
[[ $BASE_URL =~ ^https?://[^/[:space:]]+$ ]] ||
  die "base URL '$BASE_URL' is not of the form http://host[:port] (no path)"
[[ $CONCURRENCY =~ ^[1-9][0-9]*$ ]] || die "concurrency '$CONCURRENCY' is not a positive whole number"
[[ $DELAY =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "delay '$DELAY' is not a number of seconds"
case $MIX in
  default | errors | slow | cpu) ;;
  *) die "mix '$MIX' is not one of default, errors, slow, cpu" ;;
esac
if [[ -n $REPS ]]; then
  [[ $REPS =~ ^[1-9][0-9]*$ ]] || die "reps '$REPS' is not a positive whole number"
else
  # siege wants a number and a unit letter: S, M or H.
  [[ $DURATION =~ ^([1-9][0-9]*)([sSmMhH]?)$ ]] ||
    die "duration '$DURATION' is not a time such as 30s, 5m or 1h"
  case ${BASH_REMATCH[2]} in
    m | M) unit=M ;;
    h | H) unit=H ;;
    *) unit=S ;;
  esac
  siege_time="${BASH_REMATCH[1]}$unit"
fi

command -v curl >/dev/null 2>&1 ||
  die "curl is not installed; it checks that the app answers. Install it: apt-get install curl" 127
if ! curl --silent --show-error --output /dev/null --max-time 5 "$BASE_URL/" 2>/dev/null; then
  die "the app does not answer at $BASE_URL (is it running? docker compose ps; or set BASE_URL / --url)" 2
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/request-script.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

# Weighted by repetition: in internet mode (-i) siege picks a line at random for every request.
add() {
  local path=$1 weight=$2
  for ((i = 0; i < weight; i++)); do printf '%s%s\n' "$BASE_URL" "$path"; done
}
case $MIX in
  default)
    add / 8
    add /random_status 4
    add /cpu_task 3
    add /io_task 2
    add /random_sleep 2
    add /no-such-page 1
    ;;
  errors) add /exception 1 ;;
  slow)
    add /io_task 1
    add /random_sleep 1
    ;;
  cpu) add /cpu_task 1 ;;
esac >"$workdir/urls.txt"

# Our own resource file, so that a user's ~/.siege/siege.conf cannot change what is measured:
# no HTML parser (it would fetch extra URLs), no redirects followed (a 300 is one request),
# plain text summary, nothing logged.
limit=$((CONCURRENCY > 255 ? CONCURRENCY : 255))
cat >"$workdir/siegerc" <<EOF
verbose = false
quiet = false
json_output = false
logging = false
parser = false
follow-location = false
protocol = HTTP/1.1
connection = close
timeout = 30
limit = $limit
EOF

if [[ -n $REPS ]]; then
  run=(--reps="$REPS")
  what="$REPS requests per user, $((REPS * CONCURRENCY)) in all"
else
  run=(--time="$siege_time")
  what="for $DURATION"
fi
args=(--rc="$workdir/siegerc" --file="$workdir/urls.txt" --internet
  --concurrent="$CONCURRENCY" "${run[@]}")
if [[ $DELAY =~ ^0+(\.0+)?$ ]]; then args+=(--benchmark); else args+=(--delay="$DELAY"); fi

echo "request-script.sh: $CONCURRENCY users on $BASE_URL, $what, mix $MIX" >&2
status=0
# ${extra[@]+...}: an empty array is "unbound" under set -u in the bash 3.2 macOS ships.
siege "${args[@]}" ${extra[@]+"${extra[@]}"} || status=$?
exit "$status"
