// Which packing the numbers favour: the highest throughput against metrics off among the modes
// that lost nothing, with its margin over the others and over the rounds' noise.
import type { LosslessRow } from './saturation-rows';
import type { NoiseRow, PackingRow } from './summary';

export interface Recommendation {
  readonly packing: string;
  readonly currentDefault: string;
  /** Mean over worker counts of the throughput ratio to metrics off, per packing. */
  readonly scores: Readonly<Record<string, number>>;
  readonly reasons: readonly string[];
}

export function recommend(
  packingRows: readonly PackingRow[],
  losslessRows: readonly LosslessRow[],
  noiseRows: readonly NoiseRow[],
  packings: readonly string[],
  currentDefault: string,
): Recommendation {
  const scores: Record<string, number> = {};
  const p99s: Record<string, number> = {};
  for (const packing of packings) {
    const rows = packingRows.filter((row) => row.packing === packing);
    scores[packing] = rows.reduce((sum, row) => sum + row.ratioToOff.throughput, 0) / rows.length;
    p99s[packing] = rows.reduce((sum, row) => sum + row.ratioToOff.p99, 0) / rows.length;
  }
  const loss = (packing: string) => losslessRows.find((row) => row.packing === packing);
  // A mode that lost a line is out, however fast: the point of the exercise is an exact count.
  const lossless = packings.filter((packing) => loss(packing)?.nothingLost !== false);
  const eligible = lossless.length > 0 ? lossless : [...packings];
  const ranked = [...eligible].sort((a, b) => scores[b] - scores[a] || p99s[a] - p99s[b]);
  const best = ranked[0];
  const noisePoints = Math.max(...noiseRows.map((row) => row.ratioSpreadPoints));
  const points = (a: string, b: string) => 100 * (scores[a] - scores[b]);
  const describeLoss = (packing: string) => {
    const row = loss(packing);
    if (!row) return 'loss not measured';
    const drops = `${row.exporterUdpDrops} exporter + ${row.kernelUdpDrops ?? 'n/a'} kernel drops`;
    return row.nothingLost
      ? `nothing lost (${row.exporterRequests} = ${row.responses}, ${drops}), ${row.datagramsPerRequest.toFixed(2)} datagrams/request`
      : `LOST: exporter ${row.exporterRequests} vs ${row.responses} responses, ${drops}`;
  };
  const reasons = [
    `${best}: ${scores[best].toFixed(3)}× metrics-off throughput, p99 ${p99s[best].toFixed(3)}× (mean over ` +
      `${[...new Set(packingRows.map((row) => row.workers))].join(' and ')} workers); ${describeLoss(best)}.`,
    ...ranked.slice(1).concat(packings.filter((packing) => !eligible.includes(packing))).map(
      (packing) =>
        `${packing}: ${scores[packing].toFixed(3)}× (${points(best, packing) >= 0 ? '-' : '+'}${Math.abs(points(best, packing)).toFixed(1)} ` +
        `points vs ${best}), p99 ${p99s[packing].toFixed(3)}×; ${describeLoss(packing)}.`,
    ),
    !Number.isFinite(noisePoints)
      ? 'One round only: no estimate of the noise, so no difference here is known to be significant.'
      : `Round-to-round noise (largest half-range of the per-round on/off ratios): ±${noisePoints.toFixed(1)} points. ` +
        (ranked.length > 1 && points(best, ranked[1]) < noisePoints
          ? `${best} leads ${ranked[1]} by less than that: not a significant difference in throughput.`
          : 'The lead is larger than that.'),
    lossless.length === 0 ? 'Every measured mode lost lines: see the nothing-lost table.' : '',
    best === currentDefault
      ? `The app's default (--statsd-packing ${currentDefault}) is this mode.`
      : `The app's current default is ${currentDefault}; these numbers favour ${best}.`,
  ].filter((reason) => reason !== '');
  return { packing: best, currentDefault, scores, reasons };
}
