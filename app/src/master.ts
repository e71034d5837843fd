// The arbiter (gunicorn/arbiter.py on node:cluster): binds, forks and replaces workers, acts on signals, kills silent workers, sends the workers gauge and the backlog.
import cluster, { type Worker } from 'node:cluster';
import type * as http from 'node:http';
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { formatAddress } from './address';
import type { Config } from './config';
import { createBacklogProbe } from './backlog';
import { bindWithRetries, type BoundSocket } from './listeners';
import { createServerLogger, createUncountedLog, type ServerLogger } from './logger';
import { createRuntimeRegistry, serveRuntimeMetrics } from './runtime-metrics';
import { createGunicornStatsd, type GunicornStatsd } from './statsd/gunicorn-statsd';
import { describeWorkerExit, WORKER_BOOT_ERROR } from './worker-exit';
import { createOutageLog, type OutageLog } from './statsd/outage-log';
import {
  SERVING, SOCKET, SOCKETS_WANTED, STATSD_OUTAGE, messageType, type SocketMessage, type StatsdOutageMessage,
} from './worker-messages';

/** Gunicorn samples the backlog once per turn of its master loop, which sleeps up to 1 s. */
const BACKLOG_INTERVAL_MS = 1_000;
/** How long workers get after SIGINT/SIGQUIT (or a second SIGTERM), as Gunicorn's "Quick shutdown". */
const QUICK_STOP_MS = 2_000;

interface WorkerState {
  readonly worker: Worker;
  readonly pid: number;
  /** Spawn order: TTOU removes the oldest, as Gunicorn does. */
  readonly age: number;
  /** performance.now() of the last message from the worker (any message proves its event loop runs). */
  lastSeen: number;
  /** Listening on every socket. */
  serving: boolean;
  /** Sent SIGTERM (TTOU, or replaced after SIGHUP): no longer counts toward the target. */
  retiring: boolean;
  /** Replaced by SIGHUP: retires once every new worker is serving. */
  replaced: boolean;
  /** Killed for silence: killed once. */
  timedOut: boolean;
}

