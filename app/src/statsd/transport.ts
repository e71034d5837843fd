// UDP delivery of pre-formatted StatsD lines: packing into datagrams, DNS (re-)resolution, one warning per outage, flush/close.
//
// Why node:dgram and not hot-shots (17.1.1, read in node_modules/hot-shots/lib/{statsd,transport}.js):
// - "No listener" would go unseen. hot-shots' UDP transport sends on an unconnected socket
//   (socket.send(buf, port, host)); Linux reports ICMP port-unreachable only to a *connected* UDP
//   socket, so ECONNREFUSED never surfaces. Here the socket is connected, and the refusal arrives
//   as an 'error' event (syscall recvmsg) right after the datagram that hit the closed port.
// - No notion of an outage: its errorHandler is called once per failed datagram, with no recovery
//   signal. "Warn once per outage, say once when it works again" would have to be rebuilt on top.
// - Name resolution: for a host name, without cacheDns every datagram does its own dns.lookup (a
//   libuv threadpool job per line under load); with cacheDns the address is kept for a fixed TTL
//   even while sends to it fail, and a failed lookup goes to errorHandler once per line.
// - Byte-exactness is only safe through an undocumented internal: the public send paths append
//   global tags taken from DD_TAGS/DD_ENV/DD_SERVICE/DD_VERSION (unless includeDataDogTags: false)
//   and, when any DD_* agent variable is set, DogStatsD extension fields (|c:…, |card:…); only
//   Client.prototype.sendMessage() writes a string verbatim.
// What hot-shots would add here (a size/interval buffer, a flush callback) is ~40 lines below.
import * as dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Address, StatsdPacking } from '../config';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface TransportOptions {
  readonly target: Address;
  readonly packing: StatsdPacking;
  /** `buffer` packing: the longest a line waits before its datagram is sent. */
  readonly flushIntervalMs: number;
  /** Called once when an outage starts (never per datagram). Must not count as a server log event. */
  readonly warn: (message: string) => void;
  /** Called once when sending works again after an outage; defaults to `warn`. */
  readonly info?: (message: string) => void;
  /** Re-resolve a host name this often, so a restarted exporter with a new address is found. */
  readonly resolveIntervalMs?: number;
  /** While failing, re-resolve at most this often (errors trigger it). */
  readonly retryIntervalMs?: number;
  /** An outage ends once a send has gone this long without a following error. */
  readonly recoveryQuietMs?: number;
  /** Largest datagram built by `request`/`buffer` packing (a longer single line goes alone). */
  readonly maxDatagramBytes?: number;
  /** flush()/close() never wait longer than this (e.g. for a hanging DNS lookup). */
  readonly flushTimeoutMs?: number;
  /** Name resolution; defaults to the system resolver (getaddrinfo, so /etc/hosts counts). */
  readonly lookup?: (hostname: string) => Promise<ResolvedAddress>;
}

export interface StatsdTransport {
  /** Hands lines over for sending; never throws, never waits. In `request` packing the lines of one call share a datagram. */
  send(lines: readonly string[]): void;
  /** Resolves once every line given so far has been handed to the kernel (or dropped by an outage). */
  flush(): Promise<void>;
  /** flush(), then release the socket; later sends are dropped. Idempotent. */
  close(): Promise<void>;
}

// Defaults, with the reason for each value.
const RESOLVE_INTERVAL_MS = 30_000; // compose restarts are rare; a lookup every 30 s is free
const RETRY_INTERVAL_MS = 1_000; // during an outage, look again every second at most, not per line
const RECOVERY_QUIET_MS = 1_000; // ICMP errors trail the datagram: only a quiet second proves recovery
const MAX_DATAGRAM_BYTES = 1432; // fits a 1500-byte MTU with IPv4/IPv6 and tunnel headers to spare
const FLUSH_TIMEOUT_MS = 5_000; // shutdown must not hang on a resolver
const MAX_PENDING_DATAGRAMS = 1024; // lines kept while the first lookup runs; beyond that, dropped

interface Endpoint {
  readonly socket: dgram.Socket;
  readonly address: string;
  inFlight: number;
  retired: boolean;
}

