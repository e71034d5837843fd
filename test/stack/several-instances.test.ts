// Three app instances as three hosts: network namespaces on one Ethernet segment, each with its
// own address (test/support/netns.ts), running the built app with the committed mapping.
// First the topology the compose file ships: one exporter for all (on the hub), each instance
// tagging its lines instance:<host> with Gunicorn's --dogstatsd-tags (here through
// GUNICORN_CMD_ARGS), and HAProxy with the committed config in front of them, as the compose file
// publishes it (on the hub; its servers the three addresses DNS would give). Then the maintainers'
// topology: an exporter beside each instance, all three scraped by one Prometheus with the
// committed prometheus.yml (its DNS discovery replaced by the three addresses DNS would give).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaproxy } from '../../harness/haproxy';
import { queryInstant } from '../../harness/prometheus-api';
import { start, stopAll, waitForHttp, type Started } from '../../harness/processes';
import { ETC, requireTool, ROOT, startPrometheus, type Prometheus } from '../../harness/stack';
import { byInstance, exporterByInstance, seriesOf, workersPanelQueries } from '../support/instances';
import { childrenOf } from '../support/procfs';
import { exporterSamples, statusRecord } from '../support/exporter';
import { drive, waitUntil, type Tally } from '../support/load';
import { waitForTargetsUp } from '../support/prometheus-targets';
import { appServers, upServers } from '../support/haproxy';
import { createSegment, type Host, type Segment } from '../support/netns';

const APP = 'flask_app';
const NAMES = ['h1', 'h2', 'h3'] as const;
type Name = (typeof NAMES)[number];
const MAPPING = path.join(ETC, 'statsd-exporter', 'statsd.conf');
const ENTRY = path.join(ROOT, 'dist', 'main.js');

const statusRecordOf = (sent: Tally) => statusRecord(sent.byStatus);

let segment: Segment;
const hosts = {} as Record<Name, Host>;

function startExporter(host: Host, udpListen: string): Started {
  const [command, args] = host.command(requireTool('STATSD_EXPORTER_BIN'), [
    `--statsd.mapping-config=${MAPPING}`,
    `--statsd.listen-udp=${udpListen}`,
    `--statsd.listen-tcp=${udpListen}`,
    `--web.listen-address=${host.address}:9102`,
  ]);
  return start(`statsd_exporter ${host.namespace}`, command, args);
}

interface Instance {
  readonly name: Name;
  readonly url: string;
  readonly process: Started;
}

/**
 * The app on a host, tagging its lines instance:<name>, as compose does with its hostname, reading
 * the PROXY line HAProxy (on the hub) sends, and writing its access log to stdout, as compose runs it.
 */
async function startInstance(name: Name, statsdHost: string, tag: string | null = name): Promise<Instance> {
  const host = hosts[name];
  const [command, args] = host.command(process.execPath, [
    ENTRY, '--bind', '0.0.0.0:8000', '--workers', '2', '--statsd-host', statsdHost, '--statsd-prefix', APP,
    '--metrics-bind', '0.0.0.0:9464', '--demo-delay-scale', '0.01',
    '--proxy-protocol', '--proxy-allow-from', segment.hub.address, '--access-logfile', '-',
  ]);
  const started = start(`app ${name}`, command, args, { env: { ...process.env, GUNICORN_CMD_ARGS: tag === null ? '' : `--dogstatsd-tags instance:${tag}` } });
  await started.waitForOutput(/(Booting worker with pid: \d+[\s\S]*){2}/);
  // The metrics listener, not :8000: a probe there would be counted.
  await waitForHttp(`http://${host.address}:9464/metrics`);
  return { name, url: `http://${host.address}:8000`, process: started };
}

/** SIGKILL to the master and its workers at once: the host dies, nothing is drained or sent. */
async function kill(instance: Instance): Promise<void> {
  const workers = childrenOf(instance.process.pid);
  expect(workers.length).toBe(2);
  instance.process.signal('SIGKILL');
  for (const pid of workers) process.kill(pid, 'SIGKILL');
  await instance.process.exited;
  await waitUntil('the killed workers to be gone', () => workers.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }).length, (n) => n === 0, 5_000, 20);
}

/** Requests per instance, sent to each instance directly: different counts, so a mix-up shows. */
const DIRECT: Record<Name, number> = { h1: 5, h2: 7, h3: 11 };