class Arbiter {
  /** Gunicorn's num_workers: --workers, moved by TTIN/TTOU, reset by HUP. */
  private target: number;
  private readonly workers = new Map<number, WorkerState>();
  private age = 0;
  private lastGauge = 0;
  private stopping: 'graceful' | 'quick' | null = null;
  private exitCode = 0;
  private reason: string | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private murderTimer: NodeJS.Timeout | null = null;
  private backlogTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: Config,
    private readonly metrics: GunicornStatsd,
    private readonly logger: ServerLogger,
    private readonly sockets: readonly BoundSocket[],
    private readonly metricsServer: http.Server | null,
    private readonly outages: OutageLog,
  ) {
    this.target = config.workers;
  }

  run(): void {
    cluster.on('message', (worker, message) => this.onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => this.reap(worker, code, signal));
    const signals: Record<string, () => void> = {
      SIGHUP: () => this.reload(),
      SIGTERM: () => this.stop('graceful'),
      SIGINT: () => this.stop('quick'),
      SIGQUIT: () => this.stop('quick'),
      SIGTTIN: () => this.resize(+1),
      SIGTTOU: () => this.resize(-1),
    };
    for (const [signal, handle] of Object.entries(signals)) {
      process.on(signal, () => {
        this.logger.info(`Handling signal: ${signal.slice(3).toLowerCase()}`);
        handle();
      });
    }
    if (this.config.timeoutSeconds > 0) {
      const timeoutMs = this.config.timeoutSeconds * 1_000;
      this.murderTimer = setInterval(() => this.murder(timeoutMs), Math.min(1_000, timeoutMs / 4));
    }
    if (this.config.enableBacklogMetric && this.metrics.enabled) {
      const probe = createBacklogProbe(this.sockets.map(({ handle }) => handle.fd));
      if (probe) this.backlogTimer = setInterval(() => this.metrics.backlog(probe()), BACKLOG_INTERVAL_MS);
    }
    this.manage();
  }

  private spawn(): WorkerState {
    const worker = cluster.fork();
    // A failed send to a worker that just died is reported here; its exit is handled in reap().
    worker.on('error', (error) => this.logger.debug(`Worker (pid:${worker.process.pid}): ${error.message}`));
    this.age += 1;
    const state: WorkerState = {
      worker,
      pid: worker.process.pid ?? -1,
      age: this.age,
      lastSeen: performance.now(),
      serving: false,
      retiring: false,
      replaced: false,
      timedOut: false,
    };
    this.workers.set(state.pid, state);
    return state;
  }

  private retire(state: WorkerState): void {
    state.retiring = true;
    state.worker.process.kill('SIGTERM');
  }

  /** Gunicorn's manage_workers(): spawn up to the target, retire the oldest beyond it, send the gauge on a change. */
  private manage(): void {
    if (this.stopping) return;
    const current = [...this.workers.values()].filter((state) => !state.retiring && !state.replaced);
    while (current.length < this.target) current.push(this.spawn());
    current.sort((a, b) => a.age - b.age);
    while (current.length > this.target) this.retire(current.shift() as WorkerState);
    // After SIGHUP the old workers stop only once every new one accepts, so no request waits in the
    // backlog for a worker still booting.
    if (current.every((state) => state.serving)) {
      for (const state of this.workers.values()) if (state.replaced && !state.retiring) this.retire(state);
    }
    // Gunicorn counts the workers it keeps (at most the target), retiring ones included until they
    // exit: so a replacement spawned at once, or a HUP, leaves the gauge unchanged.
    const live = Math.min(this.workers.size, this.target);
    if (live !== this.lastGauge) {
      this.lastGauge = live;
      this.logger.debug(`${live} workers`);
      this.metrics.workers(live);
    }
  }

  private onMessage(worker: Worker, message: unknown): void {
    const state = this.workers.get(worker.process.pid ?? -1);
    if (!state) return;
    state.lastSeen = performance.now();
    const type = messageType(message);
    if (type === SOCKETS_WANTED && !this.stopping) {
      this.sockets.forEach(({ handle }, index) => {
        const socketMessage: SocketMessage = { type: SOCKET, index, count: this.sockets.length };
        // node:child_process passes a raw TCP handle as a "net.Native" handle; its types only name net.Server.
        worker.send(socketMessage, handle as unknown as net.Server);
      });
    } else if (type === SERVING) {
      state.serving = true;
      this.manage();
    } else if (type === STATSD_OUTAGE) {
      const { down, message: text } = message as StatsdOutageMessage;
      if (down) this.outages.down(text);
      else this.outages.up(text);
    }
  }

  /** Gunicorn's reap_workers(): log how the worker ended, then replace it. */
  private reap(worker: Worker, code: number | null, signal: string | null): void {
    const pid = worker.process.pid ?? -1;
    if (!this.workers.delete(pid)) return;
    for (const { level, message } of describeWorkerExit(pid, code, signal)) this.logger[level](message);
    if (this.stopping) {
      if (this.workers.size === 0) void this.finish();
      return;
    }
    if (code === WORKER_BOOT_ERROR) {
      this.stop('graceful', WORKER_BOOT_ERROR, 'Worker failed to boot.');
      return;
    }
    this.manage();
  }

  /**
   * Gunicorn's murder_workers(): a worker silent for longer than --timeout is killed. Gunicorn sends
   * SIGABRT first and SIGKILL on its next pass; a Node worker whose event loop is blocked (or
   * stopped) cannot run a handler, so SIGKILL at once: the lines are the same (WORKER TIMEOUT,
   * then "was sent SIGKILL!" when it is reaped).
   */
  private murder(timeoutMs: number): void {
    const now = performance.now();
    for (const state of this.workers.values()) {
      if (state.timedOut || now - state.lastSeen <= timeoutMs) continue;
      state.timedOut = true;
      this.logger.critical(`WORKER TIMEOUT (pid:${state.pid})`);
      state.worker.process.kill('SIGKILL');
    }
  }

  private resize(change: 1 | -1): void {
    if (this.stopping) return;
    if (change < 0 && this.target <= 1) return; // as Gunicorn: refused silently at one worker
    this.target += change;
    this.manage();
  }

  private reload(): void {
    if (this.stopping) return;
    this.logger.info('Hang up: Master');
    // Gunicorn reloads its configuration on HUP, so a TTIN/TTOU count does not survive it.
    this.target = this.config.workers;
    for (const state of this.workers.values()) if (!state.retiring) state.replaced = true;
    this.manage();
  }

  /**
   * Gunicorn's stop(): close the sockets, signal every worker (SIGTERM: finish in-flight requests;
   * SIGQUIT: quickly), SIGKILL whatever is left at the deadline. A second stop signal during a
   * graceful stop makes it quick. Nothing is sent on the way down: no gauge, as in Gunicorn.
   */
  private stop(mode: 'graceful' | 'quick', exitCode = 0, reason: string | null = null): void {
    if (this.stopping === 'quick') return;
    if (this.stopping === 'graceful') {
      this.logger.info('Quick shutdown requested');
      this.stopping = 'quick';
      this.signalAll('SIGQUIT');
      this.setDeadline(QUICK_STOP_MS);
      return;
    }
    this.stopping = mode;
    this.exitCode = exitCode;
    this.reason = reason;
    if (this.murderTimer) clearInterval(this.murderTimer);
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    // The master's copies go first; each worker closes its own as it stops accepting.
    for (const { handle } of this.sockets) handle.close();
    this.signalAll(mode === 'graceful' ? 'SIGTERM' : 'SIGQUIT');
    const gracefulMs = this.config.gracefulTimeoutSeconds * 1_000;
    this.setDeadline(mode === 'graceful' ? gracefulMs : Math.min(gracefulMs, QUICK_STOP_MS));
    if (this.workers.size === 0) void this.finish();
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const state of this.workers.values()) state.worker.process.kill(signal);
  }

  private setDeadline(ms: number): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.signalAll('SIGKILL'), ms);
  }

  private async finish(): Promise<void> {
    if (this.deadline) clearTimeout(this.deadline);
    const log = this.exitCode === 0 ? this.logger.info : this.logger.error;
    log('Shutting down: Master');
    if (this.reason !== null) log(`Reason: ${this.reason}`);
    this.metricsServer?.close();
    // Every line still queued (log.error of a worker killed at the deadline, ...) goes out first.
    await this.metrics.close();
    process.exit(this.exitCode);
  }
}

