// bench/quads.ts: the target figure and its control from the alternating slices' quads.
import { describe, expect, it } from 'vitest';
import { sliceRows } from '../../bench/quads';
import { renderText } from '../../bench/render';
import { summarise } from '../../bench/summary';
import { quad, raw } from './records';

describe('sliceRows: the target figure from alternating slices', () => {
  it('each quad gives (on₁ + on₂) / (off₁ + off₂); the row is their median, with quartiles', () => {
    // Quads at 1.05, 1.10 and 1.20: a machine twice as slow in the last one changes nothing.
    const slices = [...quad(1, 0, [20, 21, 21, 20]), ...quad(1, 1, [20, 22, 22, 20]), ...quad(1, 2, [40, 48, 48, 40])];
    const [row] = sliceRows(slices);
    expect(row).toMatchObject({ workers: 1, quads: 3, offMicroseconds: 20, onMicroseconds: 22, targetMet: false });
    expect(row.ratio).toBeCloseTo(1.1, 12);
    expect(row.lowerQuartile).toBeCloseTo(1.075, 12);
    expect(row.upperQuartile).toBeCloseTo(1.15, 12);
  });

  it('one row per worker count; a quad cut short counts for nothing', () => {
    const slices = [...quad(1, 0, [20, 20.8, 20.8, 20]), ...quad(2, 0, [10, 12, 12, 10]), ...quad(2, 1, [10, 30, 30, 10]).slice(0, 3)];
    const rows = sliceRows(slices);
    expect(rows.map((row) => [row.workers, row.quads, row.targetMet])).toEqual([[1, 1, true], [2, 1, false]]);
    expect(rows[1].ratio).toBeCloseTo(1.2, 12);
  });

  it('the control quads give their own median and quartiles, and leave the target figure alone', () => {
    const slices = [
      ...quad(1, 0, [20, 21, 21, 20]), ...quad(1, 0, [20, 18, 18, 20], 'control'),
      ...quad(1, 1, [20, 22, 22, 20]), ...quad(1, 1, [20, 20, 20, 20], 'control'),
      ...quad(1, 2, [20, 24, 24, 20]), ...quad(1, 2, [20, 22, 22, 20], 'control'),
    ];
    const [row] = sliceRows(slices);
    expect(row).toMatchObject({ quads: 3, offMicroseconds: 20, onMicroseconds: 22 });
    expect(row.ratio).toBeCloseTo(1.1, 12);
    expect(row.control?.quads).toBe(3);
    expect(row.control?.ratio).toBeCloseTo(1, 12);
    expect(row.control?.lowerQuartile).toBeCloseTo(0.95, 12);
    expect(row.control?.upperQuartile).toBeCloseTo(1.05, 12);
    const text = renderText(raw({ slices }), summarise(raw({ slices })));
    expect(text).toContain('control off′/off');
    expect(text).toContain('0.950–1.050');
  });

});
