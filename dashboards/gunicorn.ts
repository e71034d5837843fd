// The Gunicorn StatsD dashboard that Grafana provisions (etc/dashboards/gunicorn.json is written
// from this by `npm run dashboard:generate`). Rows top to bottom: alerts, traffic and errors, latency,
// saturation and backlog, error budgets, workers and server log events, the pipeline's health,
// the app's Node.js runtime.
import { DashboardCursorSync, VariableHide, VariableRefresh, VariableSort, type Dashboard, type Panel, type RowPanel, type VariableModel } from '@grafana/schema';
import { BigValueColorMode, LineInterpolation, MappingType } from '@grafana/schema';
import { barGaugePanel, colourByName, colourByQuery, DATASOURCE, row, statPanel, timeSeriesPanel } from './builders';

const APP = 'app=~"$app"';
const RUNTIME = 'job="app", instance=~"$instance"';

const STATUS_CLASS_COLOURS = { '2xx': 'green', '3xx': 'blue', '4xx': 'orange', '5xx': 'red' };
/** 1 % and 5 %: orange, and red at GunicornHigh5xxRatio's threshold. */
const RATIO_5XX_STEPS = [{ color: 'green', value: null }, { color: 'orange', value: 0.01 }, { color: 'red', value: 0.05 }];
/** 2.5 s and 5 s: orange, and red at GunicornHighLatencyP99's threshold. */
const LATENCY_STEPS = [{ color: 'green', value: null }, { color: 'orange', value: 2.5 }, { color: 'red', value: 5 }];
const UP_STEPS = [{ color: 'red', value: null }, { color: 'green', value: 1 }];

/** A label_values() variable over the selected Prometheus, every value selected by default. */
function queryVariable(name: string, label: string, query: string): VariableModel {
  return {
    type: 'query',
    name,
    label,
    datasource: DATASOURCE,
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: VariableRefresh.onTimeRangeChanged,
    regex: '',
    sort: VariableSort.alphabeticalAsc,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: { text: ['All'], value: ['$__all'] },
    options: [],
    hide: VariableHide.dontHide,
  };
}

/** Height of the alerts row, above everything else. */
const ALERTS_HEIGHT = 6;

const alerts: (Panel | RowPanel)[] = [
  row(46, 'Alerts', 0),
  statPanel({
    id: 47, title: 'Firing alerts', gridPos: { h: 5, w: 20, x: 0, y: 1 }, unit: 'none', decimals: 0,
    description: 'Every alert firing in Prometheus, by name and severity, with how many instances of it fire. Watchdog always fires: it proves alerting works. Who is told is decided by Alertmanager (etc/alertmanager/alertmanager.yml).',
    colorMode: BigValueColorMode.Background,
    thresholds: [{ color: 'orange', value: null }],
    overrides: colourByName({ 'Watchdog (none)': 'green' }),
    queries: [{ expr: 'sort_desc(count by (alertname, severity) (ALERTS{alertstate="firing"}))', legend: '{{alertname}} ({{severity}})' }],
  }),
  statPanel({
    id: 48, title: 'Silenced or inhibited', gridPos: { h: 5, w: 4, x: 20, y: 1 }, unit: 'none', decimals: 0,
    description: 'Alerts Alertmanager holds but tells nobody about: silenced (amtool silence add) or inhibited by a more important alert (alertmanager_alerts{state="suppressed"}). 0 also when no Alertmanager is scraped.',
    thresholds: [{ color: 'text', value: null }, { color: 'blue', value: 1 }],
    queries: [{ expr: 'sum(alertmanager_alerts{job="alertmanager", state="suppressed"}) or vector(0)' }],
  }),
];

