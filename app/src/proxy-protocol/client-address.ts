// The client's address as a PROXY header gave it, kept per connection: every request of a
// kept-alive connection came from the same client. Read by what shows the client (the access log).
import type { Socket } from 'node:net';
import type { ProxiedAddresses } from './header';

const PROXIED = new WeakMap<Socket, ProxiedAddresses>();

export function rememberProxied(socket: Socket, addresses: ProxiedAddresses): void {
  PROXIED.set(socket, addresses);
}

/**
 * The PROXY header's client address when the connection had one, else the peer's address. A
 * header that names no client (v2 LOCAL or UNSPEC) leaves Gunicorn's REMOTE_ADDR None, which its
 * access log prints as "None".
 */
export function clientAddress(socket: Socket): string | undefined {
  const proxied = PROXIED.get(socket);
  if (!proxied) return socket.remoteAddress;
  return proxied.clientAddress ?? 'None';
}
