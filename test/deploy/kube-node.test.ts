// The chart's pods, run for real: `helm install` on a single-node cluster started here (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, a kubelet on a containerd of its own
// with Debian's CNI bridge), the images rebuilt locally and imported into that containerd. The
// pods become Ready, each sidecar counts exactly the requests its app answered, and a rolling
// update loses no answered request's lines: every pod's last scrape, the old ones' taken while
// they drain, holds every request that pod answered.
import * as http from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeNode, type KubeNode } from '../../harness/kube-node';
import { requireTool } from '../../harness/stack';
import { CHART_DIR, NAMESPACE, RELEASE } from '../support/helm-chart';

const DEPLOYMENT = `${RELEASE}-gunicorn-statsd`;
const SELECTOR = `app.kubernetes.io/instance=${RELEASE}`;
const CRDS = ['monitoring.coreos.com_podmonitors.yaml', 'monitoring.coreos.com_prometheusrules.yaml'];
/** The series of Gunicorn's `<prefix>.gunicorn.requests` counter with the chart's default prefix. */
const REQUESTS_SERIES = /^gunicorn_requests_total\{app="flask_app"\} (\d+)$/m;

interface Pod {
  name: string;
  ip: string;
}

/** One GET without keep-alive, so a draining pod refuses new requests instead of holding one. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/** The sidecar's count of the app's requests; 0 before the first line, as the series is absent. */
async function scrapeRequests(pod: Pod): Promise<number> {
  const { status, body } = await get(`http://${pod.ip}:9102/metrics`);
  if (status !== 200) throw new Error(`the sidecar of ${pod.name} answered ${status}`);
  return Number(REQUESTS_SERIES.exec(body)?.[1] ?? 0);
}

let node: KubeNode;