const trafficAndErrors: (Panel | RowPanel)[] = [
  row(1, 'Traffic & errors', 0),
  statPanel({
    id: 2, title: 'Requests/s (now)', gridPos: { h: 4, w: 6, x: 0, y: 1 }, unit: 'reqps',
    description: 'Requests handled per second, all selected apps, over the last $__rate_interval.',
    queries: [{ expr: `sum(rate(gunicorn_requests_total{${APP}}[$__rate_interval]))` }],
  }),
  statPanel({
    id: 3, title: 'Requests in time range', gridPos: { h: 4, w: 6, x: 6, y: 1 }, unit: 'short',
    description: 'Requests handled during the selected time range (increase over $__range).',
    queries: [{ expr: `sum(increase(gunicorn_requests_total{${APP}}[$__range]))` }],
  }),
  statPanel({
    id: 4, title: '5xx ratio (now)', gridPos: { h: 4, w: 6, x: 12, y: 1 }, unit: 'percentunit', decimals: 2,
    description: 'Share of responses with a 5xx status over the last $__rate_interval. Orange from 1%, red from 5% (the GunicornHigh5xxRatio alert).',
    thresholds: RATIO_5XX_STEPS,
    queries: [{
      expr: `(sum(rate(gunicorn_responses_total{${APP}, status=~"5.."}[$__rate_interval])) or vector(0)) / sum(rate(gunicorn_responses_total{${APP}}[$__rate_interval]))`,
    }],
  }),
  statPanel({
    id: 5, title: '5xx responses in time range', gridPos: { h: 4, w: 6, x: 18, y: 1 }, unit: 'short', decimals: 0,
    description: 'Responses with a 5xx status during the selected time range.',
    queries: [{ expr: `sum(increase(gunicorn_responses_total{${APP}, status=~"5.."}[$__range])) or vector(0)` }],
  }),
  timeSeriesPanel({
    id: 6, title: 'Requests per second', gridPos: { h: 8, w: 8, x: 0, y: 5 }, unit: 'reqps',
    description: 'gunicorn.requests, one line per app.',
    queries: [{ expr: `sum by (app) (rate(gunicorn_requests_total{${APP}}[$__rate_interval]))`, legend: '{{app}}' }],
  }),
  timeSeriesPanel({
    id: 7, title: 'Responses per second by status class', gridPos: { h: 8, w: 8, x: 8, y: 5 }, unit: 'reqps',
    description: 'gunicorn.request.status.<code>, grouped into 2xx/3xx/4xx/5xx.',
    overrides: colourByName(STATUS_CLASS_COLOURS),
    queries: [{
      expr: `sum by (class) (label_replace(rate(gunicorn_responses_total{${APP}}[$__rate_interval]), "class", "\${1}xx", "status", "(.).."))`,
      legend: '{{class}}',
    }],
  }),
  barGaugePanel({
    id: 8, title: 'Status classes: share of responses (now)', gridPos: { h: 8, w: 8, x: 16, y: 5 }, unit: 'percentunit',
    decimals: 1, min: 0, max: 1,
    description: 'Each status class as a share of all responses over the last $__rate_interval.',
    overrides: colourByName(STATUS_CLASS_COLOURS),
    queries: [{
      expr: `sum by (class) (label_replace(rate(gunicorn_responses_total{${APP}}[$__rate_interval]), "class", "\${1}xx", "status", "(.)..")) / ignoring (class) group_left () sum(rate(gunicorn_responses_total{${APP}}[$__rate_interval]))`,
      legend: '{{class}}',
    }],
  }),
  timeSeriesPanel({
    id: 9, title: '5xx ratio', gridPos: { h: 7, w: 12, x: 0, y: 13 }, unit: 'percentunit',
    description: 'Share of responses with a 5xx status, per app. Dashed lines: 1% and 5% (the GunicornHigh5xxRatio alert threshold).',
    dashedThresholds: true, softMax: 0.06, thresholds: RATIO_5XX_STEPS,
    queries: [{
      expr: `(sum by (app) (rate(gunicorn_responses_total{${APP}, status=~"5.."}[$__rate_interval])) or 0 * sum by (app) (rate(gunicorn_responses_total{${APP}}[$__rate_interval]))) / sum by (app) (rate(gunicorn_responses_total{${APP}}[$__rate_interval]))`,
      legend: '{{app}}',
    }],
  }),
  timeSeriesPanel({
    id: 10, title: 'Responses per second by status code', gridPos: { h: 7, w: 12, x: 12, y: 13 }, unit: 'reqps',
    description: 'gunicorn.request.status.<code>, one line per status code.',
    queries: [{ expr: `sum by (status) (rate(gunicorn_responses_total{${APP}}[$__rate_interval]))`, legend: '{{status}}' }],
  }),
];

