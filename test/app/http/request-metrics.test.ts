// requestMetrics: the triple once per request, on completion; and, when the connection closes first, once at that moment with the status set then.
import express, { type Express } from 'express';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestMetrics } from '../../../app/src/http/request-metrics';
import { createGunicornStatsd, type GunicornStatsd } from '../../../app/src/statsd/gunicorn-statsd';
import { normalisePrefix } from '../../../app/src/statsd/lines';
import { masked, triple } from '../../support/app-harness';
import { collectUdp, type UdpCollector } from '../../../harness/udp';

interface Running {
  readonly udp: UdpCollector;
  readonly metrics: GunicornStatsd;
  readonly server: http.Server;
  readonly url: string;
  /** Resolves when a request reaches the route. */
  reached(): Promise<void>;
}

let running: Running | null = null;
afterEach(async () => {
  if (!running) return;
  running.server.closeAllConnections();
  await new Promise((resolve) => running?.server.close(resolve));
  await running.metrics.close();
  await running.udp.close();
  running = null;
});

/**
 * An app with the middleware and routes made for these cases:
 * /ok answers 200; /pending sets 503 and waits for `release`; /pending-default sets nothing and waits.
 */
async function start(release: Promise<void>): Promise<Running> {
  const udp = await collectUdp();
  const metrics = createGunicornStatsd({
    target: { host: '127.0.0.1', port: udp.port }, prefix: normalisePrefix('svc.flask_app'), tags: '', packing: 'line',
    warn: (message) => {
      throw new Error(message);
    },
  });
  const arrivals: (() => void)[] = [];
  const app: Express = express();
  app.use(requestMetrics({ metrics, now: process.hrtime.bigint }));
  app.use((_req, _res, next) => {
    arrivals.shift()?.();
    next();
  });
  app.get('/ok', (_req, res) => {
    res.send('ok');
  });
  app.get('/pending', async (_req, res) => {
    res.status(503);
    await release;
    res.send('too late');
  });
  app.get('/pending-default', async (_req, res) => {
    await release;
    res.send('too late');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  running = {
    udp,
    metrics,
    server,
    url: `http://127.0.0.1:${port}`,
    reached: () => new Promise<void>((resolve) => arrivals.push(resolve)),
  };
  return running;
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    }).once('error', reject);
  });
}

/** Starts a GET and destroys the connection as soon as the route has it. */
async function abandon(app: Running, path: string): Promise<void> {
  const reached = app.reached();
  const request = http.get(`${app.url}${path}`, { agent: false });
  request.once('error', () => {}); // the client's own "socket hang up"
  await reached;
  request.destroy();
}

const statusLines = (udp: UdpCollector) => udp.lines().filter((line) => line.includes('.request.status.'));

describe('a completed response', () => {
  it('sends the triple once (\'close\' follows \'finish\' and sends nothing more)', async () => {
    const app = await start(Promise.resolve());
    expect(await get(`${app.url}/ok`)).toBe(200);
    expect(await get(`${app.url}/ok`)).toBe(200);
    await app.udp.waitFor((lines) => lines.length >= 6);
    expect(masked(app.udp.lines())).toEqual([...triple(200), ...triple(200)]);
  });
});

describe('the client disconnects before the response completes', () => {
  it('sends the triple at once, with the status the route had set (503), never again when the route finishes later', async () => {
    let release!: () => void;
    const app = await start(new Promise<void>((resolve) => (release = resolve)));
    await abandon(app, '/pending');
    await app.udp.waitFor((lines) => lines.length >= 3);
    release(); // the route now writes to a closed connection
    // A later request's triple directly after: nothing came from the abandoned one in between.
    expect(await get(`${app.url}/ok`)).toBe(200);
    await app.udp.waitFor((lines) => lines.length >= 6);
    expect(masked(app.udp.lines())).toEqual([...triple(503), ...triple(200)]);
  });

  it('reports 200, Express\'s default, when the route had set no status yet', async () => {
    let release!: () => void;
    const app = await start(new Promise<void>((resolve) => (release = resolve)));
    await abandon(app, '/pending-default');
    await app.udp.waitFor((lines) => lines.length >= 3);
    release();
    expect(await get(`${app.url}/ok`)).toBe(200);
    await app.udp.waitFor(() => statusLines(app.udp).length >= 2);
    expect(masked(app.udp.lines())).toEqual([...triple(200), ...triple(200)]);
  });
});