export async function defaultLookup(hostname: string): Promise<ResolvedAddress> {
  // Prefer IPv4 like Gunicorn's AF_INET socket does; fall back to IPv6 for v6-only names.
  const all = await dnsLookup(hostname, { all: true });
  const chosen = all.find((entry) => entry.family === 4) ?? all[0];
  if (!chosen) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

export function createTransport(options: TransportOptions): StatsdTransport {
  const { target, packing, flushIntervalMs, warn } = options;
  const info = options.info ?? warn;
  const resolveIntervalMs = options.resolveIntervalMs ?? RESOLVE_INTERVAL_MS;
  const retryIntervalMs = options.retryIntervalMs ?? RETRY_INTERVAL_MS;
  const recoveryQuietMs = options.recoveryQuietMs ?? RECOVERY_QUIET_MS;
  const maxDatagramBytes = options.maxDatagramBytes ?? MAX_DATAGRAM_BYTES;
  const flushTimeoutMs = options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS;
  const lookup = options.lookup ?? defaultLookup;
  const literalFamily = isIP(target.host);
  const label = `${literalFamily === 6 ? `[${target.host}]` : target.host}:${target.port}`;

  let endpoint: Endpoint | null = null;
  let resolving: Promise<void> | null = null;
  let lastResolveAt = -Infinity;
  const pending: Buffer[] = [];
  let closed = false;
  let closing: Promise<void> | null = null;

  // Outage state: one warning when it starts, one message when it ends.
  let down = false;
  let recoveryTimer: NodeJS.Timeout | null = null;

  // `buffer` packing.
  let buffer = '';
  // Kept alongside, so a line costs one byteLength of itself, not of the whole buffer.
  let bufferBytes = 0;
  let bufferTimer: NodeJS.Timeout | null = null;

  const idleWaiters = new Set<() => void>();

  const periodicResolve = literalFamily === 0
    ? setInterval(() => void resolve(), resolveIntervalMs).unref()
    : null;

  // Datagrams handed to a socket whose callback has not run yet, over all sockets (old ones too).
  let inFlight = 0;

  // A re-resolution in progress does not make the transport busy: only lines waiting for their
  // first address (pending) or for the kernel (inFlight) do.
  function isIdle(): boolean {
    return pending.length === 0 && inFlight === 0;
  }

  function notifyIfIdle(): void {
    if (!isIdle()) return;
    for (const waiter of idleWaiters) waiter();
  }

  function fail(error: unknown): void {
    if (recoveryTimer) {
      clearTimeout(recoveryTimer);
      recoveryTimer = null;
    }
    if (!down) {
      down = true;
      report(warn, `statsd: cannot send to ${label} (${describe(error)}); metric lines are dropped until it answers, retrying`);
    }
    if (literalFamily === 0 && performance.now() - lastResolveAt >= retryIntervalMs) void resolve();
  }

  function succeeded(): void {
    if (!down || recoveryTimer) return;
    // The error for a datagram sent to a closed port arrives after its send succeeded: only a
    // quiet period without errors (any error cancels this timer) proves the outage is over.
    recoveryTimer = setTimeout(() => {
      recoveryTimer = null;
      down = false;
      report(info, `statsd: sending to ${label} again`);
    }, recoveryQuietMs).unref();
  }

  /** Looks the target up and (re)connects when the address is new. Never rejects. */
  function resolve(): Promise<void> {
    if (closed) return Promise.resolve();
    if (resolving) return resolving;
    lastResolveAt = performance.now();
    resolving = (async () => {
      try {
        const resolved: ResolvedAddress = literalFamily !== 0
          ? { address: target.host, family: literalFamily === 6 ? 6 : 4 }
          : await lookup(target.host);
        if (!closed && (endpoint === null || endpoint.address !== resolved.address)) {
          const next = await connect(resolved);
          if (closed) retire(next);
          else {
            if (endpoint) retire(endpoint);
            endpoint = next;
          }
        }
      } catch (error) {
        // A failed re-resolution keeps the known address quietly: a DNS blip must not stop the
        // metrics (if that address is dead too, its send errors report the outage). Without any
        // address, the lines waiting for one are lost to this outage.
        if (endpoint === null) {
          pending.length = 0;
          fail(error);
        }
      } finally {
        resolving = null;
      }
      drainPending();
      notifyIfIdle();
    })();
    return resolving;
  }

  function connect(resolved: ResolvedAddress): Promise<Endpoint> {
    return new Promise((resolveConnect, rejectConnect) => {
      const socket = dgram.createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
      const created: Endpoint = { socket, address: resolved.address, inFlight: 0, retired: false };
      let connected = false;
      // Datagrams to a closed port come back as ECONNREFUSED on this event (syscall recvmsg).
      socket.on('error', (error) => {
        if (!connected) {
          connected = true; // settle once
          safeClose(socket);
          rejectConnect(error);
        } else if (!created.retired) fail(error);
      });
      socket.on('message', () => {}); // replies from the server are not expected; ignore any
      socket.unref(); // metrics must never keep a process alive
      try {
        socket.connect(target.port, resolved.address, () => {
          connected = true;
          resolveConnect(created);
        });
      } catch (error) {
        safeClose(socket);
        rejectConnect(error);
      }
    });
  }

  function retire(old: Endpoint): void {
    old.retired = true;
    if (old.inFlight === 0) safeClose(old.socket);
  }

  function drainPending(): void {
    if (!endpoint) return;
    for (const datagram of pending.splice(0)) transmit(endpoint, datagram);
  }

  function transmit(to: Endpoint, datagram: Buffer): void {
    to.inFlight += 1;
    inFlight += 1;
    const done = (error: Error | null) => {
      to.inFlight -= 1;
      inFlight -= 1;
      if (to.retired && to.inFlight === 0) safeClose(to.socket);
      if (!to.retired) {
        if (error) fail(error);
        else succeeded();
      }
      notifyIfIdle();
    };
    try {
      to.socket.send(datagram, done);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  function emit(datagram: string): void {
    const bytes = Buffer.from(datagram, 'utf8');
    // With a known address, send there, even while a re-resolution runs.
    if (endpoint) {
      transmit(endpoint, bytes);
      return;
    }
    // No address yet: wait for the lookup in progress, or start one unless one just failed.
    if (!resolving && performance.now() - lastResolveAt < retryIntervalMs) return; // outage: dropped
    if (pending.length < MAX_PENDING_DATAGRAMS) pending.push(bytes);
    void resolve();
  }

  function flushBuffer(): void {
    if (bufferTimer) {
      clearTimeout(bufferTimer);
      bufferTimer = null;
    }
    if (buffer === '') return;
    const datagram = buffer;
    buffer = '';
    bufferBytes = 0;
    emit(datagram);
  }

  function appendToBuffer(line: string): void {
    const lineBytes = Buffer.byteLength(line);
    if (buffer !== '' && bufferBytes + 1 + lineBytes > maxDatagramBytes) flushBuffer();
    bufferBytes += buffer === '' ? lineBytes : 1 + lineBytes;
    buffer = buffer === '' ? line : `${buffer}\n${line}`;
    // The timer starts with the first line of a datagram, so no line waits longer than the interval.
    if (!bufferTimer) bufferTimer = setTimeout(flushBuffer, flushIntervalMs);
  }

  /** Joins lines with "\n" into datagrams of at most maxDatagramBytes (a longer line goes alone). */
  function pack(lines: readonly string[]): string[] {
    const datagrams: string[] = [];
    let current = '';
    let currentBytes = 0;
    for (const line of lines) {
      const lineBytes = Buffer.byteLength(line);
      if (current !== '' && currentBytes + 1 + lineBytes > maxDatagramBytes) {
        datagrams.push(current);
        current = '';
      }
      currentBytes = current === '' ? lineBytes : currentBytes + 1 + lineBytes;
      current = current === '' ? line : `${current}\n${line}`;
    }
    if (current !== '') datagrams.push(current);
    return datagrams;
  }

  function flush(): Promise<void> {
    flushBuffer();
    if (isIdle()) return Promise.resolve();
    return new Promise((resolveFlush) => {
      const finish = () => {
        clearTimeout(timer);
        idleWaiters.delete(finish);
        resolveFlush();
      };
      const timer = setTimeout(finish, flushTimeoutMs);
      idleWaiters.add(finish);
    });
  }

  // Start resolving now, so the first request does not wait for DNS.
  void resolve();

  return {
    send(lines) {
      if (closed || lines.length === 0) return;
      try {
        if (packing === 'line') for (const line of lines) emit(line);
        else if (packing === 'request') for (const datagram of pack(lines)) emit(datagram);
        else for (const line of lines) appendToBuffer(line);
      } catch (error) {
        // Metrics never break a request; anything unexpected is an outage like any other.
        fail(error);
      }
    },
    flush,
    close() {
      closing ??= flush().then(() => {
        closed = true;
        if (periodicResolve) clearInterval(periodicResolve);
        if (recoveryTimer) clearTimeout(recoveryTimer);
        if (endpoint) retire(endpoint);
        endpoint = null;
      });
      return closing;
    },
  };
}

/** The log callbacks run inside socket events: one that throws must not crash the process. */
function report(log: (message: string) => void, message: string): void {
  try {
    log(message);
  } catch {
    // nothing sensible left to do with a message the logger refused
  }
}

function safeClose(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
