// Everything the bench puts under load, each started on a free loopback port with N workers:
// this app with metrics off and with each packing mode, and the peers it is compared with.
import * as path from 'node:path';
import { STATSD_PACKINGS, type StatsdPacking } from '../app/src/config';
import { LOOPBACK } from '../harness/ports';
import { startServer } from '../harness/server';
import { ROOT, startApp, startGunicorn, type App } from '../harness/stack';

export type ContenderId =
  | 'app-off'
  | `app-${StatsdPacking}`
  | `app-${StatsdPacking}-discard`
  | 'bare-http'
  | 'express-prom-bundle'
  | 'gunicorn-off'
  | 'gunicorn-on';

export interface Contender {
  readonly id: ContenderId;
  readonly label: string;
  /** Sends its lines to the shared statsd_exporter, whose CPU then counts toward its cost. */
  readonly usesExporter: boolean;
  /** Sends its lines to the discarding socket on this port, whose kernel drops count them (discard.ts). */
  readonly discardingSinkPort?: number;
  start(workers: number): Promise<App>;
}

/** The StatsD prefix of the app's lines: the exporter labels them app="bench". */
export const APP_PREFIX = 'bench';
export const APP_LABEL = 'bench';
const GUNICORN_PREFIX = 'flask_app';
// Gunicorn's default sync worker closes the connection after every response; the load is
// keep-alive for every contender, and autocannon mis-times responses on connections the server
// closes (its queue of request start times goes stale: sub-millisecond responses read as ~1 s).
// The gthread worker with one thread keeps connections alive and still runs one request at a
// time per worker, like a Node worker. StatsD is the same code path in either worker class.
const GUNICORN_WORKER = ['--worker-class', 'gthread', '--threads', '1'];

// The environment can turn StatsD on (STATSD_HOST) or rename the prefix (APP_NAME); every
// contender gets exactly the flags below and nothing inherited.
export const CLEAN_ENV: NodeJS.ProcessEnv = { STATSD_HOST: undefined, STATSD_PORT: undefined, APP_NAME: undefined, WEB_CONCURRENCY: undefined };

export function appStatsdArgs(statsdPort: number, packing: StatsdPacking): string[] {
  return ['--statsd-host', `${LOOPBACK}:${statsdPort}`, '--statsd-prefix', APP_PREFIX, '--statsd-packing', packing];
}

/** A peer from bench/peers, run through ts-node like the bench itself (its cluster workers inherit
 * the --require), started and awaited exactly like the app. */
async function startPeer(file: string, workers: number): Promise<App> {
  return startServer({
    name: path.basename(file, '.ts'),
    command: process.execPath,
    leadingArgs: ['--require', 'ts-node/register', path.join(ROOT, 'bench', 'peers', file)],
    args: [],
    workers,
    ready: [/Listening at: /],
    readyTimeoutMs: 60_000,
    spawn: { cwd: ROOT, env: { ...process.env, ...CLEAN_ENV } },
  });
}

export const discardId = (packing: StatsdPacking): ContenderId => `app-${packing}-discard`;

/** In round order (see rounds.ts): metrics off between the packings it is compared with. */
export function contenders(statsdPort: number, discardPort: number, defaultPacking: StatsdPacking): Contender[] {
  const app = (packing: StatsdPacking): Contender => ({
    id: `app-${packing}`,
    label: `this app, metrics on (${packing})`,
    usesExporter: true,
    start: (workers) => startApp(appStatsdArgs(statsdPort, packing), { workers, env: CLEAN_ENV }),
  });
  const off: Contender = { id: 'app-off', label: 'this app, metrics off', usesExporter: false, start: (workers) => startApp([], { workers, env: CLEAN_ENV }) };
  // The default packing's lines into a socket nobody reads: the app's own cost, without the
  // exporter's CPU (see discard.ts).
  const discard: Contender = {
    id: discardId(defaultPacking),
    label: `this app, metrics on (${defaultPacking}) into a discarding socket`,
    usesExporter: false,
    discardingSinkPort: discardPort,
    start: (workers) => startApp(appStatsdArgs(discardPort, defaultPacking), { workers, env: CLEAN_ENV }),
  };
  const [first, ...rest] = STATSD_PACKINGS.map(app);
  return [
    first,
    off,
    discard,
    ...rest,
    { id: 'express-prom-bundle', label: 'express-prom-bundle (pull)', usesExporter: false, start: (workers) => startPeer('express-prom-bundle.ts', workers) },
    { id: 'bare-http', label: 'bare node:http (ceiling)', usesExporter: false, start: (workers) => startPeer('bare-http.ts', workers) },
    { id: 'gunicorn-off', label: 'Gunicorn + Flask, StatsD off', usesExporter: false, start: (workers) => startGunicorn(GUNICORN_WORKER, { workers, env: CLEAN_ENV }) },
    {
      id: 'gunicorn-on',
      label: 'Gunicorn + Flask, StatsD on',
      usesExporter: true,
      start: (workers) =>
        startGunicorn([...GUNICORN_WORKER, '--statsd-host', `${LOOPBACK}:${statsdPort}`, '--statsd-prefix', GUNICORN_PREFIX], {
          workers,
          env: CLEAN_ENV,
        }),
    },
  ];
}
