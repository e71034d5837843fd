// The built app master (dist/main.js) sending its StatsD lines to a UDP socket on port 0, for the process tests of test/app/arbiter/master/.
import { LOOPBACK } from '../../harness/ports';
import { startApp, type App } from '../../harness/stack';
import { PREFIX } from './app-harness';
import { collectUdp, type UdpCollector } from '../../harness/udp';

export { PREFIX };

export interface Master {
  readonly app: App;
  readonly udp: UdpCollector;
}

/**
 * Starts the master with `workers` workers and fast demo routes; resolves once every worker has
 * booted and answered one GET / (so one request triple is already among the lines).
 */
export async function startMaster(args: readonly string[], workers = 2): Promise<Master> {
  const udp = await collectUdp();
  try {
    const app = await startApp(
      ['--statsd-host', `${LOOPBACK}:${udp.port}`, '--statsd-prefix', PREFIX, '--demo-delay-scale', '0.01', ...args],
      { workers },
    );
    return { app, udp };
  } catch (error) {
    await udp.close();
    throw error;
  }
}

/** Everything but the request triples: the workers gauge and the server log counters, in order. */
export function serverLines(udp: UdpCollector): string[] {
  return udp.lines().filter((line) => !/\.gunicorn\.(request\.|requests:)/.test(line));
}

export function gauge(count: number): string {
  return `${PREFIX}.gunicorn.workers:${count}|g`;
}

export function logCounter(level: 'critical' | 'error' | 'warning' | 'exception'): string {
  return `${PREFIX}.gunicorn.log.${level}:1|c|@1.0`;
}
