// Start-up: --help, bad flags refused before anything starts, the log lines other tests wait for, and Gunicorn's bind retries.
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort, LOOPBACK } from '../../../../harness/ports';
import { start, stopAll, type Started } from '../../../../harness/processes';
import { ROOT } from '../../../../harness/stack';
import { logCounter, PREFIX, startMaster } from '../../../support/app-master';
import { collectUdp, type UdpCollector } from '../../../../harness/udp';

const ENTRY = path.join(ROOT, 'dist', 'main.js');
let udp: UdpCollector | null = null;
afterEach(async () => {
  await stopAll();
  await udp?.close();
  udp = null;
});

function run(args: readonly string[]): Started {
  return start('app', process.execPath, [ENTRY, ...args]);
}

describe('--help', () => {
  it('exits 0 listing every option with its default', async () => {
    const app = run(['--help']);
    expect(await app.exited).toBe(0);
    for (const option of [
      '--bind', '--workers', '--timeout', '--graceful-timeout', '--statsd-host', '--statsd-prefix', '--dogstatsd-tags',
      '--statsd-packing', '--access-logfile', '--log-level', '--metrics-bind', '--demo-delay-scale',
    ]) {
      expect(app.output()).toMatch(new RegExp(`${option} .*\\[default: `));
    }
  });
});

describe('a bad start-up option', () => {
  it.each([
    ['--workers', 'abc'],
    ['--workers', '0'],
    ['--bind', '127.0.0.1:70000'],
    ['--statsd-host', '127.0.0.1'],
    ['--statsd-prefix', 'app|x'],
    ['--dogstatsd-tags', 'env:prod#1'],
    ['--no-such-flag', ''],
  ])('%s %s: one line naming the option and the value, exit 1, nothing started or sent', async (option, value) => {
    udp = await collectUdp();
    const args = ['--statsd-host', `${LOOPBACK}:${udp.port}`, option, ...(value === '' ? [] : [value])];
    const app = run(args);
    expect(await app.exited).toBe(1);
    const lines = app.output().split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(option);
    expect(lines[0]).toContain(value);
    expect(lines[0]).not.toContain('Starting');
    expect(udp.lines()).toEqual([]);
  });
});

describe('--check-config', () => {
  it('validates, then exits 0 without starting anything', async () => {
    const app = run(['--check-config', '--workers', '3']);
    expect(await app.exited).toBe(0);
    expect(app.output()).toBe('');
  });
});

describe('a worker that cannot boot (here: an access log path that cannot be opened)', () => {
  it('as Gunicorn: "Exception in worker process", exit code 3, the master halts with "Worker failed to boot." and exits 3', async () => {
    const app = run(['--bind', `${LOOPBACK}:${await freeTcpPort()}`, '--workers', '1', '--access-logfile', '/nonexistent-dir/access.log']);
    expect(await app.exited).toBe(3);
    const output = app.output();
    expect(output).toMatch(/\[(\d+)\] \[ERROR\] Exception in worker process\nError: ENOENT[\s\S]*\[ERROR\] Worker \(pid:\1\) exited with code 3\./);
    expect(output).toMatch(/\[ERROR\] Shutting down: Master\n.*\[ERROR\] Reason: Worker failed to boot\.\n$/);
  });
});

describe('the start-up log (other tests wait for these lines)', () => {
  it('Starting, Listening at: http://HOST:PORT (PID), Using worker, then Booting worker with pid: N per worker', async () => {
    const { app, udp: collector } = await startMaster([], 2);
    udp = collector;
    const lines = app.process.output().split('\n').filter((line) => line !== '').map((line) => line.replace(/^\[[^\]]+\] /, ''));
    const master = app.process.pid;
    expect(lines.slice(0, 3)).toEqual([
      `[${master}] [INFO] Starting gunicorn-compatible master (Node.js ${process.version})`,
      `[${master}] [INFO] Listening at: http://${LOOPBACK}:${app.port} (${master})`,
      `[${master}] [INFO] Using worker: node:cluster`,
    ]);
    expect(lines.slice(3, 5)).toEqual([
      expect.stringMatching(/^\[(\d+)\] \[INFO\] Booting worker with pid: \1$/),
      expect.stringMatching(/^\[(\d+)\] \[INFO\] Booting worker with pid: \1$/),
    ]);
  });
});

describe('the listen address is in use', () => {
  it('as Gunicorn: five attempts a second apart, each logged as errors (log.error each), then "Can\'t connect to" and exit 1', async () => {
    const port = await freeTcpPort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, LOOPBACK, resolve));
    try {
      udp = await collectUdp();
      const app = run(['--bind', `${LOOPBACK}:${port}`, '--statsd-host', `${LOOPBACK}:${udp.port}`, '--statsd-prefix', PREFIX]);
      expect(await app.exited).toBe(1);
      const errors = app.output().split('\n').filter((line) => line.includes('[ERROR]')).map((line) => line.replace(/^.*\[ERROR\] /, ''));
      const attempt = [
        `Connection in use: ('${LOOPBACK}', ${port})`,
        `connection to ('${LOOPBACK}', ${port}) failed: [Errno 98] Address already in use`,
      ];
      expect(errors).toEqual([...attempt, ...attempt, ...attempt, ...attempt, ...attempt, `Can't connect to ('${LOOPBACK}', ${port})`]);
      expect(app.output()).not.toContain('Listening at');
      // Every line is delivered before the exit; no gauge: no worker ever started.
      await udp.waitFor((lines) => lines.length >= 11);
      expect(udp.lines()).toEqual(Array<string>(11).fill(logCounter('error')));
    } finally {
      blocker.close();
    }
  });
});
