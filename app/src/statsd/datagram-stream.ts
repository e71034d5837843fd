// The stream hot-shots writes to (its `protocol: 'stream'`): each write is one datagram, sent on a
// *connected* UDP socket. hot-shots' own UDP transport sends on an unconnected socket, and Linux
// reports ICMP port-unreachable (a closed port: ECONNREFUSED) only to a connected one, so with it
// a stopped exporter would go unseen. Here the refusal arrives as an 'error' event of the socket
// (syscall recvmsg) right after the datagram that met the closed port.
//
// It has exactly the surface hot-shots' stream transport uses (node_modules/hot-shots/lib/
// transport.js, createStreamTransport): on/removeListener/emit, `destroyed`, write(chunk, callback)
// and destroy() followed by a 'close' event. It never emits 'error' and never fails a write: every
// outcome goes to onSent/onError, because hot-shots would report each failed datagram on its own
// and the transport reports an outage once.
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { Address } from '../address';
import { createResolver, type Lookup, type Resolver } from './resolver';

export interface DatagramStreamOptions {
  /** A host name (resolved in the background) or an IPv4/IPv6 literal. */
  readonly target: Address;
  readonly resolveIntervalMs: number;
  /** While no address is known or connecting failed, try again at most this often (not per line). */
  readonly retryIntervalMs: number;
  readonly lookup: Lookup;
  /** A datagram was handed to the kernel (which does not prove anyone listens: see onError). */
  readonly onSent: () => void;
  /** A datagram was lost: refused (possibly reported after its send succeeded), unroutable, unresolvable. */
  readonly onError: (error: unknown) => void;
}

export interface DatagramStream {
  readonly destroyed: boolean;
  /** Where datagrams go now: the connected address, null before the first connect. */
  readonly address: string | null;
  /** Sends `chunk` minus the one '\n' hot-shots' stream transport appends; `callback` once handed over or lost. */
  write(chunk: string | Buffer, callback?: () => void): boolean;
  /** Releases the sockets; lines still waiting for an address are dropped. */
  destroy(): void;
  on(event: string, listener: (...args: unknown[]) => void): this;
  removeListener(event: string, listener: (...args: unknown[]) => void): this;
  emit(event: string, ...args: unknown[]): boolean;
}

interface Endpoint {
  readonly socket: dgram.Socket;
  readonly address: string;
  /** Sends whose callback has not run yet: a retired socket closes once they are done. */
  inFlight: number;
  retired: boolean;
}

interface Waiting {
  readonly bytes: Buffer;
  readonly callback?: () => void;
}

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

/** Lines waiting for the first address (or a reconnect) are capped: beyond that they are lost like an outage's. */
const MAX_WAITING = 1024;
const NEWLINE = 0x0a;

export function createDatagramStream(options: DatagramStreamOptions): DatagramStream {
  const { target, retryIntervalMs, onSent, onError } = options;
  const literalFamily = isIP(target.host);
  const emitter = new EventEmitter();
  let destroyed = false;
  let endpoint: Endpoint | null = null;
  /** The address a socket is being connected to. */
  let connecting: string | null = null;
  let connectFailedAt = -Infinity;
  const waiting: Waiting[] = [];

  function dropWaiting(): void {
    for (const { callback } of waiting.splice(0)) callback?.();
  }

  const resolver: Resolver | null = literalFamily === 0
    ? createResolver({
      host: target.host,
      refreshIntervalMs: options.resolveIntervalMs,
      retryIntervalMs,
      lookup: options.lookup,
      onAddress: (address) => {
        if (endpoint?.address !== address && connecting !== address) connect(address);
      },
      onFailure: (error) => {
        onError(error);
        dropWaiting();
      },
    })
    : null;

  function connect(address: string): void {
    if (destroyed) return;
    connecting = address;
    const socket = dgram.createSocket(literalFamily === 6 ? 'udp6' : 'udp4');
    const created: Endpoint = { socket, address, inFlight: 0, retired: false };
    let connected = false;
    socket.unref(); // metrics must never keep a process alive
    socket.on('error', (error) => {
      if (created.retired) return;
      if (connected) {
        onError(error); // a refusal (recvmsg ECONNREFUSED) or another asynchronous send error
        return;
      }
      // Connecting failed (e.g. no route): the lines waiting for it are lost to this outage.
      retire(created);
      if (connecting === address) connecting = null;
      connectFailedAt = performance.now();
      onError(error);
      dropWaiting();
    });
    socket.connect(target.port, address, () => {
      connected = true;
      if (destroyed || connecting !== address) {
        retire(created);
        return;
      }
      connecting = null;
      if (endpoint) retire(endpoint);
      endpoint = created;
      for (const { bytes, callback } of waiting.splice(0)) transmit(created, bytes, callback);
    });
  }

  function retire(old: Endpoint): void {
    old.retired = true;
    if (old.inFlight === 0) safeClose(old.socket);
  }

  function transmit(to: Endpoint, bytes: Buffer, callback?: () => void): void {
    to.inFlight += 1;
    const done = (error?: Error | null): void => {
      to.inFlight -= 1;
      if (to.retired) {
        if (to.inFlight === 0) safeClose(to.socket);
      } else if (error) onError(error);
      else onSent();
      callback?.();
    };
    try {
      to.socket.send(bytes, done);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** No socket: start what would give one, at most once per retry interval after a failure. */
  function retryConnecting(): void {
    if (connecting !== null || performance.now() - connectFailedAt < retryIntervalMs) return;
    if (resolver) resolver.retry(); // its answer connects (onAddress)
    else connect(target.host);
  }

  if (literalFamily !== 0) connect(target.host);

  const stream: DatagramStream = {
    get destroyed() {
      return destroyed;
    },
    get address() {
      return endpoint?.address ?? null;
    },
    write(chunk, callback) {
      if (destroyed) {
        callback?.();
        return false;
      }
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const datagram = bytes.length > 0 && bytes[bytes.length - 1] === NEWLINE ? bytes.subarray(0, -1) : bytes;
      if (endpoint) {
        transmit(endpoint, datagram, callback);
        return true;
      }
      retryConnecting();
      if ((connecting !== null || resolver?.resolving) && waiting.length < MAX_WAITING) {
        waiting.push({ bytes: datagram, callback });
        return true;
      }
      // No address, and the last attempt to get one failed: lost to the outage it reported.
      callback?.();
      return true;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      resolver?.stop();
      if (endpoint) retire(endpoint);
      endpoint = null;
      // hot-shots has stopped waiting for these (its close() timed out): nothing is owed to it.
      waiting.length = 0;
      process.nextTick(() => emitter.emit('close'));
    },
    on(event, listener) {
      emitter.on(event, listener);
      return stream;
    },
    removeListener(event, listener) {
      emitter.removeListener(event, listener);
      return stream;
    },
    emit: (event, ...args) => emitter.emit(event, ...args),
  };
  return stream;
}

function safeClose(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
