// What the master logs when a worker exits, as reap_workers() in gunicorn/arbiter.py (27.0.1) does. Pure.
import type { ServerLogger } from '../logger';

/** A worker that could not boot exits with this code; the master then halts (Gunicorn's WORKER_BOOT_ERROR). */
export const WORKER_BOOT_ERROR = 3;

export interface ExitLogLine {
  readonly level: keyof Pick<ServerLogger, 'info' | 'warning' | 'error'>;
  readonly message: string;
}

/**
 * SIGKILL is an error (the hint: out of memory), SIGTERM routine (info), any other signal a
 * warning; a non-zero exit code an error. A worker that exits 0 (its graceful or quick stop)
 * logs nothing here. The levels matter: error and warning are counted as gunicorn.log.<level>.
 */
export function describeWorkerExit(pid: number, code: number | null, signal: string | null): ExitLogLine[] {
  const lines: ExitLogLine[] = [];
  if (signal !== null) {
    const message = `Worker (pid:${pid}) was sent ${signal}!`;
    if (signal === 'SIGKILL') lines.push({ level: 'error', message: `${message} Perhaps out of memory?` });
    else if (signal === 'SIGTERM') lines.push({ level: 'info', message });
    else lines.push({ level: 'warning', message });
  }
  if (code !== null && code !== 0) lines.push({ level: 'error', message: `Worker (pid:${pid}) exited with code ${code}.` });
  return lines;
}
