// The rules are code: rules/ generates etc/prometheus/rules.yml from etc/prometheus/apps.yml, the
// one place per-app SLO objectives and worker types are set. The committed file is the generated
// one; a bad setting is refused with its name and value; what the settings generate is checked by
// the real promtool (the shipped apps by etc/prometheus/*.test.yml, other shapes here).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requireTool, ROOT } from '../../harness/stack';
import { AppsError, durationBuckets, parseApps } from '../../rules/apps';
import { APPS_YAML, generateRules, MAPPING, RULES_YAML, USAGE } from '../../rules/generate';
import { groupsBy, leLabel } from '../../rules/promql';
import { badCheckFlags, expectRefused, runGenerator } from '../support/generator';

const BUCKETS = durationBuckets(readFileSync(MAPPING, 'utf8'));
const DEFAULT = 'default:\n  availability: 0.999\n  latency: {threshold: 0.5, objective: 0.99}\n  workers: sync\n';

describe('rules/ generates etc/prometheus/rules.yml', () => {
  it('generates exactly the committed rules.yml from the committed apps.yml', () => {
    // On failure: run `npm run rules:generate` and commit the result.
    expect(readFileSync(RULES_YAML, 'utf8')).toBe(generateRules(readFileSync(APPS_YAML, 'utf8')));
  });

  it('`rules/generate.ts --check` exits 0 on the committed files', () => {
    const result = runGenerator('rules/generate.ts', ['--check']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(badCheckFlags(USAGE))('`rules/generate.ts` refuses %s, naming it, and writes nothing', (_, args, message) => {
    expectRefused('rules/generate.ts', args, message, RULES_YAML);
  });

  it("reads the latency thresholds' bounds from the mapping, where every duration mapping has the same buckets", () => {
    expect(BUCKETS).toEqual([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    const apps = parseApps(readFileSync(APPS_YAML, 'utf8'), BUCKETS);
    for (const settings of [apps.default, ...apps.apps.values()]) expect(BUCKETS).toContain(settings.latency.threshold);
  });

  it('refuses a mapping whose duration mappings disagree on the buckets', () => {
    const mapping = readFileSync(MAPPING, 'utf8').replace('histogram_options: {buckets: *duration_buckets}', 'histogram_options: {buckets: [0.5, 1]}');
    expect(() => durationBuckets(mapping)).toThrow('the mappings of gunicorn_request_duration_seconds have different buckets');
  });
});

describe('apps.yml', () => {
  it('gives a listed app the default for every setting it leaves out', () => {
    const apps = parseApps(`${DEFAULT}apps:\n  shop:\n    availability: 0.99\n`, BUCKETS);
    expect(apps.apps.get('shop')).toEqual({ availability: 0.99, latency: { threshold: 0.5, objective: 0.99 }, workers: 'sync', threads: 1 });
  });

  it("accepts the example of an app's own objectives in docs/alerting.md", () => {
    const page = readFileSync(path.join(ROOT, 'docs', 'alerting.md'), 'utf8');
    const example = /^## Your own SLO objectives\n[\s\S]*?```yaml\n([\s\S]*?)```/m.exec(page)?.[1];
    expect(example).toContain('my_service:');
    const apps = parseApps(`${DEFAULT}${example}`, BUCKETS);
    expect(apps.apps.get('my_service')).toEqual({ availability: 0.995, latency: { threshold: 1, objective: 0.99 }, workers: 'threads', threads: 4 });
  });

  it.each([
    ['an availability of 1 (no budget)', `${DEFAULT}apps:\n  shop: {availability: 1}\n`, 'apps.shop.availability: 1 is not a share between 0 and 1 (e.g. 0.999)'],
    ['a percentage', `${DEFAULT}apps:\n  shop: {availability: 99.9}\n`, 'apps.shop.availability: 99.9 is not a share between 0 and 1'],
    ['a threshold between bucket bounds', `${DEFAULT}apps:\n  shop: {latency: {threshold: 0.3}}\n`,
      'apps.shop.latency.threshold: 0.3 is not a bucket bound of gunicorn_request_duration_seconds (etc/statsd-exporter/statsd.conf: 0.001, 0.0025'],
    ['a latency objective as text', `${DEFAULT}apps:\n  shop: {latency: {objective: "99%"}}\n`, 'apps.shop.latency.objective: "99%" is not a share between 0 and 1'],
    ['an unknown worker type', `${DEFAULT}apps:\n  shop: {workers: gevent}\n`, 'apps.shop.workers: "gevent" is not one of sync, threads, event_loop'],
    ['threads without a count', `${DEFAULT}apps:\n  shop: {workers: threads}\n`, "apps.shop.threads: undefined is not a positive whole number (workers: threads needs Gunicorn's --threads)"],
    ['a thread count on sync workers', `${DEFAULT}apps:\n  shop: {threads: 4}\n`, 'apps.shop.threads: only workers: threads has threads (workers is sync)'],
    ['a misspelt setting', `${DEFAULT}apps:\n  shop: {availabilty: 0.99}\n`, 'apps.shop: unknown setting "availabilty" (known: availability, latency, workers, threads)'],
    ['a default without workers', 'default:\n  availability: 0.999\n  latency: {threshold: 0.5, objective: 0.99}\n', 'default: "workers" is missing'],
    ['an unknown top-level key', `${DEFAULT}app: {}\n`, 'apps.yml: unknown setting "app" (known: default, apps)'],
  ])('refuses %s, naming the setting and the value', (_, text, message) => {
    expect(() => parseApps(text, BUCKETS)).toThrow(AppsError);
    expect(() => parseApps(text, BUCKETS)).toThrow(message);
  });
});

describe('the PromQL pieces', () => {
  it.each([
    [0.5, '0.5'], [5, '5.0'], [10, '10.0'], [0.0025, '0.0025'],
  ])('writes the bound %d as Prometheus 3 stores le: "%s"', (bound, label) => {
    expect(leLabel(bound)).toBe(label);
  });

  it('selects listed apps by name (dots escaped) and every other app by excluding the listed ones', () => {
    const apps = parseApps(`${DEFAULT}apps:\n  svc.shop: {availability: 0.99}\n  blog: {availability: 0.99}\n  api: {availability: 0.999}\n`, BUCKETS);
    expect(groupsBy(apps, (s) => s.availability)).toEqual([
      // api has the default's objective, so it stays in the default group.
      { value: 0.999, matcher: 'app!~"svc\\\\.shop|blog"' },
      { value: 0.99, matcher: 'app=~"svc\\\\.shop|blog"' },
    ]);
  });
});

describe('what other settings generate, run by promtool', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'rules-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function expectSuccess(result: { stdout: string; stderr: string; status: number | null }) {
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  }

  function promtoolTest(appsText: string, tests: unknown[]) {
    writeFileSync(path.join(scratch, 'rules.yml'), generateRules(appsText));
    writeFileSync(path.join(scratch, 'rules.test.yml'), stringify({ rule_files: ['rules.yml'], evaluation_interval: '15s', tests }));
    return spawnSync(requireTool('PROMTOOL_BIN'), ['test', 'rules', 'rules.test.yml'], { cwd: scratch, encoding: 'utf8' });
  }

  it('gthread workers: saturation is in flight over workers times threads', () => {
    // 4 workers of 4 threads: 15.2 requests in flight (228 s per 15 s) is 0.95 of the 16 slots,
    // 14.2 is 0.8875; the same 15.2 in flight over 4 sync workers would read 3.8.
    const result = promtoolTest(`${DEFAULT}apps:\n  shop: {workers: threads, threads: 4}\n  blog: {workers: threads, threads: 4}\n`, [{
      interval: '15s',
      input_series: [
        { series: 'gunicorn_request_duration_seconds_sum{app="shop"}', values: '0+228x80' },
        { series: 'gunicorn_workers{app="shop"}', values: '4x80' },
        { series: 'gunicorn_request_duration_seconds_sum{app="blog"}', values: '0+213x80' },
        { series: 'gunicorn_workers{app="blog"}', values: '4x80' },
        { series: 'gunicorn_request_duration_seconds_sum{app="other"}', values: '0+228x80' },
        { series: 'gunicorn_workers{app="other"}', values: '4x80' },
      ],
      promql_expr_test: [{
        expr: 'app:gunicorn_worker_saturation:ratio_rate5m',
        eval_time: '10m',
        exp_samples: [
          { labels: 'app:gunicorn_worker_saturation:ratio_rate5m{app="shop"}', value: 0.95 },
          { labels: 'app:gunicorn_worker_saturation:ratio_rate5m{app="blog"}', value: 0.8875 },
          { labels: 'app:gunicorn_worker_saturation:ratio_rate5m{app="other"}', value: 3.8 },
        ],
      }],
    }]);
    expectSuccess(result);
  });

  it('event-loop workers by default: no busy fraction is recorded for any unlisted app', () => {
    const result = promtoolTest(DEFAULT.replace('workers: sync', 'workers: event_loop'), [{
      interval: '15s',
      input_series: [
        { series: 'gunicorn_request_duration_seconds_sum{app="other"}', values: '0+228x80' },
        { series: 'gunicorn_workers{app="other"}', values: '4x80' },
      ],
      promql_expr_test: [{ expr: 'app:gunicorn_worker_saturation:ratio_rate5m', eval_time: '10m', exp_samples: [] }],
    }]);
    expectSuccess(result);
  });

  it('three latency thresholds: each app counts the requests over its own', () => {
    // The same requests for three apps: 50% within 0.5 s, 80% within 2.5 s, 95% within 5 s.
    const buckets = (app: string) => [
      { series: `gunicorn_request_duration_seconds_bucket{app="${app}",le="0.5"}`, values: '0+50x40' },
      { series: `gunicorn_request_duration_seconds_bucket{app="${app}",le="2.5"}`, values: '0+80x40' },
      { series: `gunicorn_request_duration_seconds_bucket{app="${app}",le="5.0"}`, values: '0+95x40' },
      { series: `gunicorn_request_duration_seconds_count{app="${app}"}`, values: '0+100x40' },
    ];
    const result = promtoolTest(`${DEFAULT}apps:\n  slow: {latency: {threshold: 5}}\n  mid: {latency: {threshold: 2.5, objective: 0.9}}\n`, [{
      interval: '15s',
      input_series: [...buckets('slow'), ...buckets('mid'), ...buckets('quick')],
      promql_expr_test: [
        {
          expr: 'app:gunicorn_latency_errors:ratio5m',
          eval_time: '8m',
          exp_samples: [
            { labels: 'app:gunicorn_latency_errors:ratio5m{app="slow"}', value: 0.05 },
            { labels: 'app:gunicorn_latency_errors:ratio5m{app="mid"}', value: 0.2 },
            { labels: 'app:gunicorn_latency_errors:ratio5m{app="quick"}', value: 0.5 },
          ],
        },
        {
          // Budgets: 1% for slow and quick (the default objective), 10% for mid.
          expr: 'app:gunicorn_latency_errors:burn_rate5m',
          eval_time: '8m',
          exp_samples: [
            { labels: 'app:gunicorn_latency_errors:burn_rate5m{app="slow"}', value: 5 },
            { labels: 'app:gunicorn_latency_errors:burn_rate5m{app="mid"}', value: 2 },
            { labels: 'app:gunicorn_latency_errors:burn_rate5m{app="quick"}', value: 50 },
          ],
        },
      ],
    }]);
    expectSuccess(result);
  });
});
