// Puts pre-formatted StatsD lines on the wire through hot-shots, and adds what hot-shots has no
// notion of: an outage (one warning when sending fails, one message when it works again), a
// connected socket that sees a closed port, a host name kept resolved in the background, lines
// that leave at the end of the event-loop turn (turn-packer.ts), and a close() that cannot hang.
//
// hot-shots (17.1.1, node_modules/hot-shots/lib) carries the bytes verbatim only through its raw
// send() with every Datadog feature off: `datadog: false` (else any DD_* variable switches it to
// DogStatsD mode, which appends |c:…/|e:…/|card:… fields), `includeDataDogTags: false` (else
// DD_TAGS, DD_ENV, DD_SERVICE, DD_VERSION and DD_ENTITY_ID become tags on every line),
// `includeDatadogTelemetry: false` (its own datadog.dogstatsd.client.* lines), no globalTags, and
// an explicit protocol (else DD_DOGSTATSD_URL, DD_DOGSTATSD_SOCKET, DD_AGENT_HOST and
// DD_DOGSTATSD_PORT choose the destination). Its buffer is off (`maxBufferSize: 0`): each send()
// is one datagram, and the `buffer` packing joins the lines before hot-shots sees them.
//
// hot-shots writes every datagram to a stream of ours (datagram-stream.ts) rather than to its own
// UDP socket, which is unconnected: Linux reports a closed port (ICMP port-unreachable) only to a
// connected socket, so with hot-shots' socket a stopped exporter would drop the lines without a
// word.
import { isIP } from 'node:net';
import type { Writable } from 'node:stream';
import StatsD, { type ClientOptions, type StatsD as StatsDClient } from 'hot-shots';
import type { Address } from '../address';
import { createDatagramStream, maxDatagramBytesTo } from './datagram-stream';
import type { StatsdOptions } from './options';
import { systemLookup, type Lookup } from './resolver';
import { createTurnPacker, type Releasable } from './turn-packer';

export interface TransportOptions extends Pick<StatsdOptions, 'packing'> {
  readonly target: Address;
  /** Called once when an outage starts (never per datagram). Must not count as a server log event. */
  readonly warn: (message: string) => void;
  /** Called once when sending works again after an outage; defaults to `warn`. */
  readonly info?: (message: string) => void;
  /** Look a host name up again this often, so a restarted exporter with a new address is found. */
  readonly resolveIntervalMs?: number;
  /** After a failed lookup or connect, try again at most this often (not once per line). */
  readonly retryIntervalMs?: number;
  /** An outage ends once sending has gone this long without an error. */
  readonly recoveryQuietMs?: number;
  /** Largest datagram `buffer` packing builds (a longer single line goes alone); defaults to what fits the path. */
  readonly maxDatagramBytes?: number;
  /** flush()/close() never wait longer than this. */
  readonly flushTimeoutMs?: number;
  /** Name resolution (an IPv4 address); defaults to the system resolver (getaddrinfo, so /etc/hosts counts). */
  readonly lookup?: Lookup;
}

export interface StatsdTransport {
  /**
   * Hands lines over for sending; never throws, never waits. `line`: one datagram per line, sent
   * now. `request`: the lines of one call in one datagram, sent now. `buffer`: joined with the
   * other lines of this event-loop turn, sent at its end (or sooner, once a datagram is full).
   * `bytes`, when the caller knows it, is the UTF-8 length of the lines joined with '\n': the
   * `buffer` packing then need not measure them. `waiting` is released once the lines are in
   * the kernel, lost to an outage, or dropped after close().
   */
  send(lines: readonly string[], bytes?: number, waiting?: Releasable): void;
  /** Resolves once every line given so far has been handed to the kernel (or lost to an outage). */
  flush(): Promise<void>;
  /** flush(), then release the socket; later sends are dropped. Idempotent. */
  close(): Promise<void>;
}

/** hot-shots' raw send(): the message verbatim plus global tags and Datadog fields (none here). */
interface RawSend {
  send(message: string, tags: undefined, cardinality: undefined, callback?: () => void): void;
}

// Defaults, with the reason for each value.
const RESOLVE_INTERVAL_MS = 5_000; // a lookup every 5 s is free, and a moved exporter is found soon
const RETRY_INTERVAL_MS = 1_000; // during an outage, look again every second at most, not per line
// A refusal trails its datagram, and a restarting container drops datagrams without a word while
// its network is down between two bursts of refusals (measured on Docker 20.10: 0.4-0.65 s on an
// idle machine, and 3-4 s on one busy with the whole test suite, where a 3 s period announced a
// recovery in the middle of a restart): only a quiet period longer than that gap proves the
// outage is over. The price is a "sending again" that comes 10 s after the fact.
const RECOVERY_QUIET_MS = 10_000;
const FLUSH_TIMEOUT_MS = 5_000; // shutdown must not hang on a resolver

