// Grafana's query substitution as the harness reproduces it: rows named for the case they pin.
// Expected values follow Grafana's code (pkg/promlib/models/query.go, grafana-plugin-sdk-go gtime,
// the Prometheus datasource's interpolateQueryExpr), worked by hand.
import { describe, expect, it } from 'vitest';
import {
  alignToStep,
  computeIntervals,
  formatInterval,
  formatVariable,
  goDuration,
  interpolateQuery,
  parseDuration,
  roundInterval,
  substituteBuiltins,
  substituteVariables,
  type IntervalInput,
  type Intervals,
  type TemplateVariable,
} from '../../../harness/grafana-queries/interpolate';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('parseDuration', () => {
  it.each([
    ['seconds', '15s', 15 * S],
    ['milliseconds', '500ms', 500],
    ['Go compound with a zero part', '1m0s', M],
    ['Go compound', '1m30s', 90 * S],
    ['days', '2d', 48 * H],
    ['a bare number is seconds, as Grafana reads a data-source interval', '30', 30 * S],
    ["Grafana's >15s minimum syntax", '>15s', 15 * S],
  ])('%s: %s', (_, text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([['empty', ''], ['unknown unit', '5x'], ['trailing garbage', '5s!']])('rejects %s', (_, text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('roundInterval (gtime.RoundInterval)', () => {
  it.each([
    ['≤ 10 ms → 1 ms', 5, 1],
    ['≤ 15 ms → 10 ms', 12, 10],
    ['≤ 1.5 s → 1 s', 1_400, S],
    ['≤ 3.5 s → 2 s', 3_000, 2 * S],
    ['6 s per pixel → 5 s', 6_000, 5 * S],
    ['≤ 17.5 s → 15 s', 16_000, 15 * S],
    ['≤ 45 s → 30 s', 40_000, 30 * S],
    ['≤ 1.5 min → 1 min', 80_000, M],
    ['144 s → 2 min', 144_000, 2 * M],
    ['≤ 7.5 min → 5 min', 302_400, 5 * M],
    ['a day exactly → 12 h', 24 * H, 12 * H],
    ['a week → 1 d', 7 * 24 * H, 24 * H],
  ])('%s', (_, ms, rounded) => {
    expect(roundInterval(ms)).toBe(rounded);
  });
});

describe('formatInterval (gtime.FormatInterval, what $__interval becomes)', () => {
  it.each([
    [15 * S, '15s'],
    [90 * S, '1m'],
    [2 * H, '2h'],
    [500, '500ms'],
    [0, '1ms'],
    [3 * 24 * H, '3d'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatInterval(ms)).toBe(text);
  });
});

describe("goDuration (Go's Duration.String, what $__rate_interval becomes)", () => {
  it.each([
    [20 * S, '20s'],
    [M, '1m0s'],
    [75 * S, '1m15s'],
    [H + 2 * M + 3 * S, '1h2m3s'],
    [H, '1h0m0s'],
    [1_500, '1.5s'],
    [500, '500ms'],
  ])('%i ms → %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});

describe('computeIntervals', () => {
  const rows: [string, IntervalInput, Partial<Intervals>][] = [
    [
      '5 min at 800 px, 5 s scrape: the scrape interval is the floor; rate = 4 × scrape',
      { fromMs: 0, toMs: 5 * M, maxDataPoints: 800, scrapeInterval: '5s' },
      { intervalMs: 5 * S, stepMs: 5 * S, rateIntervalMs: 20 * S, rangeMs: 5 * M },
    ],
    [
      '1 h at 600 px, 15 s scrape: 6 s per point rounds to 5 s, raised to 15 s; rate 1 m',
      { fromMs: 0, toMs: H, maxDataPoints: 600, scrapeInterval: '15s' },
      { intervalMs: 15 * S, stepMs: 15 * S, rateIntervalMs: M },
    ],
    [
      '24 h at 600 px: 144 s per point rounds to 2 m; rate = interval + scrape',
      { fromMs: 0, toMs: 24 * H, maxDataPoints: 600, scrapeInterval: '15s' },
      { intervalMs: 2 * M, stepMs: 2 * M, rateIntervalMs: 2 * M + 15 * S },
    ],
    [
      "no scrape interval configured: Grafana's 15 s default",
      { fromMs: 0, toMs: H, maxDataPoints: 600 },
      { intervalMs: 15 * S, rateIntervalMs: M },
    ],
    [
      'panel min interval 1 m: the floor of $__interval, the rate still counts the scrape interval',
      { fromMs: 0, toMs: H, maxDataPoints: 600, scrapeInterval: '15s', panelMinInterval: '1m' },
      { intervalMs: M, stepMs: M, rateIntervalMs: 75 * S },
    ],
    [
      'query min step 30 s: the step, and the rate as if 30 s were the scrape interval',
      { fromMs: 0, toMs: H, maxDataPoints: 600, scrapeInterval: '15s', targetMinStep: '30s' },
      { intervalMs: 15 * S, stepMs: 30 * S, rateIntervalMs: 2 * M },
    ],
    [
      'wider than 11000 points: the safe resolution sets the step, not the rate',
      { fromMs: 0, toMs: 24 * H, maxDataPoints: 20_000, scrapeInterval: '1s' },
      { intervalMs: 5 * S, stepMs: 10 * S, rateIntervalMs: 6 * S },
    ],
  ];
  it.each(rows)('%s', (_, input, expected) => {
    expect(computeIntervals(input)).toMatchObject(expected);
  });
});

describe('substituteBuiltins', () => {
  const intervals: Intervals = { intervalMs: 15 * S, stepMs: 15 * S, rateIntervalMs: M, rangeMs: 3_600_400 };
  it.each([
    ['rate window', 'rate(x[$__rate_interval])', 'rate(x[1m0s])'],
    ['braced form', 'rate(x[${__rate_interval}])', 'rate(x[1m0s])'],
    ['range, rounded to whole seconds', 'increase(x[$__range])', 'increase(x[3600s])'],
    ['range in seconds and ms, not read as $__range', '$__range_s $__range_ms', '3600 3600400'],
    ['interval and its ms', 'avg_over_time(x[$__interval]) $__interval_ms', 'avg_over_time(x[15s]) 15000'],
    ['rate interval in ms, not read as $__rate_interval', '$__rate_interval_ms', '60000'],
    ['template variables are not built-ins', 'x{app=~"$app"}', 'x{app=~"$app"}'],
  ])('%s', (_, expr, expected) => {
    expect(substituteBuiltins(expr, intervals)).toBe(expected);
  });
});

describe('formatVariable (interpolateQueryExpr)', () => {
  const multi: TemplateVariable = { multi: true, includeAll: true, allValue: '.*' };
  const multiNoAllValue: TemplateVariable = { ...multi, allValue: undefined };
  const single: TemplateVariable = { multi: false, includeAll: false };
  it.each([
    ['All with a custom all value: used as it is', multi, { all: true, values: [], options: ['a', 'b'] }, '.*'],
    ['All without one: every option, regex-escaped, as an alternation', multiNoAllValue, { all: true, values: [], options: ['a', 'svc.b'] }, '(a|svc\\\\.b)'],
    ['one value of a multi variable: dots escaped for the regex, inside a PromQL string', multi, { all: false, values: ['svc.flask_app'] }, 'svc\\\\.flask_app'],
    ['several values', multi, { all: false, values: ['flask_app', 'other'] }, '(flask_app|other)'],
    ['regex metacharacters', multi, { all: false, values: ['a+b(c)|d'] }, 'a\\\\+b\\\\(c\\\\)\\\\|d'],
    ['a single-value variable: only quotes and backslashes escaped', single, { all: false, values: ["it's.x"] }, "it\\\\'s.x"],
  ])('%s', (_, variable, selection, expected) => {
    expect(formatVariable(variable, selection)).toBe(expected);
  });
});

describe('substituteVariables', () => {
  const formatted = { app: 'flask_app', instance: '.*' };
  it.each([
    ['$name', 'x{app=~"$app"}', 'x{app=~"flask_app"}'],
    ['${name}', 'x{app=~"${app}"}', 'x{app=~"flask_app"}'],
    ['[[name]]', 'x{app=~"[[app]]"}', 'x{app=~"flask_app"}'],
    ['several', 'x{app=~"$app", instance=~"$instance"}', 'x{app=~"flask_app", instance=~".*"}'],
    ["label_replace's ${1} is no variable", 'label_replace(x, "c", "${1}xx", "s", "(.)..")', 'label_replace(x, "c", "${1}xx", "s", "(.)..")'],
    ['unknown names stay', 'x{a="$nope"}', 'x{a="$nope"}'],
    ['built-ins are left for the second stage', 'rate(x[$__rate_interval])', 'rate(x[$__rate_interval])'],
  ])('%s', (_, expr, expected) => {
    expect(substituteVariables(expr, formatted)).toBe(expected);
  });
});

describe('interpolateQuery', () => {
  it('substitutes variables, then the built-ins', () => {
    const intervals = computeIntervals({ fromMs: 0, toMs: 5 * M, maxDataPoints: 800, scrapeInterval: '5s' });
    expect(
      interpolateQuery('sum(rate(gunicorn_requests_total{app=~"$app"}[$__rate_interval])) / $__range_s', { app: '.*' }, intervals),
    ).toBe('sum(rate(gunicorn_requests_total{app=~".*"}[20s])) / 300');
  });
});

describe('alignToStep', () => {
  it.each([
    ['already aligned', 60_000, 15_000, 60_000],
    ['rounded down', 61_234, 15_000, 60_000],
  ])('%s', (_, t, step, aligned) => {
    expect(alignToStep(t, step)).toBe(aligned);
  });
});
