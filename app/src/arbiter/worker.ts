// One worker: serves the app on the sockets the master hands over, reports liveness, and stops gracefully (SIGTERM) or quickly (SIGINT, SIGQUIT).
import * as http from 'node:http';
import * as net from 'node:net';
import type { Config } from '../config';
import { createApp } from '../http/app';
import { answerClientError } from '../http/client-errors';
import { openAccessLog } from '../http/access-log';
import { createAllowList } from '../proxy-protocol/allow-list';
import { acceptProxyProtocol } from '../proxy-protocol/connection';
import { createServerLogger, createUncountedLog, type ServerLogger } from '../logger';
import { answerMetricsRequests, createRuntimeRegistry } from './runtime-metrics';
import { createGunicornStatsd, type GunicornStatsd } from '../statsd/gunicorn-statsd';
import { WORKER_BOOT_ERROR } from './worker-exit';
import {
  HEARTBEAT, SERVING, SOCKET, SOCKETS_WANTED, STATSD_OUTAGE, heartbeatIntervalMs, messageType,
  type SocketMessage, type StatsdOutageMessage,
} from './worker-messages';

function send(message: object): void {
  // The channel closes when the master dies (node:cluster then ends this process) or exits first.
  if (process.connected) process.send?.(message);
}

export function runWorker(config: Config): void {
  const uncounted = createUncountedLog({ level: config.logLevel });
  // The master logs StatsD outages once for the whole server (statsd/outage-log.ts); a worker
  // whose master is gone logs its own.
  const reportOutage = (down: boolean, log: (message: string) => void) => (message: string) => {
    const outage: StatsdOutageMessage = { type: STATSD_OUTAGE, down, message };
    if (process.connected) send(outage);
    else log(message);
  };
  const metrics = createGunicornStatsd({
    ...config.statsd,
    warn: reportOutage(true, uncounted.warn),
    info: reportOutage(false, uncounted.info),
  });
  const logger = createServerLogger({ level: config.logLevel, metrics });
  try {
    serve(config, metrics, logger);
  } catch (error) {
    void bootFailed(error, metrics, logger);
  }
}

/** As Gunicorn's spawn_worker(): "Exception in worker process", then exit 3 so the master halts instead of respawning forever. */
async function bootFailed(error: unknown, metrics: GunicornStatsd, logger: ServerLogger): Promise<never> {
  logger.exception('Exception in worker process', error);
  await metrics.close();
  process.exit(WORKER_BOOT_ERROR);
}

/** The worker's parts, wired: heartbeat, runtime metrics, the app on the master's sockets, the stop on signals. */
function serve(config: Config, metrics: GunicornStatsd, logger: ServerLogger): void {
  startHeartbeat(config.timeoutSeconds);
  answerMetricsRequests(createRuntimeRegistry('worker'));
  const accessLog = config.accessLogfile === null ? null : openAccessLog(config.accessLogfile);
  const app = createApp({
    metrics,
    logger,
    now: process.hrtime.bigint,
    date: () => new Date(),
    delayScale: config.demoDelayScale,
    random: Math.random,
    accessLog: accessLog?.write,
  });
  const drain = new Drain(config.gracefulTimeoutSeconds, async () => {
    await accessLog?.close();
    await metrics.close();
    logger.info(`Worker exiting (pid: ${process.pid})`);
    process.exit(0);
  });
  const allowList = createAllowList(config.proxyProtocol.allowFrom);
  const createServer = (): http.Server => {
    // Gunicorn serves an HTTP/1.1 request without a Host header; Node would answer 400 itself.
    const server = http.createServer({ requireHostHeader: false });
    // First: it takes over the HTTP parser's own 'connection' listener.
    if (config.proxyProtocol.mode !== 'off') acceptProxyProtocol(server, { mode: config.proxyProtocol.mode, allowList, logger });
    drain.watch(server);
    server.on('request', app);
    server.on('clientError', (error: Error, socket) => answerClientError(error, socket, logger));
    server.once('error', (error) => void bootFailed(error, metrics, logger));
    return server;
  };
  receiveSockets((sockets) => {
    if (drain.stopping === null) listen(sockets, createServer, logger);
  });
  process.on('SIGTERM', () => drain.stop('graceful'));
  process.on('SIGINT', () => drain.stop('quick'));
  process.on('SIGQUIT', () => drain.stop('quick'));
}

/** Tells the master that this worker's event loop runs: at once, then often enough for --timeout. */
function startHeartbeat(timeoutSeconds: number): void {
  send({ type: HEARTBEAT });
  setInterval(() => send({ type: HEARTBEAT }), heartbeatIntervalMs(timeoutSeconds));
}

