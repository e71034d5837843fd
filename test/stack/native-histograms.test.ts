// Native histograms end to end: known request durations sent over UDP to the real statsd_exporter
// (committed mapping), scraped by the real Prometheus with the committed prometheus.yml. Both
// forms of the duration histogram arrive, and the native one's p99 is nearer the true p99.
import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { queryInstant } from '../../harness/prometheus-api';
import { startPrometheus, startStatsdExporter, type Prometheus, type StatsdExporter } from '../../harness/stack';
import { waitUntil } from '../support/load';

const APP = 'native_check';
/** 1,000 requests evenly from 505 ms to 535 ms: all inside the classic bucket (0.5, 1]. */
const DURATIONS_MS = Array.from({ length: 1000 }, (_, i) => 505 + (30 * i) / 999);
/** The 99th percentile as histogram_quantile defines it: the value with 99% of requests at or below. */
const TRUE_P99 = DURATIONS_MS[Math.ceil(0.99 * DURATIONS_MS.length) - 1] / 1000;

let exporter: StatsdExporter;
let prometheus: Prometheus;

async function value(expr: string): Promise<number> {
  const rows = await queryInstant(prometheus.url, expr);
  if (rows.length !== 1) throw new Error(`${expr}: expected one sample, got ${JSON.stringify(rows)}`);
  return rows[0].value;
}

/** Gunicorn's timer lines, several to a datagram (the exporter splits on newlines). */
async function sendDurations(port: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const lines = DURATIONS_MS.map((ms) => `${APP}.gunicorn.request.duration:${ms}|ms`);
  try {
    for (let i = 0; i < lines.length; i += 20) {
      const datagram = lines.slice(i, i + 20).join('\n');
      await new Promise<void>((resolve, reject) => socket.send(datagram, port, LOOPBACK, (error) => (error ? reject(error) : resolve())));
    }
  } finally {
    socket.close();
  }
}

beforeAll(async () => {
  exporter = await startStatsdExporter();
  prometheus = await startPrometheus({
    targets: { 'statsd-exporter:9102': `${LOOPBACK}:${exporter.webPort}` },
    interval: '1s',
  });
  await sendDurations(exporter.statsdPort);
});

afterAll(async () => {
  await stopAll();
  await prometheus?.stop();
});

describe('the request duration histogram in Prometheus, scraped with the committed prometheus.yml', () => {
  it('arrives both as a native histogram and as classic buckets, each with every request', async () => {
    const sel = `{app="${APP}"}`;
    await waitUntil(
      'both forms to hold 1,000 requests',
      () => Promise.all([
        value(`histogram_count(gunicorn_request_duration_seconds${sel})`).catch(() => NaN),
        value(`gunicorn_request_duration_seconds_count${sel}`).catch(() => NaN),
        value(`gunicorn_request_duration_seconds_bucket{app="${APP}", le="+Inf"}`).catch(() => NaN),
      ]),
      (counts) => counts.every((count) => count === DURATIONS_MS.length),
      20_000,
      250,
    );
    // The classic buckets are the mapping's; the native histogram is finer than any of them.
    expect(await value(`gunicorn_request_duration_seconds_bucket{app="${APP}", le="0.5"}`)).toBe(0);
    expect(await value(`gunicorn_request_duration_seconds_bucket{app="${APP}", le="1.0"}`)).toBe(1000);
  });

  it('gives a p99 nearer the true p99 from the native histogram than from the classic buckets', async () => {
    const native = await value(`histogram_quantile(0.99, sum(gunicorn_request_duration_seconds{app="${APP}"}))`);
    const classic = await value(`histogram_quantile(0.99, sum by (le) (gunicorn_request_duration_seconds_bucket{app="${APP}"}))`);
    // Classic: linear within (0.5, 1], so 0.5 + 0.99 x 0.5 = 0.995 s for a true 0.535 s.
    expect(classic).toBeCloseTo(0.995, 6);
    expect(Math.abs(native - TRUE_P99)).toBeLessThan(Math.abs(classic - TRUE_P99));
    // A native bucket of statsd_exporter's default factor 1.1 is at most 10% wide.
    expect(Math.abs(native - TRUE_P99) / TRUE_P99).toBeLessThan(0.1);
  });
});
