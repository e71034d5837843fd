// The StatsD host name, resolved in the background and kept: a `lookup` for node:dgram (hot-shots
// passes it to its UDP socket), so a send never waits for DNS once the name has an address, and a
// restarted exporter with a new address is found without restarting the app.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Name resolution: an IPv4 address for a host name. */
export type Lookup = (hostname: string) => Promise<string>;

/** node:dgram's lookup signature (dgram calls it with the family of its socket). */
export type DgramLookup = (
  hostname: string,
  family: unknown,
  callback: (error: NodeJS.ErrnoException | null, address?: string, family?: number) => void,
) => void;

export interface ResolverOptions {
  readonly host: string;
  /** Look the name up again this often, so a restarted exporter's new address is followed. */
  readonly refreshIntervalMs: number;
  /** After a failed lookup, sends fail at once (no lookup per line) until this much time has passed. */
  readonly retryIntervalMs: number;
  readonly lookup: Lookup;
}

export interface Resolver {
  readonly dgramLookup: DgramLookup;
  /** Stops the periodic refresh. */
  stop(): void;
}

/** Lines waiting for the first address are capped: beyond that they fail like an outage's. */
const MAX_WAITING = 1024;

export async function systemLookup(hostname: string): Promise<string> {
  // The socket is udp4, like Gunicorn's AF_INET socket: a name counts by its IPv4 address.
  // getaddrinfo, so /etc/hosts counts.
  const { address } = await dnsLookup(hostname, { family: 4 });
  return address;
}

export function createResolver(options: ResolverOptions): Resolver {
  const { host, refreshIntervalMs, retryIntervalMs, lookup } = options;
  let address: string | null = null;
  let lastError: NodeJS.ErrnoException | null = null;
  let failedAt = -Infinity;
  let resolving = false;
  let stopped = false;
  const waiting: Parameters<DgramLookup>[2][] = [];

  function refresh(): void {
    if (resolving || stopped) return;
    resolving = true;
    lookup(host).then(
      (found) => {
        address = found;
        lastError = null;
        settle(null);
      },
      (error: unknown) => {
        // A failed refresh keeps a known address: a DNS blip must not stop the metrics.
        lastError = error instanceof Error ? error : new Error(String(error));
        failedAt = performance.now();
        settle(address === null ? lastError : null);
      },
    );
  }

  function settle(error: NodeJS.ErrnoException | null): void {
    resolving = false;
    for (const callback of waiting.splice(0)) {
      if (error) callback(error);
      else callback(null, address as string, 4);
    }
  }

  const timer = setInterval(refresh, refreshIntervalMs).unref();
  refresh(); // now, so the first request does not wait for DNS

  return {
    dgramLookup(hostname, _family, callback) {
      // dgram also looks up the address it binds to ('0.0.0.0') and any literal.
      const literal = isIP(hostname);
      if (literal !== 0) return callback(null, hostname, literal);
      if (address !== null) return callback(null, address, 4);
      if (lastError && !resolving && performance.now() - failedAt < retryIntervalMs) return callback(lastError);
      if (waiting.length >= MAX_WAITING) {
        return callback(Object.assign(new Error(`statsd: still resolving ${hostname}`), { code: 'EAI_AGAIN' }));
      }
      waiting.push(callback);
      refresh();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      // Nothing may wait for a lookup forever (close() must finish).
      settle(Object.assign(new Error(`statsd: closed while resolving ${host}`), { code: 'ECANCELED' }));
    },
  };
}
