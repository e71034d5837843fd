// The app is a drop-in for Gunicorn, shown from the other side: a real Gunicorn serving a Flask
// app, with a dotted prefix, through the same committed mapping and Prometheus config. Its counts are exact, and the dashboard's queries
// return data for app="svc.flask_app" — all but the Node.js runtime row, which Gunicorn has no
// equivalent of.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { queryInstant } from '../../harness/prometheus-api';
import {
  startGunicorn,
  startPrometheus,
  startStatsdExporter,
  type App,
  type Prometheus,
  type StatsdExporter,
} from '../../harness/stack';
import { emptyTargets, runDashboardQueries } from '../support/dashboard';
import { exporterSnapshot, settledSnapshot, waitForRequests, type ExporterSnapshot } from '../support/exporter';
import { drive, loadUntilStopped, waitUntil } from '../support/load';

const APP = 'svc.flask_app';
const SEL = `{app="${APP}"}`;

let exporter: StatsdExporter;
let prometheus: Prometheus;
let gunicorn: App;
let startedAt: number;

async function scalar(expr: string): Promise<number> {
  const rows = await queryInstant(prometheus.url, expr);
  if (rows.length !== 1) throw new Error(`${expr}: expected one sample, got ${JSON.stringify(rows)}`);
  return rows[0].value;
}

beforeAll(async () => {
  startedAt = Date.now();
  exporter = await startStatsdExporter();
  gunicorn = await startGunicorn(
    ['--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`, '--statsd-prefix', APP, '--enable-backlog-metric'],
    { workers: 2, env: { DEMO_DELAY_SCALE: '0.05' } },
  );
  prometheus = await startPrometheus({
    targets: { 'statsd-exporter:9102': `${LOOPBACK}:${exporter.webPort}` },
    interval: '1s',
  });
  // Prometheus applies discovered targets up to 5 s after start-up: wait for a few scrapes, so the
  // dashboard's rate() windows have samples before and after the traffic.
  await waitUntil(
    'three scrapes of the exporter',
    () => queryInstant(prometheus.url, 'count_over_time(up{job="statsd-exporter"}[1m])'),
    (rows) => rows.length === 1 && rows[0].value >= 3,
    20_000,
    250,
  );
});

afterAll(async () => {
  await stopAll();
  await prometheus?.stop();
});

describe('real Gunicorn with --statsd-prefix svc.flask_app, through the committed mapping', () => {
  let baseline: ExporterSnapshot;
  const expected: Record<string, number> = {};
  let total = 0;

  it('is counted exactly, per status, with app="svc.flask_app"', async () => {
    // Gunicorn has no runtime-metrics listener, and neither HAProxy nor Alertmanager runs here:
    // those jobs are left out.
    expect(prometheus.dropped).toEqual(['app', 'haproxy', 'alertmanager']);
    baseline = await settledSnapshot(exporter.url, APP);
    Object.assign(expected, baseline.byStatus);

    const mix = await drive(
      gunicorn.url,
      { '/': 20, '/cpu_task': 5, '/io_task': 5, '/random_status': 20, '/random_sleep': 5, '/no-such-page': 5, '/exception': 2 },
      4,
    );
    expect(mix.failures).toEqual([]);
    expect(mix.byPath.get('/exception')).toEqual(new Map([[500, 2]]));
    for (const [status, n] of mix.byStatus) expected[status] = (expected[status] ?? 0) + n;
    total = baseline.requests + mix.answered;

    await waitForRequests(exporter.url, APP, total);
    await waitUntil('Prometheus to scrape every request', () => scalar(`sum(gunicorn_requests_total${SEL})`).catch(() => NaN), (v) => v === total, 15_000, 200);
    const statuses = await queryInstant(prometheus.url, `sum by (status) (gunicorn_responses_total${SEL})`);
    expect(Object.fromEntries(statuses.map((row) => [row.metric.status, row.value]))).toEqual(expected);
    expect(await scalar(`sum(gunicorn_request_duration_seconds_count${SEL})`)).toBe(total);
    expect(await scalar(`gunicorn_workers${SEL}`)).toBe(2);
    // The Flask route's exception escapes to Gunicorn, which logs it: log.exception, once each.
    expect(await scalar(`sum(gunicorn_log_events_total{app="${APP}",level="exception"})`)).toBe(2);

    const s = await exporterSnapshot(exporter.url, APP);
    expect(s.sampleErrors).toBe(0);
    expect(s.unmapped).toBe(0);
    expect(s.udpDrops).toBe(0);
  });

  it('gives data to every dashboard query but the Node.js runtime ones', async () => {
    // Ratios and quantiles of 4 s rates need an increase between two 1 s scrapes inside a window,
    // which one short burst on a loaded machine may not leave: a light load (with 500s, for the 5xx
    // ratio) runs while polling (bounded) until every query has data.
    const load = loadUntilStopped(gunicorn.url, ['/', '/exception'], 2);
    let results: Awaited<ReturnType<typeof runDashboardQueries>> = [];
    try {
      const deadline = Date.now() + 15_000;
      for (;;) {
        results = await runDashboardQueries({
          prometheusUrl: prometheus.url,
          range: { fromMs: startedAt, toMs: Date.now() },
          variables: { app: APP },
          scrapeInterval: '1s',
        });
        if (emptyTargets(results.filter((r) => !r.runtime && !r.frontDoor)).length === 0 || Date.now() >= deadline) break;
        await sleep(1_000);
      }
    } finally {
      await load.stop();
    }
    // The front door's row reads HAProxy, which is not Gunicorn's to feed (the compose test fills it).
    const gunicornQueries = results.filter((r) => !r.runtime && !r.frontDoor);
    expect(gunicornQueries.length).toBeGreaterThan(15);
    expect(emptyTargets(gunicornQueries)).toEqual([]);
    // The runtime row reads the Node app's own /metrics (job="app"): empty here, and nothing else is.
    const runtime = results.filter((r) => r.runtime);
    expect(runtime.length).toBeGreaterThan(0);
    expect(runtime.filter((r) => r.series > 0 || r.error)).toEqual([]);
  });
});