/** A quantile of the native histogram (exponential buckets, about 9% wide), all selected apps
 *  together. Prometheus has it when it scrapes native histograms (etc/prometheus/prometheus.yml);
 *  the classic _bucket series stay for the alerts and for rules written for real Gunicorn. */
const nativeQuantile = (q: number) =>
  `histogram_quantile(${q}, sum(rate(gunicorn_request_duration_seconds{${APP}}[$__rate_interval])))`;

const latency: (Panel | RowPanel)[] = [
  row(11, 'Latency', 20),
  timeSeriesPanel({
    id: 12, title: 'Request duration: p50, p90, p99', gridPos: { h: 8, w: 12, x: 0, y: 21 }, unit: 's',
    description: 'Quantiles of the native gunicorn_request_duration_seconds histogram (exponential buckets about 9% wide; the classic buckets, 1 ms to 10 s, are far coarser), all selected apps together. Dashed lines: 2.5 s and 5 s (the GunicornHighLatencyP99 alert threshold).',
    fillOpacity: 0, dashedThresholds: true, thresholds: LATENCY_STEPS, legendCalcs: ['mean', 'max'],
    queries: [
      { expr: nativeQuantile(0.5), legend: 'p50' },
      { expr: nativeQuantile(0.9), legend: 'p90' },
      { expr: nativeQuantile(0.99), legend: 'p99' },
    ],
  }),
  timeSeriesPanel({
    id: 13, title: 'Mean request duration', gridPos: { h: 8, w: 6, x: 12, y: 21 }, unit: 's',
    description: 'Time per request, averaged over the requests of the last $__rate_interval: rate of the histogram sum over rate of its count.',
    queries: [{
      expr: `sum by (app) (rate(gunicorn_request_duration_seconds_sum{${APP}}[$__rate_interval])) / sum by (app) (rate(gunicorn_request_duration_seconds_count{${APP}}[$__rate_interval]))`,
      legend: '{{app}}',
    }],
  }),
  statPanel({
    id: 14, title: 'p99 (now)', gridPos: { h: 4, w: 6, x: 18, y: 21 }, unit: 's',
    description: '99th percentile of request duration over the last $__rate_interval, from the native histogram. Orange from 2.5 s, red from 5 s.',
    thresholds: LATENCY_STEPS,
    queries: [{ expr: nativeQuantile(0.99) }],
  }),
  statPanel({
    id: 15, title: 'Mean duration (now)', gridPos: { h: 4, w: 6, x: 18, y: 25 }, unit: 's',
    description: 'Mean request duration over the last $__rate_interval.',
    thresholds: LATENCY_STEPS,
    queries: [{
      expr: `sum (rate(gunicorn_request_duration_seconds_sum{${APP}}[$__rate_interval])) / sum (rate(gunicorn_request_duration_seconds_count{${APP}}[$__rate_interval]))`,
    }],
  }),
];

/** Busy fraction: GunicornWorkersSaturated and AppEventLoopSaturated fire above 0.9. */
const SATURATION_STEPS = [{ color: 'green', value: null }, { color: 'orange', value: 0.7 }, { color: 'red', value: 0.9 }];
/** Burn rates of the page alerts (14.4 over 1h, 6 over 6h). */
const BURN_STEPS = [{ color: 'green', value: null }, { color: 'orange', value: 6 }, { color: 'red', value: 14.4 }];
/** Budget left: red once spent, orange under a quarter. */
const BUDGET_STEPS = [{ color: 'red', value: null }, { color: 'orange', value: 0 }, { color: 'green', value: 0.25 }];
/** Seconds per second the Node app's worker event loops are busy, summed over an instance's workers. */
const EVENT_LOOPS_BUSY = `sum by (instance) (rate(nodejs_eventloop_active_seconds_total{${RUNTIME}, role="worker"}[$__rate_interval]))`;
const IN_FLIGHT = `sum by (app) (rate(gunicorn_request_duration_seconds_sum{${APP}}[$__rate_interval]))`;

