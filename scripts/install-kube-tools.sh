#!/usr/bin/env bash
# Installs, at the versions in scripts/versions.env, what the Helm chart's tests run: Helm,
# kubeconform, etcd, kube-apiserver, kubectl, and for the single-node cluster the kubelet,
# kube-scheduler and kube-controller-manager (all built from their Go modules) with Debian's CNI
# plugins, the Prometheus Operator's CRDs, and the JSON schemas kubeconform validates against,
# generated offline from the Kubernetes OpenAPI document and those CRDs. Each step is skipped
# when its version is there.
# Sourced by scripts/install-tools.sh, or run alone.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

kube_log() { printf 'install-kube-tools: %s\n' "$*" >&2; }

# Static builds, like the other Go tools here.
export CGO_ENABLED=0

# The directory of a module version in the module cache, downloading it when absent.
go_module_dir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

install_helm() {
  [ -x "$HELM_BIN" ] && return
  kube_log "helm $HELM_VERSION, a few minutes"
  GOBIN="$(dirname "$HELM_BIN")" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
}

install_kubeconform() {
  [ -x "$KUBECONFORM_BIN" ] && return
  kube_log "kubeconform $KUBECONFORM_VERSION"
  GOBIN="$(dirname "$KUBECONFORM_BIN")" go install -trimpath -ldflags "-s -w" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
}

# etcd's own main package lives in a module with replace directives; a two-line main calling
# its etcdmain builds the same server from the published modules.
install_etcd() {
  [ -x "$ETCD_BIN" ] && return
  kube_log "etcd $ETCD_VERSION, a few minutes"
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    go mod init build-etcd >/dev/null 2>&1
    printf '%s\n' 'package main' 'import ("os"; "go.etcd.io/etcd/server/v3/etcdmain")' \
      'func main() { etcdmain.Main(os.Args) }' >main.go
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN" .
  )
  rm -rf "$work"
}

# `go install` refuses k8s.io/kubernetes: its go.mod replaces every k8s.io staging module with a
# directory of its own repository. A wrapper module that requires it and points each of those
# modules at its published release (v0.X.Y for v1.X.Y) builds the same programs.
#   build_kubernetes <cmd>...   builds k8s.io/kubernetes/cmd/<cmd> into the versioned directory.
build_kubernetes() {
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    go mod init build-kubernetes >/dev/null 2>&1
    local gomod staging cmd packages=()
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
      sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    for staging in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod"); do
      go mod edit -replace "$staging=$staging@$KUBERNETES_STAGING_VERSION"
    done
    for cmd in "$@"; do packages+=("k8s.io/kubernetes/cmd/$cmd"); done
    go get "${packages[@]/%/@$KUBERNETES_VERSION}" >&2
    local version_flags="" pkg minor="${KUBERNETES_VERSION#v1.}"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      version_flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1"
      version_flags+=" -X $pkg.gitMinor=${minor%%.*} -X $pkg.gitTreeState=clean"
    done
    go build -trimpath -ldflags "-s -w$version_flags" -o "$(dirname "$KUBE_APISERVER_BIN")/" "${packages[@]}"
  )
  rm -rf "$work"
}

install_kubernetes() {
  [ -x "$KUBE_APISERVER_BIN" ] && [ -x "$KUBECTL_BIN" ] && return
  kube_log "kube-apiserver + kubectl $KUBERNETES_VERSION, about 10 minutes"
  build_kubernetes kube-apiserver kubectl
}

# The rest of a single-node cluster, for the test that runs the chart's pods
# (scripts/kube-node/cluster.sh): the kubelet, the scheduler and the controller manager, from the
# same wrapper module; the Go build cache of the first build makes this one shorter.
install_kube_node_binaries() {
  [ -x "$KUBELET_BIN" ] && [ -x "$KUBE_SCHEDULER_BIN" ] && [ -x "$KUBE_CONTROLLER_MANAGER_BIN" ] && return
  kube_log "kubelet + kube-scheduler + kube-controller-manager $KUBERNETES_VERSION, about 10 minutes"
  build_kubernetes kubelet kube-scheduler kube-controller-manager
}

