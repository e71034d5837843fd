// The server log: Gunicorn's line format, the level filter, and which levels send gunicorn.log.<level>.
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LogLevel } from '../../app/src/config';
import { createServerLogger, createUncountedLog, formatLogLine } from '../../app/src/logger';
import { createGunicornStatsd, type GunicornStatsd } from '../../app/src/statsd/gunicorn-statsd';
import { normalisePrefix } from '../../app/src/statsd/lines';
import { collectUdp, type UdpCollector } from '../../harness/udp';

const originalTz = process.env.TZ;
afterAll(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const NOV_25_2026_1930_UTC = new Date(Date.UTC(2026, 10, 25, 19, 30, 0));

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

/** Records metrics.log() calls without a socket. */
function spyMetrics(): { metrics: Pick<GunicornStatsd, 'log'>; counted: string[] } {
  const counted: string[] = [];
  return { metrics: { log: (level) => counted.push(level) }, counted };
}

describe('line format: Gunicorn\'s "%(asctime)s [%(process)d] [%(levelname)s] %(message)s", datefmt "[%Y-%m-%d %H:%M:%S %z]"', () => {
  // Expected lines produced by Python's logging.Formatter with Gunicorn's format strings, for the
  // same instant and TZ, and pasted here.
  it.each([
    ['UTC', 'UTC', '[2026-11-25 19:30:00 +0000] [1234] [INFO] hello'],
    ['positive offset with minutes', 'Asia/Kolkata', '[2026-11-26 01:00:00 +0530] [1234] [INFO] hello'],
    ['negative offset', 'America/New_York', '[2026-11-25 14:30:00 -0500] [1234] [INFO] hello'],
  ])('%s (TZ=%s)', (_name, tz, expected) => {
    process.env.TZ = tz;
    expect(formatLogLine(NOV_25_2026_1930_UTC, 1234, 'info', 'hello')).toBe(expected);
  });

  it.each([
    ['debug', 'DEBUG'],
    ['info', 'INFO'],
    ['warning', 'WARNING'],
    ['error', 'ERROR'],
    ['critical', 'CRITICAL'],
  ] as const)('%s is written as [%s]', (method, levelName) => {
    process.env.TZ = 'UTC';
    const out = capture();
    const { metrics } = spyMetrics();
    const logger = createServerLogger({ level: 'debug', metrics, stream: out.stream, pid: 42, now: () => NOV_25_2026_1930_UTC });
    logger[method]('Booting worker with pid: 43');
    expect(out.text()).toBe(`[2026-11-25 19:30:00 +0000] [42] [${levelName}] Booting worker with pid: 43\n`);
  });

  it('exception is an ERROR line followed by the stack', () => {
    process.env.TZ = 'UTC';
    const out = capture();
    const { metrics } = spyMetrics();
    const logger = createServerLogger({ level: 'info', metrics, stream: out.stream, pid: 42, now: () => NOV_25_2026_1930_UTC });
    const error = new Error('boom');
    logger.exception('Error handling request /cpu_task', error);
    expect(out.text()).toBe(`[2026-11-25 19:30:00 +0000] [42] [ERROR] Error handling request /cpu_task\n${error.stack}\n`);
  });
});

describe('level filter decides what is written, never what is counted (as Gunicorn\'s Statsd logger)', () => {
  const calls = (logger: ReturnType<typeof createServerLogger>) => {
    logger.debug('d');
    logger.info('i');
    logger.warning('w');
    logger.error('e');
    logger.critical('c');
    logger.exception('x');
  };

  it.each([
    ['debug', ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'ERROR']],
    ['info', ['INFO', 'WARNING', 'ERROR', 'CRITICAL', 'ERROR']],
    ['warning', ['WARNING', 'ERROR', 'CRITICAL', 'ERROR']],
    ['error', ['ERROR', 'CRITICAL', 'ERROR']],
    ['critical', ['CRITICAL']],
  ] as [LogLevel, string[]][])('--log-level %s writes %j and still counts all four', (level, written) => {
    const out = capture();
    const { metrics, counted } = spyMetrics();
    calls(createServerLogger({ level, metrics, stream: out.stream }));
    const levels = out.text().trim().split('\n').map((line) => /^\[[^\]]+\] \[\d+\] \[(\w+)\] /.exec(line)?.[1]);
    expect(levels).toEqual(written);
    expect(counted).toEqual(['warning', 'error', 'critical', 'exception']);
  });

  it('the uncounted log (StatsD outage messages) writes but never counts', () => {
    const out = capture();
    const { counted } = spyMetrics();
    const log = createUncountedLog({ stream: out.stream, pid: 7 });
    log.warn('statsd: cannot send');
    log.info('statsd: sending again');
    expect(out.text()).toMatch(/^\[[^\]]+\] \[7\] \[WARNING\] statsd: cannot send\n\[[^\]]+\] \[7\] \[INFO\] statsd: sending again\n$/);
    expect(counted).toEqual([]);
  });

  it('the uncounted log honours the level too', () => {
    const out = capture();
    const log = createUncountedLog({ level: 'error', stream: out.stream });
    log.warn('hidden');
    log.info('hidden');
    expect(out.text()).toBe('');
  });
});

describe('counter lines on a real UDP socket', () => {
  let udp: UdpCollector;
  let statsd: GunicornStatsd;
  afterEach(async () => {
    await statsd.close();
    await udp.close();
  });

  it('critical/error/warning/exception send gunicorn.log.<level> after writing; debug/info send nothing', async () => {
    udp = await collectUdp();
    statsd = createGunicornStatsd({
      target: { host: '127.0.0.1', port: udp.port }, prefix: normalisePrefix('flask_app'), tags: 'env:test', packing: 'line',
      warn: () => {},
    });
    const out = capture();
    const logger = createServerLogger({ level: 'info', metrics: statsd, stream: out.stream });
    logger.debug('d');
    logger.info('Listening at: http://127.0.0.1:8000');
    logger.critical('WORKER TIMEOUT (pid:12)');
    logger.error('Connection in use: (\'127.0.0.1\', 8000)');
    logger.warning('Worker with pid 12 was terminated due to signal 15');
    logger.exception('Error handling request /', new Error('boom'));
    await statsd.flush();
    const lines = await udp.waitFor((received) => received.length === 4);
    expect(lines).toEqual([
      'flask_app.gunicorn.log.critical:1|c|@1.0|#env:test',
      'flask_app.gunicorn.log.error:1|c|@1.0|#env:test',
      'flask_app.gunicorn.log.warning:1|c|@1.0|#env:test',
      'flask_app.gunicorn.log.exception:1|c|@1.0|#env:test',
    ]);
  });
});
