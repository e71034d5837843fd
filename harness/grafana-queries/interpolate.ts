// Grafana's substitution of a Prometheus panel query, reproduced so that the queries sent to
// Prometheus are exactly those Grafana 13 sends. Pure: no I/O, unit-tested table by table.
//
// Two stages, as in Grafana:
// 1. template variables ($app, ${instance}, [[x]]) — the Prometheus datasource frontend
//    (interpolateQueryExpr, prometheusRegularEscape, prometheusSpecialRegexEscape);
// 2. built-in variables — the backend, pkg/promlib/models/query.go (calculatePrometheusInterval,
//    calculateRateInterval, interpolateVariables) with the interval rounding of
//    grafana-plugin-sdk-go backend/gtime (RoundInterval, FormatInterval):
//      $__interval      = the query step, Grafana-formatted ("15s", "1m")
//      $__rate_interval = max($__interval + scrape interval, 4 × scrape interval), Go-formatted ("1m0s")
//      $__range         = the dashboard time range in whole seconds ("300s")
import type { VariableModel } from '@grafana/schema';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365 * DAY;

/** Grafana's default data-source scrape interval when none is configured. */
export const DEFAULT_SCRAPE_INTERVAL = '15s';
/** Points the backend never goes above, whatever the panel width (promlib safeResolution). */
export const SAFE_RESOLUTION = 11_000;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
  d: DAY,
  w: WEEK,
  y: YEAR,
};

/** Milliseconds of a Grafana/Prometheus/Go duration: "15s", "1m30s", "1m0s", "500ms", "2d", or bare seconds "30". */
export function parseDuration(text: string): number {
  const trimmed = text.trim().replace('<', '').replace('>', '');
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * SECOND;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|[smhdwy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new Error(`not a duration: "${text}"`);
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNIT_MS[unit], 0);
}

/** gtime.RoundInterval: a lower, rounder interval (bounds in ms, inclusive unless noted). */
const ROUNDING: readonly (readonly [number, number])[] = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, SECOND],
  [3_500, 2 * SECOND],
  [7_500, 5 * SECOND],
  [12_500, 10 * SECOND],
  [17_500, 15 * SECOND],
  [25_000, 20 * SECOND],
  [45_000, 30 * SECOND],
  [90_000, MINUTE],
  [210_000, 2 * MINUTE],
  [450_000, 5 * MINUTE],
  [750_000, 10 * MINUTE],
  [1_050_000, 15 * MINUTE],
  [1_500_000, 20 * MINUTE],
  [2_700_000, 30 * MINUTE],
  [5_400_000, HOUR],
  [9_000_000, 2 * HOUR],
  [16_200_000, 3 * HOUR],
  [32_400_000, 6 * HOUR],
  [86_400_000, 12 * HOUR],
  [172_800_000, DAY],
  [604_800_000, DAY],
  [1_814_400_000, WEEK],
];

export function roundInterval(ms: number): number {
  for (const [bound, rounded] of ROUNDING) if (ms <= bound) return rounded;
  return ms < 3_628_800_000 ? 30 * DAY : YEAR;
}

/** gtime.FormatInterval: the largest whole unit, truncated ("90s" → "1m"). */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [YEAR, 'y'],
    [DAY, 'd'],
    [HOUR, 'h'],
    [MINUTE, 'm'],
    [SECOND, 's'],
    [1, 'ms'],
  ];
  for (const [size, suffix] of units) if (ms >= size) return `${Math.floor(ms / size)}${suffix}`;
  return '1ms';
}

/** Go's time.Duration.String() for whole milliseconds: "20s", "1m0s", "1h2m3s", "1.5s", "500ms". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < SECOND) return `${ms}ms`;
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  const seconds = (ms % MINUTE) / SECOND;
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

export interface IntervalInput {
  fromMs: number;
  toMs: number;
  /** The panel's maxDataPoints, or its width in pixels as Grafana uses by default. */
  maxDataPoints: number;
  /** The data source's scrape interval (Grafana: jsonData.timeInterval), e.g. "15s". */
  scrapeInterval?: string;
  /** The panel's "Min interval" query option (panel.interval), if set. */
  panelMinInterval?: string;
  /** The query's "Min step" (target.interval), if set. */
  targetMinStep?: string;
}

export interface Intervals {
  /** The frontend's $__interval, sent to the backend as intervalMs. */
  intervalMs: number;
  /** The backend's step: what $__interval becomes in the expression and the query_range step. */
  stepMs: number;
  rateIntervalMs: number;
  rangeMs: number;
}

function isIntervalVariable(text: string | undefined): boolean {
  return text !== undefined && /^\$\{?__(rate_)?interval(_ms)?\}?$/.test(text);
}

