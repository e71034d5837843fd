// A listen or send address (host and port), as the binds, the runtime metrics listener and the
// StatsD target share it, and the one way it is printed.
import { isIPv6 } from 'node:net';

export interface Address {
  /** A host name or IP address; IPv6 without brackets ('::1'). */
  readonly host: string;
  readonly port: number;
}

/** 'HOST:PORT' for an Address, with brackets around IPv6 ('[::1]:8000'), as Gunicorn logs binds. */
export function formatAddress(address: Address): string {
  return isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
