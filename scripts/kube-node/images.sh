#!/usr/bin/env bash
# Writes, as one `docker save` archive, the images the single-node cluster runs: the app (built
# from app/Dockerfile, tagged as the chart names it), the statsd_exporter sidecar, and the pod
# sandbox ("pause") image. No image registry is reachable here: they come from the project's own
# Docker Engine and are imported into the node's containerd (`ctr -n k8s.io images import`).
#   images.sh OUT.tar
# The sandbox image holds Debian's catatonit, a static init whose pause mode (-P) does what
# Kubernetes' pause does: hold the pod's namespaces, reap zombies, exit on SIGINT/SIGTERM.
# Uses the Docker Engine: run it under the shared lock (flock /work/coord/docker.lock ...).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../env.sh"
. "$HERE/images.env"

[ $# -eq 1 ] || { echo "usage: images.sh OUT.tar" >&2; exit 2; }
out="$1"
log() { printf 'kube-node images: %s\n' "$*" >&2; }

id="$$-kube-node-images"
work="$(mktemp -d)"
"$ROOT_DIR/scripts/docker-engine/engine.sh" acquire "$id" >/dev/null
trap 'rm -rf "$work"; "$ROOT_DIR/scripts/docker-engine/engine.sh" release "$id" >/dev/null' EXIT

"$ROOT_DIR/scripts/base-images/build.sh"

log "$KUBE_NODE_APP_IMAGE from app/Dockerfile"
docker build -q -f "$ROOT_DIR/app/Dockerfile" -t "$KUBE_NODE_APP_IMAGE" "$ROOT_DIR" >/dev/null 2>"$work/build.log" ||
  { log "docker build of $KUBE_NODE_APP_IMAGE failed:"; tail -n 15 "$work/build.log" >&2; exit 1; }

if ! docker image inspect "$KUBE_NODE_PAUSE_IMAGE" >/dev/null 2>&1; then
  log "$KUBE_NODE_PAUSE_IMAGE from Debian's catatonit $CATATONIT_DEBIAN_VERSION"
  (cd "$work" && apt-get download "catatonit=$CATATONIT_DEBIAN_VERSION" >/dev/null)
  dpkg-deb -x "$work"/catatonit_*.deb "$work/root"
  cp "$work/root/usr/bin/catatonit" "$work/pause"
  printf '%s\n' 'FROM scratch' 'COPY pause /pause' 'USER 65535:65535' 'ENTRYPOINT ["/pause", "-P"]' >"$work/Dockerfile"
  docker build -q -t "$KUBE_NODE_PAUSE_IMAGE" "$work" >/dev/null
fi

docker save -o "$out" "$KUBE_NODE_APP_IMAGE" "$STATSD_EXPORTER_IMAGE" "$KUBE_NODE_PAUSE_IMAGE"
log "wrote $out"