export function createTransport(options: TransportOptions): StatsdTransport {
  const { target, packing, warn } = options;
  const info = options.info ?? warn;
  const flushTimeoutMs = options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS;
  const recoveryQuietMs = options.recoveryQuietMs ?? RECOVERY_QUIET_MS;
  const label = `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;

  // Outage state: one warning when it starts, one message when it ends.
  let down = false;
  let recoveryTimer: NodeJS.Timeout | null = null;
  function fail(error: unknown): void {
    if (recoveryTimer) {
      clearTimeout(recoveryTimer);
      recoveryTimer = null;
    }
    if (down) return;
    down = true;
    report(warn, `statsd: cannot send to ${label} (${describe(error)}); metric lines are dropped until it answers, retrying`);
  }
  /** Runs for every datagram handed to the kernel: nothing to do unless an outage is on. */
  function sent(): void {
    if (!down || recoveryTimer) return;
    recoveryTimer = setTimeout(() => {
      recoveryTimer = null;
      down = false;
      report(info, `statsd: sending to ${label} again`);
    }, recoveryQuietMs).unref();
  }

  const stream = createDatagramStream({
    target,
    resolveIntervalMs: options.resolveIntervalMs ?? RESOLVE_INTERVAL_MS,
    retryIntervalMs: options.retryIntervalMs ?? RETRY_INTERVAL_MS,
    lookup: options.lookup ?? systemLookup,
    onSent: sent,
    onError: fail,
  });

  const clientOptions: ClientOptions = {
    protocol: 'stream',
    stream: stream as unknown as Writable,
    datadog: false,
    includeDataDogTags: false,
    includeDatadogTelemetry: false,
    maxBufferSize: 0,
    errorHandler: fail,
  };
  const client = new StatsD(clientOptions) as StatsDClient & RawSend;

  /**
   * One datagram to hot-shots; metrics never break a request, so anything unexpected is an outage.
   * `sent` runs once the datagram is in the kernel or lost (the stream calls back in every case).
   */
  function sendDatagram(datagram: string, sent?: () => void): void {
    try {
      client.send(datagram, undefined, undefined, sent);
    } catch (error) {
      fail(error);
      sent?.();
    }
  }

  const maxDatagramBytes = options.maxDatagramBytes;
  const packer = packing === 'buffer'
    ? createTurnPacker({
      // The path decides, once per datagram: a restarted exporter may come back at another address.
      maxDatagramBytes: maxDatagramBytes === undefined ? () => maxDatagramBytesTo(stream.address) : () => maxDatagramBytes,
      send: sendDatagram,
    })
    : null;

  let closed = false;
  let closing: Promise<void> | null = null;

  function withTimeout(start: (done: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, flushTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        start(done);
      } catch (error) {
        fail(error);
        done();
      }
    });
  }

  return {
    send(lines, bytes, waiting) {
      if (closed || lines.length === 0) {
        waiting?.release();
        return;
      }
      if (packer) packer.add(lines, bytes ?? joinedBytes(lines), waiting);
      else if (packing === 'line') {
        // One socket sends in order: once the last line is in the kernel, so are the others.
        const last = lines.length - 1;
        for (let i = 0; i < last; i += 1) sendDatagram(lines[i]);
        sendDatagram(lines[last], waiting?.release);
      } else sendDatagram(lines.length === 1 ? lines[0] : lines.join('\n'), waiting?.release);
    },
    flush() {
      if (closed) return Promise.resolve();
      // This turn's lines go now; hot-shots' flush then waits for the datagrams still in flight.
      return withTimeout((done) => {
        packer?.drain();
        client.flush(done);
      });
    },
    close() {
      closing ??= withTimeout((done) => {
        closed = true;
        packer?.drain();
        // hot-shots' close() waits for the datagrams in flight, then destroys the stream.
        client.close(done);
      }).then(() => {
        if (recoveryTimer) clearTimeout(recoveryTimer);
        stream.destroy(); // when hot-shots' close() did not get that far in time
      });
      return closing;
    },
  };
}

/** The UTF-8 length of `lines` joined with '\n'. */
function joinedBytes(lines: readonly string[]): number {
  let bytes = lines.length - 1;
  for (const line of lines) bytes += Buffer.byteLength(line);
  return bytes;
}

/** The log callbacks run inside socket callbacks: one that throws must not crash the process. */
function report(log: (message: string) => void, message: string): void {
  try {
    log(message);
  } catch {
    // nothing sensible left to do with a message the logger refused
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // hot-shots wraps a socket error as "Error sending hot-shots message: Error: <original>".
  const message = error.message.replace(/^Error sending hot-shots message: (?:Error: )?/, '');
  const code = (error as NodeJS.ErrnoException).code;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
