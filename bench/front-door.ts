// `npm run bench:front-door [-- --node-proxy FILE]`: CPU time per request of the compose file's
// front door beside the app's, natively on this machine. The app (2 workers, --proxy-protocol)
// is measured three ways in alternating rounds: reached directly, through HAProxy (the committed
// etc/haproxy/haproxy.cfg, addresses substituted), and, with --node-proxy, through the TCP proxy
// this project used before HAProxy (a file taken from git history: it is no longer in the tree).
// Each way in two modes: a new connection per request, and kept-alive connections. CPU time is
// utime + stime from /proc of the front door's process and of the app's master and workers.
import * as http from 'node:http';
import { startHaproxy, type Haproxy } from '../harness/haproxy';
import { freeTcpPort, LOOPBACK } from '../harness/ports';
import { start, stopAll, type Started } from '../harness/processes';
import { startApp } from '../harness/stack';
import { ArgsError, positive, readFlags } from '../harness/command-line';
import { describeMachine } from './machine';
import { pinnedVersions } from './pins';
import { median, quantile } from './statistics';
import { totalCpuMicroseconds, workerPids } from './proc';

type Mode = 'new connection' | 'kept alive';
const MODES: readonly Mode[] = ['new connection', 'kept alive'];

interface Door {
  readonly name: string;
  readonly url: string;
  /** The front door's own pids; none when the app is reached directly. */
  readonly pids: readonly number[];
}

const USAGE = `Usage: npm run bench:front-door -- [--requests N] [--rounds N] [--concurrency N] [--node-proxy FILE]
  --requests N       GET / per round and way (default 2000)
  --rounds N         alternating rounds (default 6)
  --concurrency N    requests at a time (default 8)
  --node-proxy FILE  also measure the Node TCP proxy in FILE (taken from git history)
  --help             this text`;

interface FrontDoorOptions {
  readonly requests: number;
  readonly rounds: number;
  readonly concurrency: number;
  readonly nodeProxyFile: string | undefined;
}

function parseFrontDoorArgs(argv: readonly string[]): FrontDoorOptions | 'help' {
  const flags = readFlags(argv, {
    requests: { type: 'string' },
    rounds: { type: 'string' },
    concurrency: { type: 'string' },
    'node-proxy': { type: 'string' },
    help: { type: 'boolean' },
  }, USAGE);
  if (flags.boolean('help')) return 'help';
  const count = (name: string, fallback: number) => {
    const raw = flags.string(name);
    return raw === undefined ? fallback : positive(`--${name}`, raw, true);
  };
  return {
    requests: count('requests', 2000),
    rounds: count('rounds', 6),
    concurrency: count('concurrency', 8),
    nodeProxyFile: flags.string('node-proxy'),
  };
}

/** `count` GETs of /, `concurrency` at a time, each on a new connection or on kept-alive ones. */
async function drive(url: string, count: number, concurrency: number, mode: Mode): Promise<number> {
  const agent = mode === 'kept alive' ? new http.Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
  let next = 0;
  let failures = 0;
  const one = () => new Promise<void>((resolve) => {
    const request = http.get(`${url}/`, mode === 'kept alive' ? { agent } : { agent: false, headers: { connection: 'close' } }, (response) => {
      if (response.statusCode !== 200) failures += 1;
      response.resume();
      response.once('end', resolve);
    });
    request.once('error', () => {
      failures += 1;
      resolve();
    });
  });
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next += 1;
      await one();
    }
  }));
  agent?.destroy();
  return failures;
}

/** The median and, in brackets, the quartiles. */
const range = (values: readonly number[]) =>
  `${median(values).toFixed(0)} (${[0.25, 0.75].map((q) => quantile(values, q).toFixed(0)).join('–')})`;

async function main({ requests, rounds, concurrency, nodeProxyFile }: FrontDoorOptions): Promise<void> {

  const metricsPort = await freeTcpPort();
  const app = await startApp(['--metrics-bind', `${LOOPBACK}:${metricsPort}`, '--proxy-protocol'], { workers: 2 });
  const appPids = [app.process.pid, ...workerPids(app.process.output())];
  const haproxy: Haproxy = await startHaproxy({ replicas: [{ host: LOOPBACK, port: app.port, metricsPort }] });
  const doors: Door[] = [
    { name: 'none (the app directly)', url: app.url, pids: [] },
    { name: `HAProxy ${pinnedVersions().HAPROXY_VERSION ?? ''}`.trim(), url: haproxy.url, pids: [haproxy.process.pid] },
  ];
  let nodeProxy: Started | undefined;
  if (nodeProxyFile) {
    const port = await freeTcpPort();
    nodeProxy = start('node proxy', process.execPath, [nodeProxyFile, `--listen=${LOOPBACK}:${port}`, `--upstream=${LOOPBACK}:${app.port}`]);
    await nodeProxy.waitForOutput(/listening on/);
    doors.push({ name: 'the removed Node TCP proxy', url: `http://${LOOPBACK}:${port}`, pids: [nodeProxy.pid] });
  }
  // HAProxy's health check must have put the app in rotation before the first round.
  await drive(haproxy.url, 20, 1, 'new connection');

  const samples = new Map<string, { door: number[]; app: number[] }>();
  for (let round = 0; round < rounds; round += 1) {
    for (const mode of MODES) {
      // Alternate the order, so no door always runs first in a round.
      const order = round % 2 === 0 ? doors : [...doors].reverse();
      for (const door of order) {
        await drive(door.url, Math.min(200, requests), concurrency, mode); // warm-up
        const before = { door: totalCpuMicroseconds(door.pids), app: totalCpuMicroseconds(appPids) };
        const failures = await drive(door.url, requests, concurrency, mode);
        if (failures > 0) throw new Error(`${door.name}, ${mode}: ${failures} of ${requests} requests failed`);
        const key = `${door.name}|${mode}`;
        const entry = samples.get(key) ?? { door: [], app: [] };
        entry.door.push((totalCpuMicroseconds(door.pids) - before.door) / requests);
        entry.app.push((totalCpuMicroseconds(appPids) - before.app) / requests);
        samples.set(key, entry);
      }
    }
    process.stderr.write(`round ${round + 1} of ${rounds} done\n`);
  }

  const machine = await describeMachine();
  const lines = [
    `CPU time per request, µs: median of ${rounds} rounds (quartiles), ${requests} GET / per round, ${concurrency} at a time.`,
    `Machine: ${JSON.stringify(machine)}`,
    '',
    '| front door | connections | front door CPU/request | app CPU/request |',
    '|---|---|---|---|',
    ...MODES.flatMap((mode) => doors.map((door) => {
      const entry = samples.get(`${door.name}|${mode}`);
      if (!entry) return '';
      return `| ${door.name} | ${mode} | ${door.pids.length === 0 ? '–' : range(entry.door)} | ${range(entry.app)} |`;
    })),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await haproxy.stop();
  await nodeProxy?.stop();
  await stopAll();
}

let options: FrontDoorOptions | 'help';
try {
  options = parseFrontDoorArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ArgsError)) throw error;
  process.stderr.write(`bench:front-door: ${error.message}\n`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
main(options).catch(async (error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  await stopAll();
  process.exit(1);
});
