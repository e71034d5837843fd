// The arbiter (Gunicorn's master process, on node:cluster): binds, forks and replaces workers, acts
// on signals, kills silent workers, sends the workers gauge and the backlog. What to fork, whom to
// stop and what to report is decided in supervision.ts; this module carries the decisions out.
// arbiter/ is Gunicorn's name for this role (gunicorn/arbiter.py); the folder holds the process model around it.
import cluster, { type Worker } from 'node:cluster';
import type * as http from 'node:http';
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { formatAddress } from '../address';
import type { Config } from '../config';
import { createBacklogProbe } from './backlog';
import { bindSocket, type BoundSocket } from './bound-sockets';
import { createServerLogger, createUncountedLog, type ServerLogger } from '../logger';
import { createRuntimeRegistry, serveRuntimeMetrics } from './runtime-metrics';
import { createGunicornStatsd, type GunicornStatsd } from '../statsd/gunicorn-statsd';
import { describeWorkerExit, WORKER_BOOT_ERROR } from './worker-exit';
import { createOutageLog, type OutageLog } from '../statsd/outage-log';
import {
  afterExit, planWorkers, replacedOnReload, resizedTarget, silentWorkers, stopStep, workersGauge,
  type Heartbeat, type StopMode, type WorkerView,
} from './supervision';
import {
  SERVING, SOCKET, SOCKETS_WANTED, STATSD_OUTAGE, messageType, type SocketMessage, type StatsdOutageMessage,
} from './worker-messages';

/** Gunicorn samples the backlog once per turn of its master loop, which sleeps up to 1 s. */
const BACKLOG_INTERVAL_MS = 1_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The master's record of a worker: what the decisions read (it updates them), and the worker to act on. */
interface WorkerState extends Mutable<WorkerView>, Mutable<Heartbeat> {
  readonly worker: Worker;
}

class Arbiter {
  /** Gunicorn's num_workers: --workers, moved by TTIN/TTOU, reset by HUP. */
  private target: number;
  private readonly workers = new Map<number, WorkerState>();
  private age = 0;
  private lastGauge = 0;
  private stopping: StopMode | null = null;
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

  /** The records of the workers a decision names (decided on this map, so every one is there). */
  private statesOf(pids: readonly number[]): WorkerState[] {
    return pids.flatMap((pid) => this.workers.get(pid) ?? []);
  }

  private retire(state: WorkerState): void {
    state.retiring = true;
    state.worker.process.kill('SIGTERM');
  }

  /** Gunicorn's manage_workers(): fork and retire as planned, send the gauge on a change. */
  private manage(): void {
    if (this.stopping) return;
    const plan = planWorkers([...this.workers.values()], this.target);
    for (let i = 0; i < plan.spawn; i += 1) this.spawn();
    for (const state of this.statesOf(plan.retire)) this.retire(state);
    const gauge = workersGauge(this.workers.size, this.target, this.lastGauge);
    if (gauge !== null) {
      this.lastGauge = gauge;
      this.logger.debug(`${gauge} workers`);
      this.metrics.workers(gauge);
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
    switch (afterExit(this.stopping !== null, this.workers.size, code, WORKER_BOOT_ERROR)) {
      case 'finish':
        void this.finish();
        return;
      case 'wait':
        return;
      case 'stop-boot-failed':
        this.stop('graceful', WORKER_BOOT_ERROR, 'Worker failed to boot.');
        return;
      case 'replace':
        this.manage();
    }
  }

  /**
   * Gunicorn's murder_workers(): a worker silent for longer than --timeout is killed. Gunicorn sends
   * SIGABRT first and SIGKILL on its next pass; a Node worker whose event loop is blocked (or
   * stopped) cannot run a handler, so SIGKILL at once: the lines are the same (WORKER TIMEOUT,
   * then "was sent SIGKILL!" when it is reaped).
   */
  private murder(timeoutMs: number): void {
    for (const state of this.statesOf(silentWorkers([...this.workers.values()], performance.now(), timeoutMs))) {
      state.timedOut = true;
      this.logger.critical(`WORKER TIMEOUT (pid:${state.pid})`);
      state.worker.process.kill('SIGKILL');
    }
  }

  private resize(change: 1 | -1): void {
    if (this.stopping) return;
    const target = resizedTarget(this.target, change);
    if (target === this.target) return;
    this.target = target;
    this.manage();
  }

  private reload(): void {
    if (this.stopping) return;
    this.logger.info('Hang up: Master');
    // Gunicorn reloads its configuration on HUP, so a TTIN/TTOU count does not survive it.
    this.target = this.config.workers;
    for (const state of this.statesOf(replacedOnReload([...this.workers.values()]))) state.replaced = true;
    this.manage();
  }

  /**
   * Gunicorn's stop(): close the sockets, signal every worker (SIGTERM: finish in-flight requests;
   * SIGQUIT: quickly), SIGKILL whatever is left at the deadline. A second stop signal during a
   * graceful stop makes it quick. Nothing is sent on the way down: no gauge, as in Gunicorn.
   */
  private stop(mode: StopMode, exitCode = 0, reason: string | null = null): void {
    const step = stopStep(this.stopping, mode, this.config.gracefulTimeoutSeconds * 1_000);
    if (step.kind === 'ignore') return;
    if (step.kind === 'quicken') {
      this.logger.info('Quick shutdown requested');
      this.stopping = 'quick';
      this.signalAll(step.signal);
      this.setDeadline(step.deadlineMs);
      return;
    }
    this.stopping = step.mode;
    this.exitCode = exitCode;
    this.reason = reason;
    if (this.murderTimer) clearInterval(this.murderTimer);
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    // The master's copies go first; each worker closes its own as it stops accepting.
    for (const { handle } of this.sockets) handle.close();
    this.signalAll(step.signal);
    this.setDeadline(step.deadlineMs);
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
    const socket = await bindSocket(bind, logger);
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
