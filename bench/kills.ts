// Saturation with kills: the app with its default packing into a fresh statsd_exporter, a fixed
// number of requests at saturation (nothing in flight at the end), and one worker SIGKILLed while
// they run; then the exporter's request counter against the responses the client received. Every
// answered request is owed a count: a kill may only cost the killed worker's requests in flight.
import { existsSync } from 'node:fs';
import type { StatsdPacking } from '../app/src/config';
import { startApp, startStatsdExporter, type App } from '../harness/stack';
import { APP_LABEL, appStatsdArgs, CLEAN_ENV } from './contenders';
import { ArgsError, positive, readFlags } from '../harness/command-line';
import { runLoad } from './load';
import { settledCounters } from './lossless';
import { cpuMicroseconds, workerPids } from './proc';
import type { KillRecord, KillRound } from './results';

export interface KillOptions {
  readonly packing: StatsdPacking;
  readonly workers: number;
  readonly rounds: number;
  readonly connections: number;
  /** Requests per round (autocannon's `amount`). */
  readonly requests: number;
  /** When, after the load starts, one worker is killed. */
  readonly killAfterMs: number;
}

/** The scenario a user's load would hit: 2 workers, autocannon -c 32 -a 60000, a kill 1.5 s in. */
export const KILL_DEFAULTS: KillOptions = Object.freeze({
  packing: 'buffer',
  workers: 2,
  rounds: 5,
  connections: 32,
  requests: 60_000,
  killAfterMs: 1_500,
});

/** A smoke run's: every code path, numbers meaningless. */
export const KILL_QUICK: KillOptions = Object.freeze({ ...KILL_DEFAULTS, rounds: 1, requests: 4_000, killAfterMs: 300 });

/** Resolves once `count` workers are alive again (the master replaces a killed one). */
async function workersAlive(app: App, count: number, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = workerPids(app.process.output());
    if (pids.length >= count) return pids;
    if (Date.now() > deadline) throw new Error(`${count} workers not alive after ${timeoutMs} ms: ${pids.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function runKills(options: KillOptions, log: (line: string) => void): Promise<KillRecord> {
  const exporter = await startStatsdExporter();
  let app: App | undefined;
  try {
    app = await startApp(appStatsdArgs(exporter.statsdPort, options.packing), { workers: options.workers, env: CLEAN_ENV });
    const metricsUrl = `${exporter.url}/metrics`;
    const url = `${app.url}/`;
    await runLoad(url, { connections: options.connections, durationS: 1 }); // warm-up, uncounted
    const rounds: KillRound[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const workers = await workersAlive(app, options.workers);
      const before = await settledCounters(metricsUrl);
      let loading = true;
      let killedWhileLoading = false;
      // The kernel hands connections to whichever worker accepts first, and one may hold all of
      // them: the victim is the worker that used the most CPU in the half second before the kill,
      // one that is serving.
      let cpuBefore: (number | null)[] = [];
      const sample = setTimeout(() => (cpuBefore = workers.map(cpuMicroseconds)), options.killAfterMs - 500);
      const kill = setTimeout(() => {
        const busy = workers.map((pid, i) => (cpuMicroseconds(pid) ?? 0) - (cpuBefore[i] ?? 0));
        const victim = workers[busy.indexOf(Math.max(...busy))];
        if (!existsSync(`/proc/${victim}`)) return;
        killedWhileLoading = loading;
        process.kill(victim, 'SIGKILL');
      }, options.killAfterMs);
      const load = await runLoad(url, { connections: options.connections, durationS: 0, amount: options.requests });
      loading = false;
      clearTimeout(sample);
      clearTimeout(kill);
      await workersAlive(app, options.workers);
      const after = await settledCounters(metricsUrl);
      const counted = after.requests - before.requests;
      rounds.push({ answered: load.responses, durationS: load.durationS, counted, killedWhileLoading });
      log(
        `  kill ${round + 1}/${options.rounds}: ${load.responses} of ${options.requests} answered, ${counted} counted ` +
          `(${counted - load.responses})${killedWhileLoading ? '' : ', the load ended before the kill'}`,
      );
    }
    return { ...options, label: APP_LABEL, rounds };
  } finally {
    await app?.stop();
    await exporter.stop();
  }
}

const USAGE = `Usage: node --require ts-node/register bench/kills.ts [--rounds N]
  --rounds N  rounds of ${KILL_DEFAULTS.requests} requests, one worker killed in each (default ${KILL_DEFAULTS.rounds})
  --help      this text`;

/** The rounds asked for on the command line; 'help' for --help. */
function parseKillArgs(argv: readonly string[]): number | 'help' {
  const flags = readFlags(argv, { rounds: { type: 'string' }, help: { type: 'boolean' } }, USAGE);
  if (flags.boolean('help')) return 'help';
  const raw = flags.string('rounds');
  return raw === undefined ? KILL_DEFAULTS.rounds : positive('--rounds', raw, true);
}

if (require.main === module) {
  let rounds: number | 'help';
  try {
    rounds = parseKillArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    process.stderr.write(`bench/kills.ts: ${error.message}\n`);
    process.exit(2);
  }
  if (rounds === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  runKills({ ...KILL_DEFAULTS, rounds }, (line) => process.stderr.write(`${line}\n`))
    .then((record) => {
      const answered = record.rounds.reduce((sum, r) => sum + r.answered, 0);
      const counted = record.rounds.reduce((sum, r) => sum + r.counted, 0);
      process.stdout.write(`${JSON.stringify({ answered, counted, uncounted: answered - counted, rounds: record.rounds })}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(() => void import('../harness/processes').then(({ stopAll }) => stopAll(2000)));
}
