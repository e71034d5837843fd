// Grafana's reducers for stat values and legend columns.
import { describe, expect, it } from 'vitest';
import { reduce } from '../../../tools/dashboard-png/calcs';

const points: [number, number][] = [[1, 4], [2, 1], [3, 7]];

describe('reduce', () => {
  it.each([
    ['lastNotNull', 7],
    ['last', 7],
    ['first', 4],
    ['mean', 4],
    ['max', 7],
    ['min', 1],
    ['sum', 12],
    ['count', 3],
    ['range', 6],
    ['diff', 3],
  ])('%s', (calc, value) => {
    expect(reduce(points, calc)).toBe(value);
  });

  it('has no value for no points', () => {
    expect(reduce([], 'lastNotNull')).toBeNull();
    expect(reduce([], 'mean')).toBeNull();
  });

  it('refuses an unknown reducer', () => {
    expect(() => reduce(points, 'p95')).toThrow(/unknown reducer "p95"/);
  });
});
