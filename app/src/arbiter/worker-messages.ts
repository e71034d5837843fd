// The messages between the master and its workers over the cluster IPC channel (the runtime metrics have their own, in runtime-metrics.ts).
//
//   worker → master  HEARTBEAT        "my event loop is running" (Gunicorn's worker.notify())
//   worker → master  SOCKETS_WANTED   once at start-up: "send me the listening sockets"
//   master → worker  SOCKET           one per --bind, the bound socket passed as the message's handle
//   worker → master  SERVING          every socket is listening: the worker takes requests
//   worker → master  STATSD_OUTAGE    its StatsD socket stopped (down) or resumed (up) sending
export const HEARTBEAT = 'gunicorn-compat:heartbeat';
export const SOCKETS_WANTED = 'gunicorn-compat:sockets-wanted';
export const SOCKET = 'gunicorn-compat:socket';
export const SERVING = 'gunicorn-compat:serving';
export const STATSD_OUTAGE = 'gunicorn-compat:statsd-outage';

export interface StatsdOutageMessage {
  readonly type: typeof STATSD_OUTAGE;
  readonly down: boolean;
  readonly message: string;
}

export interface SocketMessage {
  readonly type: typeof SOCKET;
  /** Position of the socket in --bind order, and how many there are. */
  readonly index: number;
  readonly count: number;
}

export function messageType(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type } = message as { type?: unknown };
  return typeof type === 'string' ? type : undefined;
}

/**
 * How often a worker reports. Gunicorn's sync worker notifies at least every timeout/2; a quarter
 * leaves room for a slow tick. Capped at a second, the master's own check interval, and still sent
 * (cheaply) when the timeout is disabled so the rule stays one.
 */
export function heartbeatIntervalMs(timeoutSeconds: number): number {
  return timeoutSeconds > 0 ? Math.min(1_000, (timeoutSeconds * 1_000) / 4) : 1_000;
}
