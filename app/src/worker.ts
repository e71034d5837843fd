// One worker: serves the app on the sockets the master hands over, reports liveness, and stops gracefully (SIGTERM) or quickly (SIGINT, SIGQUIT).
import * as http from 'node:http';
import * as net from 'node:net';
import type { Config } from './config';
import { createApp } from './http/app';
import { answerClientError } from './http/client-errors';
import { openAccessLog } from './http/access-log';
import { createAllowList } from './proxy-protocol/allow-list';
import { acceptProxyProtocol } from './proxy-protocol/connection';
import { createServerLogger, createUncountedLog, type ServerLogger } from './logger';
import { answerMetricsRequests, createRuntimeRegistry } from './runtime-metrics';
import { createGunicornStatsd, type GunicornStatsd } from './statsd/gunicorn-statsd';
import { WORKER_BOOT_ERROR } from './worker-exit';
import {
  HEARTBEAT, SERVING, SOCKET, SOCKETS_WANTED, STATSD_OUTAGE, heartbeatIntervalMs, messageType,
  type SocketMessage, type StatsdOutageMessage,
} from './worker-messages';

/**
 * Time kept back from --graceful-timeout for the worker's own exit: at the cut-off it closes the
 * connections still open (their triples go out as for a client that went away) and flushes its
 * metrics before the master's SIGKILL at the full timeout would lose them.
 */
const FLUSH_ALLOWANCE_MS = 1_000;

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

function serve(config: Config, metrics: GunicornStatsd, logger: ServerLogger): void {
  send({ type: HEARTBEAT });
  setInterval(() => send({ type: HEARTBEAT }), heartbeatIntervalMs(config.timeoutSeconds));
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

  const allowList = createAllowList(config.proxyProtocol.allowFrom);
  const servers: http.Server[] = [];
  const inFlight = new Set<http.ServerResponse>();
  let stopping: 'graceful' | 'quick' | null = null;

  // While stopping, only kept-alive connections waiting between requests are closed. A connection
  // accepted just before the stop has not been parsed yet, but its request may already be on the
  // wire: Node's closeIdleConnections() would reset it, so it is answered (with connection: close).
  const connections = new Set<net.Socket>();
  // Every connection, also one still waiting for its PROXY header (not yet the HTTP server's).
  const closeAll = () => {
    for (const server of servers) server.closeAllConnections();
    for (const socket of connections) socket.destroy();
  };
  const served = new WeakSet<net.Socket>();
  const closeIdle = () => {
    const busy = new Set([...inFlight].map((res) => res.socket));
    for (const socket of connections) if (served.has(socket) && !busy.has(socket)) socket.destroy();
  };
  const track = (req: http.IncomingMessage, res: http.ServerResponse) => {
    served.add(req.socket);
    inFlight.add(res);
    // While stopping, a keep-alive connection must not wait for another request after this one.
    if (stopping) res.setHeader('connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      // After every 'close' listener has run: the request's triple and access log line are out.
      if (stopping) setImmediate(() => {
        closeIdle();
        exitWhenDone();
      });
    });
  };

  const handles: unknown[] = [];
  let received = 0;
  process.on('message', (message: unknown, handle: unknown) => {
    if (messageType(message) !== SOCKET) return;
    const { index, count } = message as SocketMessage;
    handles[index] = handle;
    received += 1;
    if (received === count) listen(handles);
  });
  send({ type: SOCKETS_WANTED });

  function listen(sockets: unknown[]): void {
    if (stopping) return;
    let listening = 0;
    for (const socket of sockets) {
      // Gunicorn serves an HTTP/1.1 request without a Host header; Node would answer 400 itself.
      const server = http.createServer({ requireHostHeader: false });
      if (config.proxyProtocol.mode !== 'off') acceptProxyProtocol(server, { mode: config.proxyProtocol.mode, allowList, logger });
      server.on('connection', (connection: net.Socket) => {
        connections.add(connection);
        connection.once('close', () => connections.delete(connection));
      });
      server.on('request', track);
      server.on('request', app);
      server.on('clientError', (error: Error, socket) => answerClientError(error, socket, logger));
      server.once('error', (error) => void bootFailed(error, metrics, logger));
      // A bound socket from the master (listeners.ts); listen() on it is what accepts here.
      server.listen(socket as net.Server, () => {
        listening += 1;
        if (listening < sockets.length) return;
        logger.info(`Booting worker with pid: ${process.pid}`);
        send({ type: SERVING });
      });
      servers.push(server);
    }
  }

  let openServers = 0;
  let exiting = false;
  /** Exits once no socket accepts and every request has been reported. */
  function exitWhenDone(): void {
    if (exiting || openServers > 0 || inFlight.size > 0) return;
    exiting = true;
    void exit();
  }

  async function exit(): Promise<never> {
    await accessLog?.close();
    await metrics.close();
    logger.info(`Worker exiting (pid: ${process.pid})`);
    process.exit(0);
  }

  function stop(mode: 'graceful' | 'quick'): void {
    if (stopping === 'quick' || stopping === mode) return;
    const first = stopping === null;
    stopping = mode;
    if (mode === 'quick') {
      // Gunicorn's quick exit abandons requests in flight; they are still reported (as closed).
      closeAll();
    }
    if (!first) return;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    const gracefulMs = config.gracefulTimeoutSeconds * 1_000;
    setTimeout(closeAll, Math.max(gracefulMs - FLUSH_ALLOWANCE_MS, gracefulMs / 2)).unref();
    for (const server of servers) {
      if (!server.listening) continue;
      openServers += 1;
      // close() stops accepting on this worker's copy of the socket and calls back once every
      // connection has ended.
      // net.Server's close, not http.Server's, which would also close connections not yet parsed.
      net.Server.prototype.close.call(server, () => {
        openServers -= 1;
        exitWhenDone();
      });
    }
    closeIdle();
    exitWhenDone();
  }

  process.on('SIGTERM', () => stop('graceful'));
  process.on('SIGINT', () => stop('quick'));
  process.on('SIGQUIT', () => stop('quick'));
}