# The Prometheus Operator's CRDs, as its module ships them: applied to the tests' API server,
# and the source of the PodMonitor and PrometheusRule schemas.
install_prometheus_operator_crds() {
  [ -d "$PROMETHEUS_OPERATOR_CRDS_DIR" ] && return
  kube_log "prometheus-operator $PROMETHEUS_OPERATOR_VERSION CRDs"
  local module; module="$(go_module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  mkdir -p "$PROMETHEUS_OPERATOR_CRDS_DIR.tmp"
  cp "$module"/example/prometheus-operator-crd/*.yaml "$PROMETHEUS_OPERATOR_CRDS_DIR.tmp/"
  chmod u+w "$PROMETHEUS_OPERATOR_CRDS_DIR.tmp"/*.yaml
  mv "$PROMETHEUS_OPERATOR_CRDS_DIR.tmp" "$PROMETHEUS_OPERATOR_CRDS_DIR"
}

# kubeconform's schemas, strict (an unknown field is an error), in its own layout:
#   kubernetes/v1.X.Y-standalone-strict/<kind>-<group>-<version>.json  from the OpenAPI document
#     the k8s.io/kubernetes module ships, by openapi2jsonschema (PyPI), which made the schema
#     sets kubeconform reads by default;
#   prometheus-operator/<kind>-<group>-<version>.json  from the CRDs, by the converter for CRDs
#     that the kubeconform module ships (scripts/openapi2jsonschema.py).
# openapi2jsonschema 0.9.1 pins PyYAML<6, whose 5.x sources no longer build (Cython 3); it only
# calls yaml.load with SafeLoader, unchanged in PyYAML 6, so it is installed without its pins.
install_kube_schemas() {
  [ -d "$KUBE_SCHEMAS_DIR" ] && return
  install_prometheus_operator_crds
  kube_log "JSON schemas for kubeconform: Kubernetes $KUBERNETES_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
  local venv="$TOOLS_DIR/openapi2jsonschema-$OPENAPI2JSONSCHEMA_VERSION"
  if [ ! -x "$venv/bin/openapi2jsonschema" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-deps "openapi2jsonschema==$OPENAPI2JSONSCHEMA_VERSION" \
      jsonref==0.2 click==7.1.2 colorama==0.4.6 pyyaml==6.0.3 >&2
  fi
  local kubernetes kubeconform work="$KUBE_SCHEMAS_DIR.tmp"
  kubernetes="$(go_module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  kubeconform="$(go_module_dir "github.com/yannh/kubeconform@$KUBECONFORM_VERSION")"
  rm -rf "$work"
  mkdir -p "$work/kubernetes" "$work/prometheus-operator"
  # It writes relative to the working directory. A few definitions it cannot expand (the
  # recursive JSONSchemaProps of CRDs, alpha scheduling types) are reported and skipped.
  (cd "$work/kubernetes" && "$venv/bin/openapi2jsonschema" --expanded --kubernetes --stand-alone --strict \
    -o "$KUBERNETES_VERSION-standalone-strict" "file://$kubernetes/api/openapi-spec/swagger.json" >/dev/null)
  (cd "$work/prometheus-operator" && FILENAME_FORMAT='{kind}-{group}-{version}' DENY_ROOT_ADDITIONAL_PROPERTIES=1 \
    "$venv/bin/python" "$kubeconform/scripts/openapi2jsonschema.py" "$PROMETHEUS_OPERATOR_CRDS_DIR"/*.yaml >/dev/null)
  mv "$work" "$KUBE_SCHEMAS_DIR"
}

# The node's container runtime is the containerd and runc that docker.io brings; its network is
# Debian's CNI plugins.
install_kube_node_packages() {
  [ -x /usr/lib/cni/bridge ] && return
  kube_log "apt: containernetworking-plugins"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containernetworking-plugins >&2
}

install_kube_tools() {
  install_helm
  install_kubeconform
  install_kube_schemas
  install_etcd
  install_kubernetes
  install_kube_node_binaries
  install_kube_node_packages
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  install_kube_tools
  kube_log "ready"
fi
