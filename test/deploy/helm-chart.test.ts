// The Helm chart, checked by the real helm (lint --strict, template, the values schema, package)
// and kubeconform (every rendered object against the schemas of the pinned Kubernetes and
// Prometheus Operator), and read for what the chart promises: the mapping, rules, alerts and
// dashboard are the repository's own files, the hardening of the compose file, probes off the
// app's port, a grace period longer than the drain, the pinned image tags.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireTool, ROOT } from '../../harness/stack';
import { runCommand } from '../support/docker';
import {
  CHART_DIR, chartCopy, chartWithEdit, helmTemplate, type KubeObject, objectOf, objectsOf, pinned, render, RELEASE, valueSet, VALUE_SETS,
} from '../support/helm-chart';

const FULLNAME = `${RELEASE}-gunicorn-statsd`;
const source = (...parts: string[]) => readFileSync(path.join(ROOT, 'etc', ...parts), 'utf8');

const rendered = new Map<string, KubeObject[]>();
const manifests = new Map<string, string>();
beforeAll(async () => {
  for (const set of VALUE_SETS) {
    const manifest = await render(set);
    manifests.set(set.name, manifest);
    rendered.set(set.name, objectsOf(manifest));
  }
});
const objects = (set: string) => rendered.get(set)!;
const podSpec = (set: string) => objectOf(objects(set), 'Deployment').spec.template.spec;
const container = (set: string, name: string) =>
  [...podSpec(set).containers, ...podSpec(set).initContainers].find((c: { name: string }) => c.name === name);

/** kubeconform -strict over a manifest, with the schemas generated offline by install-kube-tools.sh. */
async function kubeconform(manifest: string) {
  const schemas = requireTool('KUBE_SCHEMAS_DIR');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kubeconform-')), 'manifest.yaml');
  writeFileSync(file, manifest);
  const result = await runCommand(requireTool('KUBECONFORM_BIN'), [
    '-strict', '-summary', '-verbose', '-output', 'json',
    '-kubernetes-version', pinned('KUBERNETES_VERSION').replace(/^v/, ''),
    '-schema-location', `${schemas}/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    '-schema-location', `${schemas}/prometheus-operator/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    file,
  ]);
  rmSync(path.dirname(file), { recursive: true, force: true });
  const report = JSON.parse(result.stdout) as { resources: { kind: string; name: string; status: string; msg: string }[] };
  return { code: result.code, resources: report.resources };
}

