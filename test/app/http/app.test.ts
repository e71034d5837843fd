// createApp: every route answers as specified and sends Gunicorn's exact triple, in order, on a real UDP socket.
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../app/src/http/app';
import { createServerLogger } from '../../../app/src/logger';
import { createGunicornStatsd } from '../../../app/src/statsd/gunicorn-statsd';
import { normalisePrefix } from '../../../app/src/statsd/lines';
import { RANDOM_STATUSES } from '../../../app/src/http/demo-routes';
import { DURATION_VALUE, harness, masked, PREFIX, triple, type Harness } from '../../support/app-harness';

let current: Harness | null = null;
async function setUp(overrides: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  current = await harness(overrides);
  return current;
}
afterEach(async () => {
  await current?.close();
  current = null;
});

/** Sends one request and waits for its triple (and any line sent before it). */
async function lines(h: Harness, path: string, expectedStatus: number, method: 'get' | 'post' = 'get'): Promise<string[]> {
  await request(h.app)[method](path).expect(expectedStatus);
  return h.udp.waitFor((received) => received.some((line) => line.includes('.request.status.')));
}

describe('routes and their lines', () => {
  it.each([
    ['/', 200],
    ['/io_task', 200],
    ['/cpu_task', 200],
    ['/random_sleep', 200],
    ['/random_status', 200],
    ['/no-such-page', 404],
    ['/io_task/extra', 404],
  ])('GET %s answers %i and sends duration, requests, status.%i: exactly those, in that order', async (path, status) => {
    const h = await setUp();
    expect(masked(await lines(h, path, status))).toEqual(triple(status));
  });

  it('POST / is not a route: 404 and its triple', async () => {
    const h = await setUp();
    expect(masked(await lines(h, '/', 404, 'post'))).toEqual(triple(404));
  });

  it('each line travels alone in its datagram (Gunicorn sends one line per datagram)', async () => {
    const h = await setUp();
    await lines(h, '/', 200);
    expect(h.udp.datagrams.map((datagram) => datagram.split('\n').length)).toEqual([1, 1, 1]);
  });

  it('the duration is the time the route took, printed as Python prints a float', async () => {
    const h = await setUp({ delayScale: 0.01 }); // /io_task: 20 ms
    const [duration] = await lines(h, '/io_task', 200);
    const value = duration.split(':')[1].split('|')[0];
    expect(value).toMatch(DURATION_VALUE);
  });

  it('dogstatsd tags end every line of the triple', async () => {
    const h = await setUp({ tags: 'env:test,team:sre' });
    expect(masked(await lines(h, '/', 200))).toEqual(triple(200, '|#env:test,team:sre'));
  });
});

describe('metrics off (no --statsd-host)', () => {
  it('the app does not time requests: the clock is never read, every route still answers', async () => {
    let clockReads = 0;
    const app = createApp({
      metrics: createGunicornStatsd({
        target: null, prefix: normalisePrefix(PREFIX), tags: '', packing: 'buffer', warn: () => {},
      }),
      logger: createServerLogger({ level: 'critical', metrics: { log: () => {} }, stream: new PassThrough() }),
      now: () => {
        clockReads += 1;
        return 0n;
      },
      date: () => new Date(),
      delayScale: 0,
      random: () => 0,
    });
    await request(app).get('/').expect(200);
    await request(app).get('/no-such-page').expect(404);
    expect(clockReads).toBe(0);
  });
});

describe('the duration value with a pinned clock (nanoseconds → Gunicorn\'s milliseconds)', () => {
  it.each([
    ['a whole number keeps ".0"', 2_000_000, '2.0'],
    ['microsecond resolution, shortest digits', 2_490_999, '2.49'],
    ['float noise above one second is real output', 1_016_036_000, '1016.0360000000001'],
  ])('%s: %i ns → %s', async (_name, elapsed, printed) => {
    const clock = [1_000_000_000n, 1_000_000_000n + BigInt(elapsed)];
    const h = await setUp({ now: () => clock.shift() ?? 0n });
    const [duration] = await lines(h, '/', 200);
    expect(duration).toBe(`${PREFIX}.gunicorn.request.duration:${printed}|ms`);
  });
});

describe('/random_status: 200 six times as often as 300 or 500, three times as often as 400', () => {
  // The route draws once from `random`; each tenth of [0, 1) is one entry of the table.
  it('the table has that shape', () => {
    const count = (status: number) => RANDOM_STATUSES.filter((s) => s === status).length;
    expect([count(200), count(300), count(400), count(500)]).toEqual([6, 1, 2, 1]);
    expect(RANDOM_STATUSES).toHaveLength(10);
  });

  it.each([
    [0, 200],
    [0.59, 200],
    [0.6, 300],
    [0.7, 400],
    [0.89, 400],
    [0.9, 500],
    [0.999, 500],
  ])('random() = %f → %i, with its triple', async (draw, status) => {
    const h = await setUp({ random: () => draw });
    expect(masked(await lines(h, '/random_status', status))).toEqual(triple(status));
  });
});

describe('/exception: an error escaping a route', () => {
  it('answers 500; log.exception is sent before that request\'s triple', async () => {
    const h = await setUp();
    const response = await request(h.app).get('/exception').expect(500);
    expect(response.text).toBe('Internal Server Error');
    const received = await h.udp.waitFor((all) => all.length >= 4);
    expect(masked(received)).toEqual([`${PREFIX}.gunicorn.log.exception:1|c|@1.0`, ...triple(500)]);
  });

  it('is logged as Gunicorn logs it: an ERROR line naming the request, then the stack', async () => {
    const h = await setUp();
    await request(h.app).get('/exception').expect(500);
    expect(h.serverLog()).toMatch(/^\[[^\]]+\] \[4242\] \[ERROR\] Error handling request GET \/exception\nError: demo exception from \/exception\n {4}at /);
  });
});
