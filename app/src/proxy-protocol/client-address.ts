// The client's address as a PROXY header gave it, kept per connection: every request of a
// kept-alive connection came from the same client. Read by what shows the client (the access log).
import type { Socket } from 'node:net';
import type { ProxiedAddresses } from './header';

const PROXIED = new WeakMap<Socket, ProxiedAddresses>();

export function rememberProxied(socket: Socket, addresses: ProxiedAddresses): void {
  PROXIED.set(socket, addresses);
}

/** The PROXY header's client address when the connection had one, else the peer's address. */
export function clientAddress(socket: Socket): string | undefined {
  return PROXIED.get(socket)?.clientAddress ?? socket.remoteAddress;
}
