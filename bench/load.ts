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
  sampleInt?: number;
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
  readonly durationS: number;
  /** false: one run of durationS; the requests in flight when it ends are abandoned (the server
   * may still answer and count them). true: back-to-back batches of a fixed number of requests
   * (autocannon's `amount`), each waiting for all of its responses, until durationS has passed:
   * nothing is in flight at the end, so the server's count can be compared exactly. */
  readonly exact?: boolean;
  /** Expected requests/s, to size the first exact batch (later ones use the measured rate). */
  readonly expectedRate?: number;
  /** One run of exactly this many requests instead (durationS is then ignored): nothing is in
   * flight at its end. */
  readonly amount?: number;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Response times of one or more autocannon runs. autocannon's own histogram keeps whole
 * milliseconds, too coarse for a p99 ratio on loopback (p50 is often 0-2 ms): keep every
 * response time instead (8 bytes each, a few MB for a minute at saturation). */
class Recorder {
  private times = new Float64Array(1 << 16);
  count = 0;
  errors = 0;
  timeouts = 0;
  non2xx = 0;
  responses = 0;

  record(responseTime: number): void {
    if (this.count === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.times[this.count] = responseTime;
    this.count += 1;
  }

  add(result: AutocannonResult): void {
    this.responses += result.requests.total;
    this.errors += result.errors;
    this.timeouts += result.timeouts;
    this.non2xx += result.non2xx;
  }

  result(durationS: number): LoadResult {
    const sorted = this.times.subarray(0, this.count).sort();
    let sum = 0;
    for (const time of sorted) sum += time;
    return {
      responses: this.responses,
      durationS,
      requestsPerSecond: durationS > 0 ? this.responses / durationS : 0,
      latencyP50Ms: percentile(sorted, 50),
      latencyP99Ms: percentile(sorted, 99),
      latencyMeanMs: this.count > 0 ? sum / this.count : 0,
      errors: this.errors,
      timeouts: this.timeouts,
      non2xx: this.non2xx,
    };
  }
}

async function autocannonRun(
  recorder: Recorder,
  url: string,
  connections: number,
  limit: { duration: number } | { amount: number },
): Promise<void> {
  // autocannon only notices that a run is over (duration elapsed, or every response of `amount`
  // in) at its next sample tick, 1 s by default: a 10 ms tick keeps the idle tail negligible.
  const instance = autocannon({ url, connections, pipelining: 1, timeout: 10, sampleInt: 10, ...limit });
  instance.on('response', (_client, _status, _bytes, responseTime) => recorder.record(responseTime));
  recorder.add(await instance);
}

export async function runLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  const recorder = new Recorder();
  const startedAt = performance.now();
  const elapsedS = () => (performance.now() - startedAt) / 1000;
  if (options.amount !== undefined) {
    await autocannonRun(recorder, url, options.connections, { amount: options.amount });
    return recorder.result(elapsedS());
  }
  if (!options.exact) {
    await autocannonRun(recorder, url, options.connections, { duration: options.durationS });
    return recorder.result(elapsedS());
  }
  // Batches of ~5 s: short enough that the last one ends close to durationS, long enough that the
  // pause between two (connections closing and reopening, a few ms) does not matter.
  // The first batch is shorter: it is sized from a guess.
  let rate = options.expectedRate ?? 1000;
  let batchTargetS = 2;
  while (elapsedS() < options.durationS) {
    const batchS = Math.min(batchTargetS, options.durationS - elapsedS());
    batchTargetS = 5;
    const amount = Math.max(options.connections, Math.round(rate * batchS));
    const before = { responses: recorder.responses, at: elapsedS() };
    await autocannonRun(recorder, url, Math.min(options.connections, amount), { amount });
    rate = (recorder.responses - before.responses) / Math.max(0.001, elapsedS() - before.at);
  }
  return recorder.result(elapsedS());
}
