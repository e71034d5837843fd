// What statsd_exporter holds right now, read straight from its /metrics page: the per-app series
// named by etc/statsd-exporter/statsd.conf and the exporter's own pipeline counters.
import { parseExposition, type Sample } from '../../harness/prometheus-api';
import { waitUntil } from './load';

export interface ExporterSnapshot {
  /** gunicorn_requests_total{app}. */
  readonly requests: number;
  /** gunicorn_responses_total{app} by status code. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** gunicorn_request_duration_seconds_count{app}. */
  readonly durations: number;
  /** gunicorn_workers{app}, or null when the exporter has not received the gauge. */
  readonly workers: number | null;
  /** gunicorn_log_events_total{app} by level. */
  readonly log: Readonly<Record<string, number>>;
  /** gunicorn_backlog_connections_count{app}: backlog samples received (--enable-backlog-metric). */
  readonly backlogSamples: number;
  /** statsd_exporter_lines_total: every line received, from every sender. */
  readonly lines: number;
  readonly udpPackets: number;
  readonly udpDrops: number;
  /** Sum over reasons of statsd_exporter_sample_errors_total (a reason appears at its first error). */
  readonly sampleErrors: number;
  readonly unmapped: number;
  /** statsd_exporter_events_total by type (counter, gauge, observer). */
  readonly events: Readonly<Record<string, number>>;
}

function sum(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.metric.__name__ === name && Object.entries(labels).every(([k, v]) => s.metric[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

function byLabel(samples: readonly Sample[], name: string, label: string, app?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.metric.__name__ !== name || (app !== undefined && s.metric.app !== app)) continue;
    out[s.metric[label]] = (out[s.metric[label]] ?? 0) + s.value;
  }
  return out;
}

/** Every sample on the exporter's /metrics page. */
export async function exporterSamples(exporterUrl: string): Promise<Sample[]> {
  const response = await fetch(`${exporterUrl}/metrics`);
  if (!response.ok) throw new Error(`${exporterUrl}/metrics answered ${response.status}`);
  return parseExposition(await response.text());
}

export async function exporterSnapshot(exporterUrl: string, app: string): Promise<ExporterSnapshot> {
  const samples = await exporterSamples(exporterUrl);
  const workers = samples.find((s) => s.metric.__name__ === 'gunicorn_workers' && s.metric.app === app);
  return {
    requests: sum(samples, 'gunicorn_requests_total', { app }),
    byStatus: byLabel(samples, 'gunicorn_responses_total', 'status', app),
    durations: sum(samples, 'gunicorn_request_duration_seconds_count', { app }),
    workers: workers ? workers.value : null,
    log: byLabel(samples, 'gunicorn_log_events_total', 'level', app),
    backlogSamples: sum(samples, 'gunicorn_backlog_connections_count', { app }),
    lines: sum(samples, 'statsd_exporter_lines_total'),
    udpPackets: sum(samples, 'statsd_exporter_udp_packets_total'),
    udpDrops: sum(samples, 'statsd_exporter_udp_packet_drops_total'),
    sampleErrors: sum(samples, 'statsd_exporter_sample_errors_total'),
    unmapped: sum(samples, 'statsd_exporter_events_unmapped_total'),
    events: byLabel(samples, 'statsd_exporter_events_total', 'type'),
  };
}

/**
 * Waits until the exporter's request counter for `app` has stopped moving and agrees with its
 * status and duration counters (every request's three lines have arrived); returns that state.
 * Used after start-up, whose readiness probes are real requests, to take an exact baseline.
 * After an outage the three counters may legitimately disagree (a request's lines straddled the
 * exporter's restart): pass requireConsistent: false there.
 */
export async function settledSnapshot(
  exporterUrl: string,
  app: string,
  options: { quietMs?: number; requireConsistent?: boolean } = {},
): Promise<ExporterSnapshot> {
  const { quietMs = 400, requireConsistent = true } = options;
  let previous: ExporterSnapshot | undefined;
  let since = Date.now();
  return waitUntil(
    `exporter counters for app=${app} to settle`,
    () => exporterSnapshot(exporterUrl, app),
    (now) => {
      const consistent =
        !requireConsistent ||
        (now.durations === now.requests && Object.values(now.byStatus).reduce((a, b) => a + b, 0) === now.requests);
      if (!previous || previous.requests !== now.requests || previous.lines !== now.lines || !consistent) {
        previous = now;
        since = Date.now();
        return false;
      }
      return Date.now() - since >= quietMs;
    },
    20_000,
    100,
  );
}

/** Waits until the exporter has counted `requests` requests for `app` (all three lines of each). */
export function waitForRequests(exporterUrl: string, app: string, requests: number, timeoutMs = 15_000) {
  return waitUntil(
    `exporter to count ${requests} requests for app=${app}`,
    () => exporterSnapshot(exporterUrl, app),
    (s) =>
      s.requests >= requests &&
      s.durations >= requests &&
      Object.values(s.byStatus).reduce((a, b) => a + b, 0) >= requests,
    timeoutMs,
  );
}

/** `after` minus `before`, per key (statuses, levels), dropping zeros. */
export function delta(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>) {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = (after[key] ?? 0) - (before[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/** A tally's statuses as the record delta() produces, for toEqual. */
export function statusRecord(byStatus: ReadonlyMap<number, number>): Record<string, number> {
  return Object.fromEntries([...byStatus].map(([status, n]) => [String(status), n]));
}
