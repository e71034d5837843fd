// Gunicorn's default access log line, one per completed request, for --access-logfile.
//
// Gunicorn's default access_log_format is  %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"
// (remote address (the client's, from a PROXY header, when one was read), '-', user, [time], request line, status, body bytes, referer, user agent),
// written as it reports the request, just before the StatsD triple.
import type { Request, RequestHandler, Response } from 'express';
import { createWriteStream, openSync } from 'node:fs';
import { clientAddress } from '../proxy-protocol/client-address';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[25/Nov/2026:19:27:19 +0000]`: Apache's common log time, in local time, as Gunicorn's now(). */
export function formatAccessTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `[${two(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:`
    + `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} `
    + `${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}]`;
}

/** The user of HTTP basic authentication, as Gunicorn's %(u)s; '-' without one. */
function basicAuthUser(authorization: string | undefined): string {
  const match = /^basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return '-';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : '-';
}

function formatAccessLine(req: Request, res: Response, date: Date): string {
  const length = res.getHeader('content-length');
  return [
    // The PROXY header's client when --proxy-protocol read one (Gunicorn's REMOTE_ADDR), else the peer.
    clientAddress(req.socket) ?? '-',
    '-',
    basicAuthUser(req.headers.authorization),
    formatAccessTime(date),
    // originalUrl is the request target as received (Gunicorn's RAW_URI).
    `"${req.method} ${req.originalUrl} HTTP/${req.httpVersion}"`,
    String(res.statusCode),
    length === undefined ? '-' : String(length),
    `"${req.headers.referer ?? '-'}"`,
    `"${req.headers['user-agent'] ?? '-'}"`,
  ].join(' ');
}

/**
 * Calls `done` exactly once per response, on its 'close' event, which Node emits for every
 * response:
 * - on the tick after 'finish', once the whole response has been handed to the connection (the
 *   normal case): to the operating system, or, while the metrics hold the connection's writes,
 *   to the hold, which lets it go once the request's lines are out (write-hold.ts);
 * - alone when the connection went away first (the client disconnected, or the worker destroyed
 *   it at the end of a graceful or quick stop).
 * Gunicorn's sync worker reports a request in a `finally` block, so a request whose client went
 * away is still counted; this is the same rule, expressed with Node's response events. One
 * listener, not one for 'finish' and one for 'close'.
 */
function onceCompleted(res: Response, done: () => void): void {
  res.once('close', done);
}

export function accessLog(deps: { readonly write: (line: string) => void; readonly date: () => Date }): RequestHandler {
  return (req, res, next) => {
    onceCompleted(res, () => deps.write(`${formatAccessLine(req, res, deps.date())}\n`));
    next();
  };
}

interface AccessLogSink {
  write(line: string): void;
  /** Resolves once every line written so far is out (before a worker exits). */
  close(): Promise<void>;
}

/**
 * '-' is stdout, as in Gunicorn; anything else a file opened for appending. Opened synchronously,
 * so a path that cannot be written fails the worker's boot, as it fails Gunicorn's start.
 */
export function openAccessLog(target: string): AccessLogSink {
  if (target === '-') {
    return {
      write: (line) => void process.stdout.write(line),
      close: () => new Promise((resolve) => process.stdout.write('', () => resolve())),
    };
  }
  const stream = createWriteStream('', { fd: openSync(target, 'a') });
  return {
    write: (line) => void stream.write(line),
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}
