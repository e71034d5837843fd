// A real UDP socket standing in for the StatsD server: collects every datagram byte for byte.
import * as dgram from 'node:dgram';

export interface UdpCollector {
  readonly port: number;
  /** Each datagram received, as text, in arrival order. */
  readonly datagrams: string[];
  /** Every line received: datagrams split on "\n", as statsd_exporter splits them. */
  lines(): string[];
  /** Resolves with lines() once `predicate(lines())` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  clear(): void;
  close(): Promise<void>;
}

/**
 * Binds 127.0.0.1 on a free port unless told otherwise. `host`/`port` exist for tests that need two
 * listeners on one port at different loopback addresses (e.g. 127.0.0.2: a "moved" StatsD server).
 */
export function collectUdp(options: { host?: string; port?: number } = {}): Promise<UdpCollector> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const datagrams: string[] = [];
    const waiters = new Set<() => void>();
    socket.on('message', (message) => {
      datagrams.push(message.toString('utf8'));
      for (const waiter of waiters) waiter();
    });
    socket.once('error', reject);
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const lines = () => datagrams.flatMap((datagram) => datagram.split('\n'));
      resolve({
        port: socket.address().port,
        datagrams,
        lines,
        waitFor(predicate, timeoutMs = 10_000) {
          return new Promise((resolveWait, rejectWait) => {
            const check = () => {
              if (!predicate(lines())) return;
              clearTimeout(timer);
              waiters.delete(check);
              resolveWait(lines());
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rejectWait(new Error(`UDP condition not met within ${timeoutMs} ms; got:\n${lines().join('\n')}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        clear() {
          datagrams.length = 0;
        },
        close: () => new Promise((resolveClose) => socket.close(() => resolveClose())),
      });
    });
  });
}
