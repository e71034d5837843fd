// Waiting for Prometheus's own view of its scrape targets.
import { queryInstant, type Sample } from '../../harness/prometheus-api';
import { waitUntil } from './load';

/**
 * Polls `up` (narrowed by `selector`, e.g. '{job="app"}', or '' for every target) until exactly
 * `count` targets are listed and every one is up; returns their samples.
 */
export function waitForTargetsUp(
  prometheusUrl: string,
  selector: string,
  count: number,
  timeoutMs?: number,
  pollMs?: number,
): Promise<Sample[]> {
  return waitUntil(
    `${count} targets of up${selector}, all up`,
    () => queryInstant(prometheusUrl, `up${selector}`),
    (rows) => rows.length === count && rows.every((row) => row.value === 1),
    timeoutMs,
    pollMs,
  );
}