export async function runMaster(config: Config): Promise<void> {
  const uncounted = createUncountedLog({ level: config.logLevel });
  const outages = createOutageLog(uncounted);
  const metrics = createGunicornStatsd({
    ...config.statsd,
    warn: outages.down,
    info: outages.up,
  });
  const logger = createServerLogger({ level: config.logLevel, metrics });
  const fail = async (): Promise<never> => {
    await metrics.close();
    process.exit(1);
  };

  logger.info(`Starting gunicorn-compatible master (Node.js ${process.version})`);
  const sockets: BoundSocket[] = [];
  for (const bind of config.binds) {
    const socket = await bindWithRetries(bind, logger);
    if (!socket) return fail();
    sockets.push(socket);
  }
  logger.info(`Listening at: ${sockets.map((socket) => socket.url).join(',')} (${process.pid})`);
  logger.info('Using worker: node:cluster');

  let metricsServer: http.Server | null = null;
  if (config.metricsBind) {
    try {
      metricsServer = await serveRuntimeMetrics(
        config.metricsBind,
        createRuntimeRegistry('master'),
        () => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined),
      );
      logger.info(`Runtime metrics at: http://${formatAddress(config.metricsBind)}/metrics`);
    } catch (error) {
      logger.error((error as Error).message);
      return fail();
    }
  }
  new Arbiter(config, metrics, logger, sockets, metricsServer, outages).run();
}
