// The text of etc/prometheus/rules.yml, generated from the apps' settings (apps.ts): saturation
// by worker type, the two SLOs' event counts over every burn-rate window, their burn rates against
// each app's own objective, and the multi-window burn-rate alerts.
import type { Apps } from './apps';
import { budgetOf, countedFromZero, groupsBy, leLabel, selector } from './promql';

/**
 * Multi-window, multi-burn-rate alerts over 30 days (the Google SRE workbook's method, as Sloth
 * and Pyrra generate it). Each pair needs a long window (the budget really spent) and a short one
 * (still spending now), so an alert fires fast and clears fast.
 */
export const BURN_ALERTS = {
  page: {
    severity: 'critical', for: '2m',
    pairs: [{ long: '1h', short: '5m', burn: 14.4 }, { long: '6h', short: '30m', burn: 6 }],
    /** At one request a minute one 5xx is a burn of 17 over an hour: below this many requests in
     *  the hour, one failing request cannot page on its own. */
    minRequestsPerHour: 100,
  },
  ticket: {
    severity: 'warning', for: '15m',
    pairs: [{ long: '1d', short: '2h', burn: 3 }, { long: '3d', short: '6h', burn: 1 }],
  },
} as const;

/** Every window an alert reads, and 30d, the budget's own. */
export const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'] as const;

/** Indents every line of a multi-line text by `n` spaces. */
function indent(text: string, n: number): string {
  return text.split('\n').map((line) => (line === '' ? line : ' '.repeat(n) + line)).join('\n');
}

/** One rule: `record` or `alert`, its expression as a block scalar, then the rest verbatim. */
function rule(head: string, expr: string, rest = ''): string {
  const body = expr.includes('\n') ? `expr: |\n${indent(expr, 2)}` : `expr: ${expr}`;
  return `- ${head}\n${indent(body, 2)}${rest === '' ? '' : `\n${indent(rest, 2)}`}`;
}

/** `a / b` for each app group, joined with `or` (the groups' apps never overlap). */
function perAppGroups(parts: string[]): string {
  return parts.length === 1 ? parts[0] : parts.map((part) => `(${part})`).join('\nor\n');
}

function saturation(apps: Apps): string[] {
  const inFlight = 'app:gunicorn_requests_in_flight:rate5m';
  const groups = groupsBy(apps, (settings) => settings.threads);
  const rules = [rule(`record: ${inFlight}`, 'sum by (app) (rate(gunicorn_request_duration_seconds_sum[5m]))')];
  if (groups.length > 0) {
    const parts = groups.map(({ value: threads, matcher }) => {
      const workers = `sum by (app) (${selector('gunicorn_workers', matcher)})`;
      return `${selector(inFlight, matcher)} / on (app) ${threads === 1 ? workers : `(${threads} * ${workers})`}`;
    });
    rules.push(rule('record: app:gunicorn_worker_saturation:ratio_rate5m', perAppGroups(parts)));
  }
  return rules;
}

function availability(apps: Apps): string[] {
  const budgets = groupsBy(apps, (settings) => budgetOf(settings.availability));
  return WINDOWS.flatMap((w) => [
    rule(`record: app:gunicorn_responses:increase${w}`, `sum by (app) (\n${indent(countedFromZero('gunicorn_responses_total', w), 2)}\n)`),
    rule(`record: app:gunicorn_responses_5xx:increase${w}`, `sum by (app) (\n${indent(countedFromZero('gunicorn_responses_total{status=~"5.."}', w), 2)}\n)`),
    rule(
      `record: app:gunicorn_availability_errors:ratio${w}`,
      `(app:gunicorn_responses_5xx:increase${w} or 0 * app:gunicorn_responses:increase${w})\n  / app:gunicorn_responses:increase${w}`,
    ),
    rule(
      `record: app:gunicorn_availability_errors:burn_rate${w}`,
      perAppGroups(budgets.map(({ value, matcher }) => `${selector(`app:gunicorn_availability_errors:ratio${w}`, matcher)} / ${value}`)),
    ),
  ]);
}

function latency(apps: Apps): string[] {
  const thresholds = groupsBy(apps, (settings) => settings.latency.threshold);
  const budgets = groupsBy(apps, (settings) => budgetOf(settings.latency.objective));
  return WINDOWS.flatMap((w) => {
    const within = thresholds.map(({ value, matcher }) =>
      countedFromZero(selector('gunicorn_request_duration_seconds_bucket', `le="${leLabel(value)}"`, matcher), w));
    return [
      rule(`record: app:gunicorn_requests:increase${w}`, `sum by (app) (\n${indent(countedFromZero('gunicorn_request_duration_seconds_count', w), 2)}\n)`),
      rule(
        `record: app:gunicorn_requests_over_threshold:increase${w}`,
        `app:gunicorn_requests:increase${w}\n  - sum by (app) (\n${indent(perAppGroups(within), 6)}\n    )`,
      ),
      rule(`record: app:gunicorn_latency_errors:ratio${w}`, `app:gunicorn_requests_over_threshold:increase${w} / app:gunicorn_requests:increase${w}`),
      rule(
        `record: app:gunicorn_latency_errors:burn_rate${w}`,
        perAppGroups(budgets.map(({ value, matcher }) => `${selector(`app:gunicorn_latency_errors:ratio${w}`, matcher)} / ${value}`)),
      ),
    ];
  });
}

interface SloText {
  readonly slo: 'availability' | 'latency';
  readonly name: string;
  /** The events counted over an hour, for the page's floor. */
  readonly hourly: string;
  readonly page: string;
  readonly ticket: string;
}

