// The arbiter's decisions, as pure functions of what it knows about its workers: how many to fork
// and whom to retire, which silent worker to kill, what the workers gauge says, how a signal moves
// the worker count, and what a stop request or a worker's exit leads to. The master (master.ts)
// holds the state and does the forking, signalling and sending; these functions only decide, so
// each decision is tested with a table instead of by forking processes.

/** What the arbiter knows of one worker when it decides. */
export interface WorkerView {
  readonly pid: number;
  /** Spawn order: the oldest is retired first, as Gunicorn does. */
  readonly age: number;
  /** Listening on every socket. */
  readonly serving: boolean;
  /** Sent SIGTERM (TTOU, or replaced after SIGHUP): no longer counts toward the target. */
  readonly retiring: boolean;
  /** Replaced by SIGHUP: retires once every new worker is serving. */
  readonly replaced: boolean;
}

export interface WorkerPlan {
  /** How many workers to fork now. */
  readonly spawn: number;
  /** The workers to send SIGTERM, in that order. */
  readonly retire: readonly number[];
}

/**
 * Gunicorn's manage_workers(): fork up to the target, retire the oldest beyond it. After SIGHUP the
 * replaced workers retire only once every worker kept is serving, so no request waits in the
 * backlog for a worker still booting.
 */
export function planWorkers(workers: readonly WorkerView[], target: number): WorkerPlan {
  const current = workers.filter((worker) => !worker.retiring && !worker.replaced).sort((a, b) => a.age - b.age);
  const spawn = Math.max(0, target - current.length);
  const excess = current.slice(0, Math.max(0, current.length - target));
  const kept = current.slice(excess.length);
  // Forked workers are not serving yet, so a plan that forks never retires the replaced ones.
  const replacedMayGo = spawn === 0 && kept.every((worker) => worker.serving);
  const replaced = replacedMayGo
    ? workers.filter((worker) => worker.replaced && !worker.retiring).sort((a, b) => a.age - b.age)
    : [];
  return { spawn, retire: [...excess, ...replaced].map((worker) => worker.pid) };
}

/**
 * The workers gauge to send, or null when it has not changed. Gunicorn counts the workers it keeps
 * (at most the target), retiring ones included until they exit: so a replacement forked at once,
 * or a HUP, leaves the gauge unchanged.
 */
export function workersGauge(known: number, target: number, lastSent: number): number | null {
  const live = Math.min(known, target);
  return live === lastSent ? null : live;
}

/** What the timeout check knows of one worker. */
export interface Heartbeat {
  readonly pid: number;
  /** performance.now() of the last message from the worker (any message proves its event loop runs). */
  readonly lastSeen: number;
  /** Already killed for silence: killed once. */
  readonly timedOut: boolean;
}

/** Gunicorn's murder_workers(): the workers silent for longer than the timeout, not yet killed. */
export function silentWorkers(workers: readonly Heartbeat[], now: number, timeoutMs: number): number[] {
  return workers.filter((worker) => !worker.timedOut && now - worker.lastSeen > timeoutMs).map((worker) => worker.pid);
}

/** The target after SIGTTIN (+1) or SIGTTOU (-1): as Gunicorn, TTOU is refused silently at one worker. */
export function resizedTarget(target: number, change: 1 | -1): number {
  return change < 0 && target <= 1 ? target : target + change;
}

/** The workers SIGHUP replaces: every one not already retiring. */
export function replacedOnReload(workers: readonly WorkerView[]): number[] {
  return workers.filter((worker) => !worker.retiring).map((worker) => worker.pid);
}

export type StopMode = 'graceful' | 'quick';

/** How long workers get after SIGINT/SIGQUIT (or a second SIGTERM), as Gunicorn's "Quick shutdown". */
export const QUICK_STOP_MS = 2_000;

export type StopStep =
  | { readonly kind: 'ignore' }
  /** A second stop signal during a graceful stop: SIGQUIT to every worker, a shorter deadline. */
  | { readonly kind: 'quicken'; readonly signal: 'SIGQUIT'; readonly deadlineMs: number }
  /** The first stop signal: close the sockets, signal every worker, SIGKILL what is left at the deadline. */
  | { readonly kind: 'begin'; readonly mode: StopMode; readonly signal: 'SIGTERM' | 'SIGQUIT'; readonly deadlineMs: number };

/** Gunicorn's stop(): what a stop request does, given whether (and how) the master is stopping already. */
export function stopStep(stopping: StopMode | null, requested: StopMode, gracefulTimeoutMs: number): StopStep {
  if (stopping === 'quick') return { kind: 'ignore' };
  if (stopping === 'graceful') return { kind: 'quicken', signal: 'SIGQUIT', deadlineMs: QUICK_STOP_MS };
  return requested === 'graceful'
    ? { kind: 'begin', mode: 'graceful', signal: 'SIGTERM', deadlineMs: gracefulTimeoutMs }
    : { kind: 'begin', mode: 'quick', signal: 'SIGQUIT', deadlineMs: Math.min(gracefulTimeoutMs, QUICK_STOP_MS) };
}

/**
 * Gunicorn's reap_workers(), after the exit is logged: while stopping, wait for the rest and
 * finish after the last; a worker that failed to boot stops the master; any other exit is replaced.
 */
export function afterExit(
  stopping: boolean,
  workersLeft: number,
  exitCode: number | null,
  bootErrorCode: number,
): 'finish' | 'wait' | 'stop-boot-failed' | 'replace' {
  if (stopping) return workersLeft === 0 ? 'finish' : 'wait';
  return exitCode === bootErrorCode ? 'stop-boot-failed' : 'replace';
}
