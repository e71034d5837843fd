// Thin client for the Prometheus HTTP API and the text exposition format, shared by the tests,
// the benchmark and the dashboard renderer.

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface Series {
  metric: Record<string, string>;
  values: [number, number][];
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  warnings?: string[];
}

async function api<T>(baseUrl: string, endpoint: string, params: Record<string, string>): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = (await response.json()) as ApiResponse<T>;
  if (body.status !== 'success') throw new Error(`${endpoint} ${JSON.stringify(params)}: ${body.error}`);
  return body.data;
}

export async function queryInstant(baseUrl: string, expr: string, time?: number): Promise<Sample[]> {
  const params: Record<string, string> = { query: expr };
  if (time !== undefined) params.time = String(time);
  const data = await api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
    baseUrl,
    'query',
    params,
  );
  if (data.resultType === 'scalar') {
    const [, value] = data.result as unknown as [number, string];
    return [{ metric: {}, value: Number(value) }];
  }
  return data.result.map((row) => ({ metric: row.metric, value: Number(row.value[1]) }));
}

export async function queryRange(
  baseUrl: string,
  expr: string,
  range: { start: number; end: number; step: number },
): Promise<Series[]> {
  const data = await api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
    baseUrl,
    'query_range',
    { query: expr, start: String(range.start), end: String(range.end), step: String(range.step) },
  );
  return data.result.map((row) => ({
    metric: row.metric,
    values: row.values.map(([t, v]) => [t, Number(v)] as [number, number]),
  }));
}

/** The raw samples a range selector (`x[5m]`) holds at `time`: exactly what rate() and increase() see. */
export async function rawSamples(baseUrl: string, rangeSelector: string, time?: number): Promise<Series[]> {
  const params: Record<string, string> = { query: rangeSelector };
  if (time !== undefined) params.time = String(time);
  const data = await api<{ resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] }>(
    baseUrl,
    'query',
    params,
  );
  if (data.resultType !== 'matrix') throw new Error(`${rangeSelector}: not a range selector (got ${data.resultType})`);
  return data.result.map((row) => ({
    metric: row.metric,
    values: row.values.map(([t, v]) => [t, Number(v)] as [number, number]),
  }));
}

export interface Rule {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
}

export async function rules(baseUrl: string): Promise<Rule[]> {
  const response = await fetch(`${baseUrl}/api/v1/rules`);
  const body = (await response.json()) as ApiResponse<{ groups: { rules: Rule[] }[] }>;
  return body.data.groups.flatMap((group) => group.rules);
}

/** Parses Prometheus text exposition into samples (comments dropped), e.g. a /metrics page. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const metric: Record<string, string> = { __name__: match[1] };
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      metric[label[1]] = label[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ metric, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include `labels`, from a /metrics page. */
export async function scrapeValue(
  metricsUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return parseExposition(text)
    .filter((s) => s.metric.__name__ === name && Object.entries(labels).every(([k, v]) => s.metric[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
