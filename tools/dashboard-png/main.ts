// `npm run dashboard:png`: a real run of the stack, natively, drawn to dashboard.png.
// statsd_exporter (committed mapping) and Prometheus (committed config, targets on loopback,
// scrape interval shortened) are started, the built app (two workers, prefix flask_app) is put
// behind HAProxy under request-script.sh load for --minutes, with a few real events on the way
// (TTIN, TTOU and HUP to the master; requests to /exception) so the workers and server-log panels
// show changes, then every panel of the committed dashboard is queried and drawn, and everything
// started here is stopped.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freeTcpPort, LOOPBACK } from '../../harness/ports';
import { startHaproxy, type Haproxy } from '../../harness/haproxy';
import { stopAll } from '../../harness/processes';
import {
  ROOT, startApp, startPrometheus, startStatsdExporter, type App, type Prometheus, type StatsdExporter,
} from '../../harness/stack';
import { parseDuration } from '../../harness/grafana-queries/interpolate';
import { parseOptions, USAGE } from './options';
import { renderDashboard } from './render';

/** What happens during the load, at which share of it: real operations on the real app, so the
 *  workers and server-log panels have changes to show (request-script.sh alone changes neither). */
const EVENTS: readonly { at: number; what: string; signal?: NodeJS.Signals; exceptions?: number }[] = [
  { at: 0.3, what: 'SIGTTIN to the master: one more worker', signal: 'SIGTTIN' },
  { at: 0.4, what: '3 requests to /exception (log.exception, 500)', exceptions: 3 },
  { at: 0.45, what: 'SIGTTOU to the master: one worker fewer', signal: 'SIGTTOU' },
  { at: 0.55, what: '3 requests to /exception', exceptions: 3 },
  { at: 0.6, what: 'SIGHUP to the master: every worker replaced', signal: 'SIGHUP' },
  { at: 0.7, what: '5 requests to /exception', exceptions: 5 },
];