async function sendDirect(instances: Record<Name, Instance>): Promise<void> {
  for (const name of NAMES) {
    const sent = await drive(instances[name].url, { '/': DIRECT[name] - 1, '/no-such-page': 1 }, 4);
    expect(statusRecordOf(sent), name).toEqual({ '200': DIRECT[name] - 1, '404': 1 });
  }
}

beforeAll(() => {
  requireTool('STATSD_EXPORTER_BIN');
  requireTool('PROMETHEUS_BIN');
  segment = createSegment();
  NAMES.forEach((name, i) => {
    hosts[name] = segment.addHost(name, 11 + i);
  });
});

afterAll(async () => {
  try {
    await stopAll(5_000);
  } finally {
    segment?.destroy();
  }
}, 60_000);

describe('three untagged instances, one shared exporter: what breaks', () => {
  it('counters add up, but the workers gauge is one series, the last sender\'s: 3 for 2 + 2 + 3 workers', async () => {
    const exporter = startExporter(segment.hub, `${segment.hub.address}:9125`);
    const exporterUrl = `http://${segment.hub.address}:9102`;
    await waitForHttp(`${exporterUrl}/-/ready`);
    const instances = {} as Record<Name, Instance>;
    for (const name of NAMES) instances[name] = await startInstance(name, `${segment.hub.address}:9125`, null);
    await sendDirect(instances);
    await waitUntil(
      'every request counted',
      () => exporterByInstance(exporterUrl, 'gunicorn_requests_total', APP),
      (found) => found['(none)'] === 5 + 7 + 11,
      10_000,
      100,
    );
    instances.h3.process.signal('SIGTTIN');
    const workers = await waitUntil(
      "h3's third worker reported",
      () => exporterByInstance(exporterUrl, 'gunicorn_workers', APP),
      (found) => found['(none)'] === 3,
      10_000,
      50,
    );
    expect(workers).toEqual({ '(none)': 3 });
    await Promise.all([...Object.values(instances).map((instance) => instance.process.stop()), exporter.stop()]);
  }, 60_000);
});