const saturation: (Panel | RowPanel)[] = [
  row(31, 'Saturation & backlog', 29),
  timeSeriesPanel({
    id: 32, title: 'Worker saturation (busy fraction)', gridPos: { h: 8, w: 8, x: 0, y: 30 }, unit: 'percentunit',
    description: "Saturation by the kind of worker (etc/prometheus/apps.yml). Sync and gthread workers (request slots): requests in flight per slot, by Little's law, the rate of the request duration sum over the workers gauge (times the threads of gthread workers), as recorded by etc/prometheus/rules.yml; at 100% requests wait in the backlog. Event-loop workers (the Node app, by instance) serve many requests at once, so their requests in flight say nothing: the share of time their event loops are busy. Dashed: 90% (GunicornWorkersSaturated, AppEventLoopSaturated).",
    dashedThresholds: true, thresholds: SATURATION_STEPS,
    queries: [
      { expr: `app:gunicorn_worker_saturation:ratio_rate5m{${APP}}`, legend: '{{app}} request slots' },
      { expr: `${EVENT_LOOPS_BUSY} / sum by (instance) (runtime_metrics_workers_reporting{${RUNTIME}})`, legend: 'event loops {{instance}}' },
    ],
  }),
  timeSeriesPanel({
    id: 33, title: 'Requests in flight and workers', gridPos: { h: 8, w: 6, x: 8, y: 30 }, unit: 'short', fillOpacity: 0,
    description: "Average requests being handled at once (Little's law: requests per second × seconds per request), against the live workers.",
    queries: [
      { expr: IN_FLIGHT, legend: 'in flight {{app}}' },
      { expr: `sum by (app) (gunicorn_workers{${APP}})`, legend: 'workers {{app}}' },
    ],
  }),
  timeSeriesPanel({
    id: 34, title: 'Backlog: connections waiting to be accepted', gridPos: { h: 8, w: 6, x: 14, y: 30 }, unit: 'short', fillOpacity: 0,
    description: "gunicorn.backlog (--enable-backlog-metric): the listen sockets' kernel accept queue, sampled by the master about once a second. Mean and p99 of those samples.",
    queries: [
      {
        expr: `sum by (app) (rate(gunicorn_backlog_connections_sum{${APP}}[$__rate_interval])) / sum by (app) (rate(gunicorn_backlog_connections_count{${APP}}[$__rate_interval]))`,
        legend: 'mean {{app}}',
      },
      {
        expr: `histogram_quantile(0.99, sum by (app, le) (rate(gunicorn_backlog_connections_bucket{${APP}}[$__rate_interval])))`,
        legend: 'p99 {{app}}',
      },
    ],
  }),
  timeSeriesPanel({
    id: 35, title: 'Event-loop utilisation', gridPos: { h: 8, w: 4, x: 20, y: 30 }, unit: 'percentunit', fillOpacity: 0,
    description: "The Node app's saturation: share of time the event loop is busy, the mean over its workers, and the master's. A worker near 100% answers late whatever its requests in flight. Dashed: 90% (the AppEventLoopSaturated alert, on the workers).",
    dashedThresholds: true, thresholds: SATURATION_STEPS,
    queries: [
      {
        expr: `sum(rate(nodejs_eventloop_active_seconds_total{${RUNTIME}, role="worker"}[$__rate_interval])) / sum(runtime_metrics_workers_reporting{${RUNTIME}})`,
        legend: 'workers',
      },
      { expr: `sum(rate(nodejs_eventloop_active_seconds_total{${RUNTIME}, role="master"}[$__rate_interval]))`, legend: 'master' },
    ],
  }),
];

