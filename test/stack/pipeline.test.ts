// The pipeline, end to end with the real programs: the app master with two
// workers sends Gunicorn's lines to the real statsd_exporter (committed mapping), scraped by the
// real Prometheus (committed config and alert rules, targets on loopback, 1 s intervals).
// Every count is compared exactly with what the client received.
import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaproxy } from '../../harness/haproxy';
import { freeTcpPort, LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { queryInstant, rules } from '../../harness/prometheus-api';
import {
  ROOT,
  startApp,
  startPrometheus,
  startStatsdExporter,
  type App,
  type Prometheus,
  type StatsdExporter,
} from '../../harness/stack';
import { emptyTargets, runDashboardQueries } from '../support/dashboard';
import {
  exporterSnapshot,
  settledSnapshot,
  statusRecord,
  waitForRequests,
  type ExporterSnapshot,
} from '../support/exporter';
import { drive, loadUntilStopped, waitUntil } from '../support/load';
import { waitForTargetsUp } from '../support/prometheus-targets';
import { renderDashboard } from '../../tools/dashboard-png/render';

const run = promisify(execFile);

const APP = 'flask_app';
const SEL = `{app="${APP}"}`;
/** /io_task sleeps 2 s × SCALE = 0.3 s: inside the (0.25, 0.5] bucket of the committed mapping. */
const SCALE = 0.15;
const IO_SECONDS = 2 * SCALE;
const IO_BUCKET = { above: 0.25, upTo: 0.5 };
const INTERVAL_SECONDS = 1;

let exporter: StatsdExporter;
let prometheus: Prometheus;
let app: App;
let startedAt: number;

/** The value of a PromQL expression that must return exactly one sample. */
async function scalar(expr: string, time?: number): Promise<number> {
  const result = await queryInstant(prometheus.url, expr, time);
  if (result.length !== 1) throw new Error(`${expr}: expected one sample, got ${JSON.stringify(result)}`);
  return result[0].value;
}

/** Waits until Prometheus's latest scrape shows `requests` requests; returns the time it did. */
async function waitForScraped(requests: number): Promise<number> {
  await waitUntil(
    `Prometheus to scrape ${requests} requests`,
    () => scalar(`sum(gunicorn_requests_total${SEL})`).catch(() => NaN),
    (value) => value === requests,
    15_000,
    200,
  );
  return Date.now() / 1000;
}

/** Sum by status from Prometheus, as a record. */
async function statusesInPrometheus(time?: number): Promise<Record<string, number>> {
  const rows = await queryInstant(prometheus.url, `sum by (status) (gunicorn_responses_total${SEL})`, time);
  return Object.fromEntries(rows.map((row) => [row.metric.status, row.value]));
}

const sumOf = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((a, b) => a + b, 0);

/**
 * Runs `body` under a light load of GET /, once Prometheus shows a request rate over the last 4 s.
 * The dashboard's "now" panels divide 4 s rates, which need an increase between two 1 s scrapes
 * inside the window: traffic that ended a few seconds earlier on a loaded machine leaves none.
 */
async function underLightLoad<T>(body: () => Promise<T>): Promise<T> {
  const load = loadUntilStopped(app.url, ['/'], 2);
  try {
    await waitUntil(
      'a request rate over the last 4 s',
      () => scalar(`sum(rate(gunicorn_requests_total${SEL}[4s])) or vector(0)`),
      (rate) => rate > 0,
    );
    return await body();
  } finally {
    await load.stop();
  }
}

beforeAll(async () => {
  startedAt = Date.now() / 1000;
  exporter = await startStatsdExporter();
  const metricsPort = await freeTcpPort();
  app = await startApp(
    [
      '--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`,
      '--statsd-prefix', APP,
      '--metrics-bind', `${LOOPBACK}:${metricsPort}`,
      '--demo-delay-scale', String(SCALE),
      '--enable-backlog-metric',
      // HAProxy, the front door, sends a PROXY line on each connection it passes on.
      '--proxy-protocol',
    ],
    { workers: 2 },
  );
  // The front door with the committed config, its one server this app: its series feed the
  // dashboard's HAProxy row.
  const haproxy = await startHaproxy({ replicas: [{ host: LOOPBACK, port: app.port, metricsPort }] });
  prometheus = await startPrometheus({
    targets: {
      'statsd-exporter:9102': `${LOOPBACK}:${exporter.webPort}`,
      'app:9464': `${LOOPBACK}:${metricsPort}`,
      'haproxy:8404': new URL(haproxy.metricsUrl).host,
    },
    interval: `${INTERVAL_SECONDS}s`,
  });
});

afterAll(async () => {
  await stopAll();
  await prometheus?.stop();
});

describe('app -> statsd_exporter -> Prometheus, with the committed config', () => {
  let baseline: ExporterSnapshot;
  let sent = 0; // requests since the baseline, as counted by the clients
  const expectedStatuses: Record<string, number> = {};

  it('scrapes every job of the committed prometheus.yml (Alertmanager\'s is alerting.test.ts\'s)', async () => {
    expect(prometheus.dropped).toEqual(['alertmanager']);
    const up = await waitForTargetsUp(prometheus.url, '', 4);
    expect(up.map((row) => row.metric.job).sort()).toEqual(['app', 'haproxy', 'prometheus', 'statsd-exporter']);
  });

  it('puts the latency of /io_task (2 s x scale) in the histogram bucket that contains it', async () => {
    // The start-up readiness probes are real requests: take them as the baseline.
    baseline = await settledSnapshot(exporter.url, APP);
    Object.assign(expectedStatuses, baseline.byStatus);
    const tBase = await waitForScraped(baseline.requests);
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_SECONDS * 1500)); // a scrape after tBase

    const ioStartedAt = performance.now();
    const io = await drive(app.url, { '/io_task': 12 }, 12);
    // No request took longer than the whole run of them: on a quiet machine a hair over the
    // 0.3 s timer, on a very busy one longer, and then their bucket is a higher one.
    const ioLongestSeconds = (performance.now() - ioStartedAt) / 1000;
    expect(io.failures).toEqual([]);
    expect(statusRecord(io.byStatus)).toEqual({ '200': 12 });
    sent += 12;
    expectedStatuses['200'] = (expectedStatuses['200'] ?? 0) + 12;
    await waitForRequests(exporter.url, APP, baseline.requests + sent);
    const tIo = await waitForScraped(baseline.requests + sent);

    // The histogram between the two instants holds the /io_task requests and nothing else.
    const bucketDelta = `(gunicorn_request_duration_seconds_bucket${SEL} @ ${tIo} - gunicorn_request_duration_seconds_bucket${SEL} @ ${tBase})`;
    expect(await scalar(`sum(gunicorn_request_duration_seconds_count${SEL} @ ${tBase})`)).toBe(baseline.requests);
    expect(await scalar(`sum(gunicorn_request_duration_seconds_count${SEL} @ ${tIo})`)).toBe(baseline.requests + 12);
    // The quantiles lie in the bucket of the timer, or, if the machine held the requests up, no
    // higher than the bucket of the longest one.
    const edges = (await queryInstant(prometheus.url, `sum by (le) ${bucketDelta}`))
      .map((sample) => Number(sample.metric.le)).sort((a, b) => a - b);
    const upTo = Math.max(IO_BUCKET.upTo, edges.find((edge) => edge >= ioLongestSeconds) ?? Infinity);
    for (const q of [0.5, 0.9, 0.99]) {
      const quantile = await scalar(`histogram_quantile(${q}, sum by (le) ${bucketDelta})`);
      expect(quantile, `p${q * 100} of /io_task`).toBeGreaterThan(IO_BUCKET.above);
      expect(quantile, `p${q * 100} of /io_task (the longest took ${ioLongestSeconds} s)`).toBeLessThanOrEqual(upTo);
    }
    // The mean is not bucketed: a timer of 0.3 s cannot finish sooner.
    const mean = await scalar(
      `(sum(gunicorn_request_duration_seconds_sum${SEL} @ ${tIo}) - sum(gunicorn_request_duration_seconds_sum${SEL} @ ${tBase}))` +
        ` / (sum(gunicorn_request_duration_seconds_count${SEL} @ ${tIo}) - sum(gunicorn_request_duration_seconds_count${SEL} @ ${tBase}))`,
    );
    expect(mean).toBeGreaterThanOrEqual(IO_SECONDS);
    expect(mean).toBeLessThanOrEqual(ioLongestSeconds);
  });

  it('counts a known mix of requests exactly, per status, in Prometheus', async () => {
    const mix = await drive(
      app.url,
      {
        '/': 30,
        '/cpu_task': 10,
        '/random_status': 40,
        '/random_sleep': 10,
        '/io_task': 5,
        '/no-such-page': 5,
        '/exception': 3,
      },
      10,
    );
    expect(mix.failures).toEqual([]);
    expect(mix.byPath.get('/no-such-page')).toEqual(new Map([[404, 5]]));
    expect(mix.byPath.get('/exception')).toEqual(new Map([[500, 3]]));
    sent += mix.answered;
    for (const [status, n] of mix.byStatus) expectedStatuses[status] = (expectedStatuses[status] ?? 0) + n;

    await waitForRequests(exporter.url, APP, baseline.requests + sent);
    await waitForScraped(baseline.requests + sent);
    expect(await statusesInPrometheus()).toEqual(expectedStatuses);
    expect(await scalar(`sum(gunicorn_request_duration_seconds_count${SEL})`)).toBe(baseline.requests + sent);
    expect(await scalar(`sum(gunicorn_log_events_total{app="${APP}",level="exception"})`)).toBe(3);
    expect(await scalar(`gunicorn_workers${SEL}`)).toBe(2);
  });

  it('counts the requests request-script.sh makes exactly', async () => {
    const users = 5;
    const reps = 10;
    const before = await exporterSnapshot(exporter.url, APP);
    const { stdout, stderr } = await run(
      path.join(ROOT, 'request-script.sh'),
      ['--url', app.url, '--concurrency', String(users), '--reps', String(reps), '--delay', '0'],
      { timeout: 40_000 },
    );
    // siege 4.0 files 5xx answers (the 500s of /random_status) under "Failed transactions".
    const report = stdout + stderr;
    const transactions = Number(/Transactions:\s+(\d+) hits/.exec(report)?.[1]);
    const failed = Number(/Failed transactions:\s+(\d+)/.exec(report)?.[1]);
    expect(transactions + failed, report).toBe(users * reps);
    sent += users * reps + 1; // siege's, and the script's GET / checking that the app answers

    await waitForRequests(exporter.url, APP, baseline.requests + sent);
    await waitForScraped(baseline.requests + sent);
    const now = await exporterSnapshot(exporter.url, APP);
    expect(now.requests).toBe(baseline.requests + sent);
    expect(sumOf(now.byStatus)).toBe(baseline.requests + sent);
    expect(failed).toBe((now.byStatus['500'] ?? 0) - (before.byStatus['500'] ?? 0));
  });

  it('loses and rejects no line: no UDP drops, no sample errors, nothing unmapped', async () => {
    const s = await exporterSnapshot(exporter.url, APP);
    expect(s.udpDrops).toBe(0);
    expect(s.sampleErrors).toBe(0);
    expect(s.unmapped).toBe(0);
    // Each request is one timer and two counters; the log counters, the workers gauge and the
    // backlog samples (an observer each, about one a second) are the rest. The backlog keeps
    // arriving, and one scrape may fall between a line's count and its observation: read until
    // one scrape agrees (bounded).
    await expect.poll(async () => {
      const now = await exporterSnapshot(exporter.url, APP);
      return {
        backlogSeen: now.backlogSamples > 0,
        observers: now.events.observer - now.requests - now.backlogSamples,
        counters: now.events.counter - 2 * now.requests - sumOf(now.log),
        lines: now.lines - (now.events.observer + now.events.counter + now.events.gauge),
      };
    }, { timeout: 10_000, interval: 100 }).toEqual({ backlogSeen: true, observers: 0, counters: 0, lines: 0 });
    // And Prometheus agrees.
    expect(await scalar('sum(statsd_exporter_udp_packet_drops_total)')).toBe(0);
    expect(await scalar('sum(statsd_exporter_sample_errors_total) or vector(0)')).toBe(0);
  });

  it('returns data for every query of every dashboard panel', async () => {
    const results = await underLightLoad(() => runDashboardQueries({
      prometheusUrl: prometheus.url,
      range: { fromMs: startedAt * 1000, toMs: Date.now() },
      variables: { app: APP },
      scrapeInterval: `${INTERVAL_SECONDS}s`,
    }));
    expect(results.length).toBeGreaterThan(20);
    expect(emptyTargets(results.filter((r) => !r.requestSlots))).toEqual([]);
    // The app's workers are event loops (etc/prometheus/apps.yml): no busy fraction of request
    // slots, which would read 300% for a worker that serves three slow requests at once.
    expect(results.filter((r) => r.requestSlots).map((r) => r.series)).toEqual([0]);
  });

  it('renders the dashboard picture from this run, no panel empty', async () => {
    const out = path.join(ROOT, '.artifacts', 'pipeline-dashboard.png');
    mkdirSync(path.dirname(out), { recursive: true });
    const result = await underLightLoad(() => renderDashboard({
      prometheusUrl: prometheus.url,
      start: startedAt * 1000,
      end: Date.now(),
      out,
      variables: { app: APP },
      scrapeInterval: `${INTERVAL_SECONDS}s`,
      provenance: `test/stack/pipeline.test.ts: this test's own run (app="${APP}", 1 s scrapes), kept as a test artefact.`,
    }));
    expect(result.emptyPanels).toEqual([]);
    expect(statSync(out).size).toBeGreaterThan(10_000);
  });

  it('evaluates every alert rule without error', async () => {
    const evaluated = await waitUntil(
      'every rule evaluated',
      () => rules(prometheus.url),
      (all) => all.length > 0 && all.every((rule) => rule.health !== 'unknown'),
    );
    const unhealthy = evaluated.filter((rule) => rule.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
    expect(unhealthy).toEqual([]);
    // A healthy stack under load fires nothing, except what this test's traffic is made to cause:
    // /exception and the random 500s of /random_status (the 5xx ratio, the exceptions, the
    // availability SLO), the 0.3 s /io_task requests twelve at a time on two workers and the
    // demo's slow routes (saturation, the latency SLO).
    const causedByTheTraffic = new Set([
      'GunicornHigh5xxRatio', 'GunicornAppExceptions', 'GunicornWorkersSaturated',
      'GunicornAvailabilityBudgetFastBurn', 'GunicornAvailabilityBudgetSlowBurn',
      'GunicornLatencyBudgetFastBurn', 'GunicornLatencyBudgetSlowBurn',
    ]);
    // And what is never quiet here: the Watchdog fires by design, and this test runs no Alertmanager.
    const expectedHere = new Set(['Watchdog', 'PrometheusNotConnectedToAlertmanagers']);
    const active = evaluated.filter((rule) => rule.type === 'alerting' && rule.state !== 'inactive' && !causedByTheTraffic.has(rule.name));
    expect(active.filter((rule) => !expectedHere.has(rule.name)).map((rule) => rule.name)).toEqual([]);
    expect(Object.fromEntries(active.filter((rule) => expectedHere.has(rule.name)).map((rule) => [rule.name, rule.state]))).toEqual({
      Watchdog: 'firing',
      // Pending: its for: (10 minutes) is longer than this test.
      PrometheusNotConnectedToAlertmanagers: 'pending',
    });
  });

  it('makes StatsdExporterDown and GunicornRequestMetricsAbsent pending when the exporter stops', async () => {
    await exporter.kill();
    const states = await waitUntil(
      'exporter alerts pending',
      () => rules(prometheus.url),
      (all) =>
        ['StatsdExporterDown', 'GunicornRequestMetricsAbsent'].every((name) =>
          all.some((rule) => rule.name === name && rule.state !== 'inactive'),
        ),
      20_000,
      250,
    );
    const byName = new Map(states.map((rule) => [rule.name, rule.state]));
    // `for: 2m` and `for: 5m`: pending, not yet firing.
    expect(byName.get('StatsdExporterDown')).toBe('pending');
    expect(byName.get('GunicornRequestMetricsAbsent')).toBe('pending');
    expect(byName.get('AppDown')).toBe('inactive');
    // The app does not notice beyond one warning: it still answers.
    expect((await drive(app.url, { '/': 5 })).answered).toBe(5);
  });
});