export function computeIntervals(input: IntervalInput): Intervals {
  const rangeMs = input.toMs - input.fromMs;
  const scrapeInterval = input.scrapeInterval || DEFAULT_SCRAPE_INTERVAL;
  // Frontend (rangeutil.calculateInterval): rounded range/resolution, at least the lower limit.
  const lowLimitMs = parseDuration(input.panelMinInterval || scrapeInterval);
  const intervalMs = Math.max(roundInterval(rangeMs / input.maxDataPoints), lowLimitMs);

  // Backend (calculatePrometheusInterval): the minimum is the query's min step when it is a plain
  // duration, otherwise the frontend's interval; a range too long for SAFE_RESOLUTION points wins.
  const minStep = input.targetMinStep && !isIntervalVariable(input.targetMinStep) ? input.targetMinStep : undefined;
  const minIntervalMs = minStep ? parseDuration(minStep) : intervalMs;
  const perPoint = rangeMs / input.maxDataPoints;
  const calculatedMs = perPoint < minIntervalMs ? minIntervalMs : roundInterval(perPoint);
  const safeMs = roundInterval(rangeMs / SAFE_RESOLUTION);
  const adjustedMs = Math.max(calculatedMs, safeMs);

  const rateFrom = (queryIntervalMs: number, scrape: string) => {
    const scrapeMs = parseDuration(scrape);
    return Math.max(queryIntervalMs + scrapeMs, 4 * scrapeMs);
  };
  const rateStep = input.targetMinStep === '$__rate_interval' || input.targetMinStep === '${__rate_interval}';
  const stepMs = rateStep ? rateFrom(adjustedMs, scrapeInterval) : adjustedMs;

  let rateIntervalMs: number;
  if (rateStep) {
    rateIntervalMs = stepMs;
  } else {
    let requested = input.targetMinStep ?? '';
    if (requested === '$__interval' || requested === '${__interval}') requested = goDuration(stepMs);
    rateIntervalMs = rateFrom(intervalMs, requested || scrapeInterval);
  }
  return { intervalMs, stepMs, rateIntervalMs, rangeMs };
}

/** interpolateVariables: the built-ins, longest names first so "$__range_ms" is not read as "$__range". */
export function substituteBuiltins(expr: string, intervals: Intervals): string {
  const rangeS = Math.round(intervals.rangeMs / SECOND);
  const values: [string, string][] = [
    ['__interval_ms', String(intervals.stepMs)],
    ['__interval', formatInterval(intervals.stepMs)],
    ['__range_ms', String(intervals.rangeMs)],
    ['__range_s', String(rangeS)],
    ['__range', `${rangeS}s`],
    ['__rate_interval_ms', String(intervals.rateIntervalMs)],
    ['__rate_interval', goDuration(intervals.rateIntervalMs)],
  ];
  let result = expr;
  for (const [name, value] of values) result = result.split(`$${name}`).join(value);
  for (const [name, value] of values) result = result.split(`\${${name}}`).join(value);
  return result;
}

// --- template variables -------------------------------------------------------------------------

/** What of a variable decides how it is formatted; allValue, Grafana's custom "All" value, is
 *  used verbatim (not escaped) when All is selected. */
export type TemplateVariable = Pick<VariableModel, 'multi' | 'includeAll' | 'allValue'>;

/** What is selected: "All" or a list of values; and, for All without allValue, the options. */
export interface Selection {
  all: boolean;
  values: readonly string[];
  options?: readonly string[];
}

/** prometheusRegularEscape (classic behaviour): backslashes and single quotes. */
export function prometheusRegularEscape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
}

/** prometheusSpecialRegexEscape (classic behaviour): regex metacharacters, escaped for a PromQL string. */
export function prometheusSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]+?.()|]/g, '\\\\$&');
}

/** The text Grafana's Prometheus datasource puts in place of a variable (interpolateQueryExpr). */
export function formatVariable(variable: TemplateVariable, selection: Selection): string {
  if (selection.all && variable.allValue) return variable.allValue;
  const values = selection.all ? [...(selection.options ?? [])] : [...selection.values];
  if (!variable.multi && !variable.includeAll) return prometheusRegularEscape(values[0] ?? '');
  const escaped = values.map(prometheusSpecialRegexEscape);
  if (escaped.length === 1) return escaped[0];
  return `(${escaped.join('|')})`;
}

/**
 * Replaces $name, ${name} and [[name]] by the formatted values; names that are not variables
 * (label_replace's "${1}", unknown names) are left as they are, as Grafana leaves them.
 */
export function substituteVariables(expr: string, formatted: Readonly<Record<string, string>>): string {
  return expr.replace(/\$(\w+)|\[\[(\w+)\]\]|\$\{(\w+)\}/g, (match, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    return Object.prototype.hasOwnProperty.call(formatted, name) ? formatted[name] : match;
  });
}

/** Both stages, in Grafana's order: template variables, then the built-ins. */
export function interpolateQuery(
  expr: string,
  formatted: Readonly<Record<string, string>>,
  intervals: Intervals,
): string {
  return substituteBuiltins(substituteVariables(expr, formatted), intervals);
}

/** Grafana's backend alignment of a range query: start and end rounded down to a multiple of step. */
export function alignToStep(timeMs: number, stepMs: number): number {
  return Math.floor(timeMs / stepMs) * stepMs;
}
