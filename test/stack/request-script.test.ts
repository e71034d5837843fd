// request-script.sh, the load generator of the README: its messages when something is missing,
// and real siege runs against the app, compared with what the exporter counted.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { ROOT, startApp, startStatsdExporter, type App, type StatsdExporter } from '../../harness/stack';
import { delta, settledSnapshot, type ExporterSnapshot } from '../support/exporter';

const SCRIPT = path.join(ROOT, 'request-script.sh');
const APP = 'flask_app';
/** The paths of the script's mix, as the access log shows them. */
const MIX = ['/', '/random_status', '/cpu_task', '/io_task', '/random_sleep', '/no-such-page'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** This environment without the script's own variables (Vite, for one, sets BASE_URL=/ in tests). */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['BASE_URL', 'DURATION', 'CONCURRENCY', 'DELAY', 'REPS', 'MIX']) delete env[name];
  return env;
}

function runScript(args: readonly string[], env: NodeJS.ProcessEnv = baseEnv(), timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    // Through /bin/bash, so that a PATH without siege (or without anything) is still a valid test.
    execFile('/bin/bash', [SCRIPT, ...args], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * siege's summary, from its text report. siege 4.0 files a response with a 5xx status under
 * "Failed transactions" (not under "Transactions"), together with socket errors.
 */
function siegeReport(output: string): { transactions: number; failed: number } {
  const transactions = /Transactions:\s+(\d+) hits/.exec(output);
  const failed = /Failed transactions:\s+(\d+)/.exec(output);
  if (!transactions || !failed) throw new Error(`no siege report in:\n${output}`);
  return { transactions: Number(transactions[1]), failed: Number(failed[1]) };
}

/** Responses with a 5xx status counted by the exporter between two snapshots. */
function fiveHundreds(after: ExporterSnapshot, before: ExporterSnapshot): number {
  return Object.entries(delta(after.byStatus, before.byStatus))
    .filter(([status]) => status.startsWith('5'))
    .reduce((sum, [, n]) => sum + n, 0);
}

describe('request-script.sh without what it needs', () => {
  it('explains --help without siege installed', async () => {
    const emptyPath = mkdtempSync(path.join(tmpdir(), 'no-tools-'));
    try {
      const run = await runScript(['--help'], { PATH: emptyPath });
      expect(run.code).toBe(0);
      for (const word of ['BASE_URL', 'DURATION', 'CONCURRENCY', 'MIX', '--duration', '--concurrency', '--url', '--mix', '/io_task', '/no-such-page',
        'errors   only /exception', 'slow     only /io_task and /random_sleep', 'cpu      only /cpu_task', 'docs/saturation-and-slos.md']) {
        expect(run.stdout).toContain(word);
      }
    } finally {
      rmSync(emptyPath, { recursive: true });
    }
  });

  it('names the package to install when siege is missing', async () => {
    const emptyPath = mkdtempSync(path.join(tmpdir(), 'no-tools-'));
    try {
      const run = await runScript([], { PATH: emptyPath });
      expect(run.code).toBe(127);
      expect(run.stderr).toMatch(/siege is not installed/);
      expect(run.stderr).toContain('apt-get install siege');
    } finally {
      rmSync(emptyPath, { recursive: true });
    }
  });

  it('says the app does not answer at the base URL', async () => {
    const url = `http://${LOOPBACK}:${await freeTcpPort()}`;
    const fromFlag = await runScript(['--url', url, '--duration', '1s']);
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toContain(`the app does not answer at ${url}`);
    const fromEnv = await runScript([], { ...baseEnv(), BASE_URL: url });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(`the app does not answer at ${url}`);
  });

  it.each([
    [['--duration', '5x'], "duration '5x'"],
    [['--concurrency', '0'], "concurrency '0'"],
    [['--delay', 'soon'], "delay 'soon'"],
    [['--reps', '-3'], "reps '-3'"],
    [['--url', 'localhost:8000'], "base URL 'localhost:8000'"],
    [['--bogus'], "unknown option '--bogus'"],
    [['--duration'], '--duration needs a value'],
    [['--mix', 'burst'], "mix 'burst' is not one of default, errors, slow, cpu"],
    [['--mix=Errors'], "mix 'Errors' is not one of default, errors, slow, cpu"],
  ])('rejects %j naming the value', async (args, message) => {
    const run = await runScript(args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
  });
});

describe('request-script.sh against the app', () => {
  let exporter: StatsdExporter;
  let app: App;

  beforeAll(async () => {
    exporter = await startStatsdExporter();
    app = await startApp([
      '--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`,
      '--statsd-prefix', APP,
      '--demo-delay-scale', '0.01',
      '--access-logfile', '-',
    ]);
  });

  afterAll(async () => {
    await stopAll();
  });

  it('hits every route of the mix, and the exporter counts exactly the requests siege made', async () => {
    const before = await settledSnapshot(exporter.url, APP);
    const users = 5;
    const reps = 60;
    const run = await runScript(['--url', app.url, '--concurrency', String(users), '--reps', String(reps), '--delay', '0']);
    expect(run.code, run.stderr).toBe(0);
    const report = siegeReport(run.stdout + run.stderr);
    const after = await settledSnapshot(exporter.url, APP);
    // siege's requests, and the script's one GET / checking that the app answers.
    expect(after.requests - before.requests).toBe(users * reps + 1);
    // Every request got an HTTP answer: siege's only "failures" are the 500s of /random_status.
    expect(report.transactions + report.failed).toBe(users * reps);
    expect(report.failed).toBe(fiveHundreds(after, before));
    // 300 random picks from the weighted list: each path turns up (the rarest, 1 in 20, is
    // missed with probability 0.95^300 ≈ 2e-7).
    const log = app.process.output();
    for (const route of MIX) expect(log, route).toMatch(new RegExp(`"GET ${route.replace(/[/]/g, '\\/')} HTTP/1\\.1" \\d{3}`));
    expect(log).toMatch(/"GET \/no-such-page HTTP\/1\.1" 404 /);
  });

  it('runs for a duration (DURATION, CONCURRENCY from the environment); the exporter counts what siege reports, plus at most one request per user cut at the end', async () => {
    const before = await settledSnapshot(exporter.url, APP);
    const users = 4;
    const run = await runScript([], { ...baseEnv(), BASE_URL: app.url, DURATION: '3s', CONCURRENCY: String(users), DELAY: '0.05' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`${users} users on ${app.url}, for 3s`);
    const report = siegeReport(run.stdout + run.stderr);
    const after = await settledSnapshot(exporter.url, APP);
    const counted = after.requests - before.requests;
    const made = report.transactions + report.failed + 1; // + the script's reachability check
    // When the time is up siege abandons each user's request in flight: the app still answers and
    // counts it, siege does not.
    expect(counted).toBeGreaterThanOrEqual(made);
    expect(counted).toBeLessThanOrEqual(made + users);
    expect(report.failed).toBeLessThanOrEqual(fiveHundreds(after, before));
    console.info(
      `timed siege run: siege reported ${report.transactions} transactions + ${report.failed} failed, ` +
        `the exporter counted ${counted} (${fiveHundreds(after, before)} of them 5xx)`,
    );
  });

  /** The paths the app's access log shows for GETs after `from` characters of its output. */
  function pathsSince(from: number): Set<string> {
    return new Set([...app.process.output().slice(from).matchAll(/"GET (\S+) HTTP\/1\.1" \d{3}/g)].map((match) => match[1]));
  }

  it('--mix errors requests /exception only: every response a 500, each counted as an exception', async () => {
    const before = await settledSnapshot(exporter.url, APP);
    const from = app.process.output().length;
    const users = 3;
    const reps = 20;
    const run = await runScript(['--url', app.url, '--mix', 'errors', '--concurrency', String(users), '--reps', String(reps), '--delay', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('mix errors');
    const after = await settledSnapshot(exporter.url, APP);
    expect(fiveHundreds(after, before)).toBe(users * reps);
    expect(after.requests - before.requests).toBe(users * reps + 1); // + the script's GET /
    expect(siegeReport(run.stdout + run.stderr).failed).toBe(users * reps);
    // The script's reachability check, then only the error route.
    expect(pathsSince(from)).toEqual(new Set(['/', '/exception']));
    expect(app.process.output().slice(from).match(/Error handling request GET \/exception/g)?.length).toBe(users * reps);
  });

  it.each([
    ['slow', ['/io_task', '/random_sleep']],
    ['cpu', ['/cpu_task']],
  ])('MIX=%s requests %j only', async (mix, paths) => {
    const from = app.process.output().length;
    const run = await runScript([], { ...baseEnv(), BASE_URL: app.url, MIX: mix, CONCURRENCY: '3', REPS: '20', DELAY: '0' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`mix ${mix}`);
    // 60 picks: each of two paths turns up (missed with probability 2 x 0.5^60).
    expect(pathsSince(from)).toEqual(new Set(['/', ...paths]));
  });
});
