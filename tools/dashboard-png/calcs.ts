// Grafana's field reducers (ReducerID) for the stat and bar gauge values and the legend
// columns. Pure. Points are already free of NaN (queries.ts drops them, as Grafana shows gaps).

export type Point = readonly [number, number];

const REDUCERS: Readonly<Record<string, (values: readonly number[]) => number | null>> = {
  lastNotNull: (v) => (v.length ? v[v.length - 1] : null),
  last: (v) => (v.length ? v[v.length - 1] : null),
  firstNotNull: (v) => (v.length ? v[0] : null),
  first: (v) => (v.length ? v[0] : null),
  mean: (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null),
  max: (v) => (v.length ? Math.max(...v) : null),
  min: (v) => (v.length ? Math.min(...v) : null),
  sum: (v) => v.reduce((a, b) => a + b, 0),
  count: (v) => v.length,
  range: (v) => (v.length ? Math.max(...v) - Math.min(...v) : null),
  diff: (v) => (v.length ? v[v.length - 1] - v[0] : null),
};

export const KNOWN_CALCS: readonly string[] = Object.keys(REDUCERS);

/** Grafana's legend/column titles for the reducers. */
export const CALC_TITLES: Readonly<Record<string, string>> = {
  lastNotNull: 'Last *',
  last: 'Last',
  firstNotNull: 'First *',
  first: 'First',
  mean: 'Mean',
  max: 'Max',
  min: 'Min',
  sum: 'Total',
  count: 'Count',
  range: 'Range',
  diff: 'Difference',
};

export function reduce(points: readonly Point[], calc: string): number | null {
  const reducer = REDUCERS[calc];
  if (!reducer) throw new Error(`unknown reducer "${calc}"`);
  return reducer(points.map(([, value]) => value));
}