describe('helm lint --strict', () => {
  for (const set of VALUE_SETS) {
    it(`passes with the ${set.name} values`, async () => {
      const result = await runCommand(requireTool('HELM_BIN'), [
        'lint', '--strict', CHART_DIR, '--kube-version', pinned('KUBERNETES_VERSION'), ...(set.file ? ['--values', set.file] : []),
      ]);
      expect(result.stdout + result.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(result.code).toBe(0);
    });
  }
});

describe('every rendered object, against the schemas of the pinned Kubernetes and Prometheus Operator (kubeconform -strict)', () => {
  it('is read for four value sets: the defaults and those in ci/', () => {
    expect(VALUE_SETS.map((set) => set.name).sort()).toEqual(['custom-prefix', 'default', 'operator-off', 'several-replicas']);
  });

  for (const set of VALUE_SETS) {
    it(`is valid with the ${set.name} values`, async () => {
      const { code, resources } = await kubeconform(manifests.get(set.name)!);
      expect(resources.map((r) => `${r.kind} ${r.name}: ${r.status} ${r.msg}`.trim()).sort())
        .toEqual(objects(set.name).map((o) => `${o.kind} ${o.metadata.name}: statusValid`).sort());
      expect(code).toBe(0);
    });
  }

  it('rejects a misspelt field in a template, naming it', async () => {
    const chart = chartWithEdit('deployment.yaml', 'terminationGracePeriodSeconds:', 'terminationGracePeriodSecond:');
    try {
      const { code, resources } = await kubeconform(await render(valueSet('default'), [], chart));
      const deployment = resources.find((r) => r.kind === 'Deployment')!;
      expect(deployment.status).toBe('statusInvalid');
      expect(deployment.msg).toMatch(/additional properties 'terminationGracePeriodSecond' not allowed/);
      expect(code).not.toBe(0);
    } finally {
      rmSync(path.dirname(chart), { recursive: true, force: true });
    }
  });

  it('rejects a misspelt field of a PodMonitor (a CRD schema), naming it', async () => {
    const chart = chartWithEdit('podmonitor.yaml', 'podMetricsEndpoints:', 'podMetricEndpoints:');
    try {
      const { resources } = await kubeconform(await render(valueSet('default'), [], chart));
      const podMonitor = resources.find((r) => r.kind === 'PodMonitor')!;
      expect(podMonitor.status).toBe('statusInvalid');
      expect(podMonitor.msg).toMatch(/additional properties 'podMetricEndpoints' not allowed/);
    } finally {
      rmSync(path.dirname(chart), { recursive: true, force: true });
    }
  });
});

describe('the values schema (values.schema.json)', () => {
  it.each([
    ['a misspelt key', ['--set', 'app.wrokers=3'], /at '\/app': additional properties 'wrokers' not allowed/],
    ['a misspelt top-level key', ['--set', 'replicas=3'], /additional properties 'replicas' not allowed/],
    ['a replica count that is not a number', ['--set-string', 'replicaCount=two'], /at '\/replicaCount': got string, want integer/],
    ['a prefix the app would refuse', ['--set-string', 'app.statsdPrefix=a|b'], /at '\/app\/statsdPrefix'/],
    ['an unknown pull policy', ['--set', 'exporter.image.pullPolicy=Sometimes'], /at '\/exporter\/image\/pullPolicy'/],
  ])('fails helm template on %s, naming it', async (_case, args, message) => {
    const result = await helmTemplate(valueSet('default'), args);
    expect(result.stderr).toMatch(message);
    expect(result.code).not.toBe(0);
  });
});

describe('one source: the chart packages the repository files themselves', () => {
  it("the sidecar's mapping is etc/statsd-exporter/statsd.conf, byte for byte", () => {
    const mapping = objectOf(objects('default'), 'ConfigMap', `${FULLNAME}-statsd-mapping`);
    expect(mapping.data!['statsd.conf']).toBe(source('statsd-exporter', 'statsd.conf'));
  });

  it('the dashboard ConfigMap is etc/dashboards/gunicorn.json, byte for byte', () => {
    const dashboard = objectOf(objects('default'), 'ConfigMap', `${FULLNAME}-dashboard`);
    expect(dashboard.data!['gunicorn.json']).toBe(source('dashboards', 'gunicorn.json'));
  });

  it('the PrometheusRule holds the groups of etc/prometheus/rules.yml, then alerts.yml, equal', () => {
    const rule = objectOf(objects('default'), 'PrometheusRule');
    const groups = [...parse(source('prometheus', 'rules.yml')).groups, ...parse(source('prometheus', 'alerts.yml')).groups];
    expect(groups.length).toBeGreaterThan(3);
    expect(rule.spec.groups).toEqual(groups);
  });

  it('a packaged chart (helm package) carries the same bytes', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'helm-package-'));
    try {
      const packaged = await runCommand(requireTool('HELM_BIN'), ['package', CHART_DIR, '--destination', out]);
      expect(packaged.code, packaged.stderr).toBe(0);
      const archive = path.join(out, 'gunicorn-statsd-0.1.0.tgz');
      const files: [string, string][] = [
        ['statsd.conf', 'statsd-exporter/statsd.conf'], ['rules.yml', 'prometheus/rules.yml'],
        ['alerts.yml', 'prometheus/alerts.yml'], ['gunicorn.json', 'dashboards/gunicorn.json'],
      ];
      for (const [name, original] of files) {
        const listed = await runCommand('tar', ['-xzOf', archive, `gunicorn-statsd/files/${name}`]);
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout, name).toBe(source(...original.split('/')));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the pod', () => {
  it("runs the exporter at the tag scripts/versions.env pins, the app at package.json's version", () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(container('default', 'statsd-exporter').image).toBe(`prom/statsd-exporter:${pinned('STATSD_EXPORTER_VERSION')}`);
    expect(container('default', 'app').image).toBe(`gunicorn-statsd-stack-app:${version}`);
  });

  it('has the exporter as a native sidecar the app sends to on 127.0.0.1:9125, which listens there only', () => {
    const exporter = container('default', 'statsd-exporter');
    expect(podSpec('default').initContainers.map((c: { name: string }) => c.name)).toEqual(['statsd-exporter']);
    expect(exporter.restartPolicy).toBe('Always');
    expect(exporter.args).toEqual(expect.arrayContaining([
      '--statsd.mapping-config=/etc/statsd-exporter/statsd.conf', '--statsd.listen-udp=127.0.0.1:9125', '--statsd.listen-tcp=',
    ]));
    expect(container('default', 'app').args).toContain('--statsd-host=127.0.0.1:9125');
    expect(container('default', 'app').args.join(' ')).not.toMatch(/dogstatsd-tags/);
  });

  it.each(['default', 'custom-prefix', 'several-replicas'])(
    "gives each container a command line its program accepts (--check-config), with the %s values",
    async (set) => {
      const mapping = path.join(mkdtempSync(path.join(tmpdir(), 'mapping-')), 'statsd.conf');
      writeFileSync(mapping, objectOf(objects(set), 'ConfigMap', `${FULLNAME}-statsd-mapping`).data!['statsd.conf']);
      try {
        // The mapping's path inside the pod is its ConfigMap's mount; here, the same bytes in a temporary file.
        const exporterArgs = (container(set, 'statsd-exporter').args as string[])
          .map((arg) => arg.replace(/^--statsd\.mapping-config=.*$/, `--statsd.mapping-config=${mapping}`));
        const exporter = await runCommand(requireTool('STATSD_EXPORTER_BIN'), [...exporterArgs, '--check-config']);
        expect(exporter.stderr).toMatch(/Configuration check successful/);
        expect(exporter.code).toBe(0);
      } finally {
        rmSync(path.dirname(mapping), { recursive: true, force: true });
      }
      const app = await runCommand(process.execPath, [path.join(ROOT, 'dist', 'main.js'), ...container(set, 'app').args, '--check-config']);
      expect(app.stderr).toBe('');
      expect(app.code).toBe(0);
    },
  );

  it('probes the metrics ports, never the app port 8000 (a probe there would count as traffic)', () => {
    for (const name of ['app', 'statsd-exporter']) {
      const probed = container('default', name);
      const probes = ['startupProbe', 'readinessProbe', 'livenessProbe'].flatMap((kind) => (probed[kind] ? [probed[kind]] : []));
      expect(probes.length).toBeGreaterThanOrEqual(2);
      const ports = probes.map((probe) => probe.httpGet.port);
      expect(ports.every((port) => port === (name === 'app' ? 'app-metrics' : 'statsd-metrics')), `${name}: ${ports}`).toBe(true);
    }
    expect(container('default', 'app').ports).toContainEqual({ name: 'app-metrics', containerPort: 9464, protocol: 'TCP' });
  });

  it("gives a stopping pod longer than the app's --graceful-timeout and the exporter's wait for a last scrape", () => {
    for (const set of VALUE_SETS) {
      const graceful = Number(/^--graceful-timeout=(\d+)$/m.exec(container(set.name, 'app').args.join('\n'))![1]);
      const lastScrape = container(set.name, 'statsd-exporter').lifecycle.preStop.sleep.seconds as number;
      const interval = set.name === 'operator-off' ? 15 : Number(/^(\d+)s$/.exec(objectOf(objects(set.name), 'PodMonitor').spec.podMetricsEndpoints[0].interval)![1]);
      expect(lastScrape).toBeGreaterThan(interval);
      expect(podSpec(set.name).terminationGracePeriodSeconds).toBeGreaterThan(graceful + lastScrape);
    }
  });

  it("has the compose file's hardening: non-root, read-only root with a memory /tmp, no capabilities, no privilege gain, RuntimeDefault seccomp", () => {
    expect(podSpec('default').securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const name of ['app', 'statsd-exporter']) {
      const { securityContext } = container('default', name);
      expect(securityContext).toMatchObject({
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
      });
      expect(securityContext.runAsUser).toBeGreaterThan(0);
    }
    expect(container('default', 'app').volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(podSpec('default').volumes).toContainEqual({ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } });
    expect(podSpec('default').automountServiceAccountToken).toBe(false);
  });

  it('has resource requests and memory limits for both containers', () => {
    for (const name of ['app', 'statsd-exporter']) {
      const { resources } = container('default', name);
      expect(Object.keys(resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(resources.limits.memory).toMatch(/^\d+Mi$/);
    }
  });
});

describe('the value sets', () => {
  const kinds = (set: string) => objects(set).map((o) => o.kind).sort();

  it('default: Deployment, Service, PodDisruptionBudget, the two ConfigMaps, PodMonitor and PrometheusRule; no scrape annotations', () => {
    expect(kinds('default')).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PodMonitor', 'PrometheusRule', 'Service']);
    expect(objectOf(objects('default'), 'Deployment').spec.template.metadata.annotations).not.toHaveProperty('prometheus.io/scrape');
  });

  it('the PodMonitor scrapes the jobs the rules match (statsd-exporter, app), instance from the pod name', () => {
    const endpoints = objectOf(objects('default'), 'PodMonitor').spec.podMetricsEndpoints;
    expect(endpoints.map((e: { port: string }) => e.port)).toEqual(['statsd-metrics', 'app-metrics']);
    for (const [index, job] of ['statsd-exporter', 'app'].entries()) {
      expect(endpoints[index].relabelings).toEqual([
        { targetLabel: 'job', replacement: job },
        { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'instance' },
      ]);
    }
    const jobs = [...`${source('prometheus', 'rules.yml')}${source('prometheus', 'alerts.yml')}`.matchAll(/job="([^"]+)"/g)].map((m) => m[1]);
    expect(jobs).toEqual(expect.arrayContaining(['statsd-exporter', 'app']));
    expect(objectOf(objects('default'), 'PodMonitor').spec.scrapeClassicHistograms).toBe(true);
  });

  it('the dashboard ConfigMap carries the label of Grafana\'s dashboard sidecar', () => {
    expect(objectOf(objects('default'), 'ConfigMap', `${FULLNAME}-dashboard`).metadata.labels).toMatchObject({ grafana_dashboard: '1' });
  });

  it('operator-off: no PodMonitor or PrometheusRule, the exporter port in the scrape annotations', () => {
    expect(kinds('operator-off')).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
    expect(objectOf(objects('operator-off'), 'Deployment').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102', 'prometheus.io/path': '/metrics',
    });
    expect(container('operator-off', 'statsd-exporter').ports).toContainEqual({ name: 'statsd-metrics', containerPort: 9102, protocol: 'TCP' });
  });

  it('several-replicas: six pods of four workers, each with its own exporter; a drain takes two at once', () => {
    expect(objectOf(objects('several-replicas'), 'Deployment').spec.replicas).toBe(6);
    expect(container('several-replicas', 'app').args).toContain('--workers=4');
    expect(objectOf(objects('several-replicas'), 'PodDisruptionBudget').spec.maxUnavailable).toBe(2);
  });

  it('custom-prefix: the app sends under the prefix, the monitoring objects carry the selector labels', () => {
    expect(container('custom-prefix', 'app').args).toContain('--statsd-prefix=shop.checkout');
    expect(container('default', 'app').args).toContain('--statsd-prefix=flask_app');
    for (const kind of ['PodMonitor', 'PrometheusRule']) {
      expect(objectOf(objects('custom-prefix'), kind).metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    }
    expect(objectOf(objects('custom-prefix'), 'ConfigMap', `${FULLNAME}-dashboard`).metadata.annotations).toEqual({ grafana_folder: 'Gunicorn' });
  });
});

describe('a mapping change', () => {
  let chart = '';
  afterAll(() => chart && rmSync(path.dirname(chart), { recursive: true, force: true }));

  it('rolls the pods (the checksum annotation of the pod template follows the mapping)', async () => {
    chart = chartCopy();
    const before = objectOf(objects('default'), 'Deployment').spec.template.metadata.annotations['checksum/statsd-mapping'];
    writeFileSync(path.join(chart, 'files', 'statsd.conf'), `${source('statsd-exporter', 'statsd.conf')}# changed\n`);
    const after = objectOf(objectsOf(await render(valueSet('default'), [], chart)), 'Deployment')
      .spec.template.metadata.annotations['checksum/statsd-mapping'];
    expect(after).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
  });
});
