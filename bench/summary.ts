// From the raw records of one run to the rows of every table: what the report prints and the JSON
// keeps beside the records. Pure (no I/O, no clock), so fixed records pin every figure.
import { cpuRows, type CpuRow } from './cpu-rows';
import type { LoadResult } from './load';
import { sliceRows, type SliceRow } from './quads';
import { recommend, type Recommendation } from './recommendation';
import type { RawResults, RunRecord } from './results';
import { appId, datagramsPerRequest } from './run-figures';
import { losslessRow, memoryRows, type LosslessRow, type MemoryRow } from './saturation-rows';
import { halfRange, median, pairedRatio, runsOf } from './statistics';
import { TARGETS } from './targets';

export interface Stats {
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Connection errors and timeouts over all runs (should be 0). */
  readonly errors: number;
  readonly non2xx: number;
}

/** Throughput and latency of one contender against another, each the median of per-round ratios. */
export interface Ratio {
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  /** How many rounds had both contenders. */
  readonly rounds: number;
  /** Half the range of the per-round throughput ratios: how much one round can mislead (NaN with one round). */
  readonly throughputSpread: number;
}

export interface OverheadRow {
  readonly workers: number;
  /** The app's packing; '' for Gunicorn. */
  readonly packing: string;
  readonly on: Stats;
  readonly off: Stats;
  readonly ratio: Ratio;
  readonly throughputTargetMet: boolean;
  readonly p99TargetMet: boolean;
}

export interface PackingRow {
  readonly workers: number;
  readonly packing: string;
  readonly isDefault: boolean;
  readonly stats: Stats;
  readonly ratioToOff: Ratio;
  /** Median over the rounds of the datagrams the exporter read per response (NaN if not measured). */
  readonly datagramsPerRequest: number;
}

export interface PeerRow {
  readonly workers: number;
  readonly contender: string;
  readonly label: string;
  readonly stats: Stats;
  /** Against this app with metrics on in the default packing. */
  readonly ratioToApp: Ratio;
}

export interface NoiseRow {
  readonly workers: number;
  /** Half the range of the metrics-off runs' throughput, as a percentage of their median: how
   * steady the machine was from round to round. */
  readonly offSpreadPercent: number;
  /** The largest half-range of the per-round on/off throughput ratios over the packings, in
   * percentage points: a smaller difference between two packings is not significant. */
  readonly ratioSpreadPoints: number;
}

export interface Summary {
  readonly overhead: readonly OverheadRow[];
  /** The default packing into a socket nobody reads vs off: the app's own cost, without the exporter's CPU. */
  readonly appOwnCost: readonly OverheadRow[];
  /** What StatsD costs real Gunicorn + Flask, for reference (the targets are this app's). */
  readonly gunicornOverhead: readonly OverheadRow[];
  readonly packing: readonly PackingRow[];
  readonly peers: readonly PeerRow[];
  readonly lossless: readonly LosslessRow[];
  readonly memory: readonly MemoryRow[];
  readonly noise: readonly NoiseRow[];
  readonly cpu: readonly CpuRow[];
  readonly slices: readonly SliceRow[];
  readonly recommendation: Recommendation;
}

export function stats(runs: readonly RunRecord[]): Stats {
  return {
    runs: runs.length,
    requestsPerSecond: median(runs.map((run) => run.load.requestsPerSecond)),
    latencyP50Ms: median(runs.map((run) => run.load.latencyP50Ms)),
    latencyP99Ms: median(runs.map((run) => run.load.latencyP99Ms)),
    errors: runs.reduce((sum, run) => sum + run.load.errors + run.load.timeouts, 0),
    non2xx: runs.reduce((sum, run) => sum + run.load.non2xx, 0),
  };
}

/** The paired ratios of contender a to b in throughput, p50 and p99. */
export function loadRatio(runs: readonly RunRecord[], workers: number, a: string, b: string): Ratio {
  const of = (pick: (load: LoadResult) => number) => pairedRatio(runs, workers, a, b, (run) => pick(run.load));
  const throughput = of((load) => load.requestsPerSecond);
  return {
    throughputSpread: throughput.spread,
    throughput: throughput.ratio,
    p50: of((load) => load.latencyP50Ms).ratio,
    p99: of((load) => load.latencyP99Ms).ratio,
    rounds: throughput.rounds,
  };
}

function noise(runs: readonly RunRecord[], packingRows: readonly PackingRow[], workers: number): NoiseRow {
  const values = runsOf(runs, workers, 'app-off').map((run) => run.load.requestsPerSecond);
  const ratioSpreads = packingRows.filter((row) => row.workers === workers).map((row) => row.ratioToOff.throughputSpread);
  return { workers, offSpreadPercent: 100 * (halfRange(values) / median(values)), ratioSpreadPoints: 100 * Math.max(...ratioSpreads) };
}

export function summarise(raw: RawResults): Summary {
  const workerCounts = [...new Set(raw.runs.map((run) => run.workers))].sort((a, b) => a - b);
  const onId = appId(raw.defaultPacking);
  const withRuns = (id: string) => workerCounts.filter((workers) => runsOf(raw.runs, workers, id).length > 0);
  const onOff = (on: string, off: string, packing: string) => (workers: number): OverheadRow => {
    const ratio = loadRatio(raw.runs, workers, on, off);
    return {
      workers,
      packing,
      on: stats(runsOf(raw.runs, workers, on)),
      off: stats(runsOf(raw.runs, workers, off)),
      ratio,
      throughputTargetMet: ratio.throughput >= TARGETS.throughputRatioAtLeast,
      p99TargetMet: ratio.p99 <= TARGETS.p99RatioAtMost,
    };
  };
  const packing = workerCounts.flatMap((workers) =>
    raw.packings.map((mode): PackingRow => {
      const runs = runsOf(raw.runs, workers, appId(mode));
      return {
        workers,
        packing: mode,
        isDefault: mode === raw.defaultPacking,
        stats: stats(runs),
        ratioToOff: loadRatio(raw.runs, workers, appId(mode), 'app-off'),
        datagramsPerRequest: datagramsPerRequest(runs),
      };
    }),
  );
  const peerIds = ['bare-http', 'app-off', onId, 'express-prom-bundle', 'gunicorn-off', 'gunicorn-on'];
  const label = (id: string) => raw.contenders.find((contender) => contender.id === id)?.label ?? id;
  const peers = workerCounts.flatMap((workers) =>
    peerIds
      .filter((id) => runsOf(raw.runs, workers, id).length > 0)
      .map((id): PeerRow => ({
        workers,
        contender: id,
        label: label(id),
        stats: stats(runsOf(raw.runs, workers, id)),
        ratioToApp: loadRatio(raw.runs, workers, id, onId),
      })),
  );
  const lossless = raw.lossless.map(losslessRow);
  const noiseRows = workerCounts.map((workers) => noise(raw.runs, packing, workers));
  return {
    overhead: workerCounts.map(onOff(onId, 'app-off', raw.defaultPacking)),
    appOwnCost: withRuns(`${onId}-discard`).map(onOff(`${onId}-discard`, 'app-off', raw.defaultPacking)),
    gunicornOverhead: withRuns('gunicorn-on').map(onOff('gunicorn-on', 'gunicorn-off', '')),
    packing,
    peers,
    lossless,
    memory: [...raw.lossless, raw.memoryControl].flatMap((record) => memoryRows(record, raw.options.losslessS)),
    noise: noiseRows,
    cpu: cpuRows(raw, workerCounts),
    slices: sliceRows(raw.slices),
    recommendation: recommend(packing, lossless, noiseRows, raw.packings, raw.defaultPacking),
  };
}
