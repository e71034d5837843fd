// A compose override of the tests' own, for cases that cannot wait out production holds:
// Prometheus and Alertmanager mount rewritten copies of etc/prometheus and etc/alertmanager in
// which only the named alerts' `for:` and the named receivers' route timings are shortened.
// Everything else they read is the committed text; the committed files stay untouched, and `up`
// without the override mounts them again.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ALERTMANAGER_CONFIG, retimeRoutes, type RouteTimings } from '../../harness/alertmanager';
import { retimedRuleFiles } from '../../harness/stack';
import { PROMETHEUS_DIR, ruleFiles } from './alert-rules';
import { COMPOSE_FILE } from './docker';

export interface RetimedOverride {
  /** The override file, to pass after docker-compose.yaml: `--file docker-compose.yaml --file <this>`. */
  readonly file: string;
  remove(): void;
}

export interface Retiming {
  /** The `for:` of the named alerts (of the rule files prometheus.yml loads). */
  alertFor: Readonly<Record<string, string>>;
  /** The timings of every route that sends to the named receiver. */
  timings: Readonly<Record<string, RouteTimings>>;
}

/** Copies the files of the committed directory `from` into `to`, each through `rewrite` (by name). */
function copyDir(from: string, to: string, rewrite: (name: string, text: string) => string): void {
  mkdirSync(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isFile()) writeFileSync(path.join(to, entry.name), rewrite(entry.name, readFileSync(path.join(from, entry.name), 'utf8')));
  }
}

export function writeRetimedOverride({ alertFor, timings }: Retiming): RetimedOverride {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-retimed-'));
  // The containers run as nobody: the copies must be readable by anyone, as the repository's are.
  chmodSync(dir, 0o755);

  const rules = retimedRuleFiles(ruleFiles().map((file) => path.join(PROMETHEUS_DIR, file)), alertFor);
  copyDir(PROMETHEUS_DIR, path.join(dir, 'prometheus'), (name, text) => rules.get(name) ?? text);

  const alertmanagerEtc = path.dirname(ALERTMANAGER_CONFIG);
  copyDir(alertmanagerEtc, path.join(dir, 'alertmanager'), (name, text) => (name === path.basename(ALERTMANAGER_CONFIG) ? retimeRoutes(text, timings) : text));

  // The same mount targets as the committed file, from the copies: compose merges volumes by target.
  const services = (parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, { volumes?: string[] }> }).services;
  const remount = (service: string, committedDir: string, copy: string) => {
    const source = `./${path.relative(path.dirname(COMPOSE_FILE), committedDir)}:`;
    const spec = (services[service].volumes ?? []).find((volume) => volume.startsWith(source));
    if (!spec) throw new Error(`docker-compose.yaml mounts no ${source} into ${service}`);
    return [`${path.join(dir, copy)}:${spec.slice(source.length)}`];
  };
  const file = path.join(dir, 'retimed.compose.yaml');
  writeFileSync(
    file,
    stringify({
      services: {
        prometheus: { volumes: remount('prometheus', PROMETHEUS_DIR, 'prometheus') },
        alertmanager: { volumes: remount('alertmanager', alertmanagerEtc, 'alertmanager') },
      },
    }),
  );
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