async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  const result = await node.kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface PodList {
  items: { metadata: { name: string; deletionTimestamp?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
}

async function pods(): Promise<(Pod & { ready: boolean; terminating: boolean })[]> {
  const list = await kubectlJson<PodList>(['get', 'pods', '--namespace', NAMESPACE, '-l', SELECTOR]);
  return list.items.map((item) => ({
    name: item.metadata.name,
    ip: item.status.podIP ?? '',
    ready: item.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    terminating: Boolean(item.metadata.deletionTimestamp),
  }));
}

interface EndpointSliceList {
  items: { endpoints?: { addresses: string[]; conditions: { ready?: boolean }; targetRef?: { name: string } }[] }[];
}

/** What a Service would route to: the ready endpoints of the chart's Service's EndpointSlices. */
async function readyEndpoints(): Promise<Pod[]> {
  const list = await kubectlJson<EndpointSliceList>([
    'get', 'endpointslices', '--namespace', NAMESPACE, '-l', `kubernetes.io/service-name=${DEPLOYMENT}`,
  ]);
  return list.items.flatMap((slice) => (slice.endpoints ?? [])
    .filter((endpoint) => endpoint.conditions.ready && endpoint.targetRef)
    .map((endpoint) => ({ name: endpoint.targetRef!.name, ip: endpoint.addresses[0] })));
}

const podsDetail = async () => {
  const described = await node.kubectl(['describe', 'pods', '--namespace', NAMESPACE, '-l', SELECTOR]);
  return described.stdout.slice(-6000) + described.stderr;
};

beforeAll(async () => {
  node = await startKubeNode();
  const crdsDir = requireTool('PROMETHEUS_OPERATOR_CRDS_DIR');
  const crds = await node.kubectl(['apply', '--server-side', ...CRDS.flatMap((file) => ['-f', path.join(crdsDir, file)])]);
  expect(crds.code, crds.stderr).toBe(0);
  const established = await node.kubectl([
    'wait', '--for=condition=Established', '--timeout=60s',
    'crd/podmonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com',
  ]);
  expect(established.code, established.stderr).toBe(0);
  // The chart with its default values, images as the project builds them.
  const install = await node.helm(['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--create-namespace']);
  expect(install.code, install.stderr).toBe(0);
}, 1_800_000);

afterAll(async () => {
  await node?.stop();
}, 300_000);

describe('the chart on a real single-node cluster', () => {
  it('runs its pods to Ready: the app and its statsd_exporter sidecar in each', async () => {
    await node.waitUntil('the Deployment rolled out', async () => {
      const running = await pods();
      return running.length === 2 && running.every((pod) => pod.ready);
    }, 300_000, podsDetail);
    const list = await kubectlJson<{ items: { status: { containerStatuses: { name: string; ready: boolean }[]; initContainerStatuses: { name: string; ready: boolean; started: boolean }[] } }[] }>(
      ['get', 'pods', '--namespace', NAMESPACE, '-l', SELECTOR],
    );
    for (const pod of list.items) {
      expect(pod.status.containerStatuses.map((c) => [c.name, c.ready])).toEqual([['app', true]]);
      expect(pod.status.initContainerStatuses.map((c) => [c.name, c.ready, c.started])).toEqual([['statsd-exporter', true, true]]);
    }
  }, 360_000);

  it('counts in each pod\'s sidecar exactly the requests its app answered', async () => {
    const running = await pods();
    expect(running).toHaveLength(2);
    const sent = [37, 53];
    for (const [index, pod] of running.entries()) {
      expect(await scrapeRequests(pod)).toBe(0);
      for (let i = 0; i < sent[index]; i++) {
        const { status } = await get(`http://${pod.ip}:8000/`);
        expect(status).toBe(200);
      }
    }
    for (const [index, pod] of running.entries()) {
      await node.waitUntil(`${pod.name}'s sidecar counting ${sent[index]} requests`,
        async () => (await scrapeRequests(pod)) >= sent[index], 30_000);
      expect(await scrapeRequests(pod)).toBe(sent[index]);
    }
  }, 120_000);

  it('loses no answered request\'s lines in a rolling update', async () => {
    const before = await pods();
    const baseline = new Map<string, number>();
    for (const pod of before) baseline.set(pod.name, await scrapeRequests(pod));

    const answered = new Map<string, number>();
    const lastScrape = new Map<string, number>();
    const known = new Map<string, Pod>(before.map((pod) => [pod.name, pod]));
    let endpoints = await readyEndpoints();
    let stopping = false;

    // Like a Service's proxy: only endpoints that are ready, as the EndpointSlices say now.
    const watchEndpoints = (async () => {
      while (!stopping) {
        endpoints = await readyEndpoints();
        // A pod the API no longer lists has stopped every container: its address may go to
        // another pod, so it is scraped no more.
        const listed = await pods();
        for (const name of known.keys()) if (!listed.some((pod) => pod.name === name)) known.delete(name);
        for (const pod of listed) if (pod.ip) known.set(pod.name, pod);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    // Like Prometheus: every pod scraped while it answers, the draining ones included.
    const scrapeAll = (async () => {
      while (!stopping) {
        await Promise.all([...known.values()].map(async (pod) => {
          try {
            lastScrape.set(pod.name, await scrapeRequests(pod));
          } catch {
            // A pod that is gone answers no more; its last scrape stands.
          }
        }));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const client = async () => {
      while (!stopping) {
        const target = endpoints[Math.floor(Math.random() * endpoints.length)];
        if (!target) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        try {
          const { status } = await get(`http://${target.ip}:8000/`);
          if (status === 200) answered.set(target.name, (answered.get(target.name) ?? 0) + 1);
        } catch {
          // Refused or reset: not answered, so no line is owed.
        }
      }
    };
    const clients = [client(), client()];

    const restart = await node.kubectl(['rollout', 'restart', `deployment/${DEPLOYMENT}`, '--namespace', NAMESPACE]);
    expect(restart.code, restart.stderr).toBe(0);
    await node.waitUntil('the old pods gone and two new ones Ready', async () => {
      const now = await pods();
      return now.length === 2 && now.every((pod) => pod.ready && !pod.terminating && !baseline.has(pod.name));
    }, 300_000, podsDetail);
    const after = await pods();
    // Both new pods in the clients' rotation before the load stops.
    await node.waitUntil('both new pods answering the clients', async () =>
      after.every((pod) => (answered.get(pod.name) ?? 0) > 0), 60_000);
    stopping = true;
    await Promise.all([...clients, watchEndpoints, scrapeAll]);
    for (const pod of after) {
      await node.waitUntil(`${pod.name}'s sidecar counting its answered requests`,
        async () => (await scrapeRequests(pod)) >= (answered.get(pod.name) ?? 0), 30_000);
      lastScrape.set(pod.name, await scrapeRequests(pod));
    }

    // Each old pod answered requests during the update (so its drain is what is checked).
    for (const pod of before) expect(answered.get(pod.name) ?? 0, pod.name).toBeGreaterThan(0);
    const counted = [...answered.keys()].map((name) => [name, (lastScrape.get(name) ?? 0) - (baseline.get(name) ?? 0)]);
    expect(counted, `answered per pod: ${JSON.stringify([...answered.entries()])}`).toEqual([...answered.entries()]);
  }, 420_000);
});
