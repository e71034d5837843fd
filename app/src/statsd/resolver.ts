// The StatsD host name, resolved in the background and kept, so a send never waits for DNS once the
// name has an address, and a restarted exporter with a new address is found without restarting
// the app.
import { lookup as dnsLookup } from 'node:dns/promises';

/** Name resolution: an IPv4 address for a host name. */
export type Lookup = (hostname: string) => Promise<string>;

export interface ResolverOptions {
  readonly host: string;
  /** Look the name up again this often, so a restarted exporter's new address is followed. */
  readonly refreshIntervalMs: number;
  /** After a failed lookup, retry() looks again only once this much time has passed (not per line). */
  readonly retryIntervalMs: number;
  readonly lookup: Lookup;
  /** Every successful lookup, with its address (the same one again, mostly). */
  readonly onAddress: (address: string) => void;
  /** A failed lookup while no address is known yet (a failed refresh keeps the known one, quietly). */
  readonly onFailure: (error: NodeJS.ErrnoException) => void;
}

export interface Resolver {
  /** A lookup is running. */
  readonly resolving: boolean;
  /** Looks the name up now, unless a lookup runs or the last one failed less than retryIntervalMs ago. */
  retry(): void;
  /** Stops the periodic refresh; nothing is reported afterwards. */
  stop(): void;
}

export async function systemLookup(hostname: string): Promise<string> {
  // The socket is udp4, like Gunicorn's AF_INET socket: a name counts by its IPv4 address.
  // getaddrinfo, so /etc/hosts counts.
  const { address } = await dnsLookup(hostname, { family: 4 });
  return address;
}

export function createResolver(options: ResolverOptions): Resolver {
  const { host, refreshIntervalMs, retryIntervalMs, lookup, onAddress, onFailure } = options;
  let known = false;
  let failedAt = -Infinity;
  let resolving = false;
  let stopped = false;

  function refresh(): void {
    if (resolving || stopped) return;
    resolving = true;
    lookup(host).then(
      (found) => {
        resolving = false;
        known = true;
        if (!stopped) onAddress(found);
      },
      (error: unknown) => {
        resolving = false;
        failedAt = performance.now();
        // A failed refresh keeps a known address: a DNS blip must not stop the metrics.
        if (!stopped && !known) onFailure(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  const timer = setInterval(refresh, refreshIntervalMs).unref();
  refresh(); // now, so the first request does not wait for DNS

  return {
    get resolving() {
      return resolving;
    },
    retry() {
      if (performance.now() - failedAt >= retryIntervalMs) refresh();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
