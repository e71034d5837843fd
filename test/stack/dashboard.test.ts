// Static checks of etc/dashboards/gunicorn.json, the dashboard Grafana provisions (generated from
// dashboards/gunicorn.ts, test/dashboards/generate.test.ts): identity,
// datasource references, units, PromQL conventions ($__rate_interval in every rate,
// increase over $__range), metric names that exist, a grid without overlaps, modern panel types,
// and every query parsed by the real promtool after Grafana's substitution. Whether each query
// returns data is proven end to end against a real Prometheus (test/support/dashboard.ts); whether
// the picture's imitation of Grafana can draw a panel is that tool's own business, not a test here.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRuntimeRegistry, WORKERS_REPORTING } from '../../app/src/arbiter/runtime-metrics';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dataPanels, flattenPanels, loadDashboard, prometheusTargets, variableQuery, type AnyPanel } from '../../harness/grafana-queries/dashboard';
import { gridPosOf } from '../../harness/grafana-queries/grid';
import { computeIntervals, interpolateQuery } from '../../harness/grafana-queries/interpolate';
import { startHaproxy } from '../../harness/haproxy';
import { requireTool, ROOT } from '../../harness/stack';

const MAPPING_FILE = path.join(ROOT, 'etc', 'statsd-exporter', 'statsd.conf');
const RULES_FILE = path.join(ROOT, 'etc', 'prometheus', 'rules.yml');

const dashboard = loadDashboard();
const panels = flattenPanels(dashboard.panels ?? []);
const queryPanels = dataPanels(dashboard);
const targets = queryPanels.flatMap((panel) => prometheusTargets(panel).map((target) => ({ panel, target })));

// --- PromQL helpers (test-only; checked by their own table below) ---------------------------

/** The expression with string literals blanked, so their contents are never read as PromQL. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** Each range selector's duration text and the function it is the argument of. */
function rangeSelectors(expr: string): { range: string; fn: string }[] {
  const code = withoutStrings(expr);
  const found: { range: string; fn: string }[] = [];
  for (const match of code.matchAll(/\[([^\]]*)\]/g)) {
    let depth = 0;
    let fn = '';
    for (let i = match.index - 1; i >= 0; i -= 1) {
      if (code[i] === ')') depth += 1;
      else if (code[i] === '(') {
        if (depth === 0) {
          fn = /([a-zA-Z_]+)\s*$/.exec(code.slice(0, i))?.[1] ?? '';
          break;
        }
        depth -= 1;
      }
    }
    found.push({ range: match[1], fn });
  }
  return found;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names an expression selects: identifiers that are not functions, keywords or label lists. */
function metricNames(expr: string): string[] {
  const code = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of code.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const start = match.index;
    if (start > 0 && /[0-9.]/.test(code[start - 1])) continue; // the "e" of 1e3
    if (/^\s*\(/.test(code.slice(start + match[0].length))) continue; // a function
    if (!KEYWORDS.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return [...names];
}

describe('the PromQL helpers these checks rely on', () => {
  it.each([
    ['a rate over $__rate_interval', 'sum(rate(x{a="b"}[$__rate_interval]))', [{ range: '$__rate_interval', fn: 'rate' }]],
    ['increase over $__range inside sum by', 'sum by (app) (increase(x[$__range]))', [{ range: '$__range', fn: 'increase' }]],
    ['a hard-coded window is still found', 'rate(x[1m]) / rate(y[5m])', [{ range: '1m', fn: 'rate' }, { range: '5m', fn: 'rate' }]],
    ['brackets inside a string are not ranges', 'label_replace(x, "a", "$1", "b", "[0-9]+")', []],
    ['a bare range under another function', 'max_over_time(x[1h])', [{ range: '1h', fn: 'max_over_time' }]],
  ])('rangeSelectors: %s', (_, expr, expected) => {
    expect(rangeSelectors(expr)).toEqual(expected);
  });

  it.each([
    ['a counter in a rate', 'sum by (app) (rate(gunicorn_requests_total{app=~"$app"}[$__rate_interval]))', ['gunicorn_requests_total']],
    ['label lists are not metrics', 'sum by (le, app) (x_bucket) / ignoring (class) group_left () y', ['x_bucket', 'y']],
    ['strings and numbers are not metrics', 'histogram_quantile(0.99, z) or label_replace(vector(0), "level", "none", "", "")', ['z']],
  ])('metricNames: %s', (_, expr, expected) => {
    expect(metricNames(expr).sort()).toEqual([...expected].sort());
  });
});

// --- known metric names ---------------------------------------------------------------------

/** Names the mapping defines, with the series a histogram or summary adds. */
function mappingNames(): Set<string> {
  const mapping = parse(readFileSync(MAPPING_FILE, 'utf8')) as { mappings: { name?: string; observer_type?: string }[] };
  const names = new Set<string>();
  for (const rule of mapping.mappings) {
    if (!rule.name) continue;
    names.add(rule.name);
    if (rule.observer_type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(rule.name + suffix);
    if (rule.observer_type === 'summary') for (const suffix of ['_sum', '_count']) names.add(rule.name + suffix);
  }
  return names;
}

/** The series recorded by etc/prometheus/rules.yml. */
function recordedNames(): Set<string> {
  const rules = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { record?: string }[] }[] };
  return new Set(rules.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.record ? [rule.record] : []))));
}