const errorBudget: (Panel | RowPanel)[] = [
  row(36, 'Error budget (SLOs over 30 days)', 38),
  statPanel({
    id: 37, title: 'Availability budget left (30 d)', gridPos: { h: 4, w: 4, x: 0, y: 39 }, unit: 'percentunit', decimals: 1,
    description: "Per app, the share of the 30-day error budget of its availability objective (a share of responses that are not 5xx, set in etc/prometheus/apps.yml) not yet spent: 1 minus the 30-day burn rate; negative once overspent. From the recording rules of etc/prometheus/rules.yml.",
    thresholds: BUDGET_STEPS,
    queries: [{ expr: `1 - app:gunicorn_availability_errors:burn_rate30d{${APP}}`, legend: '{{app}}' }],
  }),
  statPanel({
    id: 38, title: 'Latency budget left (30 d)', gridPos: { h: 4, w: 4, x: 0, y: 43 }, unit: 'percentunit', decimals: 1,
    description: "Per app, the share of the 30-day error budget of its latency objective (a share of requests within a threshold, a bucket bound of the histogram, set in etc/prometheus/apps.yml) not yet spent.",
    thresholds: BUDGET_STEPS,
    queries: [{ expr: `1 - app:gunicorn_latency_errors:burn_rate30d{${APP}}`, legend: '{{app}}' }],
  }),
  timeSeriesPanel({
    id: 39, title: 'Availability burn rate', gridPos: { h: 8, w: 10, x: 4, y: 39 }, unit: 'none', fillOpacity: 0,
    description: "Error ratio over the app's error budget (1 minus its objective in etc/prometheus/apps.yml): 1 spends the 30-day budget in exactly 30 days. Dashed: 6 and 14.4, the page thresholds (over 6h and 1h, each confirmed by a short window).",
    dashedThresholds: true, thresholds: BURN_STEPS,
    queries: [
      { expr: `app:gunicorn_availability_errors:burn_rate1h{${APP}}`, legend: '1h {{app}}' },
      { expr: `app:gunicorn_availability_errors:burn_rate6h{${APP}}`, legend: '6h {{app}}' },
      { expr: `app:gunicorn_availability_errors:burn_rate3d{${APP}}`, legend: '3d {{app}}' },
    ],
  }),
  timeSeriesPanel({
    id: 40, title: 'Latency burn rate', gridPos: { h: 8, w: 10, x: 14, y: 39 }, unit: 'none', fillOpacity: 0,
    description: "Share of requests over the app's latency threshold, over its error budget (both in etc/prometheus/apps.yml). Dashed: 6 and 14.4, the page thresholds.",
    dashedThresholds: true, thresholds: BURN_STEPS,
    queries: [
      { expr: `app:gunicorn_latency_errors:burn_rate1h{${APP}}`, legend: '1h {{app}}' },
      { expr: `app:gunicorn_latency_errors:burn_rate6h{${APP}}`, legend: '6h {{app}}' },
      { expr: `app:gunicorn_latency_errors:burn_rate3d{${APP}}`, legend: '3d {{app}}' },
    ],
  }),
];

/** The rows below the new ones keep their layout, moved down by this many grid units. */
const BELOW = 18;

function movedDown(panels: (Panel | RowPanel)[], by: number): (Panel | RowPanel)[] {
  return panels.map((panel) => (panel.gridPos ? { ...panel, gridPos: { ...panel.gridPos, y: panel.gridPos.y + by } } : panel));
}

