// The metrics Gunicorn's Statsd logger sends (request triple, workers gauge, backlog, server log
// counters), as one small emitter over three layers: the lines (lines.ts, Gunicorn's bytes), the
// packing (packing.ts, how they share datagrams) and the socket (socket.ts, where they go).
import {
  backlogLine, type CountedLogLevel, durationHead, durationTail, formatMilliseconds, logLine,
  requestsLine, statusLine, tagsSuffix, workersLine,
} from './lines';
import type { StatsdOptions } from './options';
import { createPacking, type Releasable } from './packing';
import { createStatsdSocket, type StatsdSocketOptions } from './socket';

export interface GunicornStatsd {
  /** false when metrics are off (no --statsd-host): every method is then a no-op. */
  readonly enabled: boolean;
  /**
   * When the response ends: request.duration, requests, request.status.<code>, in that order.
   * `waiting` (the response's connection, held back) is released once the lines are in the kernel.
   */
  request(elapsedNanoseconds: bigint, status: number, waiting?: Releasable): void;
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

export interface GunicornStatsdOptions extends StatsdOptions, Pick<StatsdSocketOptions, 'warn' | 'info'> {
  /** Tuning (tests shorten the intervals, inject a resolver, fix the datagram size). */
  readonly tuning?: Partial<Pick<StatsdSocketOptions,
    'resolveIntervalMs' | 'retryIntervalMs' | 'recoveryQuietMs' | 'flushTimeoutMs' | 'lookup'>> & {
    /** Largest datagram `buffer` packing builds; defaults to what fits the path. */
    readonly maxDatagramBytes?: number;
  };
}

const DISABLED: GunicornStatsd = Object.freeze({
  enabled: false,
  request(_elapsed: bigint, _status: number, waiting?: Releasable) {
    waiting?.release();
  },
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
  const { maxDatagramBytes, ...socketTuning } = options.tuning ?? {};
  const socket = createStatsdSocket({ ...socketTuning, target: options.target, warn: options.warn, info: options.info });
  const packing = createPacking({
    mode: options.packing,
    // The path decides, once per datagram: a restarted exporter may come back at another address.
    maxDatagramBytes: maxDatagramBytes === undefined ? socket.maxDatagramBytes : () => maxDatagramBytes,
    send: socket.send,
  });
  // Every line is the prefix, ASCII text and the suffix, so its UTF-8 length is its length plus
  // what the prefix and the suffix add beyond one byte per character: worked out here once, so
  // the packing need not measure each line (the config admits only ASCII, which adds nothing).
  const bytesBeyondLength = Buffer.byteLength(prefix) - prefix.length + Buffer.byteLength(suffix) - suffix.length;
  const sendLine = (line: string): void => packing.add(line, line.length + bytesBeyondLength);

  // The triple is the duration's head, its value, and a tail that depends only on the status:
  // `|msT`, the requests line and the status line, joined by '\n'. Head and tails are built once
  // (a tail per status met, at most 900), so a request formats only its duration, and the packing
  // gets one text per request instead of three.
  const requests = requestsLine(prefix, suffix);
  const head = durationHead(prefix);
  const headBytes = Buffer.byteLength(head);
  const durationEnd = durationTail(suffix);
  interface TripleTail { readonly text: string; readonly bytes: number }
  const tails = new Map<number, TripleTail>();
  const tailOf = (status: number): TripleTail => {
    let tail = tails.get(status);
    if (tail === undefined) {
      const text = `${durationEnd}\n${requests}\n${statusLine(prefix, suffix, status)}`;
      tail = { text, bytes: Buffer.byteLength(text) };
      tails.set(status, tail);
    }
    return tail;
  };
  return {
    enabled: true,
    request(elapsedNanoseconds, status, waiting) {
      const tail = tailOf(status);
      const milliseconds = formatMilliseconds(elapsedNanoseconds);
      packing.add(`${head}${milliseconds}${tail.text}`, headBytes + milliseconds.length + tail.bytes, waiting);
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
    flush() {
      packing.drain();
      return socket.flush();
    },
    close() {
      packing.drain();
      return socket.close();
    },
  };
}
