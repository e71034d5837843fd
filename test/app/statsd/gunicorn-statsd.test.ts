// GunicornStatsd on a real UDP socket: the request triple in order, the gauge, log counters, tags, metrics off.
import { afterEach, describe, expect, it } from 'vitest';
import type { StatsdPacking } from '../../../app/src/config';
import { createGunicornStatsd, type GunicornStatsd } from '../../../app/src/statsd/gunicorn-statsd';
import { normalisePrefix } from '../../../app/src/statsd/lines';
import { collectUdp, type UdpCollector } from '../../../harness/udp';

let udp: UdpCollector | undefined;
let statsd: GunicornStatsd | undefined;
afterEach(async () => {
  await statsd?.close();
  await udp?.close();
  statsd = undefined;
  udp = undefined;
});

/** The prefix as written in --statsd-prefix: normalised as the config does before the client gets it. */
async function start(prefix: string, tags: string, packing: StatsdPacking = 'line') {
  udp = await collectUdp();
  const warnings: string[] = [];
  statsd = createGunicornStatsd({
    target: { host: '127.0.0.1', port: udp.port }, prefix: normalisePrefix(prefix), tags, packing,
    warn: (message) => warnings.push(message),
  });
  return { udp, statsd, warnings };
}

describe('request(elapsed, status): duration, requests, status, in that order', () => {
  it.each([
    ['plain prefix, no tags', 'flask_app', '', [
      'flask_app.gunicorn.request.duration:2.49|ms',
      'flask_app.gunicorn.requests:1|c|@1.0',
      'flask_app.gunicorn.request.status.200:1|c|@1.0',
    ]],
    ['prefix already normalised', 'svc.flask_app.', '', [
      'svc.flask_app.gunicorn.request.duration:2.49|ms',
      'svc.flask_app.gunicorn.requests:1|c|@1.0',
      'svc.flask_app.gunicorn.request.status.200:1|c|@1.0',
    ]],
    ['empty prefix', '', '', [
      'gunicorn.request.duration:2.49|ms',
      'gunicorn.requests:1|c|@1.0',
      'gunicorn.request.status.200:1|c|@1.0',
    ]],
    ['with tags', 'flask_app..', 'env:prod,region:eu', [
      'flask_app.gunicorn.request.duration:2.49|ms|#env:prod,region:eu',
      'flask_app.gunicorn.requests:1|c|@1.0|#env:prod,region:eu',
      'flask_app.gunicorn.request.status.200:1|c|@1.0|#env:prod,region:eu',
    ]],
  ])('%s', async (_name, prefix, tags, expected) => {
    const started = await start(prefix, tags);
    started.statsd.request(2_490_000n, 200);
    await started.statsd.flush();
    await started.udp.waitFor((lines) => lines.length === 3);
    expect(started.udp.datagrams).toEqual(expected);
  });

  it('request packing puts the triple in one datagram, lines unchanged', async () => {
    const started = await start('flask_app', '', 'request');
    started.statsd.request(1_016_036_000n, 503);
    await started.statsd.flush();
    await started.udp.waitFor((lines) => lines.length === 3);
    expect(started.udp.datagrams).toEqual([
      'flask_app.gunicorn.request.duration:1016.0360000000001|ms\n'
      + 'flask_app.gunicorn.requests:1|c|@1.0\n'
      + 'flask_app.gunicorn.request.status.503:1|c|@1.0',
    ]);
  });
});

describe('buffer packing counts each line\'s bytes without measuring it', () => {
  // The config admits only ASCII; a client built with a multi-byte prefix and tags must still
  // count UTF-8 bytes, not characters, or a datagram would outgrow its limit.
  const prefix = normalisePrefix('café');
  const tags = 'city:Zürich';
  const triple = [
    'café.gunicorn.request.duration:2.49|ms|#city:Zürich',
    'café.gunicorn.requests:1|c|@1.0|#city:Zürich',
    'café.gunicorn.request.status.200:1|c|@1.0|#city:Zürich',
  ].join('\n');
  const tripleBytes = Buffer.byteLength(triple);

  async function oneTurnOfFive(maxDatagramBytes: number): Promise<string[]> {
    udp = await collectUdp();
    statsd = createGunicornStatsd({
      target: { host: '127.0.0.1', port: udp.port }, prefix, tags, packing: 'buffer',
      warn: () => {}, tuning: { maxDatagramBytes },
    });
    for (let i = 0; i < 5; i += 1) statsd.request(2_490_000n, 200);
    await udp.waitFor((lines) => lines.length === 15);
    return udp.datagrams;
  }

  it('two triples share a datagram that holds exactly their bytes', async () => {
    const datagrams = await oneTurnOfFive(2 * tripleBytes + 1);
    expect(datagrams).toEqual([`${triple}\n${triple}`, `${triple}\n${triple}`, triple]);
  });

  it('one byte less, and each triple goes alone', async () => {
    const datagrams = await oneTurnOfFive(2 * tripleBytes);
    expect(datagrams).toEqual([triple, triple, triple, triple, triple]);
  });
});

describe('buffer packing: a triple travels whole when it fits the smallest datagram', () => {
  async function oneTriple(tags: string, maxDatagramBytes: number): Promise<string[]> {
    udp = await collectUdp();
    statsd = createGunicornStatsd({
      target: { host: '127.0.0.1', port: udp.port }, prefix: normalisePrefix('flask_app'), tags, packing: 'buffer',
      warn: () => {}, tuning: { maxDatagramBytes },
    });
    statsd.request(2_490_000n, 200);
    await udp.waitFor((lines) => lines.length === 3);
    return udp.datagrams;
  }

  it('short tags: the three lines in one datagram', async () => {
    expect(await oneTriple('env:prod', 1432)).toEqual([[
      'flask_app.gunicorn.request.duration:2.49|ms|#env:prod',
      'flask_app.gunicorn.requests:1|c|@1.0|#env:prod',
      'flask_app.gunicorn.request.status.200:1|c|@1.0|#env:prod',
    ].join('\n')]);
  });

  it('tags so long that the triple outgrows 1432 bytes: its lines are spread over datagrams, none cut', async () => {
    const tags = `team:${'x'.repeat(500)}`;
    const datagrams = await oneTriple(tags, 1432);
    expect(datagrams).toEqual([
      `flask_app.gunicorn.request.duration:2.49|ms|#${tags}\nflask_app.gunicorn.requests:1|c|@1.0|#${tags}`,
      `flask_app.gunicorn.request.status.200:1|c|@1.0|#${tags}`,
    ]);
  });
});

describe('workers(n) and log(level)', () => {
  it('sends the gauge and the log counter; a 0 worker count sends nothing', async () => {
    const started = await start('flask_app', 'env:prod');
    started.statsd.workers(0);
    started.statsd.workers(3);
    started.statsd.log('critical');
    await started.statsd.flush();
    await started.udp.waitFor((lines) => lines.length === 2);
    expect(started.udp.datagrams).toEqual([
      'flask_app.gunicorn.workers:3|g|#env:prod',
      'flask_app.gunicorn.log.critical:1|c|@1.0|#env:prod',
    ]);
    expect(started.warnings).toEqual([]);
  });
});

describe('metrics off (no --statsd-host)', () => {
  it('is a no-op that never throws', async () => {
    const off = createGunicornStatsd({ target: null, prefix: normalisePrefix(''), tags: '', packing: 'line', warn: () => {} });
    expect(off.enabled).toBe(false);
    off.request(1n, 200);
    off.workers(2);
    off.log('error');
    await expect(off.flush()).resolves.toBeUndefined();
    await expect(off.close()).resolves.toBeUndefined();
  });
});
