// bench/statistics.ts: medians, quantiles, and any per-run figure paired within rounds.
import { describe, expect, it } from 'vitest';
import { serverCpu } from '../../bench/run-figures';
import { median, pairedRatio, quantile } from '../../bench/statistics';
import { load, run } from './records';

describe('median', () => {
  it.each([
    ['odd count: the middle value', [3, 1, 2], 2],
    ['even count: mean of the middle two', [4, 1, 3, 2], 2.5],
    ['one value', [7], 7],
    ['no values: NaN, never a made-up 0', [], Number.NaN],
  ])('%s', (_name, values, expected) => {
    expect(median(values)).toEqual(expected);
  });
});

describe('quantile', () => {
  it.each([
    ['the median of an odd count', [3, 1, 2], 0.5, 2],
    ['between two ranks, interpolated', [1, 2, 3, 4], 0.25, 1.75],
    ['the ends', [5, 9], 1, 9],
    ['empty', [], 0.5, Number.NaN],
  ])('%s', (_name, values, q, expected) => {
    expect(quantile(values, q)).toEqual(expected);
  });
});

describe('pairedRatio: any per-run figure, paired within rounds', () => {
  it('picks each side\'s figure with its own function: the median of the per-round ratios and half their range', () => {
    const runs = [run(1, 0, 'a', 100), run(1, 0, 'b', 100), run(1, 1, 'a', 100), run(1, 1, 'b', 100)];
    // CPU per request: a 20 µs (round 0) and 22 (round 1), b 20 and 22 too, with b's picked as 10 µs more.
    const ratio = pairedRatio(runs, 1, 'a', 'b', serverCpu, (other) => serverCpu(other) + 10);
    expect(ratio.rounds).toBe(2);
    expect(ratio.ratio).toBeCloseTo((20 / 30 + 22 / 32) / 2, 12);
    expect(ratio.spread).toBeCloseTo((22 / 32 - 20 / 30) / 2, 12);
  });

  it('a round whose ratio is no number (no responses) counts for nothing; one round has no spread', () => {
    const empty = { ...run(1, 1, 'a', 100), load: load(0) };
    const runs = [run(1, 0, 'a', 100), run(1, 0, 'b', 100), empty, run(1, 1, 'b', 100)];
    expect(pairedRatio(runs, 1, 'a', 'b', serverCpu)).toEqual({ ratio: 1, spread: Number.NaN, rounds: 1 });
  });
});
