// Runs a server (real Gunicorn with conformance/flask_app.py, or the Node app) through one fixed
// scenario of requests and signals and records every StatsD line it sends, duration values masked.
// The committed reference captures come from real Gunicorn; the conformance test replays the
// scenario against both and compares. CLI (npm run conformance:capture):
//   node --require ts-node/register conformance/capture.ts [--server gunicorn|node] [--variant NAME]
//        [--write]   (writes conformance/reference/<variant>.txt instead of printing)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { ArgsError, oneOf, readFlags, type Flags, type FlagSpec } from '../harness/command-line';
import { collectUdp, type UdpCollector } from '../harness/udp';
import { freeTcpPort, LOOPBACK } from '../harness/ports';
import { start, type Started } from '../harness/processes';
import { requireTool, ROOT } from '../harness/stack';

export const REFERENCE_DIR = path.join(ROOT, 'conformance', 'reference');
export const NODE_APP_ENTRY = path.join(ROOT, 'dist', 'main.js');

export type ServerKind = 'gunicorn' | 'node';

export interface Variant {
  /** Also the reference file's name: conformance/reference/<name>.txt. */
  readonly name: string;
  readonly prefix: string;
  /** --dogstatsd-tags, verbatim; absent = the flag is not passed. */
  readonly tags?: string;
  /** 'full' exercises every line type and signal; 'prefix' only what shows the prefix on each kind. */
  readonly scenario: 'full' | 'prefix';
}

export const VARIANTS: readonly Variant[] = [
  { name: 'tagged', prefix: 'svc.flask_app', tags: 'env:test,team:sre', scenario: 'full' },
  { name: 'empty-prefix', prefix: '', scenario: 'full' },
  { name: 'one-char-prefix', prefix: 'x', scenario: 'prefix' },
  { name: 'trailing-dots-prefix', prefix: 'flask_app..', scenario: 'prefix' },
  { name: 'trailing-dot-prefix-one-tag', prefix: 'svc.flask_app.', tags: 'env:test', scenario: 'prefix' },
];

export interface Capture {
  /** Every line received, datagrams split on "\n", durations masked as <D>. */
  readonly lines: string[];
  /** Every datagram as received, unmasked. */
  readonly datagrams: string[];
  /** What went unexpectedly while driving the scenario (a wait that timed out, a wrong HTTP status). */
  readonly notes: string[];
  /** The server's stdout and stderr. */
  readonly output: string;
  readonly exitCode: number | NodeJS.Signals;
}

const WORKERS = 2;
/** How long to wait for an expected effect before noting it and moving on (the diff then shows it). */
const WAIT_MS = 10_000;
/** Once one effect has failed to appear the capture is already a mismatch: finish it quickly. */
const WAIT_AFTER_MISS_MS = 1_000;

