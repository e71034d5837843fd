// StatsD outages: nothing listening, a name that does not resolve, the exporter killed and started
// again under load. Every request keeps its normal status, no process dies, the server warns once
// per outage and says once that it sends again, and the lines flow again without restarting the app.
import * as dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort, LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { startApp, startStatsdExporter, type App } from '../../harness/stack';
import { exporterSnapshot, settledSnapshot, statusRecord, waitForRequests, delta } from '../support/exporter';
import { drive, loadUntilStopped, waitUntil, type Tally } from '../support/load';
import { isAlive } from '../support/procfs';
import { bootedWorkers, linesMatching, STATSD_OUTAGE_WARNING, STATSD_RECOVERED } from '../support/server-log';
import { collectUdp } from '../../harness/udp';

const APP = 'flask_app';
const sumOf = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((a, b) => a + b, 0);
const SCALE = 0.01;
/** Routes whose status is fixed, so "its normal status" is known for every request. */
const EXPECTED: Readonly<Record<string, number>> = { '/': 200, '/cpu_task': 200, '/io_task': 200, '/no-such-page': 404 };
const PLAN = { '/': 60, '/cpu_task': 10, '/io_task': 20, '/no-such-page': 10 };

function startWithStatsd(host: string): Promise<App> {
  return startApp(['--statsd-host', host, '--statsd-prefix', APP, '--demo-delay-scale', String(SCALE)], { workers: 2 });
}

/** Every request answered, each with its route's normal status. */
function expectNormalStatuses(result: Tally): void {
  expect(result.failures).toEqual([]);
  for (const [path, statuses] of result.byPath) expect([...statuses.keys()], path).toEqual([EXPECTED[path]]);
}

/** Outage warnings by the pid in `[date] [PID] [WARNING] statsd: cannot send to ...`. */
function warningsByPid(output: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of linesMatching(output, STATSD_OUTAGE_WARNING)) {
    const pid = Number(/\] \[(\d+)\] \[WARNING\]/.exec(line)?.[1]);
    counts.set(pid, (counts.get(pid) ?? 0) + 1);
  }
  return counts;
}

/** Exactly one outage warning for the whole server, logged by the master for every process. */
function expectOneOutageWarning(app: App): Map<number, number> {
  const warnings = warningsByPid(app.process.output());
  expect([...warnings], app.process.output()).toEqual([[app.process.pid, 1]]);
  return warnings;
}

/** The outage is over: the master logs one "sending again" (after the client's quiet period), after the warning. */
async function expectOneRecovery(app: App): Promise<void> {
  await app.process.waitForOutput(STATSD_RECOVERED, 30_000);
  const logged = linesMatching(app.process.output(), new RegExp(`${STATSD_OUTAGE_WARNING.source}|${STATSD_RECOVERED.source}`));
  expect(logged.map((line) => (STATSD_RECOVERED.test(line) ? 'up' : 'down')), logged.join('\n')).toEqual(['down', 'up']);
  expect(logged[1]).toContain(`[${app.process.pid}] [INFO]`);
}

/** The master and the workers it booted are all still running, and no worker was replaced. */
function expectNothingRestarted(app: App): void {
  expect(app.process.child.exitCode).toBeNull();
  const workers = bootedWorkers(app.process.output());
  expect(workers).toHaveLength(2);
  for (const pid of [app.process.pid, ...workers]) expect(isAlive(pid), `pid ${pid} alive`).toBe(true);
}

afterEach(async () => {
  await stopAll();
});

describe('when the StatsD address has no listener', () => {
  it('answers every request normally, warns once for the whole server, and sends again once something listens', async () => {
    const port = await freeUdpPort();
    const app = await startWithStatsd(`${LOOPBACK}:${port}`);

    expectNormalStatuses(await drive(app.url, PLAN, 8));
    expectNothingRestarted(app);
    // Linux reports the closed port (ICMP port unreachable) to the connected UDP socket.
    await app.process.waitForOutput(STATSD_OUTAGE_WARNING, 10_000);
    expectOneOutageWarning(app);

    // The lines of the requests above leave at the end of the worker's event-loop turn, within
    // microseconds of their responses; this margin keeps them from reaching the listener below,
    // so it sees exactly the next requests.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Something starts listening on that port: the very next requests' lines arrive there.
    const collector = await collectUdp({ port });
    try {
      expectNormalStatuses(await drive(app.url, { '/': 5 }, 1));
      // The status line is the last of each request's three.
      const lines = await collector.waitFor(
        (got) => got.filter((line) => line === `${APP}.gunicorn.request.status.200:1|c|@1.0`).length === 5,
      );
      expect(lines.filter((line) => line === `${APP}.gunicorn.requests:1|c|@1.0`)).toHaveLength(5);
      expect(lines.filter((line) => line.startsWith(`${APP}.gunicorn.request.duration:`))).toHaveLength(5);
      await expectOneRecovery(app);
    } finally {
      await collector.close();
    }
  });
});

