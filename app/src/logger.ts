// Gunicorn-style server (error) log on stderr; critical/error/warning/exception also count as gunicorn.log.<level>.
//
// Mirrors gunicorn/glogging.py (format "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
// datefmt "[%Y-%m-%d %H:%M:%S %z]") and gunicorn/instrument/statsd.py, whose Statsd logger does
//     def warning(self, msg, ...): Logger.warning(self, msg, ...); self.increment("gunicorn.log.warning", 1)
// i.e. it writes (subject to --log-level) and then counts *unconditionally*: the level filter
// decides what is written, never what is counted. Same here.
import type { LogLevel } from './config';
import type { GunicornStatsd } from './statsd/gunicorn-statsd';

export interface ServerLogger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  /** An exception escaped the application: an ERROR line plus the stack, counted as log.exception. */
  exception(message: string, error?: unknown): void;
}

export interface LogOutputOptions {
  /** Lines below this level are not written. Default info (Gunicorn's). */
  readonly level?: LogLevel;
  /** Default process.stderr, looked up at each write. */
  readonly stream?: NodeJS.WritableStream;
  /** Default process.pid. */
  readonly pid?: number;
  /** Clock for the timestamp (tests pin it). */
  readonly now?: () => Date;
}

export interface ServerLoggerOptions extends LogOutputOptions {
  readonly level: LogLevel;
  readonly metrics: Pick<GunicornStatsd, 'log'>;
}

/** Python logging's numeric levels: a line is written when its level >= the threshold. */
const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

export function createServerLogger(options: ServerLoggerOptions): ServerLogger {
  const write = createWriter(options);
  const { metrics } = options;
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warning(message) {
      write('warning', message);
      metrics.log('warning');
    },
    error(message) {
      write('error', message);
      metrics.log('error');
    },
    critical(message) {
      write('critical', message);
      metrics.log('critical');
    },
    exception(message, error) {
      // logging.exception logs at ERROR and appends the traceback.
      write('error', error === undefined ? message : `${message}\n${describeError(error)}`);
      metrics.log('exception');
    },
  };
}

/**
 * Lines in the same format that never count: for the StatsD socket's outage messages (a failure
 * to send a metric is only logged, as Gunicorn's "Error sending message to statsd" warning is).
 */
export function createUncountedLog(options: LogOutputOptions = {}): { info(message: string): void; warn(message: string): void } {
  const write = createWriter(options);
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warning', message),
  };
}

/** `[2026-11-25 19:30:00 +0000] [PID] [LEVEL] message`, in local time as Python's asctime/%z. */
export function formatLogLine(date: Date, pid: number, level: LogLevel, message: string): string {
  return `${formatTimestamp(date)} [${pid}] [${level.toUpperCase()}] ${message}`;
}

function createWriter(options: LogOutputOptions): (level: LogLevel, message: string) => void {
  const threshold = SEVERITY[options.level ?? 'info'];
  const pid = options.pid ?? process.pid;
  const now = options.now ?? (() => new Date());
  return (level, message) => {
    if (SEVERITY[level] < threshold) return;
    const stream = options.stream ?? process.stderr;
    try {
      stream.write(`${formatLogLine(now(), pid, level, message)}\n`);
    } catch {
      // A closed stderr must not take a request or the master down with it.
    }
  };
}

function formatTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return `[${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} `
    + `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} `
    + `${sign}${two(Math.floor(absolute / 60))}${two(absolute % 60)}]`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
