// Datagrams to the StatsD target: a *connected* UDP socket, the host name kept resolved in the
// background, the outage state (one warning when sending fails, one message when it works again)
// and a flush()/close() that cannot hang.
//
// Connected, because Linux reports ICMP port-unreachable (a closed port: ECONNREFUSED) only to a
// connected socket: an unconnected one, as most StatsD clients use, would lose every line to a
// stopped exporter without a word. The refusal arrives as an 'error' event of the socket (syscall
// recvmsg) right after the datagram that met the closed port. A new address gets a new socket,
// and the old one closes once its sends are done.
//
// On a connected socket send() normally completes at once (libuv's try-send; Node then calls back
// on the next tick); when the kernel's send buffer is full libuv queues the datagram and calls
// back once it is out. Either way `sent` runs only once the datagram is in the kernel (or lost),
// which is what a held response waits for.
import * as dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Address } from '../address';
import { createResolver, systemLookup, type Lookup, type Resolver } from './resolver';

export interface StatsdSocketOptions {
  /** A host name (resolved in the background) or an IPv4/IPv6 literal. */
  readonly target: Address;
  /** Called once when an outage starts (never per datagram). Must not count as a server log event. */
  readonly warn: (message: string) => void;
  /** Called once when sending works again after an outage; defaults to `warn`. */
  readonly info?: (message: string) => void;
  /** Look a host name up again this often, so a restarted exporter with a new address is found. */
  readonly resolveIntervalMs?: number;
  /** After a failed lookup or connect, try again at most this often (not once per datagram). */
  readonly retryIntervalMs?: number;
  /** An outage ends once sending has gone this long without an error. */
  readonly recoveryQuietMs?: number;
  /** flush()/close() never wait longer than this. */
  readonly flushTimeoutMs?: number;
  /** Name resolution (an IPv4 address); defaults to the system resolver (getaddrinfo, so /etc/hosts counts). */
  readonly lookup?: Lookup;
}

export interface StatsdSocket {
  /** Where datagrams go now: the connected address, null before the first connect. */
  readonly address: string | null;
  /** The largest datagram worth building for the current path. */
  maxDatagramBytes(): number;
  /**
   * Sends one datagram; never throws, never waits. `sent` runs once it is in the kernel, or lost
   * (an outage, after close()), or queued for an address not known yet: a response is never held
   * waiting for a name to resolve.
   */
  send(datagram: string, sent?: () => void): void;
  /** Resolves once every datagram given so far has been handed to the kernel, or lost (bounded). */
  flush(): Promise<void>;
  /** flush(), then release the socket; later sends are dropped. Idempotent. */
  close(): Promise<void>;
}

// Defaults, with the reason for each value.
const RESOLVE_INTERVAL_MS = 5_000; // a lookup every 5 s is free, and a moved exporter is found soon
const RETRY_INTERVAL_MS = 1_000; // during an outage, look again every second at most, not per line
// A refusal trails its datagram, and a restarting container drops datagrams without a word while
// its network is down between two bursts of refusals. That gap lasts under a second on an idle
// host and several seconds on a busy one, where a 3 s period announces a recovery in the middle of
// a restart: only a quiet period well past the gap proves the outage is over. The price is a
// "sending again" that comes 10 s after the fact.
const RECOVERY_QUIET_MS = 10_000;
const FLUSH_TIMEOUT_MS = 5_000; // shutdown must not hang on a resolver

/** Fits a 1500-byte MTU (Ethernet, a Docker bridge) with IPv4 or IPv6 and tunnel headers to spare. */
const NETWORK_DATAGRAM_BYTES = 1432;
/**
 * To a loopback address (an exporter beside the app) nothing fragments below the 65536-byte MTU of
 * `lo`. 16,000 bytes hold the lines of a whole saturated turn (50 connections: about 7 KB) in one
 * datagram, and Linux charges such a datagram 17,749 bytes of the receiver's buffer where it
 * charges a 1432-byte one 2,315: per line, large datagrams fill that buffer more slowly.
 */
const LOOPBACK_DATAGRAM_BYTES = 16_000;

/** The largest datagram worth building for `address` (null: not known yet, so the safe size). */
export function maxDatagramBytesTo(address: string | null): number {
  return address !== null && isLoopback(address) ? LOOPBACK_DATAGRAM_BYTES : NETWORK_DATAGRAM_BYTES;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.toLowerCase().startsWith('::ffff:127.');
}

/** Datagrams waiting for the first address (or a reconnect) are capped: beyond that they are lost like an outage's. */
const MAX_WAITING = 1024;

interface Endpoint {
  readonly socket: dgram.Socket;
  readonly address: string;
  /** Sends whose callback has not run yet: a retired socket closes once they are done. */
  inFlight: number;
  retired: boolean;
}

