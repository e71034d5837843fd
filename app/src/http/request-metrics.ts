// Times every request and, when its response ends, sends Gunicorn's request triple (duration, requests, status).
import type { RequestHandler, Response } from 'express';
import { ServerResponse } from 'node:http';
import type { GunicornStatsd } from '../statsd/gunicorn-statsd';
import { holdWrites } from './write-hold';

/** A monotonic clock in nanoseconds (process.hrtime.bigint in production; tests pin it). */
export type NanosecondClock = () => bigint;

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
export function onceCompleted(res: Response, done: () => void): void {
  res.once('close', done);
}

const STARTED = Symbol('requestStarted');
/** A response carrying the time its request reached the middleware; null once its triple is out. */
type TimedResponse = Response & { [STARTED]: bigint | null };

type End = (this: Response, ...args: unknown[]) => Response;
const end = ServerResponse.prototype.end as unknown as End;

/**
 * Middleware sending the triple for every request that reaches the app (404s and 500s included;
 * requests Node's HTTP parser rejects never get here: client-errors.ts counts those as a warning,
 * with no triple, as Gunicorn does).
 *
 * The triple is taken when the response ends (`res.end()`, which Express's send() and every
 * other response method call), and the connection's writes are held until the triple is in the
 * kernel: a response never reaches its client before its lines have left the worker, so a worker
 * killed at any moment cannot have answered a request it did not count. (The reverse can happen,
 * lines out for a response the kill then kept from its client: Gunicorn too counts a request whose
 * response could not be written.)
 *
 * Disconnect semantics: when the connection closes before the response has ended, the triple
 * is sent at that moment, with the time elapsed so far and `res.statusCode` as it is then: the
 * status the route had set, or 200 (Express's default) if it had set none yet. Never twice.
 *
 * It runs on every request, so it makes no closure per request: one `end` and one 'close'
 * listener serve every response, and the start time rides on the response itself. `on`, not
 * `once` (which wraps the listener anew each time), because Node emits 'close' once per response:
 * it marks the response closed before emitting, and emits only if it was not.
 */
export function requestMetrics(deps: {
  readonly metrics: Pick<GunicornStatsd, 'request'>;
  readonly now: NanosecondClock;
}): RequestHandler {
  const { metrics, now } = deps;
  function ended(this: TimedResponse, ...args: unknown[]): Response {
    const started = this[STARTED];
    if (started !== null) {
      this[STARTED] = null;
      const socket = this.socket;
      metrics.request(now() - started, this.statusCode, socket === null || socket.destroyed ? undefined : holdWrites(socket));
    }
    return end.apply(this, args);
  }
  function closed(this: TimedResponse): void {
    const started = this[STARTED];
    if (started === null) return;
    this[STARTED] = null;
    metrics.request(now() - started, this.statusCode);
  }
  return (_req, res, next) => {
    (res as TimedResponse)[STARTED] = now();
    res.end = ended as Response['end'];
    res.on('close', closed);
    next();
  };
}