describe('when the StatsD host name does not resolve', () => {
  it('answers every request normally and warns once for the whole server', async () => {
    const app = await startWithStatsd('no-such-host.invalid:9125');
    expectNormalStatuses(await drive(app.url, PLAN, 8));
    // Lookups are retried at most once a second; let a few retries fail.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expectNormalStatuses(await drive(app.url, { '/': 20, '/no-such-page': 5 }, 4));
    expectNothingRestarted(app);
    const warnings = expectOneOutageWarning(app);
    console.info(`unresolvable host: outage warnings by pid ${JSON.stringify([...warnings])}`);
  });
});

describe('when the exporter is killed and started again during load', () => {
  it('keeps answering, warns once for the whole server, says once it sends again, and counts exactly again after the restart without an app restart', async () => {
    const exporter = await startStatsdExporter();
    const app = await startWithStatsd(`${LOOPBACK}:${exporter.statsdPort}`);
    const baseline = await settledSnapshot(exporter.url, APP);

    const load = loadUntilStopped(app.url, Object.keys(EXPECTED), 4);
    await waitForRequests(exporter.url, APP, baseline.requests + 20);

    await exporter.kill();
    const atKill = load.outcomes.length;
    await waitUntil('50 requests answered while the exporter is down', () => load.outcomes.length, (n) => n >= atKill + 50);
    await exporter.restart();
    // The same app, not restarted: the fresh exporter's counters move.
    await waitForRequests(exporter.url, APP, 20);
    const result = await load.stop();

    expectNormalStatuses(result);
    expectNothingRestarted(app);
    const warnings = expectOneOutageWarning(app);
    await expectOneRecovery(app);

    // Exact again: every request after the restart is counted, with its status.
    // (A request whose three lines straddled the restart may have lost its first ones: the counters
    // need not agree with each other here, only move exactly from now on.)
    const before = await settledSnapshot(exporter.url, APP, { requireConsistent: false });
    const after = await drive(app.url, { '/': 30, '/no-such-page': 10 }, 4);
    expectNormalStatuses(after);
    const now = await waitUntil(
      'the 40 requests counted',
      () => exporterSnapshot(exporter.url, APP),
      (x) => x.requests >= before.requests + 40 && x.durations >= before.durations + 40 && sumOf(x.byStatus) >= sumOf(before.byStatus) + 40,
    );
    expect(now.requests).toBe(before.requests + 40);
    expect(now.durations).toBe(before.durations + 40);
    expect(delta(now.byStatus, before.byStatus)).toEqual(statusRecord(after.byStatus));
    expect(now.sampleErrors).toBe(0);
    // As in Gunicorn, the workers gauge is only sent when the count changes: a restarted exporter
    // has none until then (documented in etc/prometheus/alerts.yml, StatsdExporterDown).
    expect((await exporterSnapshot(exporter.url, APP)).workers).toBeNull();
    console.info(
      `exporter restart under load: ${result.answered} requests answered, ${result.failures.length} failed, ` +
        `outage warnings by pid ${JSON.stringify([...warnings])}; the restarted exporter counted ` +
        `${before.requests} requests, ${before.durations} durations, ${sumOf(before.byStatus)} statuses before the exact phase`,
    );
  });
});

describe('when the exporter stalls while a burst arrives', () => {
  it('keeps a burst larger than a default receive buffer holds, and counts every line once it runs again', async () => {
    const exporter = await startStatsdExporter();
    const sender = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve) => sender.connect(exporter.statsdPort, LOOPBACK, resolve));
      // 150 datagrams of 25 request lines (925 bytes): Linux charges each about 2.3 KB of the
      // receiver's buffer, so they need about 350 KB: more than the default 212992 bytes hold, less
      // than the 425984 the exporter gets wherever net.core.rmem_max is at least its default.
      const datagram = Array.from({ length: 25 }, () => `${APP}.gunicorn.requests:1|c|@1.0`).join('\n');
      const before = await exporterSnapshot(exporter.url, APP);
      exporter.process.signal('SIGSTOP');
      try {
        for (let i = 0; i < 150; i += 1) await new Promise<void>((resolve, reject) => sender.send(datagram, (error) => (error ? reject(error) : resolve())));
      } finally {
        exporter.process.signal('SIGCONT');
      }
      // Polls until the whole burst is counted; if some was dropped, the assertion shows how much.
      const after = await waitUntil('the whole burst counted', () => exporterSnapshot(exporter.url, APP),
        (snapshot) => snapshot.requests - before.requests >= 3750, 10_000).catch(() => exporterSnapshot(exporter.url, APP));
      expect({ datagrams: after.udpPackets - before.udpPackets, requests: after.requests - before.requests })
        .toEqual({ datagrams: 150, requests: 3750 });
    } finally {
      sender.close();
    }
  });
});
