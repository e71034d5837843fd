#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, all of it in one folder: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler on loopback, a containerd of its own
# (Debian's, with its CRI plugin; own root, state and socket, never the Docker Engine's), Debian's
# CNI plugins on a bridge of its own, and a kubelet. The images come from images.sh's archive.
#   cluster.sh start DIR IMAGES.tar   start everything; prints DIR/kubeconfig once the node is Ready
#   cluster.sh stop DIR               stop what start started (by the pidfiles in DIR), tear the
#                                     pods, the bridge and the cgroups down; DIR stays for its logs
# Needs root (the kubelet, containerd and CNI make cgroups, mounts and network namespaces), the
# binaries of scripts/install-kube-tools.sh (install_kube_node_binaries), containerd, runc and
# containernetworking-plugins from apt.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../env.sh"
. "$HERE/images.env"

CNI_BIN_DIR=/usr/lib/cni
# One bridge and one subnet, named for this project so nothing else on the machine uses them.
BRIDGE=gss-kube0
POD_SUBNET=10.244.28.0/24
# The kubelet's cgroups live under this parent in every hierarchy; stop removes it.
CGROUP_PARENT=gunicorn-statsd-kube-node
START_TIMEOUT_S="${KUBE_NODE_START_TIMEOUT_S:-180}"

log() { printf 'kube-node: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a program in the background, its output in DIR/NAME.log and its pid in DIR/NAME.pid.
launch() {
  local name="$1"; shift
  "$@" >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
}

# Waits (bounded) until a command succeeds; on timeout, shows the named log's tail.
wait_for() {
  local what="$1" logname="$2"; shift 2
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until "$@" >/dev/null 2>&1; do
    if [ -f "$DIR/$logname.pid" ] && ! kill -0 "$(cat "$DIR/$logname.pid")" 2>/dev/null; then
      die "$logname exited before $what; its last lines:
$(tail -n 25 "$DIR/$logname.log")"
    fi
    [ $SECONDS -lt $deadline ] || die "$what not within ${START_TIMEOUT_S}s; $logname's last lines:
$(tail -n 25 "$DIR/$logname.log")"
    sleep 0.5
  done
}

kubectl() { "$KUBECTL_BIN" --kubeconfig "$DIR/kubeconfig" "$@"; }

write_kubeconfig() {
  local server="$1" token="$2" ca="$3"
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$ca")
users:
- name: admin
  user:
    token: $token
contexts:
- name: node
  context: {cluster: node, user: admin}
current-context: node
EOF
  chmod 600 "$DIR/kubeconfig"
}

start_control_plane() {
  local etcd_port peer_port api_port token
  etcd_port="$(free_port)"; peer_port="$(free_port)"; api_port="$(free_port)"
  # etcd reads every ETCD_* variable as a flag; env.sh exports ETCD_VERSION and ETCD_BIN.
  launch etcd env -u ETCD_VERSION -u ETCD_BIN "$ETCD_BIN" --name=node --data-dir="$DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="node=http://127.0.0.1:$peer_port" --unsafe-no-fsync
  wait_for "etcd healthy" etcd curl -sf "http://127.0.0.1:$etcd_port/health"

  openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null
  token="$(openssl rand -hex 24)"
  (umask 077; echo "$token,admin,admin,system:masters" >"$DIR/tokens.csv")
  mkdir -p "$DIR/apiserver-certs"
  launch kube-apiserver "$KUBE_APISERVER_BIN" --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --secure-port="$api_port" --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none --cert-dir="$DIR/apiserver-certs" --token-auth-file="$DIR/tokens.csv" \
    --authorization-mode=RBAC --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$DIR/sa.pub" --service-account-signing-key-file="$DIR/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16
  wait_for "the API server's certificate" kube-apiserver test -s "$DIR/apiserver-certs/apiserver.crt"
  write_kubeconfig "https://127.0.0.1:$api_port" "$token" "$DIR/apiserver-certs/apiserver.crt"
  wait_for "the API server ready" kube-apiserver kubectl get --raw=/readyz

  # No serving ports: nothing here asks them for metrics or health.
  launch kube-controller-manager "$KUBE_CONTROLLER_MANAGER_BIN" --kubeconfig="$DIR/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$DIR/sa.key" --root-ca-file="$DIR/apiserver-certs/apiserver.crt" \
    --use-service-account-credentials=false
  launch kube-scheduler "$KUBE_SCHEDULER_BIN" --kubeconfig="$DIR/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$(free_port)"
  wait_for "the default service account" kube-controller-manager kubectl get serviceaccount default
}

start_containerd() {
  mkdir -p "$DIR/containerd" "$DIR/cni/net.d"
  cat >"$DIR/cni/net.d/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kube-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_SUBNET"}]],
        "dataDir": "$DIR/cni/ipam"
      }
    }
  ]
}
EOF
  cat >"$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
[grpc]
  address = "$DIR/containerd/containerd.sock"