const workersAndLog: (Panel | RowPanel)[] = [
  row(16, 'Workers & server log events', 29),
  statPanel({
    id: 17, title: 'Workers (now)', gridPos: { h: 7, w: 4, x: 0, y: 30 }, unit: 'none', decimals: 0, thresholds: UP_STEPS,
    description: 'Live workers as last reported by the master (gunicorn.workers, sent when the count changes).',
    queries: [{ expr: `sum(gunicorn_workers{${APP}})` }],
  }),
  timeSeriesPanel({
    id: 18, title: 'Workers', gridPos: { h: 7, w: 8, x: 4, y: 30 }, unit: 'none', decimals: 0,
    description: 'gunicorn.workers per app in total and per instance (the instance label: each instance\'s own --dogstatsd-tags instance:<host>, or the address of the exporter beside it): changes on TTIN/TTOU, and when a dead worker is not replaced at once.',
    lineInterpolation: LineInterpolation.StepAfter, fillOpacity: 8,
    queries: [
      { expr: `sum by (app) (gunicorn_workers{${APP}})`, legend: 'total {{app}}' },
      { expr: `sum by (app, instance) (gunicorn_workers{${APP}})`, legend: '{{instance}}' },
    ],
  }),
  timeSeriesPanel({
    id: 19, title: 'Server log events per second by level', gridPos: { h: 7, w: 8, x: 12, y: 30 }, unit: 'cps',
    description: 'gunicorn.log.<level>: records the server (not the application) logs at critical (worker timeout), error, warning (e.g. workers stopped by a reload) and exception (an error escaping the app). "no events": none counted yet.',
    overrides: colourByName({ critical: 'red', error: 'orange', exception: 'purple', warning: 'yellow', 'no events': 'green' }),
    queries: [{
      expr: `sum by (level) (rate(gunicorn_log_events_total{${APP}}[$__rate_interval])) or on () label_replace(vector(0), "level", "no events", "", "")`,
      legend: '{{level}}',
    }],
  }),
  statPanel({
    id: 20, title: 'Server log events in time range', gridPos: { h: 7, w: 4, x: 20, y: 30 }, unit: 'short', decimals: 0,
    description: 'Server log records at critical, error, warning or exception level during the selected time range.',
    queries: [{ expr: `sum(increase(gunicorn_log_events_total{${APP}}[$__range])) or vector(0)` }],
  }),
];

const pipelineHealth: (Panel | RowPanel)[] = [
  row(21, 'Pipeline health', 37),
  statPanel({
    id: 22, title: 'Exporter up', gridPos: { h: 7, w: 4, x: 0, y: 38 }, unit: 'none', decimals: 0, thresholds: UP_STEPS,
    description: 'Whether Prometheus can scrape statsd_exporter (up{job="statsd-exporter"}).',
    colorMode: BigValueColorMode.Background,
    mappings: [{
      type: MappingType.ValueToText,
      options: { 0: { text: 'DOWN', color: 'red', index: 0 }, 1: { text: 'UP', color: 'green', index: 1 } },
    }],
    queries: [{ expr: 'up{job="statsd-exporter"}', legend: '{{instance}}' }],
  }),
  timeSeriesPanel({
    id: 23, title: 'StatsD packets per second', gridPos: { h: 7, w: 7, x: 4, y: 38 }, unit: 'pps',
    description: 'UDP packets statsd_exporter received, and dropped because its queue was full (the StatsdExporterUdpPacketDrops alert).',
    overrides: colourByQuery('B', 'red'),
    queries: [
      { expr: 'sum by (instance) (rate(statsd_exporter_udp_packets_total[$__rate_interval]))', legend: 'received' },
      { expr: 'sum by (instance) (rate(statsd_exporter_udp_packet_drops_total[$__rate_interval]))', legend: 'dropped' },
    ],
  }),
  timeSeriesPanel({
    id: 24, title: 'Sample errors per second by reason', gridPos: { h: 7, w: 7, x: 11, y: 38 }, unit: 'cps',
    description: 'Lines statsd_exporter could not parse (malformed_line, illegal_sample_rate, ...). "none": none counted yet.',
    overrides: colourByName({ none: 'green' }),
    queries: [{
      expr: 'sum by (reason) (rate(statsd_exporter_sample_errors_total[$__rate_interval])) or on () label_replace(vector(0), "reason", "none", "", "")',
      legend: '{{reason}}',
    }],
  }),
  timeSeriesPanel({
    id: 25, title: 'Unmapped lines and conflicts per second', gridPos: { h: 7, w: 6, x: 18, y: 38 }, unit: 'cps',
    description: 'Lines no mapping rule matched (exported under their raw names), and lines whose metric clashed with an existing one of another type.',
    overrides: colourByName({ unmapped: 'orange', conflicts: 'red' }),
    queries: [
      { expr: 'sum(rate(statsd_exporter_events_unmapped_total[$__rate_interval]))', legend: 'unmapped' },
      { expr: 'sum(rate(statsd_exporter_events_conflict_total[$__rate_interval])) or vector(0)', legend: 'conflicts' },
    ],
  }),
];

