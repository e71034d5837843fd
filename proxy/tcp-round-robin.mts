// A TCP proxy for `docker compose up --scale app=N`: one stable host port in front of every
// replica of a service. Each new client connection goes to the next address the service name
// resolves to (Docker's DNS answers with one A record per running replica; looked up again at most
// once a second), so replicas that come and go are picked up without a restart. It forwards bytes only, so the app sees exactly the
// requests the client sent (malformed ones included) and counts them as it would without it.
//
// Run by Node's type stripping (no build step), hence erasable TypeScript only:
//   node tcp-round-robin.mts --listen 0.0.0.0:8000 --upstream app:8000 [--grace-seconds 35]
// On SIGTERM it stops accepting and waits for open connections to finish (the app closes them
// as it drains), up to --grace-seconds, then exits.
import { lookup } from 'node:dns/promises';
import { connect, createServer, type Socket } from 'node:net';

export interface ProxyOptions {
  readonly listenHost: string;
  readonly listenPort: number;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  readonly graceSeconds: number;
}

/** A bad flag: the message names the flag and the value. */
export class ProxyConfigError extends Error {}

function hostPort(flag: string, value: string | undefined): { host: string; port: number } {
  const match = value === undefined ? null : /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new ProxyConfigError(`${flag}: ${JSON.stringify(value ?? '')} is not HOST:PORT (a port 1-65535)`);
  }
  return { host: match[1], port };
}

export function parseProxyArgs(argv: readonly string[]): ProxyOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (!['--listen', '--upstream', '--grace-seconds'].includes(flag)) {
      throw new ProxyConfigError(`unknown option ${JSON.stringify(argv[i])} (options: --listen, --upstream, --grace-seconds)`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ProxyConfigError(`${flag}: needs a value`);
    values.set(flag, value);
  }
  const listen = hostPort('--listen', values.get('--listen'));
  const upstream = hostPort('--upstream', values.get('--upstream'));
  const grace = values.get('--grace-seconds') ?? '35';
  if (!/^\d{1,6}$/.test(grace)) throw new ProxyConfigError(`--grace-seconds: ${JSON.stringify(grace)} is not a whole number of seconds`);
  return { listenHost: listen.host, listenPort: listen.port, upstreamHost: upstream.host, upstreamPort: upstream.port, graceSeconds: Number(grace) };
}

/** The upstream's addresses, sorted so the rotation does not depend on the resolver's order. */
async function upstreamAddresses(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, family: 4 });
  return [...new Set(found.map((entry) => entry.address))].sort();
}

/** How long one look-up of the upstream serves new connections: replicas that start are used within
 *  this time; one that stops is skipped at once (its connect fails and the next address is tried). */
const RESOLVE_EVERY_MS = 1000;

export function startProxy(options: ProxyOptions, log: (line: string) => void = (line) => console.error(line)) {
  let next = 0;
  const open = new Set<Socket>();
  let resolved: { addresses: Promise<string[]>; atMs: number } | null = null;

  /** Tries each address once, starting at the next in rotation; null when none accepts. */
  async function connectUpstream(): Promise<Socket | null> {
    if (!resolved || Date.now() - resolved.atMs >= RESOLVE_EVERY_MS) {
      resolved = { addresses: upstreamAddresses(options.upstreamHost), atMs: Date.now() };
    }
    const current = resolved;
    let addresses: string[];
    try {
      addresses = await current.addresses;
    } catch (error) {
      if (resolved === current) resolved = null; // try again on the next connection
      log(`proxy: cannot resolve ${options.upstreamHost}: ${(error as Error).message}`);
      return null;
    }
    const start = next++;
    for (let i = 0; i < addresses.length; i += 1) {
      const address = addresses[(start + i) % addresses.length];
      const socket = await new Promise<Socket | null>((resolve) => {
        const attempt = connect({ host: address, port: options.upstreamPort, allowHalfOpen: true });
        attempt.once('connect', () => resolve(attempt));
        attempt.once('error', () => resolve(null));
      });
      if (socket) return socket;
    }
    if (resolved === current) resolved = null; // perhaps the replicas have moved: look up again
    log(`proxy: no address of ${options.upstreamHost}:${options.upstreamPort} accepts connections (${addresses.join(', ') || 'none'})`);
    return null;
  }

  const server = createServer({ allowHalfOpen: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    // Connect upstream only once the client has sent something: a bare connect (a healthcheck's
    // probe) then costs the app nothing. Until then the bytes wait in the socket's buffer.
    client.once('readable', () => {
      if (client.readableLength === 0) {
        client.destroy(); // closed before sending anything
        return;
      }
      void connectUpstream().then((upstream) => {
        if (!upstream) {
          client.destroy();
          return;
        }
        upstream.on('error', () => {
          upstream.destroy();
          client.destroy();
        });
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        // pipe() forwards each side's end (FIN) as a half-close, as HTTP/1.1 clients may use it.
        client.pipe(upstream);
        upstream.pipe(client);
      });
    });
  });

  server.listen(options.listenPort, options.listenHost, () => {
    log(`proxy: listening on ${options.listenHost}:${options.listenPort}, forwarding to every address of ${options.upstreamHost}:${options.upstreamPort}`);
  });

  /** Stops accepting; resolves once every open connection has closed, or the grace time is over. */
  function drain(): Promise<void> {
    server.close();
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        for (const socket of open) socket.destroy();
        resolve();
      }, options.graceSeconds * 1000);
      const check = () => {
        if (open.size > 0) return;
        clearTimeout(deadline);
        resolve();
      };
      for (const socket of open) socket.once('close', check);
      check();
    });
  }

  return { server, drain, openConnections: () => open.size };
}

function main(): void {
  let options: ProxyOptions;
  try {
    options = parseProxyArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    console.error(`proxy: ${error.message}`);
    process.exit(2);
  }
  const proxy = startProxy(options);
  proxy.server.on('error', (error) => {
    console.error(`proxy: cannot listen on ${options.listenHost}:${options.listenPort}: ${error.message}`);
    process.exit(1);
  });
  process.once('SIGTERM', () => {
    // Logged once the listener is closed: from then on a new connection is refused.
    const drained = proxy.drain();
    console.error(`proxy: SIGTERM, waiting up to ${options.graceSeconds} s for ${proxy.openConnections()} open connection(s)`);
    void drained.then(() => process.exit(0));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) main();
