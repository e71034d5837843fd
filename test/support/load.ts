// Test clients for the stack tests: one request per connection (so a request's worker can be
// identified by its client port), exact tallies of what the client actually received.
import * as http from 'node:http';
import * as net from 'node:net';

export interface Outcome {
  readonly path: string;
  /** HTTP status, or null when the request failed at the socket level. */
  readonly status: number | null;
  /** The socket error's code (ECONNRESET, ...) when status is null. */
  readonly error?: string;
  /** The client's local port: identifies the connection on the server side (see procfs.ts). */
  readonly localPort?: number;
  readonly body?: string;
}

export interface GetOptions {
  timeoutMs?: number;
  /** Called once the connection is established, with the client's local port. */
  onConnect?: (localPort: number) => void;
}

/** GET on a fresh connection (Connection: close). Never rejects: failures come back as outcomes. */
export function get(baseUrl: string, path: string, options: GetOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    let localPort: number | undefined;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const request = http.get(`${baseUrl}${path}`, { agent: false, headers: { connection: 'close' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        settle({ path, status: response.statusCode ?? null, localPort, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', (error: NodeJS.ErrnoException) =>
        settle({ path, status: null, error: error.code ?? error.message, localPort }),
      );
    });
    request.on('socket', (socket) => {
      socket.once('connect', () => {
        localPort = socket.localPort;
        options.onConnect?.(localPort ?? -1);
      });
    });
    request.setTimeout(options.timeoutMs ?? 30_000, () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => settle({ path, status: null, error: error.code ?? error.message, localPort }));
  });
}

export interface Tally {
  readonly outcomes: Outcome[];
  /** Responses by status code (failures not included). */
  readonly byStatus: Map<number, number>;
  /** Responses by path, then status. */
  readonly byPath: Map<string, Map<number, number>>;
  readonly answered: number;
  readonly failures: Outcome[];
}

export function tally(outcomes: readonly Outcome[]): Tally {
  const byStatus = new Map<number, number>();
  const byPath = new Map<string, Map<number, number>>();
  const failures: Outcome[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === null) {
      failures.push(outcome);
      continue;
    }
    byStatus.set(outcome.status, (byStatus.get(outcome.status) ?? 0) + 1);
    const forPath = byPath.get(outcome.path) ?? new Map<number, number>();
    forPath.set(outcome.status, (forPath.get(outcome.status) ?? 0) + 1);
    byPath.set(outcome.path, forPath);
  }
  return { outcomes: [...outcomes], byStatus, byPath, answered: outcomes.length - failures.length, failures };
}

/** Sends exactly `count` GETs of each path, shuffled, `concurrency` at a time; tallies the replies. */
export async function drive(
  baseUrl: string,
  plan: Readonly<Record<string, number>>,
  concurrency = 8,
): Promise<Tally> {
  const queue = Object.entries(plan).flatMap(([path, count]) => Array<string>(count).fill(path));
  for (let i = queue.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [queue[i], queue[j]] = [queue[j], queue[i]];
  }
  const outcomes: Outcome[] = [];
  const lane = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) outcomes.push(await get(baseUrl, path));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, lane));
  return tally(outcomes);
}

export interface Load {
  /** Stops issuing new requests; resolves with every outcome once those in flight have finished. */
  stop(): Promise<Tally>;
  /** Outcomes so far. */
  readonly outcomes: readonly Outcome[];
}

/** Keeps `concurrency` clients busy, cycling through `paths`, until stop(). */
export function loadUntilStopped(baseUrl: string, paths: readonly string[], concurrency = 4): Load {
  const outcomes: Outcome[] = [];
  let stopped = false;
  let next = 0;
  const lane = async () => {
    while (!stopped) {
      const path = paths[next % paths.length];
      next += 1;
      outcomes.push(await get(baseUrl, path));
    }
  };
  const lanes = Promise.all(Array.from({ length: concurrency }, lane));
  return {
    outcomes,
    async stop() {
      stopped = true;
      await lanes;
      return tally(outcomes);
    },
  };
}

/** Polls `read` until `accept` holds for its value; rejects after `timeoutMs` naming `what`. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await sleep(pollMs);
  }
  throw new Error(
    `${what}: not reached within ${timeoutMs} ms (last value ${JSON.stringify(last, (_key, value: unknown) =>
      value instanceof Map ? [...value] : value)}` +
      `${lastError ? `, last error ${(lastError as Error).message}` : ''})`,
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends raw bytes on a fresh connection; resolves with everything the server wrote back before closing. */
export function rawExchange(port: number, bytes: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