const nodeRuntime: (Panel | RowPanel)[] = [
  row(26, 'Node.js runtime', 45),
  timeSeriesPanel({
    id: 27, title: 'Event loop lag', gridPos: { h: 8, w: 6, x: 0, y: 46 }, unit: 's', fillOpacity: 0,
    description: 'prom-client event-loop delay: p99 and mean, the worst process of each role (master; workers).',
    queries: [
      { expr: `max by (role) (nodejs_eventloop_lag_p99_seconds{${RUNTIME}})`, legend: 'p99 {{role}}' },
      { expr: `max by (role) (nodejs_eventloop_lag_mean_seconds{${RUNTIME}})`, legend: 'mean {{role}}' },
    ],
  }),
  timeSeriesPanel({
    id: 28, title: 'Heap used and total', gridPos: { h: 8, w: 6, x: 6, y: 46 }, unit: 'bytes', fillOpacity: 0,
    description: 'V8 heap of the master and, summed, of the workers.',
    queries: [
      { expr: `sum by (role) (nodejs_heap_size_used_bytes{${RUNTIME}})`, legend: 'used {{role}}' },
      { expr: `sum by (role) (nodejs_heap_size_total_bytes{${RUNTIME}})`, legend: 'total {{role}}' },
    ],
  }),
  timeSeriesPanel({
    id: 29, title: 'CPU', gridPos: { h: 8, w: 6, x: 12, y: 46 }, unit: 'percentunit',
    description: 'CPU time per second of the master and, summed, of the workers: 100% is one core.',
    queries: [{ expr: `sum by (role) (rate(process_cpu_seconds_total{${RUNTIME}}[$__rate_interval]))`, legend: '{{role}}' }],
  }),
  timeSeriesPanel({
    id: 30, title: 'Time in garbage collection', gridPos: { h: 8, w: 6, x: 18, y: 46 }, unit: 'percentunit',
    description: 'Share of time spent in V8 garbage collection by GC kind, master and workers summed (nodejs_gc_duration_seconds).',
    queries: [{ expr: `sum by (kind) (rate(nodejs_gc_duration_seconds_sum{${RUNTIME}}[$__rate_interval]))`, legend: '{{kind}}' }],
  }),
];

// HAProxy, the compose file's front door: its own series (job="haproxy"), by server slot of the
// app backend (app1..app10, filled from DNS as replicas come and go). Empty slots are left out.
const FRONT_DOOR = 'job="haproxy", proxy="app"';
const IN_USE = `unless on (server) (haproxy_server_status{${FRONT_DOOR}, state="MAINT"} == 1)`;
const FRONT_DOOR_Y = 72;

