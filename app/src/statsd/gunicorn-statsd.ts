// The metrics Gunicorn's Statsd logger sends (request triple, workers gauge, backlog, server log counters), as one small emitter.
import { maxDatagramBytesTo } from './datagram-stream';
import {
  backlogLine, type CountedLogLevel, durationHead, durationTail, formatMilliseconds, logLine,
  requestsLine, statusLine, tagsSuffix, workersLine,
} from './lines';
import type { StatsdOptions } from './options';
import { createTransport, type TransportOptions } from './transport';
import type { Releasable } from './turn-packer';

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

export interface GunicornStatsdOptions extends StatsdOptions, Pick<TransportOptions, 'warn' | 'info'> {
  /** Transport tuning (tests shorten the intervals, inject a resolver). */
  readonly transport?: Partial<Pick<TransportOptions,
    'resolveIntervalMs' | 'retryIntervalMs' | 'recoveryQuietMs' | 'maxDatagramBytes' | 'flushTimeoutMs' | 'lookup'>>;
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
  const transport = createTransport({
    ...options.transport,
    target: options.target,
    packing: options.packing,
    warn: options.warn,
    info: options.info,
  });
  // Every line is the prefix, ASCII text and the suffix, so its UTF-8 length is its length plus
  // what the prefix and the suffix add beyond one byte per character: worked out here once, so
  // the packing need not measure each line (the config admits only ASCII, which adds nothing).
  const bytesBeyondLength = Buffer.byteLength(prefix) - prefix.length + Buffer.byteLength(suffix) - suffix.length;
  const bytesOf = (line: string): number => line.length + bytesBeyondLength;
  const sendLine = (line: string): void => transport.send([line], bytesOf(line));

  // The triple is the duration's head, its value, and a tail that depends only on the status:
  // `|msT`, the requests line and the status line, joined by '\n'. Head and tails are built once
  // (a tail per status met, at most 900), so a request formats only its duration.
  const requests = requestsLine(prefix, suffix);
  const head = durationHead(prefix);
  const headBytes = Buffer.byteLength(head);
  const durationEnd = durationTail(suffix);
  interface TripleTail { readonly statusLine: string; readonly text: string; readonly bytes: number }
  const tails = new Map<number, TripleTail>();
  const tailOf = (status: number): TripleTail => {
    let tail = tails.get(status);
    if (tail === undefined) {
      const line = statusLine(prefix, suffix, status);
      const text = `${durationEnd}\n${requests}\n${line}`;
      tail = { statusLine: line, text, bytes: Buffer.byteLength(text) };
      tails.set(status, tail);
    }
    return tail;
  };
  // A triple travels as one text, so packing joins one string per request instead of three;
  // one that would not fit the smallest datagram (very long tags) goes as three lines, which the
  // packing may then spread over datagrams.
  const wholeTripleBytes = maxDatagramBytesTo(null);
  const sendsLines = options.packing === 'line';
  return {
    enabled: true,
    request(elapsedNanoseconds, status, waiting) {
      const tail = tailOf(status);
      const milliseconds = formatMilliseconds(elapsedNanoseconds);
      const bytes = headBytes + milliseconds.length + tail.bytes;
      if (!sendsLines && bytes <= wholeTripleBytes) {
        transport.send([`${head}${milliseconds}${tail.text}`], bytes, waiting);
        return;
      }
      transport.send([`${head}${milliseconds}${durationEnd}`, requests, tail.statusLine], bytes, waiting);
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
