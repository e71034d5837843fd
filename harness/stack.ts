// Runs the stack's real programs natively on loopback, reading the committed config files with
// only host names, ports and intervals rewritten: what docker-compose.yaml runs, minus Docker.
// Used by the end-to-end tests, the benchmark and the dashboard renderer.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { freeTcpAndUdpPort, freeTcpPort, LOOPBACK } from './ports';
import { start, waitForHttp, type Started } from './processes';
import { bootedWorkersPattern, startServer, type App } from './server';

export const ROOT = path.resolve(__dirname, '..');
export const ETC = path.join(ROOT, 'etc');

/** Path of a pinned program installed by scripts/install-tools.sh; throws (never skips) when absent. */
export function requireTool(envVar: string): string {
  const file = process.env[envVar];
  if (!file || !existsSync(file)) {
    throw new Error(
      `${envVar} ${file ? `(${file}) does not exist` : 'is not set'}: run the tests with \`npm test\`, ` +
        'which installs the pinned programs, or `bash scripts/install-tools.sh && . scripts/env.sh`',
    );
  }
  return file;
}

export interface StatsdExporter {
  /** UDP and TCP StatsD port. */
  readonly statsdPort: number;
  readonly webPort: number;
  readonly url: string;
  process: Started;
  /** Kills the exporter (SIGKILL: a crash, not a drain). */
  kill(): Promise<void>;
  /** Starts it again on the same ports, as a compose restart would. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The receive buffer compose asks for (`--statsd.read-buffer`): the tests and the bench run that exporter. */
export const EXPORTER_READ_BUFFER_BYTES = 4_194_304;
/** The Go processors compose gives the exporter (GOMAXPROCS): the tests and the bench run that exporter. */
export const EXPORTER_GOMAXPROCS = '1';

export async function startStatsdExporter(
  mappingFile = path.join(ETC, 'statsd-exporter', 'statsd.conf'),
): Promise<StatsdExporter> {
  const binary = requireTool('STATSD_EXPORTER_BIN');
  const statsdPort = await freeTcpAndUdpPort();
  const webPort = await freeTcpPort();
  const url = `http://${LOOPBACK}:${webPort}`;
  const launch = async () => {
    const started = start(
      'statsd_exporter',
      binary,
      [
        `--statsd.mapping-config=${mappingFile}`,
        `--statsd.listen-udp=${LOOPBACK}:${statsdPort}`,
        `--statsd.listen-tcp=${LOOPBACK}:${statsdPort}`,
        `--web.listen-address=${LOOPBACK}:${webPort}`,
        `--statsd.read-buffer=${EXPORTER_READ_BUFFER_BYTES}`,
      ],
      { env: { ...process.env, GOMAXPROCS: EXPORTER_GOMAXPROCS } },
    );
    await waitForHttp(`${url}/-/ready`);
    return started;
  };
  const exporter: StatsdExporter = {
    statsdPort,
    webPort,
    url,
    process: await launch(),
    async kill() {
      exporter.process.signal('SIGKILL');
      await exporter.process.exited;
    },
    async restart() {
      exporter.process = await launch();
    },
    async stop() {
      await exporter.process.stop();
    },
  };
  return exporter;
}

export interface Prometheus {
  readonly url: string;
  /** The running process; replaced by restart(). */
  process: Started;
  /** The rewritten config directory (config, rules, data), removed by stop(). */
  readonly configDir: string;
  /** Scrape jobs of the committed config left out because their targets were not given. */
  readonly dropped: readonly string[];
  /** Stops Prometheus gracefully and starts it again on the same port with the same data
   *  directory, as a compose restart with its volume would. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Compose "service:port" targets to their loopback "127.0.0.1:port" stand-ins (several for a
   * service with several replicas). Jobs whose targets are not all listed are dropped (e.g. the
   * app's runtime metrics when no app runs). */
  targets: Readonly<Record<string, string | readonly string[]>>;
  /** Replaces the committed scrape and evaluation intervals so tests need not wait 15 s. */
  interval?: string;
  configFile?: string;
  /** Replaces the `for:` of the named alerts, so a test need not wait out production holds. */
  alertFor?: Readonly<Record<string, string>>;
}

/** A rule file's text with the `for:` of the alerts named in `alertFor` replaced; the names found are added to `found`. */
function rewriteAlertFor(text: string, alertFor: Readonly<Record<string, string>>, found: Set<string>): string {
  const rules = parse(text) as { groups: { rules: { alert?: string; for?: string }[] }[] };
  let changed = false;
  for (const rule of rules.groups.flatMap((group) => group.rules)) {
    if (rule.alert && rule.alert in alertFor) {
      rule.for = alertFor[rule.alert];
      found.add(rule.alert);
      changed = true;
    }
  }
  return changed ? stringify(rules) : text;
}

/**
 * The text of each rule file (absolute paths), by file name, with the `for:` of the alerts named
 * in `alertFor` replaced; throws when `alertFor` names an alert none of them has.
 */
export function retimedRuleFiles(files: readonly string[], alertFor: Readonly<Record<string, string>>): Map<string, string> {
  const found = new Set<string>();
  const texts = new Map(files.map((file) => [path.basename(file), rewriteAlertFor(readFileSync(file, 'utf8'), alertFor, found)]));
  const unknown = Object.keys(alertFor).filter((alert) => !found.has(alert));
  if (unknown.length > 0) throw new Error(`alertFor names alerts no rule file has: ${unknown.join(', ')}`);
  return texts;
}

/** The committed prometheus.yml with targets and intervals rewritten; rule files copied beside it. */
export function rewritePrometheusConfig(options: PrometheusOptions & { listen: string }): {
  config: Record<string, unknown>;
  ruleFiles: string[];
  dropped: string[];
} {
  const configFile = options.configFile ?? path.join(ETC, 'prometheus', 'prometheus.yml');
  const config = parse(readFileSync(configFile, 'utf8')) as {
    global?: Record<string, unknown>;
    rule_files?: string[];
    alerting?: {
      alertmanagers?: { static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    scrape_configs?: {
      job_name: string;
      scrape_interval?: string;
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; port: number }[];
    }[];
  };
  const targets: Record<string, string | readonly string[]> = { ...options.targets, 'localhost:9090': options.listen };
  if (options.interval) {
    config.global = { ...config.global, scrape_interval: options.interval, evaluation_interval: options.interval };
  }
  const dropped: string[] = [];
  config.scrape_configs = (config.scrape_configs ?? []).filter((job) => {
    // A job that finds compose services by DNS becomes static targets "service:port", as the rest.
    if (job.dns_sd_configs) {
      const found = job.dns_sd_configs.flatMap((sd) => sd.names.map((name) => `${name}:${sd.port}`));
      job.static_configs = [...(job.static_configs ?? []), { targets: found }];
      delete job.dns_sd_configs;
    }
    const all = (job.static_configs ?? []).flatMap((group) => group.targets);
    if (!all.every((target) => target in targets)) {
      dropped.push(job.job_name);
      return false;
    }
    for (const group of job.static_configs ?? []) group.targets = group.targets.flatMap((target) => targets[target]);
    if (options.interval) delete job.scrape_interval;
    return true;
  });
  // Alertmanagers found by DNS become static targets too; without a stand-in for every one
  // given, alerts are sent nowhere (Prometheus would only log failed lookups).
  if (config.alerting?.alertmanagers) {
    const alertmanagers = config.alerting.alertmanagers.flatMap((am) => {
      const found = (am.dns_sd_configs ?? []).flatMap((sd) => sd.names.map((name) => `${name}:${sd.port}`));
      const all = [...(am.static_configs ?? []).flatMap((group) => group.targets), ...found];
      if (!all.every((target) => target in targets)) return [];
      delete am.dns_sd_configs;
      return [{ ...am, static_configs: [{ targets: all.flatMap((target) => targets[target]) }] }];
    });
    if (alertmanagers.length > 0) config.alerting.alertmanagers = alertmanagers;
    else delete config.alerting;
  }
  const ruleFiles = (config.rule_files ?? []).map((file) => path.resolve(path.dirname(configFile), file));
  config.rule_files = ruleFiles.map((file) => path.basename(file));
  return { config, ruleFiles, dropped };
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const binary = requireTool('PROMETHEUS_BIN');
  const port = await freeTcpPort();
  const listen = `${LOOPBACK}:${port}`;
  const configDir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
  const { config, ruleFiles, dropped } = rewritePrometheusConfig({ ...options, listen });
  for (const [name, text] of retimedRuleFiles(ruleFiles, options.alertFor ?? {})) writeFileSync(path.join(configDir, name), text);
  writeFileSync(path.join(configDir, 'prometheus.yml'), stringify(config));
  const url = `http://${listen}`;
  const launch = async () => {
    const started = start('prometheus', binary, [
      `--config.file=${path.join(configDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(configDir, 'data')}`,
      `--web.listen-address=${listen}`,
    ]);
    await waitForHttp(`${url}/-/ready`, 30_000);
    return started;
  };
  const prometheus: Prometheus = {
    url,
    process: await launch(),
    configDir,
    dropped,
    async restart() {
      await prometheus.process.stop();
      prometheus.process = await launch();
    },
    async stop() {
      await prometheus.process.stop();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
  return prometheus;
}

export type { App };

/** The built app master (dist/main.js) on a free port; resolves once every worker has booted. */
export async function startApp(
  args: readonly string[],
  options: { workers?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<App> {
  const entry = path.join(ROOT, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const workers = options.workers ?? 2;
  return startServer({
    name: 'app',
    command: process.execPath,
    leadingArgs: [entry],
    args,
    workers,
    ready: [/Listening at: /, bootedWorkersPattern(workers)],
    spawn: { env: { ...process.env, ...options.env } },
  });
}

/** Real Gunicorn serving conformance/flask_app.py, the reference the app is measured against. */
export async function startGunicorn(
  args: readonly string[],
  options: { workers?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<App> {
  const workers = options.workers ?? 2;
  return startServer({
    name: 'gunicorn',
    command: requireTool('GUNICORN_BIN'),
    args: [...args, 'conformance.flask_app:app'],
    workers,
    ready: [bootedWorkersPattern(workers)],
    spawn: { cwd: ROOT, env: { ...process.env, ...options.env } },
  });
}
