// The target figure from the alternating slices (slices.ts): each quad's ratio, and per worker count
// the median and quartiles of the target quads beside those of the control quads.
import type { SliceRecord } from './results';
import { median, quantile } from './statistics';
import { TARGETS } from './targets';

/** A series of quad ratios: how many, their median, and the bounds of their middle half. */
export interface QuadStatistics {
  readonly quads: number;
  readonly ratio: number;
  readonly lowerQuartile: number;
  readonly upperQuartile: number;
}

/** Per worker count: the target quads' (on₁ + on₂) / (off₁ + off₂), each term a slice's CPU time per request. */
export interface SliceRow extends QuadStatistics {
  readonly workers: number;
  /** CPU time per request, median over the slices of each side (µs). */
  readonly offMicroseconds: number;
  readonly onMicroseconds: number;
  readonly targetMet: boolean;
  /** The control quads, (off′₁ + off′₂) / (off₁ + off₂) with a second metrics-off app: the floor of the target figure. */
  readonly control: QuadStatistics;
}

const perRequest = (record: SliceRecord) => record.cpuMicroseconds / record.responses;

/** One quad's ratio: (on₁ + on₂) / (off₁ + off₂), each term a slice's CPU time per request. */
export function quadRatio(records: readonly SliceRecord[]): number {
  const sum = (side: SliceRecord['side']) =>
    records.filter((record) => record.side === side).reduce((total, record) => total + perRequest(record), 0);
  return sum('on') / sum('off');
}

function quadStatistics(ratios: readonly number[]): QuadStatistics {
  return {
    quads: ratios.length,
    ratio: median(ratios),
    lowerQuartile: quantile(ratios, 0.25),
    upperQuartile: quantile(ratios, 0.75),
  };
}

/** The ratio of every whole quad (two slices of each side) among `records`, in quad order. */
function wholeQuadRatios(records: readonly SliceRecord[]): number[] {
  const byQuad = new Map<number, SliceRecord[]>();
  for (const record of records) byQuad.set(record.quad, [...(byQuad.get(record.quad) ?? []), record]);
  return [...byQuad.values()]
    .filter((quad) => quad.length === 4 && quad.filter((record) => record.side === 'on').length === 2)
    .map(quadRatio);
}

export function sliceRows(slices: readonly SliceRecord[]): SliceRow[] {
  const counted = slices.filter((record) => record.responses > 0);
  const target = counted.filter((record) => record.pair === 'target');
  const workerCounts = [...new Set(target.map((record) => record.workers))].sort((a, b) => a - b);
  return workerCounts.map((workers) => {
    const own = target.filter((record) => record.workers === workers);
    const figure = quadStatistics(wholeQuadRatios(own));
    return {
      workers,
      ...figure,
      offMicroseconds: median(own.filter((record) => record.side === 'off').map(perRequest)),
      onMicroseconds: median(own.filter((record) => record.side === 'on').map(perRequest)),
      targetMet: figure.ratio <= TARGETS.cpuRatioAtMost,
      control: quadStatistics(wholeQuadRatios(counted.filter((record) => record.workers === workers && record.pair === 'control'))),
    };
  });
}