const frontDoor: (Panel | RowPanel)[] = [
  row(41, 'Front door (HAProxy)', FRONT_DOOR_Y),
  statPanel({
    id: 42, title: 'Replicas in rotation (now)', gridPos: { h: 7, w: 4, x: 0, y: FRONT_DOOR_Y + 1 }, unit: 'none', decimals: 0,
    thresholds: UP_STEPS, colorMode: BigValueColorMode.Background,
    description: 'App replicas passing HAProxy\'s health check (GET /metrics on :9464): the ones new connections go to. 0 is the HAProxyNoHealthyReplica alert.',
    queries: [{ expr: `sum(haproxy_backend_active_servers{${FRONT_DOOR}})` }],
  }),
  timeSeriesPanel({
    id: 43, title: 'Replicas up and down, as HAProxy sees them', gridPos: { h: 7, w: 6, x: 4, y: FRONT_DOOR_Y + 1 }, unit: 'none', decimals: 0,
    description: 'Server slots HAProxy counts UP (in rotation) and DOWN (failing their health check). A replica leaving rotation moves from one line to the other; one removed by scaling leaves both (its slot goes to maintenance).',
    lineInterpolation: LineInterpolation.StepAfter, fillOpacity: 8,
    overrides: colourByName({ up: 'green', down: 'red' }),
    queries: [
      { expr: `count(haproxy_server_status{${FRONT_DOOR}, state="UP"} == 1) or vector(0)`, legend: 'up' },
      { expr: `count(haproxy_server_status{${FRONT_DOOR}, state="DOWN"} == 1) or vector(0)`, legend: 'down' },
    ],
  }),
  timeSeriesPanel({
    id: 44, title: 'New connections per second per replica', gridPos: { h: 7, w: 8, x: 10, y: FRONT_DOOR_Y + 1 }, unit: 'cps',
    description: 'Client connections HAProxy hands to each server slot (round robin). HAProxy\'s status page (:8404/stats, compose network only) names the replica behind each slot.',
    queries: [{ expr: `sum by (server) (rate(haproxy_server_sessions_total{${FRONT_DOOR}}[$__rate_interval])) ${IN_USE}`, legend: '{{server}}' }],
  }),
  timeSeriesPanel({
    id: 45, title: 'Queue, retries and redispatches', gridPos: { h: 7, w: 6, x: 18, y: FRONT_DOOR_Y + 1 }, unit: 'short',
    description: 'Connections waiting for a replica (queue), connection attempts retried and sent to another replica (retries, redispatches, per second), and failed connection attempts (errors, per second): a replica going away shows here, not as client errors.',
    overrides: colourByName({ queued: 'blue', 'retries/s': 'yellow', 'redispatches/s': 'orange', 'errors/s': 'red' }),
    queries: [
      { expr: `sum(haproxy_backend_current_queue{${FRONT_DOOR}})`, legend: 'queued' },
      { expr: `sum(rate(haproxy_backend_retry_warnings_total{${FRONT_DOOR}}[$__rate_interval]))`, legend: 'retries/s' },
      { expr: `sum(rate(haproxy_backend_redispatch_warnings_total{${FRONT_DOOR}}[$__rate_interval]))`, legend: 'redispatches/s' },
      { expr: `sum(rate(haproxy_backend_connection_errors_total{${FRONT_DOOR}}[$__rate_interval]))`, legend: 'errors/s' },
    ],
  }),
];

export const gunicornDashboard: Dashboard = {
  annotations: {
    list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }],
  },
  description: "Gunicorn's StatsD metrics (requests, status codes, latency, saturation, backlog, SLO error budgets, workers, server log events) through statsd_exporter and Prometheus, the pipeline's own health, the Node.js runtime of the Express app that reports like Gunicorn, and the HAProxy front door of the compose file.",
  editable: false,
  fiscalYearStartMonth: 0,
  graphTooltip: DashboardCursorSync.Crosshair,
  links: [],
  refresh: '30s',
  // The classic model's last schema version: what Grafana 13 exports for a classic dashboard.
  schemaVersion: 42,
  tags: ['gunicorn', 'statsd', 'prometheus'],
  templating: {
    list: [
      {
        type: 'datasource',
        name: 'datasource',
        label: 'Data source',
        query: 'prometheus',
        current: { text: 'Prometheus', value: 'prometheus' },
        hide: VariableHide.dontHide,
        includeAll: false,
        multi: false,
        options: [],
        refresh: VariableRefresh.onDashboardLoad,
        regex: '',
      },
      queryVariable('app', 'App', 'label_values(gunicorn_requests_total, app)'),
      queryVariable('instance', 'Runtime instance', 'label_values(up{job="app"}, instance)'),
    ],
  },
  panels: [
    ...alerts,
    ...movedDown([
      ...trafficAndErrors,
      ...latency,
      ...saturation,
      ...errorBudget,
      ...movedDown([...workersAndLog, ...pipelineHealth, ...nodeRuntime], BELOW),
      ...frontDoor,
    ], ALERTS_HEIGHT),
  ],
  time: { from: 'now-1h', to: 'now' },
  timepicker: {},
  timezone: 'browser',
  title: 'Gunicorn StatsD',
  uid: 'gunicorn-statsd',
  version: 1,
  weekStart: '',
};