describe('three instances, one shared exporter: each instance tags its series with its own instance label', () => {
  let exporterUrl: string;
  const instances = {} as Record<Name, Instance>;

  beforeAll(async () => {
    startExporter(segment.hub, `${segment.hub.address}:9125`);
    exporterUrl = `http://${segment.hub.address}:9102`;
    await waitForHttp(`${exporterUrl}/-/ready`);
    for (const name of NAMES) instances[name] = await startInstance(name, `${segment.hub.address}:9125`);
  }, 60_000);

  afterAll(async () => {
    await stopAll(5_000);
  }, 30_000);

  it('keeps one workers gauge per instance: 2, 2, 2', async () => {
    const workers = await waitUntil(
      'a workers gauge from each instance',
      () => exporterByInstance(exporterUrl, 'gunicorn_workers', APP),
      (found) => Object.keys(found).length === 3,
      10_000,
      100,
    );
    expect(workers).toEqual({ h1: 2, h2: 2, h3: 2 });
  });

  it('counts exactly: each instance what it was sent, the sum what all were sent', async () => {
    await sendDirect(instances);
    const requests = await waitUntil(
      'every request counted',
      () => exporterByInstance(exporterUrl, 'gunicorn_requests_total', APP),
      (found) => NAMES.every((name) => found[name] === DIRECT[name]),
      10_000,
      100,
    );
    expect(requests).toEqual(DIRECT);
    const responses = await exporterByInstance(exporterUrl, 'gunicorn_responses_total', APP);
    expect(Object.values(responses).reduce((a, b) => a + b, 0)).toBe(5 + 7 + 11);
  });

  it('HAProxy (the committed config, as compose publishes it) spreads new connections evenly over the instances, whose access logs name the client', async () => {
    const haproxy = await startHaproxy({
      replicas: NAMES.map((name) => ({ host: hosts[name].address, port: 8000, metricsPort: 9464 })),
      listen: `${segment.hub.address}:8000`,
      metricsListen: `${segment.hub.address}:8404`,
      wrap: (command, args) => segment.hub.command(command, args),
    });
    try {
      // Its health checks put the three in rotation.
      await waitUntil(
        'HAProxy to have the three instances UP',
        async () => appServers(await (await fetch(`${haproxy.metricsUrl}/stats;csv`)).text()),
        (rows) => upServers(rows).length === 3,
        15_000,
        100,
      );
      const before = await exporterByInstance(exporterUrl, 'gunicorn_requests_total', APP);
      const logged = () => NAMES.map((name) => (instances[name].process.output().match(/^\S+ - - \[.*\] "GET \/ HTTP\/1\.1" 200 /gm) ?? []));
      const loggedBefore = logged().map((lines) => lines.length);
      // One request per connection (the clients send Connection: close), so 30 connections, 10 each.
      const sent = await drive(haproxy.url, { '/': 30 }, 6);
      expect(statusRecordOf(sent)).toEqual({ '200': 30 });
      const after = await waitUntil(
        'the requests through HAProxy counted',
        () => exporterByInstance(exporterUrl, 'gunicorn_requests_total', APP),
        (found) => NAMES.reduce((total, name) => total + found[name] - before[name], 0) === 30,
        10_000,
        100,
      );
      expect(Object.fromEntries(NAMES.map((name) => [name, after[name] - before[name]]))).toEqual({ h1: 10, h2: 10, h3: 10 });
      // The access log names this process (the client), never the hub HAProxy runs on.
      const clients = logged().flatMap((lines, i) => lines.slice(loggedBefore[i]).map((line) => line.split(' ')[0]));
      expect(clients.length).toBe(30);
      expect(new Set(clients)).toEqual(new Set([segment.ownAddress]));
    } finally {
      await haproxy.stop();
    }
  });

  it('SIGTTIN to one instance: right after, its gauge is 3 and the others still 2', async () => {
    instances.h2.process.signal('SIGTTIN');
    const workers = await waitUntil(
      "h2's third worker reported",
      () => exporterByInstance(exporterUrl, 'gunicorn_workers', APP),
      (found) => found.h2 === 3,
      10_000,
      50,
    );
    expect(workers).toEqual({ h1: 2, h2: 3, h3: 2 });
  });

  it('one instance killed and restarted: the others\' series unchanged, its own counting on', async () => {
    const before = await exporterSamples(exporterUrl);
    const h3Before = byInstance(before, 'gunicorn_requests_total', APP).h3;
    await kill(instances.h3);
    instances.h3 = await startInstance('h3', `${segment.hub.address}:9125`);
    const sent = await drive(instances.h3.url, { '/': 4 }, 2);
    expect(statusRecordOf(sent)).toEqual({ '200': 4 });
    const after = await waitUntil(
      "the restarted instance's requests counted",
      () => exporterSamples(exporterUrl),
      (samples) => byInstance(samples, 'gunicorn_requests_total', APP).h3 === h3Before + 4,
      10_000,
      100,
    );
    for (const name of ['h1', 'h2']) expect(seriesOf(after, name), name).toEqual(seriesOf(before, name));
    // Its gauge came back with the restart (sent at start-up); the counters went on from the
    // exporter's values, since the exporter, not the instance, holds them.
    expect(byInstance(after, 'gunicorn_workers', APP)).toEqual({ h1: 2, h2: 3, h3: 2 });
  });

  it('an instance replaced under a new name (a recreated container): its old series stay exported', async () => {
    await kill(instances.h3);
    instances.h3 = await startInstance('h3', `${segment.hub.address}:9125`, 'h3-new');
    const workers = await waitUntil(
      "the new instance's gauge",
      () => exporterByInstance(exporterUrl, 'gunicorn_workers', APP),
      (found) => found['h3-new'] === 2,
      10_000,
      100,
    );
    // The exporter cannot know h3 is gone: summed, the workers are 2 too many until it restarts.
    expect(workers).toEqual({ h1: 2, h2: 3, h3: 2, 'h3-new': 2 });
  });
});