const log = (message: string) => process.stderr.write(`dashboard-png: ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Load {
  done: Promise<number>;
  output(): string;
  /** Stops the script and its siege (their own process group) if still running. */
  stop(): void;
}

/** request-script.sh for `seconds`, in its own process group so that siege stops with it. */
function runLoad(url: string, seconds: number, concurrency: number): Load {
  let output = '';
  let running = true;
  const child = spawn('bash', [path.join(ROOT, 'request-script.sh'), '--url', url, '--duration', `${seconds}s`,
    '--concurrency', String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<number>((resolve) => child.once('exit', (code) => {
    running = false;
    resolve(code ?? 1);
  }));
  return {
    done,
    output: () => output,
    stop() {
      if (running && child.pid) process.kill(-child.pid, 'SIGTERM');
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), path.join(ROOT, 'dashboard.png'));
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const scrapeMs = parseDuration(options.scrapeInterval);
  const loadSeconds = Math.round(options.minutes * 60);
  const stack: { exporter?: StatsdExporter; prometheus?: Prometheus; app?: App; haproxy?: Haproxy; load?: Load } = {};
  const workDir = mkdtempSync(path.join(tmpdir(), 'dashboard-png-'));
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => reject(new Error(`interrupted by ${signal}`)));
  });
  const run = async () => {
    log('starting statsd_exporter, Prometheus, the app and HAProxy in front of it');
    const exporter = (stack.exporter = await startStatsdExporter());
    const metricsPort = await freeTcpPort();
    const haproxyMetrics = `${LOOPBACK}:${await freeTcpPort()}`;
    const prometheus = (stack.prometheus = await startPrometheus({
      targets: {
        'statsd-exporter:9102': `${LOOPBACK}:${exporter.webPort}`,
        'app:9464': `${LOOPBACK}:${metricsPort}`,
        'haproxy:8404': haproxyMetrics,
      },
      interval: options.scrapeInterval,
    }));
    const app = (stack.app = await startApp([
      '--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`,
      '--statsd-prefix', 'flask_app',
      '--metrics-bind', `${LOOPBACK}:${metricsPort}`,
      '--enable-backlog-metric',
      '--proxy-protocol',
    ], { workers: 2 }));
    // The compose file's front door: the load goes through it, as it does there.
    const haproxy = (stack.haproxy = await startHaproxy({
      replicas: [{ host: LOOPBACK, port: app.port, metricsPort }],
      metricsListen: haproxyMetrics,
    }));

    // A little idle time first, so the picture shows the load arriving.
    const start = Date.now();
    await sleep(Math.max(4 * scrapeMs, 15_000));
    log(`load: request-script.sh, ${options.concurrency} users for ${loadSeconds} s, through HAProxy on ${haproxy.url}`);
    const load = (stack.load = runLoad(haproxy.url, loadSeconds, options.concurrency));
    const loadStart = Date.now();
    for (const event of EVENTS) {
      await sleep(Math.max(0, loadStart + event.at * loadSeconds * 1000 - Date.now()));
      log(event.what);
      if (event.signal) app.process.signal(event.signal);
      for (let i = 0; i < (event.exceptions ?? 0); i += 1) await (await fetch(`${app.url}/exception`)).arrayBuffer();
    }
    // The picture ends while the app is still under load, so the "(now)" values are load values;
    // Prometheus has scraped past that moment by the time the load has finished.
    const end = loadStart + loadSeconds * 1000 - Math.min(5_000, scrapeMs);
    const code = await load.done;
    if (code !== 0) throw new Error(`request-script.sh exited ${code}:\n${load.output()}`);
    const summary = load.output().split('\n').filter((line) => /Transactions|Availability|Response time|Failed/.test(line));
    for (const line of summary) log(`  ${line.trim()}`);
    await sleep(Math.max(0, end + 2 * scrapeMs + 1000 - Date.now()));

    // Drawn to a scratch file first: a failed run must not replace the committed picture.
    const scratch = path.join(workDir, 'dashboard.png');
    log('rendering every panel');
    const result = await renderDashboard({
      prometheusUrl: prometheus.url,
      start,
      end,
      out: scratch,
      scrapeInterval: options.scrapeInterval,
      provenance:
        `npm run dashboard:png: the app (2 workers, --statsd-prefix flask_app, --enable-backlog-metric, behind HAProxy with the committed config) under request-script.sh ` +
        `(${options.concurrency} users, ${loadSeconds} s); on the way its master was sent TTIN, TTOU and HUP, ` +
        `and /exception was requested ${EVENTS.reduce((n, e) => n + (e.exceptions ?? 0), 0)} times. ` +
        `Real statsd_exporter and Prometheus, scraping every ${options.scrapeInterval}. Every panel of ` +
        `etc/dashboards/gunicorn.json drawn by tools/dashboard-png from its own queries, substituted as Grafana ` +
        `does; time series with uPlot. Not a Grafana screenshot: Grafana shows the same queries at :3000.`,
    });
    // A placeholder is labelled in the picture and listed above; an empty panel means the run
    // did not produce the data the dashboard shows, so that picture replaces nothing.
    if (result.emptyPanels.length) {
      throw new Error(`${result.emptyPanels.length} empty panels (listed above); ` +
        `${options.out} left as it was, this run's picture is ${scratch}`);
    }
    copyFileSync(scratch, options.out);
    log(`wrote ${options.out}`);
  };
  let failed = false;
  try {
    await Promise.race([interrupted, run()]);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    stack.load?.stop();
    await stack.haproxy?.stop();
    await stack.app?.stop();
    await stack.prometheus?.stop();
    await stack.exporter?.stop();
    await stopAll();
    // Kept only when a failed run drew a picture, for a look at what was empty.
    if (!failed || !existsSync(path.join(workDir, 'dashboard.png'))) rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      log(error.message);
      process.exit(1);
    },
  );
}
