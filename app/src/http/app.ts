// createApp(deps): the Express app with its metrics, demo routes, 404 and final error handler. Listens on nothing.
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { ServerLogger } from '../logger';
import type { GunicornStatsd } from '../statsd/gunicorn-statsd';
import { accessLog } from './access-log';
import { demoRoutes } from './demo-routes';
import { requestMetrics, type NanosecondClock } from './request-metrics';

export interface AppDeps {
  /** When metrics are off (`enabled` false) requests are not timed at all. */
  readonly metrics: Pick<GunicornStatsd, 'enabled' | 'request'>;
  readonly logger: Pick<ServerLogger, 'exception'>;
  /** Monotonic nanoseconds for request durations. */
  readonly now: NanosecondClock;
  /** Wall clock for access log lines. */
  readonly date: () => Date;
  readonly delayScale: number;
  readonly random: () => number;
  /** Receives one Gunicorn-format access log line per request; absent = no access log. */
  readonly accessLog?: (line: string) => void;
}

const notFound: RequestHandler = (_req, res) => {
  res.status(404).type('text/plain').send('Not Found');
};

/**
 * An error that escaped a route: counted as log.exception before the 500 goes out, because the
 * triple is only sent when the response ends (Gunicorn's order: "Error handling
 * request", then the access log and the triple).
 */
function finalErrorHandler(logger: Pick<ServerLogger, 'exception'>): ErrorRequestHandler {
  return (error, req, res, next) => {
    logger.exception(`Error handling request ${req.method} ${req.originalUrl}`, error);
    // Part of a response already out: a 500 would corrupt it. Express's own handler then closes
    // the connection, as Gunicorn does.
    if (res.headersSent) {
      next(error);
      return;
    }
    res.status(500).type('text/plain').send('Internal Server Error');
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  // Nothing to advertise; Gunicorn's Server header names no framework either.
  app.disable('x-powered-by');
  if (deps.accessLog) app.use(accessLog({ write: deps.accessLog, date: deps.date }));
  // Metrics off costs nothing per request: no clock reads, no listener.
  if (deps.metrics.enabled) app.use(requestMetrics({ metrics: deps.metrics, now: deps.now }));
  app.use(demoRoutes({ delayScale: deps.delayScale, random: deps.random }));
  app.use(notFound);
  app.use(finalErrorHandler(deps.logger));
  return app;
}
