// The metrics Gunicorn's Statsd logger sends (request triple, workers gauge, backlog, server log counters), as one small emitter.
import {
  backlogLine, type CountedLogLevel, durationLine, logLine, requestsLine, statusLine, tagsSuffix, workersLine,
} from './lines';
import type { StatsdOptions } from './options';
import { createTransport, type TransportOptions } from './transport';

export interface GunicornStatsd {
  /** false when metrics are off (no --statsd-host): every method is then a no-op. */
  readonly enabled: boolean;
  /** After the response completed: request.duration, requests, request.status.<code>, in that order. */
  request(elapsedNanoseconds: bigint, status: number): void;
  /** The master's live worker count. 0 (or less) sends nothing, as in Gunicorn. */
  workers(count: number): void;
  /** The master's sample of connections waiting in the listen sockets' accept queues. */
  backlog(connections: number): void;
  /** One server log event at a counted level (the server logger calls this). */
  log(level: CountedLogLevel): void;
  /** Resolves once every line so far has been handed to the kernel. */
  flush(): Promise<void>;
  /** flush(), then release the socket (at SIGTERM, so no line is lost). */
  close(): Promise<void>;
}

export interface GunicornStatsdOptions extends StatsdOptions, Pick<TransportOptions, 'warn' | 'info'> {
  /** Transport tuning (tests shorten the intervals, inject a resolver). */
  readonly transport?: Partial<Pick<TransportOptions,
    'resolveIntervalMs' | 'retryIntervalMs' | 'recoveryQuietMs' | 'maxDatagramBytes' | 'flushTimeoutMs' | 'lookup'>>;
}

const DISABLED: GunicornStatsd = Object.freeze({
  enabled: false,
  request() {},
  workers() {},
  backlog() {},
  log() {},
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
});

export function createGunicornStatsd(options: GunicornStatsdOptions): GunicornStatsd {
  if (options.target === null) return DISABLED;
  const { prefix } = options;
  const suffix = tagsSuffix(options.tags);
  const transport = createTransport({
    ...options.transport,
    target: options.target,
    packing: options.packing,
    warn: options.warn,
    info: options.info,
  });
  // Built once, not per request: the requests line never changes, and a status line only with
  // the status (at most 900 of them).
  const requests = requestsLine(prefix, suffix);
  const statusLines = new Map<number, string>();
  const statusOf = (status: number): string => {
    let line = statusLines.get(status);
    if (line === undefined) {
      line = statusLine(prefix, suffix, status);
      statusLines.set(status, line);
    }
    return line;
  };
  // Every line is the prefix, ASCII text and the suffix, so its UTF-8 length is its length plus
  // what the prefix and the suffix add beyond one byte per character: worked out here once, so
  // the packing need not measure each line (the config admits only ASCII, which adds nothing).
  const bytesBeyondLength = Buffer.byteLength(prefix) - prefix.length + Buffer.byteLength(suffix) - suffix.length;
  const bytesOf = (line: string): number => line.length + bytesBeyondLength;
  const sendLine = (line: string): void => transport.send([line], bytesOf(line));
  return {
    enabled: true,
    request(elapsedNanoseconds, status) {
      const duration = durationLine(prefix, suffix, elapsedNanoseconds);
      const statusCounter = statusOf(status);
      transport.send(
        [duration, requests, statusCounter],
        bytesOf(duration) + bytesOf(requests) + bytesOf(statusCounter) + 2,
      );
    },
    workers(count) {
      // Gunicorn's arbiter reports the count right after spawning, so its gauge is never 0 (its
      // Statsd.log would pass a 0 through); a 0 from our master could only be a transient between
      // a death and the replacement, and would draw a false "no workers" on the dashboard.
      if (count > 0) sendLine(workersLine(prefix, suffix, count));
    },
    backlog(connections) {
      sendLine(backlogLine(prefix, suffix, connections));
    },
    log(level) {
      sendLine(logLine(prefix, suffix, level));
    },
    flush: () => transport.flush(),
    close: () => transport.close(),
  };
}
