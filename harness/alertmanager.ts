// Alertmanager, natively on loopback, reading the committed etc/alertmanager/alertmanager.yml with
// only what compose supplies from outside rewritten: the receivers' secret files (each URL given
// here is written to a file of its own, as compose mounts them) and, for tests that cannot wait
// minutes, the timings of chosen routes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { freeTcpPort, LOOPBACK } from './ports';
import { start, waitForHttp, type Started } from './processes';
import { ETC, requireTool } from './stack';

export const ALERTMANAGER_CONFIG = path.join(ETC, 'alertmanager', 'alertmanager.yml');
/** Where compose mounts the receivers' secrets; each url_file of the config names one. */
export const SECRETS_DIR = '/run/secrets/';
/** The feature flags compose gives Alertmanager: failed notifications are counted per receiver. */
export const ALERTMANAGER_FEATURES = 'receiver-name-in-metrics';

export interface RouteTimings {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
}

interface Route extends RouteTimings {
  receiver?: string;
  routes?: Route[];
}

export interface AlertmanagerOptions {
  /** The URL each secret (the file name under /run/secrets) holds. */
  secrets: Readonly<Record<string, string>>;
  /** Timings replacing those of every route that sends to the named receiver. */
  timings?: Readonly<Record<string, RouteTimings>>;
}

export interface Alertmanager {
  readonly url: string;
  readonly process: Started;
  /** The rewritten config file Alertmanager reads (and re-reads on /-/reload). */
  readonly configFile: string;
  stop(): Promise<void>;
}

/** A config text with the timings of every route that sends to a receiver named in `timings` replaced. */
export function retimeRoutes(text: string, timings: Readonly<Record<string, RouteTimings>>): string {
  const config = parse(text) as { route: Route };
  const retimed = new Set<string>();
  const retime = (route: Route) => {
    if (route.receiver && timings[route.receiver]) {
      Object.assign(route, timings[route.receiver]);
      retimed.add(route.receiver);
    }
    for (const child of route.routes ?? []) retime(child);
  };
  retime(config.route);
  const unknown = Object.keys(timings).filter((receiver) => !retimed.has(receiver));
  if (unknown.length > 0) throw new Error(`timings name receivers no route sends to: ${unknown.join(', ')}`);
  return stringify(config);
}

/** The committed config with url_file paths moved to `secretsDir` and route timings replaced. */
export function rewriteAlertmanagerConfig(text: string, secretsDir: string, timings: AlertmanagerOptions['timings'] = {}): string {
  return retimeRoutes(text, timings).replaceAll(SECRETS_DIR, `${secretsDir}/`);
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<Alertmanager> {
  const binary = requireTool('ALERTMANAGER_BIN');
  const dir = mkdtempSync(path.join(tmpdir(), 'alertmanager-'));
  const secretsDir = path.join(dir, 'secrets');
  const committed = readFileSync(ALERTMANAGER_CONFIG, 'utf8');
  const named = [...committed.matchAll(/url_file: \/run\/secrets\/(\S+)/g)].map((match) => match[1]);
  const missing = named.filter((name) => !(name in options.secrets));
  if (missing.length > 0) throw new Error(`no URL given for the secrets ${missing.join(', ')} that alertmanager.yml reads`);
  mkdirSync(secretsDir);
  for (const [name, url] of Object.entries(options.secrets)) writeFileSync(path.join(secretsDir, name), `${url}\n`);
  const configFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(configFile, rewriteAlertmanagerConfig(committed, secretsDir, options.timings));

  const port = await freeTcpPort();
  const url = `http://${LOOPBACK}:${port}`;
  const started = start('alertmanager', binary, [
    `--config.file=${configFile}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${LOOPBACK}:${port}`,
    `--web.external-url=${url}`,
    // One instance, as compose runs it: no gossip.
    '--cluster.listen-address=',
    `--enable-feature=${ALERTMANAGER_FEATURES}`,
  ]);
  await waitForHttp(`${url}/-/ready`);
  return {
    url,
    process: started,
    configFile,
    async stop() {
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