[ttrpc]
  address = "$DIR/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$KUBE_NODE_PAUSE_IMAGE"
  disable_apparmor = true
  # The kubelet asks for a negative oom_score_adj for each sandbox (-998), which needs
  # CAP_SYS_RESOURCE; where root lacks it (a container, some VMs), runc fails with
  # "failed to update /proc/self/oom_score_adj: Permission denied". This clamps the value to
  # containerd's own instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$DIR/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$DIR/cni/net.d"
EOF
  launch containerd containerd --config "$DIR/containerd/config.toml"
  wait_for "containerd answering" containerd ctr --address "$DIR/containerd/containerd.sock" version
}

import_images() {
  local images="$1"
  ctr --address "$DIR/containerd/containerd.sock" -n k8s.io images import "$images" >"$DIR/images-import.log" 2>&1 ||
    die "ctr images import failed: $(tail -n 10 "$DIR/images-import.log")"
}

start_kubelet() {
  mkdir -p "$DIR/kubelet/root" "$DIR/kubelet/manifests"
  local cgroup
  for cgroup in /sys/fs/cgroup/*/; do
    [ -f "$cgroup/cgroup.procs" ] && mkdir -p "$cgroup$CGROUP_PARENT"
  done
  cat >"$DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only; the kubelet refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_PARENT
containerRuntimeEndpoint: unix://$DIR/containerd/containerd.sock
address: 127.0.0.1
port: $(free_port)
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(free_port)
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
authorization:
  mode: AlwaysAllow
staticPodPath: $DIR/kubelet/manifests
failSwapOn: false
resolvConf: /etc/resolv.conf
# A shared machine: the others' builds fill the disk and memory, which must not evict these pods
# or collect their images (imported, never pullable again).
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  launch kubelet "$KUBELET_BIN" --config="$DIR/kubelet/config.yaml" --kubeconfig="$DIR/kubeconfig" \
    --root-dir="$DIR/kubelet/root" --cert-dir="$DIR/kubelet/pki" --hostname-override=node
  wait_for "the node Ready" kubelet sh -c \
    "'$KUBECTL_BIN' --kubeconfig '$DIR/kubeconfig' get node node -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
}

stop_pid() {
  local name="$1" pid
  [ -f "$DIR/$name.pid" ] || return 0
  pid="$(cat "$DIR/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$DIR/$name.pid"
}

stop() {
  local netns=""
  stop_pid kubelet
  local ctr=(ctr --address "$DIR/containerd/containerd.sock" -n k8s.io)
  if [ -S "$DIR/containerd/containerd.sock" ] && "${ctr[@]}" version >/dev/null 2>&1; then
    # The pods' tasks outlive the kubelet (their shims are their parents): end them here. Their
    # network namespaces (bind mounts that containerd makes for CNI) go too.
    local id
    netns=$(for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do
      "${ctr[@]}" containers info "$id" 2>/dev/null | grep -o '"/var/run/netns/cni-[^"]*"' | tr -d '"' || true
    done | sort -u)
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -s SIGKILL "$id" 2>/dev/null || true; done
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  stop_pid containerd
  local name
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_pid "$name"; done
  # What the pods leave: network namespaces, volume mounts, the bridge, the cgroups.
  for id in $netns; do umount "$id" 2>/dev/null || true; rm -f "$id"; done
  local mount
  for mount in $(grep -o " $DIR/[^ ]*" /proc/self/mounts | sort -r || true); do umount -l "$mount" 2>/dev/null || true; done
  ip link delete "$BRIDGE" 2>/dev/null || true
  local cgroup
  for cgroup in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
    [ -d "$cgroup" ] && { find "$cgroup" -depth -type d -exec rmdir {} \; 2>/dev/null || true; }
  done
  return 0
}

case "${1:-}" in
  start)
    [ $# -eq 3 ] || die "usage: cluster.sh start DIR IMAGES.tar"
    DIR="$(mkdir -p "$2" && cd "$2" && pwd)"
    for tool in KUBELET_BIN KUBE_SCHEDULER_BIN KUBE_CONTROLLER_MANAGER_BIN KUBE_APISERVER_BIN KUBECTL_BIN ETCD_BIN; do
      [ -x "${!tool}" ] || die "${!tool} is missing (scripts/install-kube-tools.sh: install_kube_node_binaries)"
    done
    for tool in containerd containerd-shim-runc-v2 runc ctr; do
      command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install containerd runc)"
    done
    [ -x "$CNI_BIN_DIR/bridge" ] || die "$CNI_BIN_DIR/bridge is missing (apt-get install containernetworking-plugins)"
    start_control_plane
    start_containerd
    import_images "$3"
    start_kubelet
    echo "$DIR/kubeconfig"
    ;;
  stop)
    [ $# -eq 2 ] || die "usage: cluster.sh stop DIR"
    DIR="$(cd "$2" && pwd)"
    stop
    ;;
  *) die "usage: cluster.sh start DIR IMAGES.tar | stop DIR (got '${1:-}')" ;;
esac
