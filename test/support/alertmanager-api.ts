// Reading a running Alertmanager the way an operator does: its v2 API for alerts and their
// silenced/inhibited state, its status (the config it serves), and amtool for silences.
import { spawnSync } from 'node:child_process';
import { requireTool } from '../../harness/stack';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The alerts Alertmanager holds with `alertname`, silenced and inhibited ones included. */
export function alertsNamed(alertmanagerUrl: string, alertname: string): Promise<AlertmanagerAlert[]> {
  const filter = encodeURIComponent(`alertname="${alertname}"`);
  return getJson(`${alertmanagerUrl}/api/v2/alerts?filter=${filter}`);
}

/** The config text Alertmanager routes with now. */
export async function servedConfig(alertmanagerUrl: string): Promise<string> {
  return (await getJson<{ config: { original: string } }>(`${alertmanagerUrl}/api/v2/status`)).config.original;
}

/** `amtool silence add`, as a person silencing for maintenance would; returns the silence id. */
export function addSilence(alertmanagerUrl: string, matchers: readonly string[], comment: string): string {
  const result = spawnSync(
    requireTool('AMTOOL_BIN'),
    ['silence', 'add', `--alertmanager.url=${alertmanagerUrl}`, '--author=alerting test', `--comment=${comment}`, '--duration=1h', ...matchers],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`amtool silence add failed: ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

/** One sample of Alertmanager's own /metrics, 0 when absent. */
export async function alertmanagerMetric(alertmanagerUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${alertmanagerUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