export function createStatsdSocket(options: StatsdSocketOptions): StatsdSocket {
  const { target, warn } = options;
  const info = options.info ?? warn;
  const retryIntervalMs = options.retryIntervalMs ?? RETRY_INTERVAL_MS;
  const recoveryQuietMs = options.recoveryQuietMs ?? RECOVERY_QUIET_MS;
  const flushTimeoutMs = options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS;
  const label = `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;
  const literalFamily = isIP(target.host);

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
  function succeeded(): void {
    if (!down || recoveryTimer) return;
    recoveryTimer = setTimeout(() => {
      recoveryTimer = null;
      down = false;
      report(info, `statsd: sending to ${label} again`);
    }, recoveryQuietMs).unref();
  }

  // Datagrams given and not yet in the kernel or lost (sends in flight, datagrams waiting for an
  // address): flush() resolves when none is left.
  let pending = 0;
  let drained: (() => void)[] = [];
  function settled(): void {
    pending -= 1;
    if (pending === 0 && drained.length > 0) for (const resolve of drained.splice(0)) resolve();
  }

  /** close() was called: sends are dropped from then on. */
  let stopping = false;
  /** close() is done: the sockets are released. */
  let closed = false;
  let endpoint: Endpoint | null = null;
  /** The address a socket is being connected to. */
  let connecting: string | null = null;
  let connectFailedAt = -Infinity;
  const waiting: string[] = [];

  function dropWaiting(): void {
    for (let n = waiting.splice(0).length; n > 0; n -= 1) settled();
  }

  const resolver: Resolver | null = literalFamily === 0
    ? createResolver({
      host: target.host,
      refreshIntervalMs: options.resolveIntervalMs ?? RESOLVE_INTERVAL_MS,
      retryIntervalMs,
      lookup: options.lookup ?? systemLookup,
      onAddress: (address) => {
        if (endpoint?.address !== address && connecting !== address) connect(address);
      },
      onFailure: (error) => {
        fail(error);
        dropWaiting();
      },
    })
    : null;

  function connect(address: string): void {
    if (closed) return;
    connecting = address;
    const socket = dgram.createSocket(literalFamily === 6 ? 'udp6' : 'udp4');
    const created: Endpoint = { socket, address, inFlight: 0, retired: false };
    let connected = false;
    socket.unref(); // metrics must never keep a process alive
    socket.on('error', (error) => {
      if (created.retired) return;
      if (connected) {
        fail(error); // a refusal (recvmsg ECONNREFUSED) or another asynchronous send error
        return;
      }
      // Connecting failed (e.g. no route): the datagrams waiting for it are lost to this outage.
      retire(created);
      if (connecting === address) connecting = null;
      connectFailedAt = performance.now();
      fail(error);
      dropWaiting();
    });
    socket.connect(target.port, address, () => {
      connected = true;
      if (closed || connecting !== address) {
        retire(created);
        return;
      }
      connecting = null;
      if (endpoint) retire(endpoint);
      endpoint = created;
      for (const datagram of waiting.splice(0)) transmit(created, datagram, settled);
    });
  }

  function retire(old: Endpoint): void {
    old.retired = true;
    if (old.inFlight === 0) safeClose(old.socket);
  }

  /** Sends on `to`; `done` runs once, when the datagram is in the kernel or lost. */
  function transmit(to: Endpoint, datagram: string, done: () => void, sent?: () => void): void {
    to.inFlight += 1;
    const callback = (error: Error | null): void => {
      to.inFlight -= 1;
      if (to.retired) {
        if (to.inFlight === 0) safeClose(to.socket);
      } else if (error) fail(error);
      else succeeded();
      done();
      if (sent) safely(sent);
    };
    try {
      to.socket.send(datagram, callback);
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** No socket: start what would give one, at most once per retry interval after a failure. */
  function retryConnecting(): void {
    if (connecting !== null || performance.now() - connectFailedAt < retryIntervalMs) return;
    if (resolver) resolver.retry(); // its answer connects (onAddress)
    else connect(target.host);
  }

  if (literalFamily !== 0) connect(target.host);

  function flush(): Promise<void> {
    if (pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, flushTimeoutMs);
      drained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  let closing: Promise<void> | null = null;
  return {
    get address() {
      return endpoint?.address ?? null;
    },
    maxDatagramBytes: () => maxDatagramBytesTo(endpoint?.address ?? null),
    send(datagram, sent) {
      if (stopping) {
        sent?.();
        return;
      }
      pending += 1;
      if (endpoint) {
        transmit(endpoint, datagram, settled, sent);
        return;
      }
      retryConnecting();
      if ((connecting !== null || resolver?.resolving) && waiting.length < MAX_WAITING) waiting.push(datagram);
      // else: no address, and the last attempt to get one failed: lost to the outage it reported.
      else settled();
      sent?.();
    },
    flush,
    close() {
      stopping = true;
      closing ??= flush().then(() => {
        closed = true;
        resolver?.stop();
        if (recoveryTimer) clearTimeout(recoveryTimer);
        if (endpoint) retire(endpoint);
        endpoint = null;
        waiting.length = 0;
        pending = 0;
        for (const resolve of drained.splice(0)) resolve();
      });
      return closing;
    },
  };
}

function safeClose(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/** The callbacks run inside socket callbacks: one that throws must not crash the process. */
function safely(callback: () => void): void {
  try {
    callback();
  } catch {
    // nothing sensible left to do: the metrics never break the process
  }
}

function report(log: (message: string) => void, message: string): void {
  safely(() => log(message));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
