// The pull-model peer: this app's own routes (the same dist/ build, StatsD off) behind
// express-prom-bundle, the usual way to give an Express app Prometheus metrics: a prom-client
// histogram per method, path and status, served at /metrics, here on node:cluster with N workers.
import * as path from 'node:path';
import express from 'express';
import promBundle from 'express-prom-bundle';
import type { createApp as CreateApp } from '../../app/src/http/app';
import { runClusterPeer } from './cluster';

// The compiled app, as the app contender runs it, rather than a second copy compiled by ts-node.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp } = require(path.resolve(__dirname, '..', '..', 'dist', 'http', 'app')) as { createApp: typeof CreateApp };

runClusterPeer('express-prom-bundle', () => {
  const outer = express();
  outer.disable('x-powered-by');
  // The options of express-prom-bundle's README example: a label per method, path and status.
  outer.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
  // Mounted whole: createApp() builds its routes itself, so the bundle goes in front of it.
  outer.use(
    createApp({
      metrics: { enabled: false, request: () => undefined },
      logger: { exception: (message: string) => process.stderr.write(`${message}\n`) },
      now: process.hrtime.bigint,
      date: () => new Date(),
      delayScale: 1,
      random: Math.random,
    }),
  );
  return outer;
});
