// Node runtime metrics: prom-client's default metrics in the master and every worker, aggregated by the master and served on --metrics-bind.
//
// Its own listener, apart from the app's sockets, so Prometheus scrapes never count as app
// requests. The master asks each worker over the cluster IPC channel (as prom-client's
// AggregatorRegistry.clusterMetrics does) but with its own request handling: a worker that does
// not answer within WORKER_ANSWER_TIMEOUT_MS (blocked, stopped, exiting) is left out of that
// scrape instead of failing it, and the number of workers that answered is exported.
//
// How the series combine: every process labels its series role="master" or role="worker", so the
// master keeps its own series and the workers' are aggregated into one per name and labels, with
// no per-pid label (pids change on every replacement: an unbounded label). prom-client's
// aggregators decide how: counters, histograms, memory, handles and fds are summed (the total
// over the workers: what the container pays); nodejs_version_info takes the first. Overrides
// where a sum or prom-client's choice would mislead are in AGGREGATOR_OVERRIDES below.
// A counter summed over workers drops when a worker is replaced or misses a scrape; rate() reads
// that as a counter reset, as it does for any restarted process.
import type { Worker } from 'node:cluster';
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry, type Aggregator,
} from 'prom-client';
import { formatAddress, type Address } from '../address';
import { messageType } from './worker-messages';

const METRICS_REQUEST = 'gunicorn-compat:metrics-request';
const METRICS_RESPONSE = 'gunicorn-compat:metrics-response';
/** Well inside Prometheus's default 10 s scrape timeout, long enough for a busy worker's next tick. */
const WORKER_ANSWER_TIMEOUT_MS = 2_000;
export const WORKERS_REPORTING = 'runtime_metrics_workers_reporting';
export const EVENT_LOOP_ACTIVE = 'nodejs_eventloop_active_seconds_total';

type Role = 'master' | 'worker';
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * - event-loop lag gauges (mean, percentiles, max...): the worst worker, since one blocked worker
 *   is what matters and an average hides it (prom-client averages most of them); _min stays min.
 * - process_max_fds: a per-process limit; the sum of limits is no limit.
 * - process_start_time_seconds: prom-client omits it; the newest start shows worker replacements.
 */
const AGGREGATOR_OVERRIDES: Readonly<Record<string, Aggregator>> = {
  nodejs_eventloop_lag_seconds: 'max',
  nodejs_eventloop_lag_mean_seconds: 'max',
  nodejs_eventloop_lag_stddev_seconds: 'max',
  nodejs_eventloop_lag_p50_seconds: 'max',
  nodejs_eventloop_lag_p90_seconds: 'max',
  nodejs_eventloop_lag_p99_seconds: 'max',
  process_max_fds: 'max',
  process_start_time_seconds: 'max',
};

export function createRuntimeRegistry(role: Role): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry });
  countEventLoopActiveTime(registry);
  return registry;
}

/**
 * Event-loop utilisation as a counter of the seconds the loop spent not idle (Node's
 * performance.eventLoopUtilization().active). A counter, not a ratio, so that it sums over the
 * workers like CPU time: rate() of the sum over the worker count is their mean utilisation, the
 * saturation of a Node worker (which, unlike a sync Gunicorn worker, serves many requests at once).
 */
function countEventLoopActiveTime(registry: Registry): void {
  let counted = 0;
  new Counter({
    name: EVENT_LOOP_ACTIVE,
    help: 'Time the event loop spent processing events (not idle), from performance.eventLoopUtilization().',
    registers: [registry],
    collect() {
      const active = performance.eventLoopUtilization().active / 1000;
      this.inc(Math.max(0, active - counted));
      counted = active;
    },
  });
}

/** Pure: one registry from the metrics of several processes (each from getMetricsAsJSON()). */
export function aggregateRuntimeMetrics(perProcess: readonly MetricsJson[]): Registry {
  const adjusted = perProcess.map((metrics) => metrics.map((metric) => ({
    ...metric,
    aggregator: AGGREGATOR_OVERRIDES[metric.name] ?? metric.aggregator,
  })));
  return AggregatorRegistry.aggregate(adjusted);
}

/** In a worker: answer the master's requests for this process's metrics. */
export function answerMetricsRequests(registry: Registry): void {
  process.on('message', (message: { id?: unknown }) => {
    if (messageType(message) !== METRICS_REQUEST) return;
    void registry.getMetricsAsJSON().then((metrics) => {
      process.send?.({ type: METRICS_RESPONSE, id: message.id, metrics });
    });
  });
}

let nextRequestId = 0;

/** In the master: the metrics of every worker that answers within WORKER_ANSWER_TIMEOUT_MS. */
function gatherWorkerMetrics(workers: readonly Worker[]): Promise<MetricsJson[]> {
  const id = nextRequestId++;
  const asked = workers.filter((worker) => worker.isConnected());
  return new Promise((resolve) => {
    const answers: MetricsJson[] = [];
    const listeners = new Map<Worker, (message: { id?: unknown; metrics?: MetricsJson }) => void>();
    const finish = () => {
      clearTimeout(timer);
      for (const [worker, listener] of listeners) worker.off('message', listener);
      resolve(answers);
    };
    const timer = setTimeout(finish, WORKER_ANSWER_TIMEOUT_MS);
    for (const worker of asked) {
      const listener = (message: { id?: unknown; metrics?: MetricsJson }) => {
        if (messageType(message) !== METRICS_RESPONSE || message.id !== id || !message.metrics) return;
        worker.off('message', listener);
        listeners.delete(worker);
        answers.push(message.metrics);
        if (listeners.size === 0) finish();
      };
      listeners.set(worker, listener);
      worker.on('message', listener);
      try {
        worker.send({ type: METRICS_REQUEST, id });
      } catch {
        // The channel closed between isConnected() and send(): this worker is simply left out.
      }
    }
    if (listeners.size === 0) finish();
  });
}

/** The master's text for one scrape; `workersReporting` 0 means no worker answered. */
async function renderRuntimeMetrics(
  master: Registry,
  workers: readonly Worker[],
): Promise<{ text: string; contentType: string; workersReporting: number }> {
  const [own, fromWorkers] = await Promise.all([master.getMetricsAsJSON(), gatherWorkerMetrics(workers)]);
  const registry = aggregateRuntimeMetrics([own, ...fromWorkers]);
  const reporting = new Gauge({
    name: WORKERS_REPORTING,
    help: 'Workers whose runtime metrics this scrape aggregated (fewer than gunicorn_workers: some did not answer in time).',
    registers: [registry],
  });
  reporting.set(fromWorkers.length);
  return { text: await registry.metrics(), contentType: registry.contentType, workersReporting: fromWorkers.length };
}

/**
 * GET /metrics on `address`. Answers 503 when no worker answered, so a health check on this
 * listener also proves the workers are alive.
 */
export function serveRuntimeMetrics(
  address: Address,
  master: Registry,
  workers: () => readonly Worker[],
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://x').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found: the runtime metrics are at /metrics\n');
      return;
    }
    renderRuntimeMetrics(master, workers()).then(
      ({ text, contentType, workersReporting }) => {
        res.writeHead(workersReporting > 0 ? 200 : 503, { 'content-type': contentType }).end(text);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`--metrics-bind ${formatAddress(address)}: ${error.message}`)));
    server.listen(address.port, address.host, () => resolve(server));
  });
}
