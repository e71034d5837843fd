// The committed mapping (etc/statsd-exporter/statsd.conf) in a real statsd_exporter: Gunicorn's exact
// lines go in over UDP, one per datagram, and each row asserts the exact series, labels and values
// that come out of /metrics. Rows use disjoint series, so each can be read on its own.
import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from '../../harness/ports';
import { parseExposition, type Sample } from '../../harness/prometheus-api';
import { stopAll } from '../../harness/processes';
import { startStatsdExporter, type StatsdExporter } from '../../harness/stack';

type Labels = Record<string, string>;
/** A series and its value; `undefined` means the series must not exist. */
type Expected = [name: string, labels: Labels, value: number | undefined];

interface Row {
  case: string;
  lines: string[];
  expect: Expected[];
}

const DURATION_BUCKETS = ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

const rows: Row[] = [
  // --- the app label, from every shape of prefix ---
  {
    case: 'no prefix: gunicorn.requests counts under app="unprefixed"',
    lines: ['gunicorn.requests:1|c|@1.0', 'gunicorn.requests:1|c|@1.0', 'gunicorn.requests:1|c|@1.0'],
    expect: [['gunicorn_requests_total', { app: 'unprefixed' }, 3]],
  },
  {
    case: 'one-segment prefix: flask_app.gunicorn.requests counts under app="flask_app"',
    lines: ['flask_app.gunicorn.requests:1|c|@1.0', 'flask_app.gunicorn.requests:1|c|@1.0'],
    expect: [['gunicorn_requests_total', { app: 'flask_app' }, 2]],
  },
  {
    case: 'dotted prefix: svc.flask_app.gunicorn.requests counts under app="svc.flask_app"',
    lines: ['svc.flask_app.gunicorn.requests:1|c|@1.0'],
    expect: [['gunicorn_requests_total', { app: 'svc.flask_app' }, 1]],
  },
  {
    case: 'one-character prefix quirk: xgunicorn.requests counts under app="x"',
    lines: ['xgunicorn.requests:1|c|@1.0'],
    expect: [['gunicorn_requests_total', { app: 'x' }, 1]],
  },
  {
    case: 'dogstatsd tags become labels beside app, in a series of their own',
    lines: ['gunicorn.requests:1|c|@1.0|#env:prod', 'flask_app.gunicorn.requests:1|c|@1.0|#env:prod,region:eu'],
    expect: [
      ['gunicorn_requests_total', { app: 'unprefixed', env: 'prod' }, 1],
      ['gunicorn_requests_total', { app: 'flask_app', env: 'prod', region: 'eu' }, 1],
    ],
  },
  // --- responses by status ---
  {
    case: 'no prefix: the status code becomes the status label',
    lines: ['gunicorn.request.status.200:1|c|@1.0', 'gunicorn.request.status.200:1|c|@1.0', 'gunicorn.request.status.404:1|c|@1.0'],
    expect: [
      ['gunicorn_responses_total', { app: 'unprefixed', status: '200' }, 2],
      ['gunicorn_responses_total', { app: 'unprefixed', status: '404' }, 1],
    ],
  },
  {
    case: 'one-segment prefix with tags: status, app and tag labels',
    lines: ['flask_app.gunicorn.request.status.500:1|c|@1.0|#env:prod'],
    expect: [['gunicorn_responses_total', { app: 'flask_app', status: '500', env: 'prod' }, 1]],
  },
  {
    case: 'dotted prefix: status under app="svc.flask_app"',
    lines: ['svc.flask_app.gunicorn.request.status.301:1|c|@1.0'],
    expect: [['gunicorn_responses_total', { app: 'svc.flask_app', status: '301' }, 1]],
  },
  // --- request duration: milliseconds in, a histogram in seconds out ---
  {
    case: 'no prefix: 205.903 ms is observed as 0.205903 s, in le="0.25" and not le="0.1"',
    lines: ['gunicorn.request.duration:205.903|ms'],
    expect: [
      ['gunicorn_request_duration_seconds_bucket', { app: 'unprefixed', le: '0.1' }, 0],
      ['gunicorn_request_duration_seconds_bucket', { app: 'unprefixed', le: '0.25' }, 1],
      ['gunicorn_request_duration_seconds_sum', { app: 'unprefixed' }, 0.205903],
      ['gunicorn_request_duration_seconds_count', { app: 'unprefixed' }, 1],
    ],
  },
  {
    case: 'one-segment prefix: 1000.0 ms sits exactly on the le="1" bound and counts there',
    lines: ['flask_app.gunicorn.request.duration:1000.0|ms'],
    expect: [
      ['gunicorn_request_duration_seconds_bucket', { app: 'flask_app', le: '0.5' }, 0],
      ['gunicorn_request_duration_seconds_bucket', { app: 'flask_app', le: '1' }, 1],
      ['gunicorn_request_duration_seconds_sum', { app: 'flask_app' }, 1],
    ],
  },
  {
    case: 'dotted prefix with tags: 1016.0360000000001 ms (float noise) lands in le="2.5"',
    lines: ['svc.flask_app.gunicorn.request.duration:1016.0360000000001|ms|#env:prod'],
    expect: [
      ['gunicorn_request_duration_seconds_bucket', { app: 'svc.flask_app', env: 'prod', le: '1' }, 0],
      ['gunicorn_request_duration_seconds_bucket', { app: 'svc.flask_app', env: 'prod', le: '2.5' }, 1],
      ['gunicorn_request_duration_seconds_sum', { app: 'svc.flask_app', env: 'prod' }, 1.016036],
    ],
  },
  {
    case: 'one-character prefix: 0.16 ms lands in the first bucket, le="0.001"',
    lines: ['xgunicorn.request.duration:0.16|ms'],
    expect: [['gunicorn_request_duration_seconds_bucket', { app: 'x', le: '0.001' }, 1]],
  },
  // --- workers gauge ---
  {
    case: 'one-segment prefix: the workers gauge holds the last value sent',
    lines: ['flask_app.gunicorn.workers:2|g', 'flask_app.gunicorn.workers:3|g'],
    expect: [['gunicorn_workers', { app: 'flask_app' }, 3]],
  },
  {
    case: 'no prefix and dotted prefix with tags: one workers gauge per app',
    lines: ['gunicorn.workers:1|g', 'svc.flask_app.gunicorn.workers:4|g|#env:prod'],
    expect: [
      ['gunicorn_workers', { app: 'unprefixed' }, 1],
      ['gunicorn_workers', { app: 'svc.flask_app', env: 'prod' }, 4],
    ],
  },
  // --- server log counters ---
  {
    case: 'dotted prefix: each server log level Gunicorn sends becomes the level label',
    lines: [
      'svc.flask_app.gunicorn.log.critical:1|c|@1.0',
      'svc.flask_app.gunicorn.log.critical:1|c|@1.0',
      'svc.flask_app.gunicorn.log.error:1|c|@1.0',
      'svc.flask_app.gunicorn.log.warning:1|c|@1.0',
      'svc.flask_app.gunicorn.log.exception:1|c|@1.0',
    ],
    expect: [
      ['gunicorn_log_events_total', { app: 'svc.flask_app', level: 'critical' }, 2],
      ['gunicorn_log_events_total', { app: 'svc.flask_app', level: 'error' }, 1],
      ['gunicorn_log_events_total', { app: 'svc.flask_app', level: 'warning' }, 1],
      ['gunicorn_log_events_total', { app: 'svc.flask_app', level: 'exception' }, 1],
    ],
  },
  {
    case: 'no prefix with tags: log.exception counts under app="unprefixed"',
    lines: ['gunicorn.log.exception:1|c|@1.0|#env:prod'],
    expect: [['gunicorn_log_events_total', { app: 'unprefixed', level: 'exception', env: 'prod' }, 1]],
  },
  // --- backlog ---
  {
    case: 'backlog |h values are connection counts, not divided by 1000',
    lines: ['flask_app.gunicorn.backlog:3|h', 'gunicorn.backlog:0|h'],
    expect: [
      ['gunicorn_backlog_connections_bucket', { app: 'flask_app', le: '2' }, 0],
      ['gunicorn_backlog_connections_bucket', { app: 'flask_app', le: '5' }, 1],
      ['gunicorn_backlog_connections_sum', { app: 'flask_app' }, 3],
      ['gunicorn_backlog_connections_bucket', { app: 'unprefixed', le: '0' }, 1],
    ],
  },
  // --- lines the mapping does not know ---
  {
    case: 'unknown level, non-numeric status and wrong type stay unmapped under their raw names',
    lines: ['flask_app.gunicorn.log.info:1|c|@1.0', 'gunicorn.request.status.abc:1|c|@1.0', 'other.gunicorn.requests:5|g'],
    expect: [
      ['flask_app_gunicorn_log_info', {}, 1],
      ['gunicorn_log_events_total', { app: 'flask_app', level: 'info' }, undefined],
      ['gunicorn_request_status_abc', {}, 1],
      ['other_gunicorn_requests', {}, 5],
      ['gunicorn_requests_total', { app: 'other' }, undefined],
    ],
  },
];

