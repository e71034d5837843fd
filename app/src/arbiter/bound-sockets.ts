// The master's bound sockets: one per --bind, bound once before any worker exists, with Gunicorn's five retries; handed to every worker.
//
// As in Gunicorn, the master owns each socket and workers accept on their copy, so the socket
// outlives any worker: while a lone worker is being replaced, or old workers make way for new
// ones on SIGHUP, connections wait in the kernel's backlog instead of being refused. Node's
// cluster module cannot do this (it closes a shared socket with its last worker), and a net.Server
// in the master would accept connections itself. So the master holds a bound socket made by
// net._createServerHandle (what node:cluster itself uses) and passes it to workers as an IPC
// handle; each worker's server.listen(handle) listens on it and accepts.
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as util from 'node:util';
import type { Address } from '../address';
import type { ServerLogger } from '../logger';

/** A bound TCP socket (node's internal TCP handle); listening starts in the first worker. */
export interface SocketHandle {
  /** The socket's file descriptor in this process (Unix). */
  readonly fd: number;
  close(): void;
}

export interface BoundSocket {
  /** What Gunicorn logs for it: http://HOST:PORT with the address actually bound. */
  readonly url: string;
  readonly handle: SocketHandle;
}

const createServerHandle = (net as unknown as {
  _createServerHandle(address: string, port: number, addressType: 4 | 6): SocketHandle | number;
})._createServerHandle;

const BIND_ATTEMPTS = 5;
const BIND_RETRY_MS = 1_000;

/** Python's repr of the address tuple, as in Gunicorn's messages: ('127.0.0.1', 8000). */
function pythonAddress(bind: Address): string {
  return `('${bind.host}', ${bind.port})`;
}

/** Python's str(OSError): "[Errno 98] Address already in use". */
function describeOsError(error: NodeJS.ErrnoException): string {
  if (typeof error.errno !== 'number') return error.message;
  const text = util.getSystemErrorMessage(error.errno);
  return `[Errno ${Math.abs(error.errno)}] ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function errnoError(errno: number): NodeJS.ErrnoException {
  return Object.assign(new Error(util.getSystemErrorMessage(errno)), { errno, code: util.getSystemErrorName(errno) });
}

/**
 * One attempt. Listening on a probe server is what tells whether the address is free (a bare
 * bind succeeds next to another socket's listener, thanks to SO_REUSEADDR); the probe also
 * resolves a host name. It is closed at once and the same address bound for keeps.
 */
function bindOnce(bind: Address): Promise<BoundSocket> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(bind.port, bind.host, () => {
      const { address, port, family } = probe.address() as net.AddressInfo;
      probe.close(() => {
        const ipv6 = family === 'IPv6';
        const handle = createServerHandle(address, port, ipv6 ? 6 : 4);
        if (typeof handle === 'number') {
          reject(errnoError(handle));
          return;
        }
        resolve({ url: `http://${ipv6 ? `[${address}]` : address}:${port}`, handle });
      });
    });
  });
}

/**
 * Binds `bind` as gunicorn/sock.py create_sockets() does: up to five attempts a second apart,
 * each failure logged as errors (each one a gunicorn.log.error), then "Can't connect to" and
 * null: the caller exits 1.
 */
export async function bindSocket(
  bind: Address,
  logger: Pick<ServerLogger, 'error' | 'debug'>,
): Promise<BoundSocket | null> {
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt += 1) {
    try {
      return await bindOnce(bind);
    } catch (caught) {
      const error = caught as NodeJS.ErrnoException;
      if (error.code === 'EADDRINUSE') logger.error(`Connection in use: ${pythonAddress(bind)}`);
      if (error.code === 'EADDRNOTAVAIL') logger.error(`Invalid address: ${pythonAddress(bind)}`);
      logger.error(`connection to ${pythonAddress(bind)} failed: ${describeOsError(error)}`);
      if (attempt < BIND_ATTEMPTS) {
        logger.debug('Retrying in 1 second.');
        await sleep(BIND_RETRY_MS);
      }
    }
  }
  logger.error(`Can't connect to ${pythonAddress(bind)}`);
  return null;
}
