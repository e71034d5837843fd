// The app under test: createApp wired to a real GunicornStatsd that sends to a UDP socket on port 0.
import { PassThrough } from 'node:stream';
import type { Express } from 'express';
import { createApp, type AppDeps } from '../../app/src/http/app';
import { createServerLogger } from '../../app/src/logger';
import { createGunicornStatsd, type GunicornStatsd } from '../../app/src/statsd/gunicorn-statsd';
import { normalisePrefix } from '../../app/src/statsd/lines';
import { collectUdp, type UdpCollector } from '../../harness/udp';

export const PREFIX = 'svc.flask_app';
/** Python's float repr as Gunicorn prints a duration: digits, '.', digits. */
export const DURATION_VALUE = /^\d+\.\d+$/;

export interface Harness {
  readonly app: Express;
  readonly udp: UdpCollector;
  readonly metrics: GunicornStatsd;
  /** The server log (stderr in production). */
  serverLog(): string;
  close(): Promise<void>;
}

export async function harness(overrides: Partial<AppDeps> & { tags?: string } = {}): Promise<Harness> {
  const udp = await collectUdp();
  const metrics = createGunicornStatsd({
    target: { host: '127.0.0.1', port: udp.port },
    prefix: normalisePrefix(PREFIX),
    tags: overrides.tags ?? '',
    packing: 'line',
    warn: (message) => {
      throw new Error(`unexpected StatsD warning: ${message}`);
    },
  });
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const logger = createServerLogger({ level: 'info', metrics, stream, pid: 4242 });
  const app = createApp({
    metrics,
    logger,
    now: process.hrtime.bigint,
    date: () => new Date(),
    delayScale: 0,
    random: () => 0,
    ...overrides,
  });
  return {
    app,
    udp,
    metrics,
    serverLog: () => log,
    close: async () => {
      await metrics.close();
      await udp.close();
    },
  };
}

/** The lines with the duration value replaced by <D>, after checking it is printed as Python prints a float. */
export function masked(lines: readonly string[]): string[] {
  return lines.map((line) => {
    const match = /^(.*\.request\.duration:)([^|]*)(\|ms.*)$/.exec(line);
    if (!match) return line;
    if (!DURATION_VALUE.test(match[2])) throw new Error(`duration not printed as a Python float: ${line}`);
    return `${match[1]}<D>${match[3]}`;
  });
}

/** Gunicorn's triple for one request, duration masked. */
export function triple(status: number, suffix = ''): string[] {
  return [
    `${PREFIX}.gunicorn.request.duration:<D>|ms${suffix}`,
    `${PREFIX}.gunicorn.requests:1|c|@1.0${suffix}`,
    `${PREFIX}.gunicorn.request.status.${status}:1|c|@1.0${suffix}`,
  ];
}