describe('three instances, an exporter beside each (the maintainers\' topology), one Prometheus', () => {
  const instances = {} as Record<Name, Instance>;
  const exporters = {} as Record<Name, Started>;
  let prometheus: Prometheus;

  const workersPanel = () => workersPanelQueries(APP);

  const promByInstance = async (expr: string) =>
    Object.fromEntries((await queryInstant(prometheus.url, expr)).map((row) => [row.metric.instance, row.value]));

  beforeAll(async () => {
    for (const name of NAMES) {
      exporters[name] = startExporter(hosts[name], '127.0.0.1:9125');
      await waitForHttp(`http://${hosts[name].address}:9102/-/ready`);
      instances[name] = await startInstance(name, '127.0.0.1:9125');
    }
    prometheus = await startPrometheus({
      targets: {
        'statsd-exporter:9102': NAMES.map((name) => `${hosts[name].address}:9102`),
        'app:9464': NAMES.map((name) => `${hosts[name].address}:9464`),
      },
      interval: '1s',
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
  }, 30_000);

  it('Prometheus scrapes every exporter and every instance\'s runtime metrics', async () => {
    // No front door in this topology (the test sends to the instances directly), and no
    // Alertmanager (alerting.test.ts runs it).
    expect(prometheus.dropped).toEqual(['haproxy', 'alertmanager']);
    const up = await waitForTargetsUp(prometheus.url, '', 7, 20_000, 200);
    expect(up.filter((row) => row.metric.job === 'statsd-exporter').length).toBe(3);
    expect(up.filter((row) => row.metric.job === 'app').length).toBe(3);
  });

  it('sums exactly across the exporters, per instance and in all', async () => {
    await sendDirect(instances);
    const total = 5 + 7 + 11;
    await waitUntil(
      'Prometheus to scrape every request',
      () => queryInstant(prometheus.url, `sum(gunicorn_requests_total{app="${APP}"})`),
      (rows) => rows[0]?.value === total,
      20_000,
      200,
    );
    expect(await promByInstance(`sum by (instance) (gunicorn_requests_total{app="${APP}"})`)).toEqual(DIRECT);
    expect(await promByInstance(`sum by (instance) (gunicorn_responses_total{app="${APP}", status="404"})`)).toEqual({ h1: 1, h2: 1, h3: 1 });
  });

  it('workers per instance and in total, as the dashboard\'s workers panel queries them, right after a TTIN', async () => {
    const panel = workersPanel();
    expect(await promByInstance(panel.perInstance)).toEqual({ h1: 2, h2: 2, h3: 2 });
    instances.h1.process.signal('SIGTTIN');
    await waitUntil("h1's third worker scraped", () => promByInstance(panel.perInstance), (found) => found.h1 === 3, 20_000, 200);
    expect(await promByInstance(panel.perInstance)).toEqual({ h1: 3, h2: 2, h3: 2 });
    const total = await queryInstant(prometheus.url, panel.total);
    expect(total.map((row) => row.value)).toEqual([7]);
  });

  it('one instance and its exporter killed and restarted: the other exporters\' series unchanged', async () => {
    const before = Object.fromEntries(
      await Promise.all(['h1', 'h2'].map(async (name) => [name, seriesOf(await exporterSamples(`http://${hosts[name as Name].address}:9102`), name)])),
    );
    await kill(instances.h3);
    exporters.h3.signal('SIGKILL');
    await exporters.h3.exited;
    await waitUntil(
      "Prometheus to see h3's exporter down",
      () => queryInstant(prometheus.url, `up{job="statsd-exporter", instance="${hosts.h3.address}:9102"}`),
      (rows) => rows[0]?.value === 0,
      20_000,
      200,
    );
    exporters.h3 = startExporter(hosts.h3, '127.0.0.1:9125');
    await waitForHttp(`http://${hosts.h3.address}:9102/-/ready`);
    instances.h3 = await startInstance('h3', '127.0.0.1:9125');
    const sent = await drive(instances.h3.url, { '/': 4 }, 2);
    expect(statusRecordOf(sent)).toEqual({ '200': 4 });
    // A new exporter starts from zero: it holds exactly what was sent since.
    const h3 = await waitUntil(
      "the restarted exporter's count",
      () => exporterByInstance(`http://${hosts.h3.address}:9102`, 'gunicorn_requests_total', APP),
      (found) => found.h3 === 4,
      10_000,
      100,
    );
    expect(h3).toEqual({ h3: 4 });
    for (const name of ['h1', 'h2'] as const) {
      expect(seriesOf(await exporterSamples(`http://${hosts[name].address}:9102`), name), name).toEqual(before[name]);
    }
    // And Prometheus sees the restarted instance's gauge again, the others' unchanged.
    const workers = await waitUntil(
      "the restarted instance's gauge scraped",
      () => promByInstance(workersPanel().perInstance),
      (found) => found.h3 === 2,
      20_000,
      200,
    );
    expect(workers).toEqual({ h1: 3, h2: 2, h3: 2 });
  });
});

describe('the hosts of this run', () => {
  it('are removed with every link once the run is done', async () => {
    await stopAll(5_000);
    segment.destroy();
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    expect(namespaces.split('\n').filter((line) => line.startsWith(`gs${process.pid}-`))).toEqual([]);
    expect(links.split('\n').filter((line) => new RegExp(`^\\d+: v${process.pid}\\w*[@:]`).test(line))).toEqual([]);
    expect(existsSync(`/etc/netns/gs${process.pid}-hub`)).toBe(false);
  });
});
