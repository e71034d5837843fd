// Puts pre-formatted StatsD lines on the wire through hot-shots, and adds what hot-shots has no
// notion of: an outage (one warning when sending fails, one message when it works again), a host
// name kept resolved in the background, lines that leave at the end of the event-loop turn, and a
// close() that cannot hang.
//
// hot-shots (17.1.1, node_modules/hot-shots/lib) carries the bytes verbatim only through its raw
// send() with every Datadog feature off: `datadog: false` (else any DD_* variable switches it to
// DogStatsD mode, which appends |c:…/|e:…/|card:… fields), `includeDataDogTags: false` (else
// DD_TAGS, DD_ENV, DD_SERVICE, DD_VERSION and DD_ENTITY_ID become tags on every line),
// `includeDatadogTelemetry: false` (its own datadog.dogstatsd.client.* lines), no globalTags, and
// an explicit protocol, host and port (else DD_DOGSTATSD_URL, DD_DOGSTATSD_SOCKET, DD_AGENT_HOST
// and DD_DOGSTATSD_PORT choose the destination).
//
// Its UDP socket is unconnected, so a closed port is not reported (Linux tells only a connected
// socket about ICMP port-unreachable): with nothing listening, lines are lost without a warning.
// What does surface: a name that does not resolve, no route, a datagram too large.
import { isIP } from 'node:net';
import StatsD, { type ClientOptions, type StatsD as StatsDClient } from 'hot-shots';
import type { Address } from '../address';
import type { StatsdOptions } from './options';
import { createResolver, systemLookup, type Lookup, type Resolver } from './resolver';

export interface TransportOptions extends Pick<StatsdOptions, 'packing' | 'flushIntervalMs'> {
  readonly target: Address;
  /** Called once when an outage starts (never per datagram). Must not count as a server log event. */
  readonly warn: (message: string) => void;
  /** Called once when sending works again after an outage; defaults to `warn`. */
  readonly info?: (message: string) => void;
  /** Look a host name up again this often, so a restarted exporter with a new address is found. */
  readonly resolveIntervalMs?: number;
  /** After a failed lookup, look again at most this often (not once per line). */
  readonly retryIntervalMs?: number;
  /** Largest datagram `buffer` packing builds (a longer single line goes alone). */
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
   * other lines of this event-loop turn, sent at its end.
   */
  send(lines: readonly string[]): void;
  /** Resolves once every line given so far has been handed to the kernel (or lost to an outage). */
  flush(): Promise<void>;
  /** flush(), then release the socket; later sends are dropped. Idempotent. */
  close(): Promise<void>;
}

/** hot-shots' raw send(): the message verbatim plus global tags and Datadog fields (none here). */
interface RawSend {
  send(message: string, tags: undefined, cardinality: undefined, callback?: (error?: Error) => void): void;
  /** Its buffer (the `bufferHolder` option's shape): whether a flush will send anything. */
  readonly bufferHolder: { readonly buffer: string };
}

// Defaults, with the reason for each value.
const RESOLVE_INTERVAL_MS = 5_000; // a lookup every 5 s is free, and a moved exporter is found soon
const RETRY_INTERVAL_MS = 1_000; // during an outage, look again every second at most, not per line
const MAX_DATAGRAM_BYTES = 1432; // fits a 1500-byte MTU with IPv4/IPv6 and tunnel headers to spare
const FLUSH_TIMEOUT_MS = 5_000; // shutdown must not hang on a resolver

export function createTransport(options: TransportOptions): StatsdTransport {
  const { target, packing, warn } = options;
  const info = options.info ?? warn;
  const flushTimeoutMs = options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS;
  const literalFamily = isIP(target.host);
  const label = `${literalFamily === 6 ? `[${target.host}]` : target.host}:${target.port}`;

  // Outage state: one warning when it starts, one message when it ends.
  let down = false;
  function fail(error: unknown): void {
    if (down) return;
    down = true;
    report(warn, `statsd: cannot send to ${label} (${describe(error)}); metric lines are dropped until it answers, retrying`);
  }
  function succeeded(): void {
    if (!down) return;
    down = false;
    report(info, `statsd: sending to ${label} again`);
  }
  /** One function for every send's outcome, not a closure per datagram. */
  const sent = (error?: Error | null): void => {
    if (error) fail(error);
    else succeeded();
  };

  const resolver: Resolver | null = literalFamily === 0
    ? createResolver({
      host: target.host,
      refreshIntervalMs: options.resolveIntervalMs ?? RESOLVE_INTERVAL_MS,
      retryIntervalMs: options.retryIntervalMs ?? RETRY_INTERVAL_MS,
      lookup: options.lookup ?? systemLookup,
    })
    : null;

  const buffered = packing === 'buffer';
  const clientOptions: ClientOptions = {
    protocol: 'udp',
    host: target.host,
    port: target.port,
    datadog: false,
    includeDataDogTags: false,
    includeDatadogTelemetry: false,
    maxBufferSize: buffered ? options.maxDatagramBytes ?? MAX_DATAGRAM_BYTES : 0,
    bufferFlushInterval: options.flushIntervalMs,
    errorHandler: fail,
    // hot-shots picks udp6 for an IPv6 literal itself; a name is sent to its IPv4 address.
    udpSocketOptions: resolver
      ? { type: 'udp4', lookup: resolver.dgramLookup as never }
      : { type: literalFamily === 6 ? 'udp6' : 'udp4' },
  };
  const client = new StatsD(clientOptions) as StatsDClient & RawSend;

  // `buffer` packing: hot-shots' buffer joins the lines and sends a datagram whenever the next line
  // would not fit; what remains leaves at the end of the turn in which it was queued, so a worker
  // killed right after a response has already sent that response's lines (a timer would hold
  // them for its interval), and at saturation a turn still serves many requests per datagram.
  let flushScheduled = false;
  /** Sends the buffer; `then` runs once the datagrams in flight have been handed to the kernel. */
  function sendBuffer(then?: () => void): void {
    // An empty flush reports success too, which must not end an outage (hot-shots' own periodic
    // flush may have sent the lines already).
    const sendsSomething = client.bufferHolder.buffer !== '';
    client.flush((error) => {
      if (error) fail(error);
      else if (sendsSomething) succeeded();
      then?.();
    });
  }
  const flushTurn = (): void => {
    flushScheduled = false;
    try {
      // Only an outage needs to hear how the datagram went (to end it); otherwise send and forget:
      // errors still reach errorHandler.
      if (down) sendBuffer();
      else client.flush();
    } catch (error) {
      fail(error);
    }
  };

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
    send(lines) {
      if (closed || lines.length === 0) return;
      try {
        if (packing === 'line') {
          for (const line of lines) client.send(line, undefined, undefined, sent);
          return;
        }
        const message = lines.length === 1 ? lines[0] : lines.join('\n');
        if (!buffered) {
          client.send(message, undefined, undefined, sent);
          return;
        }
        client.send(message, undefined, undefined);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushTurn);
        }
      } catch (error) {
        // Metrics never break a request; anything unexpected is an outage like any other.
        fail(error);
      }
    },
    flush() {
      if (closed) return Promise.resolve();
      // Every queued line is in hot-shots' buffer; its flush sends it and waits for the datagrams
      // still in flight.
      return withTimeout((done) => sendBuffer(done));
    },
    close() {
      closing ??= withTimeout((done) => {
        closed = true;
        // hot-shots' close() sends what its buffer holds and waits for the datagrams in flight.
        client.close((error) => {
          if (error) fail(error);
          done();
        });
      }).then(() => resolver?.stop());
      return closing;
    },
  };
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
