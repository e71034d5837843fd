// The rendered chart, sent to a real kube-apiserver (on etcd, both started here on loopback) with
// `kubectl apply --dry-run=server`: every object passes the server's own decoding, defaulting,
// validation and admission, the PodMonitor and PrometheusRule against the Prometheus Operator's
// CRDs applied first. A misspelt field is refused with a message naming it.
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../../harness/kube-apiserver';
import { requireTool, ROOT } from '../../harness/stack';
import { runCommand } from '../support/docker';
import { chartWithEdit, NAMESPACE, objectsOf, render, valueSet, VALUE_SETS } from '../support/helm-chart';

/** The documented install command, from the Install section of docs/kubernetes.md. */
function documentedInstallCommand(): string[] {
  const section = /^## Install\n([\s\S]*?)^## /m.exec(readFileSync(path.join(ROOT, 'docs', 'kubernetes.md'), 'utf8'))?.[1] ?? '';
  const line = /```bash\n(helm install .*)\n```/.exec(section)?.[1];
  if (!line) throw new Error('the Install section of docs/kubernetes.md has no `helm install` command');
  return line.split(/\s+/);
}

/** The CRDs of the kinds the chart renders, as the Prometheus Operator's module ships them. */
const CRDS = ['monitoring.coreos.com_podmonitors.yaml', 'monitoring.coreos.com_prometheusrules.yaml'];

let server: KubeApiServer;
beforeAll(async () => {
  server = await startKubeApiServer();
  const crdsDir = requireTool('PROMETHEUS_OPERATOR_CRDS_DIR');
  const crds = await server.kubectl(['apply', '--server-side', ...CRDS.flatMap((file) => ['-f', path.join(crdsDir, file)])]);
  expect(crds.code, crds.stderr).toBe(0);
  const established = await server.kubectl([
    'wait', '--for=condition=Established', '--timeout=60s',
    'crd/podmonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com',
  ]);
  expect(established.code, established.stderr).toBe(0);
  // Discovery serves the new kinds a moment after the CRDs are established.
  await server.waitUntil('podmonitors and prometheusrules in discovery', async () => {
    const { stdout } = await server.kubectl(['api-resources', '--api-group=monitoring.coreos.com', '-o', 'name']);
    return stdout.includes('podmonitors.monitoring.coreos.com') && stdout.includes('prometheusrules.monitoring.coreos.com');
  });
  const namespace = await server.kubectl(['create', 'namespace', NAMESPACE]);
  expect(namespace.code, namespace.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

const dryRun = (manifest: string) => server.kubectl(['apply', '--dry-run=server', '--namespace', NAMESPACE, '-f', '-'], manifest);

describe('kubectl apply --dry-run=server against a real kube-apiserver', () => {
  it('runs the pinned Kubernetes version', async () => {
    const { stdout } = await server.kubectl(['version', '-o', 'json']);
    const version = JSON.parse(stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe(process.env.KUBERNETES_VERSION);
    expect(version.clientVersion.gitVersion).toBe(process.env.KUBERNETES_VERSION);
  });

  for (const set of VALUE_SETS) {
    it(`accepts every object of the chart with the ${set.name} values`, async () => {
      const manifest = await render(set);
      const result = await dryRun(manifest);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const accepted = result.stdout.trim().split('\n').sort();
      const expected = objectsOf(manifest)
        .map((o) => `${o.kind.toLowerCase()}/${o.metadata.name} created (server dry run)`).sort();
      // kubectl names each object by its resource, e.g. deployment.apps/demo-gunicorn-statsd.
      expect(accepted.map((line) => line.replace(/^(\w+)\.[\w.]+\//, '$1/'))).toEqual(expected);
    });
  }

  it.each([
    ['the Deployment', 'deployment.yaml', 'terminationGracePeriodSeconds:', 'terminationGracePeriodSecond:',
      /unknown field "spec\.template\.spec\.terminationGracePeriodSecond"/],
    ['the PodMonitor (checked against its CRD)', 'podmonitor.yaml', 'honorLabels:', 'honourLabels:',
      /unknown field "spec\.podMetricsEndpoints\[0\]\.honourLabels"/],
  ])('refuses a misspelt field of %s, naming it', async (_object, template, field, misspelt, message) => {
    const chart = chartWithEdit(template, field, misspelt);
    try {
      const result = await dryRun(await render(valueSet('default'), [], chart));
      expect(result.stderr).toMatch(message);
      expect(result.code).not.toBe(0);
    } finally {
      rmSync(path.dirname(chart), { recursive: true, force: true });
    }
  });

  it('refuses a value the server validates, naming the field (a negative replica count)', async () => {
    const manifest = (await render(valueSet('default'))).replace(/^  replicas: \d+$/m, '  replicas: -1');
    const result = await dryRun(manifest);
    expect(result.stderr).toMatch(/spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
    expect(result.code).not.toBe(0);
  });

  it("installs with the command of docs/kubernetes.md (helm install), every object stored", async () => {
    const [, ...args] = documentedInstallCommand();
    const namespace = args[args.indexOf('--namespace') + 1];
    const installed = await runCommand(requireTool('HELM_BIN'), [...args, '--kubeconfig', server.kubeconfig]);
    // Helm reports, at level INFO, that it follows the chart's links to etc/; nothing else.
    expect(installed.stderr.split('\n').filter((line) => line !== '' && !/msg="found symbolic link in path/.test(line))).toEqual([]);
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    expect(installed.code).toBe(0);
    const stored = await server.kubectl(['get', 'deployment,service,configmap,poddisruptionbudget,podmonitor,prometheusrule', '--namespace', namespace, '-o', 'name']);
    expect(stored.stdout.trim().split('\n').filter((name) => name.includes('checkout-gunicorn-statsd')).sort()).toEqual([
      'configmap/checkout-gunicorn-statsd-dashboard',
      'configmap/checkout-gunicorn-statsd-statsd-mapping',
      'deployment.apps/checkout-gunicorn-statsd',
      'poddisruptionbudget.policy/checkout-gunicorn-statsd',
      'podmonitor.monitoring.coreos.com/checkout-gunicorn-statsd',
      'prometheusrule.monitoring.coreos.com/checkout-gunicorn-statsd',
      'service/checkout-gunicorn-statsd',
    ]);
    const deployment = JSON.parse((await server.kubectl(['get', 'deployment', 'checkout-gunicorn-statsd', '--namespace', namespace, '-o', 'json'])).stdout);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(deployment.spec.template.spec.containers[0].image).toBe(`registry.example.internal/gunicorn-statsd-stack-app:${version}`);
  });
});