/** Asks the master for its bound sockets; `ready` gets them in --bind order once the last has come. */
function receiveSockets(ready: (sockets: unknown[]) => void): void {
  const handles: unknown[] = [];
  let received = 0;
  process.on('message', (message: unknown, handle: unknown) => {
    if (messageType(message) !== SOCKET) return;
    const { index, count } = message as SocketMessage;
    handles[index] = handle;
    received += 1;
    if (received === count) ready(handles);
  });
  send({ type: SOCKETS_WANTED });
}

/** A server on each socket; once every one listens, the boot line, and the master learns this worker serves. */
function listen(sockets: unknown[], createServer: () => http.Server, logger: ServerLogger): void {
  let listening = 0;
  for (const socket of sockets) {
    // A bound socket from the master (bound-sockets.ts); listen() on it is what accepts here.
    createServer().listen(socket as net.Server, () => {
      listening += 1;
      if (listening < sockets.length) return;
      logger.info(`Booting worker with pid: ${process.pid}`);
      send({ type: SERVING });
    });
  }
}

/**
 * Time kept back from --graceful-timeout for the worker's own exit: at the cut-off it closes the
 * connections still open (their triples go out as for a client that went away) and flushes its
 * metrics before the master's SIGKILL at the full timeout would lose them.
 */
const FLUSH_ALLOWANCE_MS = 1_000;

type StopMode = 'graceful' | 'quick';

/**
 * The worker's stop, graceful (SIGTERM) or quick (SIGINT, SIGQUIT), and what it waits for: the
 * connections and the requests in flight of every server it watches. The worker exits once no
 * socket accepts and every request has been reported.
 */
class Drain {
  private mode: StopMode | null = null;
  private readonly servers: http.Server[] = [];
  /** Every connection, also one still waiting for its PROXY header (not yet the HTTP server's). */
  private readonly connections = new Set<net.Socket>();
  /** Connections that have carried a request. */
  private readonly served = new WeakSet<net.Socket>();
  private readonly inFlight = new Set<http.ServerResponse>();
  private openServers = 0;
  private exiting = false;

  constructor(private readonly gracefulTimeoutSeconds: number, private readonly exit: () => Promise<never>) {}

  /** Null until the first stop signal. */
  get stopping(): StopMode | null {
    return this.mode;
  }

  watch(server: http.Server): void {
    this.servers.push(server);
    server.on('connection', (connection: net.Socket) => {
      this.connections.add(connection);
      connection.once('close', () => this.connections.delete(connection));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.track(req, res));
  }

  stop(mode: StopMode): void {
    if (this.mode === 'quick' || this.mode === mode) return;
    const first = this.mode === null;
    this.mode = mode;
    if (mode === 'quick') {
      // Gunicorn's quick exit abandons requests in flight; they are still reported (as closed).
      this.closeAll();
    }
    if (!first) return;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    const gracefulMs = this.gracefulTimeoutSeconds * 1_000;
    setTimeout(() => this.closeAll(), Math.max(gracefulMs - FLUSH_ALLOWANCE_MS, gracefulMs / 2)).unref();
    for (const server of this.servers) {
      if (!server.listening) continue;
      this.openServers += 1;
      // close() stops accepting on this worker's copy of the socket and calls back once every
      // connection has ended.
      // net.Server's close, not http.Server's, which would also close connections not yet parsed.
      net.Server.prototype.close.call(server, () => {
        this.openServers -= 1;
        this.exitWhenDone();
      });
    }
    this.closeIdle();
    this.exitWhenDone();
  }

  private track(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.served.add(req.socket);
    this.inFlight.add(res);
    // While stopping, a keep-alive connection must not wait for another request after this one.
    if (this.mode) res.setHeader('connection', 'close');
    res.once('close', () => {
      this.inFlight.delete(res);
      // After every 'close' listener has run: the request's triple and access log line are out.
      if (this.mode) setImmediate(() => {
        this.closeIdle();
        this.exitWhenDone();
      });
    });
  }

  /**
   * While stopping, only kept-alive connections waiting between requests are closed. A connection
   * accepted just before the stop has not been parsed yet, but its request may already be on the
   * wire: Node's closeIdleConnections() would reset it, so it is answered (with connection: close).
   */
  private closeIdle(): void {
    const busy = new Set([...this.inFlight].map((res) => res.socket));
    for (const socket of this.connections) if (this.served.has(socket) && !busy.has(socket)) socket.destroy();
  }

  private closeAll(): void {
    for (const server of this.servers) server.closeAllConnections();
    for (const socket of this.connections) socket.destroy();
  }

  private exitWhenDone(): void {
    if (this.exiting || this.openServers > 0 || this.inFlight.size > 0) return;
    this.exiting = true;
    void this.exit();
  }
}
