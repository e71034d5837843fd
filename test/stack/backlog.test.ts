// The backlog line next to real Gunicorn 27.0.1's: both servers run one worker with
// --enable-backlog-metric, and the same overload is made for both: the worker is stopped
// (SIGSTOP: too busy to accept), then 8 clients connect. The kernel completes their handshakes
// and queues them on the listening socket; both masters must report that queue, in the same line.
import * as net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { startApp, startGunicorn, type App } from '../../harness/stack';
import { collectUdp, type UdpCollector } from '../../harness/udp';

const PREFIX = 'flask_app';
const WAITING = 8;
const BACKLOG_LINE = /^flask_app\.gunicorn\.backlog:(\d+)\|h$/;

type Server = 'app' | 'gunicorn';

afterAll(async () => {
  await stopAll();
});

const backlogValues = (udp: UdpCollector) =>
  udp.lines().flatMap((line) => {
    const match = BACKLOG_LINE.exec(line);
    return match ? [Number(match[1])] : [];
  });

async function overload(server: Server): Promise<{ lines: string[]; idle: number[]; queued: number[]; drained: number[] }> {
  const udp = await collectUdp();
  const args = ['--statsd-host', `${LOOPBACK}:${udp.port}`, '--statsd-prefix', PREFIX, '--enable-backlog-metric'];
  const started: App = server === 'app' ? await startApp(args, { workers: 1 }) : await startGunicorn(args, { workers: 1 });
  const clients: net.Socket[] = [];
  try {
    const workerPid = Number(/Booting worker with pid: (\d+)/.exec(started.process.output())?.[1]);
    expect(workerPid).toBeGreaterThan(0);
    // Idle from now on: the start-up probe's connection may still be queued in the first samples.
    const idleFrom = backlogValues(udp).length;
    await udp.waitFor(() => backlogValues(udp).length >= idleFrom + 2);
    const idle = backlogValues(udp).slice(idleFrom);

    process.kill(workerPid, 'SIGSTOP');
    for (let i = 0; i < WAITING; i += 1) {
      clients.push(await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(started.port, LOOPBACK, () => resolve(socket));
        socket.once('error', reject);
      }));
    }
    const before = backlogValues(udp).length;
    await udp.waitFor(() => backlogValues(udp).slice(before).includes(WAITING));
    const queued = backlogValues(udp).slice(before);

    process.kill(workerPid, 'SIGCONT');
    for (const client of clients) client.destroy();
    const drainedFrom = backlogValues(udp).length;
    await udp.waitFor(() => backlogValues(udp).slice(drainedFrom).includes(0));
    return { lines: udp.lines().filter((line) => line.includes('.backlog:')), idle, queued, drained: backlogValues(udp).slice(drainedFrom) };
  } finally {
    for (const client of clients) client.destroy();
    await started.stop();
    await udp.close();
  }
}

describe('gunicorn.backlog under the same overload as real Gunicorn 27.0.1', () => {
  const results = new Map<Server, Awaited<ReturnType<typeof overload>>>();

  it.each(['gunicorn', 'app'] as const)('%s: 0 while idle, the 8 queued connections while the worker cannot accept, 0 again after', async (server) => {
    const result = await overload(server);
    results.set(server, result);
    expect(result.idle.every((value) => value === 0)).toBe(true);
    expect(result.queued).toContain(WAITING);
    // Never more than are waiting: the queue holds these clients and nothing else.
    expect(Math.max(...result.queued)).toBe(WAITING);
    expect(result.drained).toContain(0);
  }, 60_000);

  it('sends the same line as Gunicorn: every backlog line of both has the shape Pgunicorn.backlog:N|h', () => {
    for (const server of ['gunicorn', 'app'] as const) {
      const lines = results.get(server)?.lines ?? [];
      expect(lines.length, server).toBeGreaterThan(3);
      expect(lines.filter((line) => !BACKLOG_LINE.test(line)), server).toEqual([]);
    }
  });
});
