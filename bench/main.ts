// `npm run bench`: what the StatsD instrumentation costs, whether any metric is lost, and how the
// app compares with its peers, in one run on one machine. Prints the table, writes <out>/latest.json
// and latest.md (each run replaces the last: git keeps the history). Reports numbers; never asserts timings.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULTS, STATSD_PACKINGS, type StatsdPacking } from '../app/src/config';
import { maxDatagramBytesTo } from '../app/src/statsd/socket';
import { LOOPBACK } from '../harness/ports';
import { stopAll } from '../harness/processes';
import { requireTool, ROOT, startStatsdExporter } from '../harness/stack';
import { parseBenchArgs, USAGE, type BenchOptions } from './args';
import { contenders } from './contenders';
import { startDiscardingSink } from './discard';
import { ArgsError } from '../harness/command-line';
import { KILL_DEFAULTS, KILL_QUICK, runKills } from './kills';
import { runLossless, runMemoryControl } from './lossless';
import { describeMachine, roundedLoadAverage, startCpuAccounting } from './machine';
import { pinnedVersions } from './pins';
import { renderMarkdown, renderText, toJson } from './render';
import { SCHEMA, type LosslessRecord, type RawResults } from './results';
import { runRounds } from './rounds';
import { summarise } from './summary';

const log = (line: string) => process.stderr.write(`${line}\n`);

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Versions of the programs measured, from the one pin file (what install-tools.sh installed). */
function tools(): Record<string, string> {
  const pins = pinnedVersions();
  return {
    autocannon: packageVersion('autocannon'),
    statsd_exporter: pins.STATSD_EXPORTER_VERSION ?? 'unknown',
    Gunicorn: pins.GUNICORN_VERSION ?? 'unknown',
    Flask: pins.FLASK_VERSION ?? 'unknown',
    'express-prom-bundle': packageVersion('express-prom-bundle'),
    express: packageVersion('express'),
  };
}

/** The default first, then Gunicorn's `line`, then the rest: if time runs short, those two matter most. */
export function losslessOrder(defaultPacking: StatsdPacking): StatsdPacking[] {
  return [...new Set<StatsdPacking>([defaultPacking, 'line', ...STATSD_PACKINGS])];
}

async function bench(options: BenchOptions): Promise<void> {
  const startedAt = Date.now();
  // Fail before measuring anything if a program is missing (never skip a contender silently).
  requireTool('STATSD_EXPORTER_BIN');
  requireTool('GUNICORN_BIN');
  const machine = await describeMachine();
  const cpuShare = startCpuAccounting();
  const defaultPacking = DEFAULTS.statsdPacking;
  log(`bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.nodeVersion}, load ${machine.loadAverageStart.join(' ')}`);

  const exporter = await startStatsdExporter();
  const discard = await startDiscardingSink();
  const all = contenders(exporter.statsdPort, discard.port, defaultPacking);
  log(`bench: ${options.pairs} rounds × ${all.length} contenders × workers ${options.workers.join(',')}, ${options.durationS} s each`);
  let runs;
  let slices;
  try {
    ({ runs, slices } = await runRounds(
      options,
      all,
      { pid: exporter.process.pid, metricsUrl: `${exporter.url}/metrics` },
      { off: 'app-off', on: `app-${defaultPacking}` },
      log,
    ));
  } finally {
    await exporter.stop();
    await discard.stop();
  }

  const workers = Math.max(...options.workers);
  log(`bench: nothing lost and memory, ~${options.losslessS} s at saturation per packing and with metrics off, ${workers} workers`);
  const lossless: LosslessRecord[] = [];
  for (const packing of losslessOrder(defaultPacking)) {
    lossless.push(await runLossless(packing, workers, options, log));
  }
  const memoryControl = await runMemoryControl(workers, options, log);
  const killOptions = { ...(options.quick ? KILL_QUICK : KILL_DEFAULTS), packing: defaultPacking };
  log(`bench: saturation with kills, ${killOptions.rounds} × ${killOptions.requests} requests, a worker SIGKILLed ${killOptions.killAfterMs} ms into each`);
  const kills = await runKills(killOptions, log);

  const raw: RawResults = {
    schema: SCHEMA,
    machine,
    options,
    tools: tools(),
    contenders: all.map(({ id, label }) => ({ id, label })),
    defaultPacking,
    packings: [...STATSD_PACKINGS],
    // What the app's own rule gives the address the bench's exporter listens on.
    maxDatagramBytes: maxDatagramBytesTo(LOOPBACK),
    runs,
    slices,
    lossless,
    kills,
    memoryControl,
    loadAverageEnd: roundedLoadAverage(),
    cpu: cpuShare(),
    elapsedS: (Date.now() - startedAt) / 1000,
  };
  const summary = summarise(raw);
  process.stdout.write(`\n${renderText(raw, summary)}`);

  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(path.join(options.outDir, 'latest.json'), toJson(raw, summary));
  writeFileSync(path.join(options.outDir, 'latest.md'), renderMarkdown(raw, summary));
  log(`bench: wrote latest.json and latest.md in ${options.outDir}`);
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(process.argv.slice(2), { full: path.join(ROOT, 'bench', 'results'), quick: path.join(tmpdir(), 'gunicorn-statsd-bench') });
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    log(`bench: ${error.message}`);
    process.exit(2);
  }
  if (options === 'help') {
    log(USAGE);
    return;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`bench: ${signal}, stopping every process started`);
      void stopAll(2000).finally(() => process.exit(130));
    });
  }
  try {
    await bench(options);
  } finally {
    await stopAll(5000);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    log(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  });
}