const DURATION = /^(.*gunicorn\.request\.duration:)([^|]*)(\|ms(?:\|#.*)?)$/;
/** Python's repr of a float as Gunicorn prints a duration: digits, '.', digits, never an exponent. */
const PYTHON_FLOAT = /^\d+\.\d+$/;

/** Masks each duration value as <D>; a value Python would not have printed is kept, flagged. */
export function maskDurations(lines: readonly string[]): string[] {
  return lines.map((line) => {
    const match = DURATION.exec(line);
    if (!match) return line;
    const [, head, value, tail] = match;
    return PYTHON_FLOAT.test(value) ? `${head}<D>${tail}` : `${head}<not a Python float: ${value}>${tail}`;
  });
}

export function referencePath(variant: Variant): string {
  return path.join(REFERENCE_DIR, `${variant.name}.txt`);
}

export function readReference(variant: Variant): string[] {
  return readFileSync(referencePath(variant), 'utf8').split('\n').filter((line) => line !== '');
}

function commandFor(
  kind: ServerKind,
  port: number,
  udpPort: number,
  variant: Variant,
  nodeEntry: string,
): [string, string[]] {
  const common = [
    '--bind', `${LOOPBACK}:${port}`,
    '--workers', String(WORKERS),
    '--statsd-host', `${LOOPBACK}:${udpPort}`,
    '--statsd-prefix', variant.prefix,
    ...(variant.tags === undefined ? [] : ['--dogstatsd-tags', variant.tags]),
  ];
  if (kind === 'gunicorn') {
    // --no-control-socket: Gunicorn 27 otherwise binds $HOME/.gunicorn/gunicorn.ctl, shared by
    // every Gunicorn on the machine. It sends no StatsD line either way.
    return [requireTool('GUNICORN_BIN'), [...common, '--no-control-socket', 'conformance.flask_app:app']];
  }
  return [process.execPath, [nodeEntry, ...common]];
}

/** Pids of the live and not-yet-reaped children of `pid` (the workers), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return children.sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

function get(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // A fresh connection per request, closed after it: no idle keep-alive socket holds a worker
    // open through the signals that follow.
    const request = http.get(
      { host: LOOPBACK, port, path: urlPath, agent: false, headers: { connection: 'close' } },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
  });
}

class Driver {
  readonly notes: string[] = [];

  constructor(
    private readonly server: Started,
    private readonly udp: UdpCollector,
    private readonly port: number,
  ) {}

  private count(pattern: RegExp): number {
    return this.udp.lines().filter((line) => pattern.test(line)).length;
  }

  private async expect(what: string, condition: () => boolean): Promise<void> {
    const timeoutMs = this.notes.length === 0 ? WAIT_MS : WAIT_AFTER_MISS_MS;
    if (!(await until(condition, timeoutMs))) this.notes.push(`timed out waiting for ${what}`);
  }

  /** The master sends the workers gauge once at start-up. */
  async started(): Promise<void> {
    await this.expect('the workers gauge at start-up', () => this.count(/gunicorn\.workers:/) > 0);
  }

  workers(): number[] {
    return childrenOf(this.server.pid);
  }

  /** Sends one request and waits for its status line, so the next request's lines come after it. */
  async request(urlPath: string, expectedStatus: number): Promise<void> {
    const before = this.count(/gunicorn\.request\.status\./);
    let status = 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        status = await get(this.port, urlPath);
        break;
      } catch (error) {
        if (attempt >= 20) {
          this.notes.push(`GET ${urlPath} failed: ${(error as Error).message}`);
          return;
        }
        await sleep(100); // connection refused while the workers come up
      }
    }
    if (status !== expectedStatus) this.notes.push(`GET ${urlPath} answered ${status}, expected ${expectedStatus}`);
    await this.expect(`the status line of GET ${urlPath}`, () => this.count(/gunicorn\.request\.status\./) > before);
  }

  /** Sends `signal` to the master and waits for the workers gauge line it causes. */
  async resize(signal: 'SIGTTIN' | 'SIGTTOU', gauge: number): Promise<void> {
    const before = this.count(/gunicorn\.workers:/);
    this.server.signal(signal);
    await this.expect(`the workers:${gauge} gauge after ${signal}`, () => this.count(/gunicorn\.workers:/) > before);
    await this.expect(`${gauge} workers after ${signal}`, () => this.workers().length === gauge);
  }

  /** SIGTTOU at one worker is refused: nothing to wait for but the master having handled it. */
  async refusedTtou(): Promise<void> {
    const handled = () => (this.server.output().match(/Handling signal: ttou/gi) ?? []).length;
    const before = handled();
    this.server.signal('SIGTTOU');
    // Gunicorn logs "Handling signal: ttou"; an app that does not log it costs a short wait here.
    if (!(await until(() => handled() > before, 2_000))) await sleep(500);
  }

  async killWorker(): Promise<void> {
    const [victim] = this.workers();
    if (victim === undefined) {
      this.notes.push('no worker to kill');
      return;
    }
    process.kill(victim, 'SIGKILL');
    await this.expect('the killed worker to be replaced', () => {
      const now = this.workers();
      return now.length === WORKERS && !now.includes(victim);
    });
  }

  /** SIGHUP: waits until every worker has been replaced and the old ones are reaped. */
  async reload(): Promise<void> {
    const old = this.workers();
    this.server.signal('SIGHUP');
    await this.expect('every worker to be replaced after SIGHUP', () => {
      const now = this.workers();
      return now.length === WORKERS && now.every((pid) => !old.includes(pid));
    });
  }

  async stop(): Promise<number | NodeJS.Signals> {
    this.server.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.notes.push('did not exit within 30 s of SIGTERM; killed');
      this.server.signal('SIGKILL');
    }, 30_000);
    const exitCode = await this.server.exited;
    clearTimeout(timer);
    if (exitCode !== 0) this.notes.push(`exited with ${exitCode} after SIGTERM, expected 0`);
    await sleep(200); // datagrams sent just before exit are already queued on our socket
    return exitCode;
  }
}

