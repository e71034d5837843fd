// `npm run bench` flags -> frozen BenchOptions. Pure, so the defaults and --quick are unit-tested.
// Every default is here, sized so that the full run takes about twenty minutes on 2 cores.
import { positive, readFlags, type FlagSpec } from '../harness/command-line';

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
  --out DIR              results directory (default bench/results; quick a scratch directory)
  --help                 this text`;

const FLAGS = {
  quick: { type: 'boolean' },
  duration: { type: 'string' },
  pairs: { type: 'string' },
  quads: { type: 'string' },
  'lossless-duration': { type: 'string' },
  workers: { type: 'string' },
  connections: { type: 'string' },
  warmup: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const satisfies FlagSpec;

/** Where the results go without --out: a smoke run must not overwrite the committed results with meaningless numbers. */
export interface DefaultOutDirs {
  readonly full: string;
  readonly quick: string;
}

/** The options on the command line; 'help' for --help. */
export function parseBenchArgs(argv: readonly string[], defaultOutDirs: DefaultOutDirs): BenchOptions | 'help' {
  const flags = readFlags(argv, FLAGS, USAGE);
  if (flags.boolean('help')) return 'help';
  const quick = flags.boolean('quick');
  const base = quick ? QUICK : FULL;
  const number = (name: keyof typeof FLAGS, integer: boolean, fallback: number) => {
    const raw = flags.string(name);
    return raw === undefined ? fallback : positive(`--${name}`, raw, integer);
  };
  const workersRaw = flags.string('workers');
  const workers = workersRaw === undefined
    ? [...base.workers]
    : workersRaw.split(',').map((part) => positive('--workers', part.trim(), true));
  return Object.freeze({
    quick,
    durationS: number('duration', false, base.durationS),
    warmupS: number('warmup', false, base.warmupS),
    pairs: number('pairs', true, base.pairs),
    quads: number('quads', true, base.quads),
    sliceS: base.sliceS,
    workers: Object.freeze([...new Set(workers)].sort((a, b) => a - b)),
    connections: number('connections', true, base.connections),
    losslessS: number('lossless-duration', false, base.losslessS),
    outDir: flags.string('out') ?? (quick ? defaultOutDirs.quick : defaultOutDirs.full),
  });
}
