// Restarts of Prometheus and of the exporter, with the real Prometheus: increase() over
// a window containing both equals the true number of requests; across the reset rate() stays
// positive where delta() goes negative.
//
// How "exact" is made possible. increase(x[W]) at time t takes the samples in (t-W, t], adds up
// the rises, treating any drop as a counter reset (a drop from v to w counts as +w), and then
// extrapolates the result to the window's edges: × (sampled span + gap at start + gap at end) /
// sampled span. Evaluated at the timestamp of the last sample, the end gap is 0; with the window
// opening 1 ms before the first sample, the start gap is 1 ms. The result is then the true count
// × (1 + 0.001 s / sampled span): a known factor (the test checks the value to four decimals),
// a few hundredths above the true count for a span of seconds, so it rounds to the true count.
// A drop is only seen as a reset if the restarted counter's first scraped value is below the last
// one before: the test keeps that true (N3 < N1 + N2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { queryInstant, rawSamples, rules } from '../../harness/prometheus-api';
import {
  startApp,
  startPrometheus,
  startStatsdExporter,
  type App,
  type Prometheus,
  type StatsdExporter,
} from '../../harness/stack';
import { settledSnapshot, waitForRequests } from '../support/exporter';
import { drive, waitUntil } from '../support/load';

const APP = 'flask_app';
const SERIES = `gunicorn_requests_total{app="${APP}"}`;
const N1 = 60; // before any restart
const N2 = 40; // while Prometheus is down
const N3 = 30; // after the exporter restart (fewer than before it, so the drop is a visible reset)

let exporter: StatsdExporter;
let prometheus: Prometheus;
let app: App;

async function latest(expr: string): Promise<number> {
  const rows = await queryInstant(prometheus.url, expr);
  return rows.length === 1 ? rows[0].value : NaN;
}

function waitForScraped(value: number): Promise<number> {
  return waitUntil(`Prometheus to scrape ${SERIES} = ${value}`, () => latest(SERIES), (v) => v === value, 20_000, 200);
}

async function answeredAll(plan: Record<string, number>): Promise<void> {
  const result = await drive(app.url, plan, 6);
  expect(result.failures).toEqual([]);
}

beforeAll(async () => {
  exporter = await startStatsdExporter();
  app = await startApp(['--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`, '--statsd-prefix', APP, '--demo-delay-scale', '0.01']);
  prometheus = await startPrometheus({
    targets: { 'statsd-exporter:9102': `${LOOPBACK}:${exporter.webPort}` },
    interval: '1s',
  });
});

afterAll(async () => {
  await stopAll();
  await prometheus?.stop();
});

describe('counter resets (exporter restart) and scrape gaps (Prometheus restart)', () => {
  it('increase() across both restarts equals the true number of requests; rate() survives the reset', async () => {
    const baseline = (await settledSnapshot(exporter.url, APP)).requests;
    await waitForScraped(baseline);
    // A second scrape of the baseline, so the first sample in the window is the quiet start.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    await answeredAll({ '/': N1 - 10, '/no-such-page': 10 });
    await waitForRequests(exporter.url, APP, baseline + N1);
    await waitForScraped(baseline + N1);

    // Prometheus restarts (same data directory); the exporter keeps counting meanwhile.
    await prometheus.process.stop();
    await answeredAll({ '/': N2 });
    await waitForRequests(exporter.url, APP, baseline + N1 + N2);
    await prometheus.restart();
    await waitForScraped(baseline + N1 + N2);

    // The exporter restarts: its counters start again from zero.
    await exporter.kill();
    await waitUntil('a failed scrape of the exporter', () => latest('up{job="statsd-exporter"}'), (v) => v === 0, 20_000, 200);
    await exporter.restart();
    await answeredAll({ '/': N3 });
    await waitForRequests(exporter.url, APP, N3);
    await waitForScraped(N3);

    const truth = N1 + N2 + N3;
    const now = Date.now() / 1000;
    const [series] = await rawSamples(prometheus.url, `${SERIES}[5m]`, now);
    const [firstT, firstV] = series.values[0];
    const [lastT, lastV] = series.values[series.values.length - 1];
    expect(firstV).toBe(baseline);
    expect(lastV).toBe(N3);
    const windowMs = Math.round((lastT - firstT) * 1000) + 1;
    const range = `${SERIES}[${windowMs}ms]`;

    expect(await queryInstant(prometheus.url, `resets(${range})`, lastT)).toMatchObject([{ value: 1 }]);
    const [{ value: increase }] = await queryInstant(prometheus.url, `increase(${range})`, lastT);
    expect(Math.round(increase)).toBe(truth);
    // To the last digit: the true count times the extrapolation factor (window / sampled span).
    expect(increase).toBeCloseTo((truth * (windowMs / 1000)) / (lastT - firstT), 4);
    // What a dashboard subtracting raw values would show instead.
    expect(lastV - firstV).toBe(N3 - baseline);

    // The Prometheus restart alone: a gap in the samples, no reset, nothing lost.
    const beforeKill = series.values.filter(([, v]) => v === baseline + N1 + N2);
    const [gapEndT] = beforeKill[beforeKill.length - 1];
    const gapRange = `${SERIES}[${Math.round((gapEndT - firstT) * 1000) + 1}ms]`;
    expect(await queryInstant(prometheus.url, `resets(${gapRange})`, gapEndT)).toMatchObject([{ value: 0 }]);
    const [{ value: acrossGap }] = await queryInstant(prometheus.url, `increase(${gapRange})`, gapEndT);
    expect(Math.round(acrossGap)).toBe(N1 + N2);

    // Across the reset alone (last sample before the kill to the last one after): increase() and
    // rate() count the N3 new requests; delta(), which knows nothing of resets, goes negative.
    const resetRange = `${SERIES}[${Math.round((lastT - gapEndT) * 1000) + 1}ms]`;
    const [{ value: afterReset }] = await queryInstant(prometheus.url, `increase(${resetRange})`, lastT);
    expect(Math.round(afterReset)).toBe(N3);
    const [{ value: rateAcross }] = await queryInstant(prometheus.url, `rate(${resetRange})`, lastT);
    expect(rateAcross).toBeGreaterThan(0);
    const [{ value: naive }] = await queryInstant(prometheus.url, `delta(${resetRange})`, lastT);
    expect(naive).toBeLessThan(0);

    // The alert rules, which read counters through rate(), are still healthy and quiet.
    const all = await waitUntil('every rule evaluated', () => rules(prometheus.url), (r) => r.every((rule) => rule.health !== 'unknown'));
    expect(all.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.lastError}`)).toEqual([]);
    expect(all.find((rule) => rule.name === 'GunicornHigh5xxRatio')?.state).toBe('inactive');

    const gaps = series.values.slice(1).map(([t], i) => t - series.values[i][0]);
    console.info(
      `counter reset: increase=${increase} (truth ${truth}), across the Prometheus gap ${acrossGap} (truth ${N1 + N2}), ` +
        `across the reset ${afterReset} (truth ${N3}, delta() ${naive}); ` +
        `longest gap between samples ${Math.max(...gaps).toFixed(1)} s; naive last-first ${lastV - firstV}`,
    );
  });
});
