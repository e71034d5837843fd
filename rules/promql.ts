// The PromQL pieces the generated rules are made of: per-app label matchers, a bucket bound as
// Prometheus writes it, and a count over a window that includes a series' first event.
import type { AppSettings, Apps } from './apps';

/** A selector's label matcher text: `{app="x"}`, `{app=~"a|b"}`, `{app!~"a|b"}` or nothing. */
export type Matcher = string;

/** Regex-escapes an app name for a matcher; app labels may hold dots (svc.flask_app). */
function regexOf(names: readonly string[]): string {
  return names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** A PromQL string literal (Go escaping, which JSON's agrees with for these characters). */
function quoted(text: string): string {
  return JSON.stringify(text);
}

/**
 * The apps grouped by one setting, each group with the matcher that selects it: listed apps
 * whose value differs from the default's by name, and every other app (the default's value) by
 * exclusion. A value of undefined (a setting that does not apply) gets no group.
 */
export function groupsBy<T extends string | number>(
  apps: Apps,
  value: (settings: AppSettings) => T | undefined,
): { value: T; matcher: Matcher }[] {
  const fallback = value(apps.default);
  const byValue = new Map<T, string[]>();
  const others: string[] = [];
  for (const [name, settings] of apps.apps) {
    const own = value(settings);
    if (own === fallback) continue;
    others.push(name);
    if (own !== undefined) byValue.set(own, [...(byValue.get(own) ?? []), name]);
  }
  const groups: { value: T; matcher: Matcher }[] = [];
  if (fallback !== undefined) {
    groups.push({ value: fallback, matcher: others.length === 0 ? '' : `app!~${quoted(regexOf(others))}` });
  }
  for (const [own, names] of byValue) {
    groups.push({ value: own, matcher: names.length === 1 ? `app=${quoted(names[0])}` : `app=~${quoted(regexOf(names))}` });
  }
  return groups;
}

/** A selector with extra matchers: selector('x', 'a="b"', '') is x{a="b"}. */
export function selector(metric: string, ...matchers: Matcher[]): string {
  const all = matchers.filter((m) => m !== '');
  return all.length === 0 ? metric : `${metric}{${all.join(', ')}}`;
}

/** A bucket bound as Prometheus 3 stores the `le` label of a classic histogram: 5 is "5.0". */
export function leLabel(bound: number): string {
  return Number.isInteger(bound) ? `${bound}.0` : String(bound);
}

/**
 * The events of a counter over a window, counted from zero. statsd_exporter creates a counter at
 * its first value (the first 5xx of an app makes a series status="500" that starts at 1), and
 * increase() never sees a series' first sample as an increase. So a series that existed one window
 * ago contributes its increase(), and a series that did not contributes its whole value, which is
 * exactly its events since it was created.
 */
export function countedFromZero(series: string, window: string): string {
  return `(increase(${series}[${window}]) and ${series} offset ${window})\n  or (${series} unless ${series} offset ${window})`;
}

/** `1 - share`, without the float noise of the subtraction (1 - 0.97 is 0.030000000000000027). */
export function budgetOf(share: number): number {
  return Number((1 - share).toPrecision(12));
}
