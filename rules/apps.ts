// etc/prometheus/apps.yml, read and checked: every app's SLO objectives and worker type, each
// setting an app does not give taken from the default. A bad value fails with one message
// naming the app, the setting and the value.
import { parse } from 'yaml';

export const WORKER_TYPES = ['sync', 'threads', 'event_loop'] as const;
export type WorkerType = (typeof WORKER_TYPES)[number];

export interface AppSettings {
  /** Share of responses that are not 5xx. */
  readonly availability: number;
  readonly latency: {
    /** Seconds; a bucket bound of gunicorn_request_duration_seconds. */
    readonly threshold: number;
    /** Share of requests handled within the threshold. */
    readonly objective: number;
  };
  readonly workers: WorkerType;
  /** Requests one worker serves at once: 1 for sync, --threads for threads; none for event_loop. */
  readonly threads?: number;
}

export interface Apps {
  readonly default: AppSettings;
  /** Listed apps by `app` label, in the file's order. */
  readonly apps: ReadonlyMap<string, AppSettings>;
}

export class AppsError extends Error {}

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownKeys(where: string, value: Raw, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new AppsError(`${where}: unknown setting "${key}" (known: ${known.join(', ')})`);
  }
}

/** A share strictly between 0 and 1: 1 leaves no error budget, and every burn rate divides by it. */
function share(where: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new AppsError(`${where}: ${JSON.stringify(value)} is not a share between 0 and 1 (e.g. 0.999)`);
  }
  return value;
}

function settings(where: string, raw: unknown, base: AppSettings | undefined, buckets: readonly number[]): AppSettings {
  if (!isObject(raw)) throw new AppsError(`${where}: expected the settings availability, latency, workers`);
  refuseUnknownKeys(where, raw, ['availability', 'latency', 'workers', 'threads']);
  const need = (key: string) => {
    if (base === undefined && raw[key] === undefined) throw new AppsError(`${where}: "${key}" is missing`);
  };
  need('availability');
  need('latency');
  need('workers');

  const availability = raw.availability === undefined ? base!.availability : share(`${where}.availability`, raw.availability);

  let latency = base?.latency;
  if (raw.latency !== undefined) {
    if (!isObject(raw.latency)) throw new AppsError(`${where}.latency: expected {threshold: <seconds>, objective: <share>}`);
    refuseUnknownKeys(`${where}.latency`, raw.latency, ['threshold', 'objective']);
    const threshold = raw.latency.threshold ?? base?.latency.threshold;
    if (typeof threshold !== 'number' || !buckets.includes(threshold)) {
      throw new AppsError(
        `${where}.latency.threshold: ${JSON.stringify(threshold)} is not a bucket bound of gunicorn_request_duration_seconds ` +
          `(etc/statsd-exporter/statsd.conf: ${buckets.join(', ')})`,
      );
    }
    const objective = share(`${where}.latency.objective`, raw.latency.objective ?? base?.latency.objective);
    latency = { threshold, objective };
  }

  const workers = raw.workers ?? base!.workers;
  if (!WORKER_TYPES.includes(workers as WorkerType)) {
    throw new AppsError(`${where}.workers: ${JSON.stringify(workers)} is not one of ${WORKER_TYPES.join(', ')}`);
  }
  let threads: number | undefined;
  if (workers === 'threads') {
    threads = (raw.threads ?? (base?.workers === 'threads' ? base.threads : undefined)) as number | undefined;
    if (!Number.isInteger(threads) || threads! < 1) {
      throw new AppsError(`${where}.threads: ${JSON.stringify(threads)} is not a positive whole number (workers: threads needs Gunicorn's --threads)`);
    }
  } else if (raw.threads !== undefined) {
    throw new AppsError(`${where}.threads: only workers: threads has threads (workers is ${workers})`);
  } else if (workers === 'sync') {
    threads = 1;
  }
  return { availability, latency: latency!, workers: workers as WorkerType, ...(threads === undefined ? {} : { threads }) };
}

/** Parses apps.yml; `buckets` are the duration histogram's bounds, which latency thresholds must be. */
export function parseApps(text: string, buckets: readonly number[]): Apps {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new AppsError(`not YAML: ${(error as Error).message}`);
  }
  if (!isObject(raw)) throw new AppsError('expected the keys default and apps');
  refuseUnknownKeys('apps.yml', raw, ['default', 'apps']);
  const defaults = settings('default', raw.default, undefined, buckets);
  const apps = new Map<string, AppSettings>();
  if (raw.apps !== undefined && raw.apps !== null) {
    if (!isObject(raw.apps)) throw new AppsError('apps: expected a map of app label to settings');
    for (const [name, value] of Object.entries(raw.apps)) {
      if (name === '') throw new AppsError('apps: an empty app name (an unprefixed app is "unprefixed")');
      apps.set(name, settings(`apps.${name}`, value, defaults, buckets));
    }
  }
  return { default: defaults, apps };
}

/** The duration histogram's bucket bounds, read from the statsd_exporter mapping. Every mapping of
 *  gunicorn_request_duration_seconds must have the same ones, or a threshold would be a bound for
 *  some apps only. */
export function durationBuckets(mappingText: string): number[] {
  const mapping = parse(mappingText) as { mappings: { name?: string; histogram_options?: { buckets?: number[] } }[] };
  const lists = mapping.mappings
    .filter((rule) => rule.name === 'gunicorn_request_duration_seconds')
    .map((rule) => rule.histogram_options?.buckets ?? []);
  if (lists.length === 0) throw new AppsError('the mapping has no gunicorn_request_duration_seconds');
  const first = JSON.stringify(lists[0]);
  if (lists.some((list) => JSON.stringify(list) !== first)) {
    throw new AppsError('the mappings of gunicorn_request_duration_seconds have different buckets');
  }
  return lists[0];
}
