// The load generator: autocannon's programmatic API, in this process. Keep-alive (HTTP/1.1 and
// autocannon's default), no pipelining, GET only. On a 2-core machine it competes with the server
// for CPU — equally for every contender, which is why results are reported as ratios.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: AutocannonOptions) => AutocannonInstance;

// autocannon ships no types; only what is used here is declared.
interface AutocannonOptions {
  url: string;
  connections: number;
  pipelining?: number;
  duration?: number;
  amount?: number;
  timeout?: number;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  /** Per response; responseTime is in milliseconds with sub-millisecond precision. */
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): this;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  requests: { total: number; sent: number };
}

export interface LoadResult {
  /** Responses received (any status). */
  readonly responses: number;
  readonly durationS: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMeanMs: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

export interface LoadOptions {
  readonly connections: number;
  /** Run for this long; requests still in flight at the end are abandoned. */
  readonly durationS?: number;
  /** Or send exactly this many requests and wait for every response: no request is left in flight,
   * which is what makes an exact count comparison with the exporter possible. */
  readonly amount?: number;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function runLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  if ((options.durationS === undefined) === (options.amount === undefined)) {
    throw new Error('runLoad: give exactly one of durationS and amount');
  }
  // autocannon's own histogram keeps whole milliseconds, too coarse for a p99 ratio on loopback
  // (p50 is often 0-2 ms): keep every response time instead (8 bytes each, ~1 MB per run).
  let times = new Float64Array(1 << 16);
  let count = 0;
  // autocannon's own duration runs to its next 1 s tick; the last response is the real end.
  const startedAt = performance.now();
  let lastResponseAt = startedAt;
  const instance = autocannon({
    url,
    connections: options.amount === undefined ? options.connections : Math.min(options.connections, options.amount),
    pipelining: 1,
    ...(options.amount === undefined ? { duration: options.durationS } : { amount: options.amount }),
    timeout: 10,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    if (count === times.length) {
      const grown = new Float64Array(times.length * 2);
      grown.set(times);
      times = grown;
    }
    times[count] = responseTime;
    count += 1;
    lastResponseAt = performance.now();
  });
  const result = await instance;
  const sorted = times.subarray(0, count).sort();
  let sum = 0;
  for (const time of sorted) sum += time;
  const durationS = (lastResponseAt - startedAt) / 1000;
  return {
    responses: result.requests.total,
    durationS,
    requestsPerSecond: durationS > 0 ? result.requests.total / durationS : 0,
    latencyP50Ms: percentile(sorted, 50),
    latencyP99Ms: percentile(sorted, 99),
    latencyMeanMs: count > 0 ? sum / count : 0,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