/** The app's runtime metrics (prom-client's defaults and its own), straight from the app's registry. */
async function promClientNames(): Promise<Set<string>> {
  const registry = createRuntimeRegistry('master');
  const names = new Set<string>([WORKERS_REPORTING]);
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    // prom-client declares `type` as a numeric enum but sets the string Prometheus prints.
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

/** The series the real HAProxy (the image's release, the committed config) serves on its /metrics. */
async function haproxyNames(): Promise<Set<string>> {
  // One server that never answers its check: the server series are listed all the same.
  const haproxy = await startHaproxy({ replicas: [{ host: '127.0.0.1', port: 9, metricsPort: 9 }] });
  try {
    const page = await (await fetch(`${haproxy.metricsUrl}/metrics`)).text();
    return new Set(page.split('\n').filter((line) => line.startsWith('haproxy_')).map((line) => line.split(/[{ ]/)[0]));
  } finally {
    await haproxy.stop();
  }
}

/** statsd_exporter v0.31.0's own series the dashboard may use (as its /metrics lists them), and
 *  Prometheus's synthetic `up`. */
const EXPORTER_AND_PROMETHEUS_NAMES = new Set([
  'up',
  // Prometheus's own series of its alerts, and Alertmanager's count of the alerts it holds.
  'ALERTS',
  'alertmanager_alerts',
  'statsd_exporter_udp_packets_total',
  'statsd_exporter_udp_packet_drops_total',
  'statsd_exporter_sample_errors_total',
  'statsd_exporter_events_unmapped_total',
  'statsd_exporter_events_conflict_total',
  'statsd_exporter_events_total',
  'statsd_exporter_lines_total',
  'statsd_exporter_samples_total',
  'statsd_exporter_tag_errors_total',
]);

// --- the dashboard --------------------------------------------------------------------------

describe('etc/dashboards/gunicorn.json', () => {
  it('is the provisioned dashboard: fixed uid, title, Grafana 13 schema version', () => {
    expect(dashboard.uid).toBe('gunicorn-statsd');
    expect(dashboard.title).toBe('Gunicorn StatsD');
    // The classic model's last schema version (Grafana 13 exports 42; later changes are panel migrations).
    expect(dashboard.schemaVersion).toBe(42);
  });

  it('has the datasource, app and instance variables', () => {
    const byName = Object.fromEntries((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
    expect(Object.keys(byName)).toEqual(['datasource', 'app', 'instance']);
    expect(byName.datasource).toMatchObject({ type: 'datasource', query: 'prometheus', current: { value: 'prometheus' } });
    expect(byName.app).toMatchObject({ type: 'query', multi: true, includeAll: true });
    expect(variableQuery(byName.app)).toBe('label_values(gunicorn_requests_total, app)');
    expect(byName.instance).toMatchObject({ type: 'query', multi: true, includeAll: true });
    expect(variableQuery(byName.instance)).toMatch(/^label_values\(.+, instance\)$/);
    for (const variable of [byName.app, byName.instance]) {
      expect(variable.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('has the eight rows in order', () => {
    expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Alerts', 'Traffic & errors', 'Latency', 'Saturation & backlog', 'Error budget (SLOs over 30 days)',
      'Workers & server log events', 'Pipeline health', 'Node.js runtime', 'Front door (HAProxy)',
    ]);
  });

  it('gives every panel a unique id and title', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    expect(new Set(panels.map((p) => p.title)).size).toBe(panels.length);
  });

  it.each(queryPanels.map((p) => [p.title, p] as const))('%s: references the datasource through ${datasource}', (_, panel) => {
    expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(panel.targets?.length).toBeGreaterThan(0);
    for (const target of panel.targets ?? []) {
      expect(target.datasource ?? panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it.each(queryPanels.map((p) => [p.title, p] as const))('%s: has a unit', (_, panel) => {
    expect(panel.fieldConfig?.defaults.unit).toMatch(/\S/);
  });

  it.each(panels.map((p) => [p.title, p] as const))('%s: is a modern panel type', (_, panel) => {
    expect(['row', 'timeseries', 'stat', 'gauge', 'bargauge', 'piechart']).toContain(panel.type);
  });

  it.each(queryPanels.map((p) => [p.title, p] as const))('%s: stats and bar gauges read instant values, time series ranges', (_, panel) => {
    for (const target of panel.targets ?? []) {
      if (panel.type === 'timeseries') expect(target.instant).not.toBe(true);
      else expect(target).toMatchObject({ instant: true, range: false });
    }
  });

  it.each(targets.map(({ panel, target }) => [`${panel.title} ${target.refId}`, target.expr] as const))(
    '%s: rates over $__rate_interval only, increases over $__range only',
    (_, expr) => {
      for (const { range, fn } of rangeSelectors(expr)) {
        if (fn === 'increase') expect(range, expr).toBe('$__range');
        else expect([fn, range], expr).toEqual([expect.stringMatching(/^(rate|irate)$/), '$__rate_interval']);
      }
    },
  );

  it('has no hard-coded range window anywhere', () => {
    const all = targets.map(({ target }) => target.expr).join('\n');
    expect(all).not.toMatch(/\[\d+[smhdwy]\]/);
    expect(rangeSelectors(all).length).toBeGreaterThan(20);
  });

  it('names only metrics the mapping, the recording rules, the app\'s runtime metrics, HAProxy or statsd_exporter/Prometheus define', async () => {
    const known = new Set([
      ...mappingNames(), ...recordedNames(), ...(await promClientNames()), ...(await haproxyNames()), ...EXPORTER_AND_PROMETHEUS_NAMES,
    ]);
    const used = new Set(targets.flatMap(({ target }) => metricNames(target.expr)));
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type === 'query') for (const name of metricNames(variableQuery(variable).replace(/^label_values\((.*),[^,]*\)$/, '$1'))) used.add(name);
    }
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    // The panels cover the Gunicorn series the mapping defines.
    for (const name of ['gunicorn_requests_total', 'gunicorn_responses_total', 'gunicorn_request_duration_seconds',
      'gunicorn_request_duration_seconds_sum', 'gunicorn_backlog_connections_bucket', 'gunicorn_workers', 'gunicorn_log_events_total']) {
      expect(used).toContain(name);
    }
  });

  it('uses only the variables it defines', () => {
    const defined = new Set((dashboard.templating?.list ?? []).map((v) => v.name));
    for (const { target } of targets) {
      for (const match of withoutStrings(target.expr).matchAll(/\$\{?(\w+)/g)) {
        if (!match[1].startsWith('__')) expect(defined, target.expr).toContain(match[1]);
      }
      for (const match of target.expr.matchAll(/=~?"\$(\w+)"/g)) expect(defined).toContain(match[1]);
    }
  });

  it('lays the panels out on the 24-column grid without overlaps', () => {
    for (const panel of panels) {
      expect(panel.gridPos, panel.title).toBeDefined();
      const { title } = panel;
      const gridPos = gridPosOf(panel);
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      expect(Math.min(gridPos.x, gridPos.y, gridPos.w - 1, gridPos.h - 1), title).toBeGreaterThanOrEqual(0);
    }
    const overlaps: string[] = [];
    panels.forEach((a: AnyPanel, i) => {
      const ga = gridPosOf(a);
      for (const b of panels.slice(i + 1)) {
        const gb = gridPosOf(b);
        const apart = ga.x + ga.w <= gb.x || gb.x + gb.w <= ga.x || ga.y + ga.h <= gb.y || gb.y + gb.h <= ga.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
    });
    expect(overlaps).toEqual([]);
  });

  it('has thresholds on the 5xx ratio, the p99 latency, saturation and burn rates, at the alert levels', () => {
    const steps = (title: string) => queryPanels.find((p) => p.title === title)?.fieldConfig?.defaults.thresholds?.steps;
    // 5% is GunicornHigh5xxRatio's threshold, 5 s GunicornHighLatencyP99's (etc/prometheus/alerts.yml).
    expect(steps('5xx ratio (now)')).toContainEqual({ color: 'red', value: 0.05 });
    expect(steps('5xx ratio')).toContainEqual({ color: 'red', value: 0.05 });
    expect(steps('p99 (now)')).toContainEqual({ color: 'red', value: 5 });
    expect(steps('Request duration: p50, p90, p99')).toContainEqual({ color: 'red', value: 5 });
    // GunicornWorkersSaturated at 0.9; the fast-burn pages at 14.4 (1h) and 6 (6h).
    expect(steps('Worker saturation (busy fraction)')).toContainEqual({ color: 'red', value: 0.9 });
    for (const title of ['Availability burn rate', 'Latency burn rate']) {
      expect(steps(title)).toEqual(expect.arrayContaining([{ color: 'red', value: 14.4 }, { color: 'orange', value: 6 }]));
    }
  });

  it('has every query accepted by promtool once Grafana has substituted it', () => {
    const promtool = requireTool('PROMTOOL_BIN');
    const intervals = computeIntervals({ fromMs: 0, toMs: 3_600_000, maxDataPoints: 600, scrapeInterval: '15s' });
    const variables = { datasource: 'prometheus', app: '(flask_app|svc\\\\.flask_app)', instance: '.*' };
    const failures: string[] = [];
    for (const { panel, target } of targets) {
      const expr = interpolateQuery(target.expr, variables, intervals);
      expect(withoutStrings(expr)).not.toContain('$');
      const result = spawnSync(promtool, ['--experimental', 'promql', 'format', expr], { encoding: 'utf8' });
      if (result.status !== 0) failures.push(`${panel.title} ${target.refId}: ${result.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  });
});