const SLOS: readonly SloText[] = [
  {
    slo: 'availability', name: 'Availability', hourly: 'app:gunicorn_responses:increase1h',
    page: '{{ $labels.app }} is answering so many 5xx that, at this rate, the 30-day error budget\n' +
      'of its availability objective (etc/prometheus/apps.yml) is gone within days. See the 5xx\n' +
      'ratio and the server log events on the dashboard.',
    ticket: '{{ $labels.app }} has answered more 5xx than its availability objective\n' +
      '(etc/prometheus/apps.yml) allows, for hours: the 30-day error budget runs out before the\n' +
      'month does.',
  },
  {
    slo: 'latency', name: 'Latency', hourly: 'app:gunicorn_requests:increase1h',
    page: 'So many requests of {{ $labels.app }} take longer than its latency threshold that, at\n' +
      'this rate, the 30-day error budget of its objective (etc/prometheus/apps.yml) is gone within\n' +
      'days. Check worker saturation, the backlog and slow dependencies.',
    ticket: 'More requests of {{ $labels.app }} have taken longer than its latency threshold than its\n' +
      'objective (etc/prometheus/apps.yml) allows, for hours: the 30-day error budget runs out\n' +
      'before the month does.',
  },
];

function burnAlerts(): string[] {
  return SLOS.flatMap((slo) => (['page', 'ticket'] as const).map((kind) => {
    const spec = BURN_ALERTS[kind];
    const burn = (w: string) => `app:gunicorn_${slo.slo}_errors:burn_rate${w}`;
    const pairs = spec.pairs.map(({ long, short, burn: rate }) => `    ${burn(long)} > ${rate} and ${burn(short)} > ${rate}`);
    let expr = `(\n${pairs.join('\n  or\n')}\n)`;
    if (kind === 'page') expr += `\nand on (app) ${slo.hourly} >= ${BURN_ALERTS.page.minRequestsPerHour}`;
    const rest = [
      `for: ${spec.for}`,
      'labels:',
      `  severity: ${spec.severity}`,
      `  slo: ${slo.slo}`,
      'annotations:',
      `  summary: '{{ $labels.app }}: ${slo.slo} error budget burning {{ $value | printf "%.1f" }}x too fast'`,
      '  description: >-',
      indent(kind === 'page' ? slo.page : slo.ticket, 4),
    ].join('\n');
    return rule(`alert: Gunicorn${slo.name}Budget${kind === 'page' ? 'FastBurn' : 'SlowBurn'}`, expr, rest);
  }));
}

function group(name: string, comment: string, rules: string[]): string {
  const header = comment.split('\n').map((line) => `  # ${line}`.trimEnd()).join('\n');
  return `${header}\n  - name: ${name}\n    rules:\n${rules.map((r) => indent(r, 6)).join('\n')}\n`;
}

const HEADER = `# GENERATED by \`npm run rules:generate\` (rules/) from etc/prometheus/apps.yml: edit that file,
# not this one. A test fails when this file is not what the generator writes.
#
# Recording rules (saturation, the two SLOs over every burn-rate window) and the SLOs' burn-rate
# alerts; the other alerts are in alerts.yml. Tested by alerts.test.yml and slo.test.yml.
#
# Every app is selected by its own settings: apps listed in apps.yml by name, every other app
# (the default settings) by excluding them.
#
# Counts over a window (every *:increase<window> rule) are counted from zero: statsd_exporter
# creates a counter at its first value (the first 5xx of an app makes a series status="500" that
# starts at 1), and increase() never sees a series' first sample as an increase, so a plain sum
# of increase() misses that first event. Here a series that existed one window ago contributes
# its increase(), and a series that did not contributes its whole value, which is exactly its
# events since it was created. (A series that went stale for longer than the lookback exactly
# one window ago, or that is older than Prometheus's data, counts in full.)
`;

export function rulesYaml(apps: Apps): string {
  const { page, ticket } = BURN_ALERTS;
  const pairs = (spec: { pairs: readonly { long: string; short: string; burn: number }[] }) =>
    spec.pairs.map((p) => `${p.burn} over ${p.long} and ${p.short}`).join(', or ');
  return [
    HEADER,
    'groups:',
    group(
      'gunicorn-saturation',
      "Requests in flight by Little's law: requests per second times seconds per request is the\n" +
        'rate of the duration sum. Over the request slots (workers, times threads for gthread), the\n' +
        'share of time a slot is busy: 1 means every one is always busy and requests queue in the\n' +
        'backlog. Not for event-loop workers (apps.yml), which serve many requests at once. The\n' +
        'workers gauge is only sent when the count changes: after an exporter restart it is missing\n' +
        'until then, and so is the ratio.',
      saturation(apps),
    ),
    group(
      'gunicorn-slo-availability',
      'Availability: the share of responses that are not 5xx. The burn rate is the error ratio over\n' +
        "the app's error budget (1 - its objective): 1 spends the 30-day budget in exactly 30 days.",
      availability(apps),
    ),
    group(
      'gunicorn-slo-latency',
      "Latency: the share of requests handled within the app's threshold, an exact bucket bound of\n" +
        'gunicorn_request_duration_seconds (etc/statsd-exporter/statsd.conf), so no estimate is\n' +
        'involved.',
      latency(apps),
    ),
    group(
      'gunicorn-slo',
      `Burn-rate alerts on both SLOs over 30 days. Page: ${pairs(page)}; at\n` +
        `least ${page.minRequestsPerHour} requests in the last hour. Ticket: ${pairs(ticket)}.\n` +
        'A burn of 14.4 spends 2% of the budget in one hour. The tickets have no traffic floor: a\n' +
        'low-traffic app whose errors last still opens one.',
      burnAlerts(),
    ),
  ].join('\n');
}