/** The scenario. Each step waits for its effect, so the order of the lines is deterministic. */
async function drive(driver: Driver, scenario: Variant['scenario']): Promise<void> {
  await driver.started();
  if (scenario === 'prefix') {
    await driver.request('/', 200);
    await driver.request('/exception', 500);
    return;
  }
  await driver.request('/', 200);
  await driver.request('/', 200);
  await driver.request('/', 200);
  await driver.request('/nope', 404);
  await driver.request('/exception', 500); // log.exception, then the 500 triple
  await driver.resize('SIGTTIN', 3);
  await driver.resize('SIGTTOU', 2);
  await driver.resize('SIGTTOU', 1);
  await driver.refusedTtou(); // nothing
  await driver.resize('SIGTTIN', 2);
  await driver.killWorker(); // log.error, no gauge: replaced at once
  await driver.reload(); // nothing
  await driver.request('/', 200);
}

export async function capture(kind: ServerKind, variant: Variant, nodeEntry = NODE_APP_ENTRY): Promise<Capture> {
  const udp = await collectUdp();
  const port = await freeTcpPort();
  const [command, args] = commandFor(kind, port, udp.port, variant, nodeEntry);
  const server = start(kind, command, args, { cwd: ROOT });
  try {
    const driver = new Driver(server, udp, port);
    await server.waitForOutput(/Listening at: /, 20_000);
    await drive(driver, variant.scenario);
    const exitCode = await driver.stop();
    return {
      lines: maskDurations(udp.lines()),
      datagrams: [...udp.datagrams],
      notes: driver.notes,
      output: server.output(),
      exitCode,
    };
  } finally {
    await server.stop(2_000);
    await udp.close();
  }
}

export const USAGE = `Usage: node --require ts-node/register conformance/capture.ts [--server gunicorn|node]
         [--variant NAME] [--write]
  --server      which server to capture (default gunicorn)
  --variant     one variant only: ${VARIANTS.map((variant) => variant.name).join(', ')} (default all)
  --write       write conformance/reference/<variant>.txt instead of printing (real Gunicorn only)
`;

export interface CaptureOptions {
  readonly kind: ServerKind;
  readonly variants: readonly Variant[];
  readonly write: boolean;
}

/** The flags every capture script takes: which server, and whether to write the reference instead of printing. */
export const SERVER_FLAGS = { server: { type: 'string' }, write: { type: 'boolean' } } as const satisfies FlagSpec;

/** --server and --write as read by readFlags over SERVER_FLAGS, or an ArgsError naming the bad one. */
export function serverAndWrite(flags: Flags): { kind: ServerKind; write: boolean } {
  const kind = oneOf('--server', flags.string('server'), ['gunicorn', 'node']);
  const write = flags.boolean('write');
  if (write && kind !== 'gunicorn') throw new ArgsError('--write: only real Gunicorn makes a reference');
  return { kind, write };
}

/** The capture's options from argv (without node and the script), or an ArgsError naming the bad one. */
export function parseOptions(argv: readonly string[]): CaptureOptions {
  const flags = readFlags(argv, { ...SERVER_FLAGS, variant: { type: 'string' } }, USAGE);
  const { kind, write } = serverAndWrite(flags);
  const name = flags.string('variant');
  const variants = name === undefined ? VARIANTS : VARIANTS.filter((variant) => variant.name === name);
  if (variants.length === 0) throw new ArgsError(`--variant: no variant named ${JSON.stringify(name)}`);
  return { kind, variants, write };
}

async function main(argv: readonly string[]): Promise<void> {
  const { kind, variants, write } = parseOptions(argv);
  for (const variant of variants) {
    const result = await capture(kind, variant);
    if (result.notes.length > 0) {
      throw new Error(`${variant.name}: ${result.notes.join('; ')}\n--- server output ---\n${result.output}`);
    }
    const text = result.lines.map((line) => `${line}\n`).join('');
    if (write) {
      writeFileSync(referencePath(variant), text);
      process.stderr.write(`wrote ${path.relative(ROOT, referencePath(variant))} (${result.lines.length} lines)\n`);
    } else {
      process.stdout.write(`# ${variant.name}\n${text}`);
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(error instanceof ArgsError ? 2 : 1);
  });
}