/** The value of the series with exactly this name and label set, if it exists. */
function valueOf(samples: Sample[], name: string, labels: Labels): number | undefined {
  return samples.find(({ metric: { __name__, ...rest } }) => {
    const keys = Object.keys(rest);
    return __name__ === name && keys.length === Object.keys(labels).length && keys.every((key) => rest[key] === labels[key]);
  })?.value;
}

/** 1016.0360000000001 ms / 1000 is not exactly 1.016036: compare to nine places. */
function rounded(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 1e9) / 1e9;
}

function total(samples: Sample[], name: string): number {
  return samples.filter((sample) => sample.metric.__name__ === name).reduce((sum, sample) => sum + sample.value, 0);
}

/** Lines the exporter has finished with: applied, clashed, discarded or rejected as malformed. */
function linesHandled(samples: Sample[]): number {
  return ['statsd_exporter_events_total', 'statsd_exporter_events_conflict_total', 'statsd_exporter_events_error_total', 'statsd_exporter_sample_errors_total']
    .reduce((sum, name) => sum + total(samples, name), 0);
}

describe('statsd_exporter with the committed mapping', () => {
  // Awaited by every test rather than in beforeAll, so that a missing binary fails each test
  // instead of leaving them reported as skipped.
  let exporter: Promise<StatsdExporter>;
  let socket: dgram.Socket;

  const scrape = async (): Promise<Sample[]> => {
    const response = await fetch(`${(await exporter).url}/metrics`);
    expect(response.status).toBe(200);
    return parseExposition(await response.text());
  };

  /** Sends each line as its own datagram, as Gunicorn does; resolves once the exporter has handled them all. */
  const send = async (lines: string[]): Promise<Sample[]> => {
    const before = linesHandled(await scrape());
    const { statsdPort } = await exporter;
    for (const line of lines) {
      await new Promise<void>((resolve, reject) =>
        socket.send(line, statsdPort, LOOPBACK, (error) => (error ? reject(error) : resolve())),
      );
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      const samples = await scrape();
      if (linesHandled(samples) >= before + lines.length) return samples;
      if (Date.now() > deadline) throw new Error(`the exporter handled ${linesHandled(samples) - before} of ${lines.length} lines`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(() => {
    exporter = startStatsdExporter();
    exporter.catch(() => undefined);
    socket = dgram.createSocket('udp4');
  });

  afterAll(async () => {
    socket.close();
    await (await exporter.catch(() => undefined))?.stop();
    // Also an exporter that was spawned but never became ready.
    await stopAll();
  });

  it.each(rows)('$case', async (row) => {
    const valuesIn = (samples: Sample[]) =>
      row.expect.map(([name, labels]) => [name, labels, rounded(valueOf(samples, name, labels))]);
    await send(row.lines);
    // The exporter's own event counters can run ahead of a series it is still registering under CI
    // load: read again until the exact values appear (the same values, only later).
    await expect
      .poll(async () => valuesIn(await scrape()), { timeout: 5_000, interval: 100 })
      .toEqual(row.expect.map(([name, labels, value]) => [name, labels, rounded(value)]));
  });

  // As in the rows above, the event counters that send() waits for can run ahead of a series the
  // exporter is still registering: read again until the exact buckets appear.
  it('the duration histogram has exactly the buckets 1 ms … 10 s and +Inf', async () => {
    await send(['buckets.gunicorn.request.duration:3.0|ms']);
    const les = (samples: Sample[]) => samples
      .filter(({ metric }) => metric.__name__ === 'gunicorn_request_duration_seconds_bucket' && metric.app === 'buckets')
      .map(({ metric }) => metric.le);
    await expect.poll(async () => les(await scrape()), { timeout: 5_000, interval: 100 }).toEqual(DURATION_BUCKETS);
  });

  it('counts each unknown line in statsd_exporter_events_unmapped_total, and no known one', async () => {
    const before = total(await scrape(), 'statsd_exporter_events_unmapped_total');
    const samples = await send(['unmapped.gunicorn.log.debug:1|c|@1.0', 'unmapped.gunicorn.requests:1|c|@1.0']);
    expect(total(samples, 'statsd_exporter_events_unmapped_total') - before).toBe(1);
  });

  it('after every line above, none was malformed, clashed with another type or dropped', async () => {
    const samples = await scrape();
    expect({
      sampleErrors: total(samples, 'statsd_exporter_sample_errors_total'),
      conflicts: total(samples, 'statsd_exporter_events_conflict_total'),
      udpDrops: total(samples, 'statsd_exporter_udp_packet_drops_total'),
    }).toEqual({ sampleErrors: 0, conflicts: 0, udpDrops: 0 });
  });
});
