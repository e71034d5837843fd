// `npm run bench` flags -> frozen BenchOptions. Pure, so the defaults and --quick are unit-tested.
// Every default is here, sized so that the full run stays under ~17 minutes on 2 cores.

export interface BenchOptions {
  /** Short durations for a smoke run; explicit flags still win. */
  readonly quick: boolean;
  /** Measured seconds of each overhead/packing/peer run. */
  readonly durationS: number;
  /** Unmeasured load before each run, so every contender is measured hot (JIT, pools, caches). */
  readonly warmupS: number;
  /** Rounds of interleaved runs: each round runs every contender once (>= 3 pairs for the report). */
  readonly pairs: number;
  /** Worker counts compared; the nothing-lost and memory runs use the largest. */
  readonly workers: readonly number[];
  /** autocannon connections (keep-alive, no pipelining). */
  readonly connections: number;
  /** Quads of alternating slices (off, on, on, off) for the target figure (slices.ts). */
  readonly quads: number;
  /** Seconds of load in each slice. */
  readonly sliceS: number;
  /** Seconds of saturation for each nothing-lost run (memory is sampled at half-time and at the end). */
  readonly losslessS: number;
  /** Where <date>.json, latest.json and latest.md go. */
  readonly outDir: string;
}

export class ArgsError extends Error {
  override readonly name = 'ArgsError';
}

// Shorter runs and more rounds rather than the reverse: on a shared machine the median of more
// paired ratios is steadier than fewer, longer runs (the contenders are already warm after round 1).
export const FULL = Object.freeze({
  durationS: 5,
  warmupS: 1.5,
  pairs: 4,
  workers: [1, 2],
  // Saturates 2 workers without pipelining (8 does not; 100 adds little throughput and much queueing).
  connections: 50,
  // 20 quads of 1 s slices: about 100 s per worker count, and quartiles a few points apart.
  quads: 20,
  sliceS: 1,
  losslessS: 60,
});

// A smoke run exercises every code path; its numbers mean nothing.
export const QUICK = Object.freeze({
  durationS: 1,
  warmupS: 0.5,
  pairs: 1,
  workers: [1, 2],
  connections: 8,
  quads: 1,
  sliceS: 0.5,
  losslessS: 2,
});

export const USAGE = `Usage: npm run bench -- [--quick] [--duration S] [--pairs N] [--quads N] [--lossless-duration S]
                       [--workers 1,2] [--connections N] [--warmup S] [--out DIR]
  --quick                short durations for a smoke run (numbers meaningless)
  --duration S           measured seconds per run (default ${FULL.durationS}; quick ${QUICK.durationS})
  --pairs N              rounds of interleaved runs (default ${FULL.pairs}; quick ${QUICK.pairs})
  --quads N              quads of alternating ${FULL.sliceS} s slices, off-on-on-off (default ${FULL.quads}; quick ${QUICK.quads})
  --lossless-duration S  seconds of saturation in each nothing-lost run (default ${FULL.losslessS})
  --workers LIST         worker counts (default ${FULL.workers.join(',')})
  --connections N        load generator connections (default ${FULL.connections})
  --warmup S             unmeasured seconds before each run (default ${FULL.warmupS})
  --out DIR              results directory (default bench/results)`;

function positive(flag: string, raw: string | undefined, integer: boolean): number {
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ArgsError(`${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw ?? '')}`);
  }
  return value;
}

export function parseArgs(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const given = new Map<string, string>();
  let quick = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') {
      quick = true;
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const known = ['--duration', '--pairs', '--quads', '--lossless-duration', '--workers', '--connections', '--warmup', '--out'];
    if (!known.includes(flag)) throw new ArgsError(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
    const value = inline ?? argv[(i += 1)];
    if (value === undefined) throw new ArgsError(`${flag}: missing value`);
    given.set(flag, value);
  }
  const base = quick ? QUICK : FULL;
  const workersRaw = given.get('--workers');
  const workers = workersRaw === undefined
    ? [...base.workers]
    : workersRaw.split(',').map((part) => positive('--workers', part.trim(), true));
  return Object.freeze({
    quick,
    durationS: given.has('--duration') ? positive('--duration', given.get('--duration'), false) : base.durationS,
    warmupS: given.has('--warmup') ? positive('--warmup', given.get('--warmup'), false) : base.warmupS,
    pairs: given.has('--pairs') ? positive('--pairs', given.get('--pairs'), true) : base.pairs,
    quads: given.has('--quads') ? positive('--quads', given.get('--quads'), true) : base.quads,
    sliceS: base.sliceS,
    workers: Object.freeze([...new Set(workers)].sort((a, b) => a - b)),
    connections: given.has('--connections') ? positive('--connections', given.get('--connections'), true) : base.connections,
    losslessS: given.has('--lossless-duration')
      ? positive('--lossless-duration', given.get('--lossless-duration'), false)
      : base.losslessS,
    outDir: given.get('--out') ?? defaultOutDir,
  });
}
