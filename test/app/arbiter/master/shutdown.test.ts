// SIGTERM: in-flight requests finish and are reported, every line is delivered, exit 0; a second signal makes the stop quick.
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../../../../harness/processes';
import { gauge, PREFIX, serverLines, startMaster, type Master } from '../../../support/app-master';
import { get, waitUntil, type Outcome } from '../../../support/load';
import { connectionOwners } from '../../../support/procfs';
import { bootedWorkers } from '../../../support/server-log';

let master: Master | null = null;
afterEach(async () => {
  await stopAll();
  await master?.udp.close();
  master = null;
});

/**
 * Starts GET `path` and resolves once a worker holds its connection (read from /proc, not
 * guessed), with the request's outcome still pending (wrapped: an async function would await it).
 */
async function inFlight(m: Master, path: string): Promise<{ outcome: Promise<Outcome> }> {
  let connected!: (port: number) => void;
  const port = new Promise<number>((resolve) => (connected = resolve));
  const outcome = get(m.app.url, path, { onConnect: (p) => connected(p), timeoutMs: 60_000 });
  const clientPort = await port;
  const workers = bootedWorkers(m.app.process.output());
  await waitUntil('a worker to accept the connection', () => connectionOwners(m.app.port, workers), (owners) => owners.has(clientPort), 10_000, 20);
  return { outcome };
}

const statusLines = (m: Master) => m.udp.lines().filter((line) => line.includes('.request.status.'));

describe('SIGTERM with a slow request in flight', () => {
  it('the request completes with 200, its lines arrive, nothing else is sent, the master exits 0', async () => {
    // /io_task waits 2 s × 1: still running when SIGTERM lands.
    master = await startMaster(['--demo-delay-scale', '1', '--graceful-timeout', '20'], 2);
    const m = master;
    await m.udp.waitFor(() => statusLines(m).length === 1); // startApp's GET /
    const slow = await inFlight(m, '/io_task');
    m.app.process.signal('SIGTERM');

    const outcome = await slow.outcome;
    expect([outcome.status, outcome.body]).toEqual([200, 'IO bound task finish!']);
    expect(await m.app.process.exited).toBe(0);
    await m.udp.waitFor(() => statusLines(m).length === 2);
    expect(statusLines(m)).toEqual([`${PREFIX}.gunicorn.request.status.200:1|c|@1.0`, `${PREFIX}.gunicorn.request.status.200:1|c|@1.0`]);
    expect(serverLines(m.udp)).toEqual([gauge(2)]);
    expect(m.app.process.output()).toMatch(/Handling signal: term[\s\S]*\[INFO\] Shutting down: Master/);
  });
});

describe('a request still running at --graceful-timeout', () => {
  it('is cut off by its worker just before the deadline and still reported; the worker exits 0 (no SIGKILL, no log.error)', async () => {
    master = await startMaster(['--demo-delay-scale', '30', '--graceful-timeout', '2'], 1);
    const m = master;
    await m.udp.waitFor(() => statusLines(m).length === 1);
    const slow = await inFlight(m, '/io_task');
    m.app.process.signal('SIGTERM');

    expect(await m.app.process.exited).toBe(0);
    expect((await slow.outcome).status).toBeNull();
    await m.udp.waitFor(() => statusLines(m).length === 2);
    expect(serverLines(m.udp)).toEqual([gauge(1)]);
    expect(m.app.process.output()).not.toContain('SIGKILL');
  });
});

describe('a second signal during the graceful stop', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s: quick stop; the abandoned request is still reported once; exit 0', async (second) => {
    // /io_task waits 2 s × 30 = 60 s, far beyond the test: only a quick stop ends it.
    master = await startMaster(['--demo-delay-scale', '30', '--graceful-timeout', '120'], 1);
    const m = master;
    await m.udp.waitFor(() => statusLines(m).length === 1);
    const slow = await inFlight(m, '/io_task');
    m.app.process.signal('SIGTERM');
    await m.app.process.waitForOutput(/Handling signal: term/);
    m.app.process.signal(second);

    expect(await m.app.process.exited).toBe(0);
    expect(m.app.process.output()).toContain('Quick shutdown requested');
    expect((await slow.outcome).status).toBeNull(); // the connection was closed under it
    // As Gunicorn's `finally`: the request is counted, with the status it had (200, none set yet).
    await m.udp.waitFor(() => statusLines(m).length === 2);
    expect(statusLines(m)[1]).toBe(`${PREFIX}.gunicorn.request.status.200:1|c|@1.0`);
  });
});
