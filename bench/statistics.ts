// The statistics every table is built from: medians, quantiles, and ratios paired within a round.
import type { RunRecord } from './results';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The q-quantile (0..1) by linear interpolation between the nearest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/** Half the range of `values`: how far one sample can stray. NaN for fewer than two, never a reassuring 0. */
export function halfRange(values: readonly number[]): number {
  return values.length > 1 ? (Math.max(...values) - Math.min(...values)) / 2 : Number.NaN;
}

/** The runs of one contender at one worker count. */
export function runsOf(runs: readonly RunRecord[], workers: number, contender: string): RunRecord[] {
  return runs.filter((run) => run.workers === workers && run.contender === contender);
}

export interface PairedRatio {
  /** Median over the rounds of the per-round ratio. */
  readonly ratio: number;
  /** Half the range of the per-round ratios. */
  readonly spread: number;
  /** How many rounds gave a ratio (both contenders ran, and the ratio is a number). */
  readonly rounds: number;
}

/**
 * Median over rounds of pickA(a) / pickB(b), each ratio taken within one round (runs adjacent in
 * time), so the slow drift of a shared machine cancels out instead of landing on whichever
 * contender ran during a busy spell. A round whose ratio is not finite (no responses) counts for
 * nothing.
 */
export function pairedRatio(
  runs: readonly RunRecord[],
  workers: number,
  a: string,
  b: string,
  pickA: (run: RunRecord) => number,
  pickB: (run: RunRecord) => number = pickA,
): PairedRatio {
  const bs = new Map(runsOf(runs, workers, b).map((run) => [run.round, run]));
  const ratios = runsOf(runs, workers, a)
    .filter((run) => bs.has(run.round))
    .map((run) => pickA(run) / pickB(bs.get(run.round)!))
    .filter(Number.isFinite);
  return { ratio: median(ratios), spread: halfRange(ratios), rounds: ratios.length };
}
