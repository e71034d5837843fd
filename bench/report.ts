// From raw measurements to the summary, the stdout table, the Markdown of docs/benchmarks.md and the JSON file.
// Pure (no I/O, no clock): test/bench/report.test.ts feeds it fixed records.
import type { KillRecord, LosslessRecord, MemoryControlRecord, RawResults, RunRecord, SliceRecord } from './results';

/** What metrics on may cost against metrics off, at most: reported, never asserted. */
export const TARGETS = Object.freeze({ throughputRatioAtLeast: 0.97, p99RatioAtMost: 1.05, cpuRatioAtMost: 1.05 });

export interface Stats {
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Connection errors and timeouts over all runs (should be 0). */
  readonly errors: number;
  readonly non2xx: number;
}

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

export interface LosslessRow {
  readonly packing: string;
  readonly workers: number;
  readonly durationS: number;
  readonly requestsPerSecond: number;
  readonly responses: number;
  readonly exporterRequests: number;
  /** exporterRequests - responses: negative = lines lost, positive = counted but not received. */
  readonly difference: number;
  readonly exporterUdpDrops: number;
  readonly kernelUdpDrops: number | null;
  readonly errors: number;
  readonly datagramsPerRequest: number;
  readonly nothingLost: boolean;
}

export interface MemoryRow {
  readonly packing: string;
  readonly workers: number;
  readonly pid: number;
  readonly midAtS: number;
  readonly midKiB: number;
  readonly endAtS: number;
  readonly endKiB: number;
  readonly deltaKiB: number;
  /** The highest sample of the whole run. */
  readonly maxKiB: number;
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

/** CPU time per request of one contender, and against the contender it is compared with. */
export interface CpuRow {
  readonly workers: number;
  readonly contender: string;
  readonly label: string;
  /** Median over the rounds of the contender's own CPU time per response (µs). */
  readonly serverMicroseconds: number;
  /** Likewise for the exporter it sends to; NaN for contenders that send it nothing. */
  readonly exporterMicroseconds: number;
  /** Median over the rounds of the datagrams it sent per response, as the receiver counted them (NaN: sends none). */
  readonly datagramsPerRequest: number;
  /** The contender compared with ('' for a baseline row). */
  readonly baseline: string;
  /** Median of the per-round ratios of CPU per request (server only), and their half-range. */
  readonly ratio: number;
  readonly ratioSpread: number;
  /** The same with the exporter's CPU added to the contender's. */
  readonly ratioWithExporter: number;
  readonly ratioWithExporterSpread: number;
  /** Only for this app's default packing into the real exporter (NaN-safe: false elsewhere). */
  readonly isTarget: boolean;
  readonly targetMet: boolean;
}

/** A series of quad ratios (slices.ts): how many, their median, and the bounds of their middle half. */
export interface QuadStatistics {
  readonly quads: number;
  readonly ratio: number;
  readonly lowerQuartile: number;
  readonly upperQuartile: number;
}

/**
 * The target figure from the alternating slices (slices.ts), per worker count: the statistics of
 * the quads' ratios (on₁ + on₂) / (off₁ + off₂), each term a slice's CPU time per request.
 */
export interface SliceRow extends QuadStatistics {
  readonly workers: number;
  /** CPU time per request, median over the slices of each side (µs). */
  readonly offMicroseconds: number;
  readonly onMicroseconds: number;
  readonly targetMet: boolean;
  /**
   * The control quads, (off′₁ + off′₂) / (off₁ + off₂) with a second metrics-off app: the floor of
   * the target figure. null in results without them.
   */
  readonly control: QuadStatistics | null;
}

export interface Recommendation {
  readonly packing: string;
  readonly currentDefault: string;
  /** Mean over worker counts of the throughput ratio to metrics off, per packing. */
  readonly scores: Readonly<Record<string, number>>;
  readonly reasons: readonly string[];
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

function runsOf(runs: readonly RunRecord[], workers: number, contender: string): RunRecord[] {
  return runs.filter((run) => run.workers === workers && run.contender === contender);
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

/** Median over rounds of a/b, each ratio taken within one round (runs adjacent in time), so slow
 * drift of a shared machine cancels out instead of landing on whichever ran during a busy spell. */
export function pairedRatio(runs: readonly RunRecord[], workers: number, a: string, b: string): Ratio {
  const byRound = (contender: string) => new Map(runsOf(runs, workers, contender).map((run) => [run.round, run.load]));
  const as = byRound(a);
  const bs = byRound(b);
  const rounds = [...as.keys()].filter((round) => bs.has(round));
  const perRound = (pick: (load: RunRecord['load']) => number) =>
    rounds.map((round) => pick(as.get(round)!) / pick(bs.get(round)!));
  const ratio = (pick: (load: RunRecord['load']) => number) => median(perRound(pick));
  const throughputs = perRound((load) => load.requestsPerSecond);
  return {
    throughputSpread: throughputs.length > 1 ? (Math.max(...throughputs) - Math.min(...throughputs)) / 2 : Number.NaN,
    throughput: ratio((load) => load.requestsPerSecond),
    p50: ratio((load) => load.latencyP50Ms),
    p99: ratio((load) => load.latencyP99Ms),
    rounds: rounds.length,
  };
}

/** The contender's own CPU per response, and with its exporter's added (µs). Runs of an older
 * schema have no CPU readings: NaN. */
const serverCpu = (run: RunRecord) => (run.cpu ? run.cpu.serverMicroseconds / run.load.responses : Number.NaN);
const exporterCpu = (run: RunRecord) =>
  run.cpu?.exporterMicroseconds != null ? run.cpu.exporterMicroseconds / run.load.responses : Number.NaN;
const withExporterCpu = (run: RunRecord) => serverCpu(run) + (Number.isNaN(exporterCpu(run)) ? 0 : exporterCpu(run));

/** Median and half-range of per-round a/b, for a per-run figure `pick` (as pairedRatio does). */
export function pairedFigure(
  runs: readonly RunRecord[],
  workers: number,
  a: string,
  b: string,
  pickA: (run: RunRecord) => number,
  pickB: (run: RunRecord) => number = pickA,
): { ratio: number; spread: number } {
  const bs = new Map(runsOf(runs, workers, b).map((run) => [run.round, run]));
  const ratios = runsOf(runs, workers, a)
    .filter((run) => bs.has(run.round))
    .map((run) => pickA(run) / pickB(bs.get(run.round)!))
    .filter(Number.isFinite);
  return {
    ratio: median(ratios),
    spread: ratios.length > 1 ? (Math.max(...ratios) - Math.min(...ratios)) / 2 : Number.NaN,
  };
}

/** Median over `runs` of the datagrams sent per response; NaN when none were counted. */
function datagramsPerRequest(runs: readonly RunRecord[]): number {
  return median(runs.flatMap((run) => (run.datagrams !== null && run.load.responses > 0 ? [run.datagrams / run.load.responses] : [])));
}

function cpuRows(raw: RawResults, workerCounts: readonly number[]): CpuRow[] {
  const onId = appId(raw.defaultPacking);
  // Each contender against its own "metrics off": the app's variants and express-prom-bundle (the
  // app's routes, instrumented by pull) and bare node:http against this app with metrics off;
  // Gunicorn with StatsD against Gunicorn without.
  const order: [string, string][] = [
    ['app-off', ''],
    [onId, 'app-off'],
    [`${onId}-discard`, 'app-off'],
    ...raw.packings.filter((packing) => packing !== raw.defaultPacking).map((packing): [string, string] => [appId(packing), 'app-off']),
    ['express-prom-bundle', 'app-off'],
    ['bare-http', 'app-off'],
    ['gunicorn-off', ''],
    ['gunicorn-on', 'gunicorn-off'],
  ];
  const label = (id: string) => raw.contenders.find((contender) => contender.id === id)?.label ?? id;
  return workerCounts.flatMap((workers) =>
    order
      .filter(([id]) => runsOf(raw.runs, workers, id).length > 0)
      .map(([id, baseline]): CpuRow => {
        const runs = runsOf(raw.runs, workers, id);
        const server = baseline === '' ? { ratio: Number.NaN, spread: Number.NaN } : pairedFigure(raw.runs, workers, id, baseline, serverCpu);
        const total = baseline === '' ? { ratio: Number.NaN, spread: Number.NaN } : pairedFigure(raw.runs, workers, id, baseline, withExporterCpu, serverCpu);
        const isTarget = id === onId;
        return {
          workers,
          contender: id,
          label: label(id),
          serverMicroseconds: median(runs.map(serverCpu)),
          exporterMicroseconds: median(runs.map(exporterCpu).filter((value) => !Number.isNaN(value))),
          datagramsPerRequest: datagramsPerRequest(runs),
          baseline,
          ratio: server.ratio,
          ratioSpread: server.spread,
          ratioWithExporter: total.ratio,
          ratioWithExporterSpread: total.spread,
          isTarget,
          targetMet: isTarget && server.ratio <= TARGETS.cpuRatioAtMost,
        };
      }),
  );
}

const slicePerRequest = (record: SliceRecord) => record.cpuMicroseconds / record.responses;

/** One quad's ratio: (on₁ + on₂) / (off₁ + off₂), each term a slice's CPU time per request. */
export function quadRatio(records: readonly SliceRecord[]): number {
  const sum = (side: SliceRecord['side']) =>
    records.filter((record) => record.side === side).reduce((total, record) => total + slicePerRequest(record), 0);
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
  // Results of schema 6 have no pair: all their quads were target quads.
  const target = counted.filter((record) => (record.pair ?? 'target') === 'target');
  const workerCounts = [...new Set(target.map((record) => record.workers))].sort((a, b) => a - b);
  return workerCounts.map((workers) => {
    const own = target.filter((record) => record.workers === workers);
    const figure = quadStatistics(wholeQuadRatios(own));
    const controlRatios = wholeQuadRatios(counted.filter((record) => record.workers === workers && record.pair === 'control'));
    return {
      workers,
      ...figure,
      offMicroseconds: median(own.filter((record) => record.side === 'off').map(slicePerRequest)),
      onMicroseconds: median(own.filter((record) => record.side === 'on').map(slicePerRequest)),
      targetMet: figure.ratio <= TARGETS.cpuRatioAtMost,
      control: controlRatios.length === 0 ? null : quadStatistics(controlRatios),
    };
  });
}

function losslessRow(record: LosslessRecord): LosslessRow {
  const difference = record.exporterRequests - record.load.responses;
  return {
    packing: record.packing,
    workers: record.workers,
    durationS: record.load.durationS,
    requestsPerSecond: record.load.requestsPerSecond,
    responses: record.load.responses,
    exporterRequests: record.exporterRequests,
    difference,
    exporterUdpDrops: record.exporterUdpDrops,
    kernelUdpDrops: record.kernelUdpDrops,
    errors: record.load.errors + record.load.timeouts,
    datagramsPerRequest: record.load.responses > 0 ? record.udpPackets / record.load.responses : Number.NaN,
    nothingLost: difference === 0 && record.exporterUdpDrops === 0 && (record.kernelUdpDrops ?? 0) === 0,
  };
}

/** The sample nearest to `atS`. */
function nearest<T extends { atS: number }>(samples: readonly T[], atS: number): T {
  return samples.reduce((best, sample) => (Math.abs(sample.atS - atS) < Math.abs(best.atS - atS) ? sample : best));
}

function memoryRows(record: LosslessRecord | MemoryControlRecord, plannedS: number): MemoryRow[] {
  return record.memory
    .filter((worker) => worker.samples.length > 0)
    .map((worker) => {
      const end = worker.samples[worker.samples.length - 1];
      const mid = nearest(worker.samples, Math.min(plannedS / 2, end.atS / 2));
      return {
        packing: record.packing,
        workers: record.workers,
        pid: worker.pid,
        midAtS: mid.atS,
        midKiB: mid.rssKiB,
        endAtS: end.atS,
        endKiB: end.rssKiB,
        deltaKiB: end.rssKiB - mid.rssKiB,
        maxKiB: Math.max(...worker.samples.map((sample) => sample.rssKiB)),
      };
    });
}

function noise(runs: readonly RunRecord[], packingRows: readonly PackingRow[], workers: number): NoiseRow {
  const values = runsOf(runs, workers, 'app-off').map((run) => run.load.requestsPerSecond);
  // With a single round there is no spread to measure: NaN, shown as "n/a", never a reassuring 0.
  const spread = values.length > 1 ? (Math.max(...values) - Math.min(...values)) / 2 / median(values) : Number.NaN;
  const ratioSpreads = packingRows.filter((row) => row.workers === workers).map((row) => row.ratioToOff.throughputSpread);
  return { workers, offSpreadPercent: 100 * spread, ratioSpreadPoints: 100 * Math.max(...ratioSpreads) };
}

const appId = (packing: string) => `app-${packing}`;

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

export function summarise(raw: RawResults): Summary {
  const workerCounts = [...new Set(raw.runs.map((run) => run.workers))].sort((a, b) => a - b);
  const onId = appId(raw.defaultPacking);
  const onOff = (workers: number, on: string, off: string, packing: string): OverheadRow => {
    const ratio = pairedRatio(raw.runs, workers, on, off);
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
  const overhead = workerCounts.map((workers) => onOff(workers, onId, 'app-off', raw.defaultPacking));
  const discardId = `${onId}-discard`;
  const appOwnCost = workerCounts
    .filter((workers) => runsOf(raw.runs, workers, discardId).length > 0)
    .map((workers) => onOff(workers, discardId, 'app-off', raw.defaultPacking));
  const gunicornOverhead = workerCounts
    .filter((workers) => runsOf(raw.runs, workers, 'gunicorn-on').length > 0)
    .map((workers) => onOff(workers, 'gunicorn-on', 'gunicorn-off', ''));
  const packing = workerCounts.flatMap((workers) =>
    raw.packings.map((mode): PackingRow => {
      const runs = runsOf(raw.runs, workers, appId(mode));
      return {
        workers,
        packing: mode,
        isDefault: mode === raw.defaultPacking,
        stats: stats(runs),
        ratioToOff: pairedRatio(raw.runs, workers, appId(mode), 'app-off'),
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
        ratioToApp: pairedRatio(raw.runs, workers, id, onId),
      })),
  );
  const lossless = raw.lossless.map(losslessRow);
  const memory = [...raw.lossless, ...(raw.memoryControl ? [raw.memoryControl] : [])].flatMap((record) =>
    memoryRows(record, raw.options.losslessS),
  );
  const noiseRows = workerCounts.map((workers) => noise(raw.runs, packing, workers));
  return {
    overhead,
    appOwnCost,
    gunicornOverhead,
    packing,
    peers,
    lossless,
    memory,
    noise: noiseRows,
    cpu: cpuRows(raw, workerCounts),
    slices: sliceRows(raw.slices ?? []),
    recommendation: recommend(packing, lossless, noiseRows, raw.packings, raw.defaultPacking),
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering: each section is built once as a table, then printed as text or as Markdown.
// ---------------------------------------------------------------------------------------------

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(3)}×` : 'n/a');
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const µs = (value: number) => fixed(value, 1);
const mib = (kib: number) => (kib / 1024).toFixed(1);
const signedMib = (kib: number) => `${kib >= 0 ? '+' : '-'}${mib(Math.abs(kib))}`;
const yesNo = (value: boolean) => (value ? 'yes' : 'NO');

function overheadTable(summary: Summary, raw: RawResults): Table {
  const row = (server: string, withTargets: boolean) => (overhead: OverheadRow) => [
    server,
    String(overhead.workers),
    int(overhead.on.requestsPerSecond),
    int(overhead.off.requestsPerSecond),
    times(overhead.ratio.throughput),
    withTargets ? yesNo(overhead.throughputTargetMet) : '',
    ms(overhead.on.latencyP99Ms),
    ms(overhead.off.latencyP99Ms),
    times(overhead.ratio.p99),
    withTargets ? yesNo(overhead.p99TargetMet) : '',
  ];
  return {
    title: `Overhead: metrics on (--statsd-packing ${raw.defaultPacking}, the default) vs off, GET /`,
    headers: ['server', 'workers', 'on req/s', 'off req/s', 'ratio', `≥ ${TARGETS.throughputRatioAtLeast}`, 'on p99 ms', 'off p99 ms', 'p99 ratio', `≤ ${TARGETS.p99RatioAtMost}`],
    rows: [
      ...summary.overhead.map(row('this app → statsd_exporter', true)),
      ...summary.appOwnCost.map(row('this app → discarding socket', true)),
      ...summary.gunicornOverhead.map(row('Gunicorn + Flask → statsd_exporter', false)),
    ],
    notes: [
      `Ratios: median over the rounds (${raw.options.pairs}) of the on/off ratio within each round; req/s and ms: medians.`,
      '→ statsd_exporter: the real exporter, on the same cores, so its CPU for parsing the lines is part of the cost.',
      '→ discarding socket: the same lines into a UDP socket nobody reads: the app\'s own cost alone.',
      'The targets are this app\'s; Gunicorn\'s own StatsD cost (same exporter) is shown for comparison.',
    ],
  };
}

function cpuTable(summary: Summary, raw: RawResults): Table {
  const withSpread = (ratio: number, spread: number) =>
    Number.isFinite(ratio) ? `${times(ratio)}${Number.isFinite(spread) ? ` ±${spread.toFixed(3)}` : ''}` : '';
  return {
    title: 'CPU time per request (utime + stime from /proc), metrics on vs off in the same rounds',
    headers: ['workers', 'contender', 'server µs', 'exporter µs', 'datagrams/request', 'vs', 'server ratio', `≤ ${TARGETS.cpuRatioAtMost}`, 'with exporter ratio'],
    rows: summary.cpu.map((row) => [
      String(row.workers),
      row.label + (row.isTarget ? ' → statsd_exporter' : ''),
      µs(row.serverMicroseconds),
      Number.isNaN(row.exporterMicroseconds) ? '' : µs(row.exporterMicroseconds),
      Number.isNaN(row.datagramsPerRequest) ? '' : row.datagramsPerRequest.toFixed(3),
      row.baseline === '' ? '' : (raw.contenders.find((contender) => contender.id === row.baseline)?.label ?? row.baseline),
      withSpread(row.ratio, row.ratioSpread),
      row.isTarget ? yesNo(row.targetMet) : '',
      withSpread(row.ratioWithExporter, row.ratioWithExporterSpread),
    ]),
    notes: [
      'server µs: CPU time of the contender\'s processes (master and workers) over a measured run, divided by its',
      `responses, median over the rounds (${raw.options.pairs}); exporter µs: the statsd_exporter it sends to, likewise.`,
      'datagrams/request: what the contender sent per response, as the exporter (udp_packets_total) or the discarding',
      'socket (its kernel drops) counted them; a worker with idle time between turns sends more, shorter ones.',
      'Ratios: median of the per-round ratios to the contender named under "vs" (± half their range); "with exporter"',
      'adds the exporter\'s CPU to the contender\'s. Resolution: 10 ms of CPU per reading (USER_HZ), well under 1% of a run.',
      'CPU time counts only what these processes ran, so it holds on a shared machine where throughput does not.',
    ],
  };
}

function slicesTable(summary: Summary, raw: RawResults): Table {
  const quartiles = (row: { lowerQuartile: number; upperQuartile: number }) =>
    `${fixed(row.lowerQuartile, 3)}–${fixed(row.upperQuartile, 3)}`;
  return {
    title: 'The target figure in alternating slices: CPU time per request, metrics on (default packing → statsd_exporter) vs off',
    headers: [
      'workers', 'quads', 'off µs', 'on µs', 'on/off', 'quartiles', `≤ ${TARGETS.cpuRatioAtMost}`,
      'control off′/off', 'control quartiles',
    ],
    rows: summary.slices.map((row) => [
      String(row.workers),
      String(row.quads),
      µs(row.offMicroseconds),
      µs(row.onMicroseconds),
      times(row.ratio),
      quartiles(row),
      yesNo(row.targetMet),
      row.control ? times(row.control.ratio) : '',
      row.control ? quartiles(row.control) : '',
    ]),
    notes: [
      `Each quad loads metrics off, on, on, off for ${raw.options.sliceS} s each, back to back, with both apps already warm;`,
      'its ratio is (on₁ + on₂) / (off₁ + off₂) of the slices\' CPU time per request (utime + stime of master and workers).',
      'on/off: the median over the quads; quartiles: the middle half of them. Slices seconds apart and mirrored in',
      'order see the same moment of a shared machine, which the rounds above, a minute long, do not.',
      'control: as many quads again, right after these, in which a second metrics-off app, started with the same flags,',
      'takes the place of metrics on. Nothing differs between the two, so its spread is this machine\'s floor: an on/off',
      'figure within the control\'s quartiles of 1 is not told apart from no cost at all.',
    ],
  };
}

function packingTable(summary: Summary): Table {
  return {
    title: 'Packing: each --statsd-packing vs metrics off (same rounds)',
    headers: ['workers', 'packing', 'req/s', '× off', 'p50 ms', 'p99 ms', 'p99 × off', 'datagrams/request'],
    rows: summary.packing.map((row) => [
      String(row.workers),
      row.packing + (row.isDefault ? ' (default)' : ''),
      int(row.stats.requestsPerSecond),
      times(row.ratioToOff.throughput),
      ms(row.stats.latencyP50Ms),
      ms(row.stats.latencyP99Ms),
      times(row.ratioToOff.p99),
      Number.isNaN(row.datagramsPerRequest) ? 'n/a' : row.datagramsPerRequest.toFixed(3),
    ]),
    notes: [
      'datagrams/request: the increase of statsd_exporter_udp_packets_total over each measured run / its responses, median over the rounds.',
      'Noise: ' +
        summary.noise
          .map((row) => `${row.workers} worker(s): per-round ratios ±${fixed(row.ratioSpreadPoints, 1)} points, metrics-off req/s ±${fixed(row.offSpreadPercent, 1)}%`)
          .join('; ') +
        ' between rounds.',
    ],
  };
}

function peersTable(summary: Summary, raw: RawResults): Table {
  return {
    title: `Peers: ratio to this app with metrics on (${raw.defaultPacking})`,
    headers: ['workers', 'contender', 'req/s', '× app', 'p50 ms', 'p99 ms', 'p99 × app', 'errors'],
    rows: summary.peers.map((row) => [
      String(row.workers),
      row.label,
      int(row.stats.requestsPerSecond),
      times(row.ratioToApp.throughput),
      ms(row.stats.latencyP50Ms),
      ms(row.stats.latencyP99Ms),
      times(row.ratioToApp.p99),
      int(row.stats.errors + row.stats.non2xx),
    ]),
    notes: [
      'Gunicorn runs --worker-class gthread --threads 1: keep-alive like the others, one request at a time per worker.',
      '(Its default sync worker closes every connection, which autocannon cannot time correctly.)',
    ],
  };
}

/** The saturation row with kills: every answered request counted, and the difference per kill. */
function killRow(kills: KillRecord): string[] {
  const answered = kills.rounds.reduce((sum, round) => sum + round.answered, 0);
  const counted = kills.rounds.reduce((sum, round) => sum + round.counted, 0);
  const seconds = kills.rounds.reduce((sum, round) => sum + round.durationS, 0);
  const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
  const perKill = kills.rounds.map((round) => signed(round.counted - round.answered)).join(', ');
  return [
    `${kills.packing}, ${kills.rounds.length} kill${kills.rounds.length === 1 ? '' : 's'}`,
    String(kills.workers),
    seconds.toFixed(1),
    int(seconds > 0 ? answered / seconds : 0),
    String(answered),
    String(counted),
    `${signed(counted - answered)} (${perKill})`,
    '',
    '',
    '',
    yesNo(kills.rounds.every((round) => round.counted >= round.answered)),
  ];
}

function losslessTable(summary: Summary, raw: RawResults): Table {
  const kills = raw.kills;
  return {
    title: `Nothing lost: saturation for ~${raw.options.losslessS} s into a fresh statsd_exporter`,
    headers: ['packing', 'workers', 'seconds', 'req/s', 'responses', 'exporter count', 'difference', 'exporter drops', 'kernel drops', 'datagrams/request', 'nothing lost'],
    rows: summary.lossless.map((row) => [
      row.packing,
      String(row.workers),
      row.durationS.toFixed(1),
      int(row.requestsPerSecond),
      String(row.responses),
      String(row.exporterRequests),
      String(row.difference),
      String(row.exporterUdpDrops),
      row.kernelUdpDrops === null ? 'n/a' : String(row.kernelUdpDrops),
      row.datagramsPerRequest.toFixed(2),
      yesNo(row.nothingLost),
    ]).concat(kills ? [killRow(kills)] : []),
    notes: [
      'exporter count: increase of gunicorn_requests_total over the run; responses: what autocannon received',
      '(sent in batches of a fixed number, each waiting for all its responses: none is in flight at the end).',
      'exporter drops: statsd_exporter_udp_packet_drops_total; kernel drops: the drops column of /proc/net/udp',
      "for the exporter's socket (receive buffer full). Both over the fresh exporter's whole life.",
      ...(kills
        ? [
          `With kills: ${kills.rounds.length} rounds of ${kills.requests} requests on ${kills.connections} connections into another fresh exporter,`,
          `a worker SIGKILLed ${kills.killAfterMs} ms into each; the difference per kill in brackets. Nothing lost: no kill left`,
          'an answered request uncounted (a kill may count a few responses its client never got: the killed worker\'s).',
        ]
        : []),
    ],
  };
}

function memoryTable(summary: Summary, raw: RawResults): Table {
  return {
    title: `Memory: VmRSS of each app worker under saturation (${raw.options.losslessS} s runs above, and one with metrics off)`,
    headers: ['metrics', 'worker pid', 'mid at s', 'mid MiB', 'end at s', 'end MiB', 'delta MiB', 'max MiB'],
    rows: summary.memory.map((row) => [
      row.packing,
      String(row.pid),
      row.midAtS.toFixed(0),
      mib(row.midKiB),
      row.endAtS.toFixed(0),
      mib(row.endKiB),
      signedMib(row.deltaKiB),
      mib(row.maxKiB),
    ]),
    notes: [
      'mid: the sample nearest half-time; end: when the last response arrived; sampled every second (all in the JSON).',
      'V8 grows its heap in steps of several MiB and keeps it: a step is not a leak, steady growth every second would be.',
    ],
  };
}

export function tables(raw: RawResults, summary: Summary): Table[] {
  return [
    overheadTable(summary, raw),
    cpuTable(summary, raw),
    ...(summary.slices.length > 0 ? [slicesTable(summary, raw)] : []),
    packingTable(summary),
    losslessTable(summary, raw),
    peersTable(summary, raw),
    memoryTable(summary, raw),
  ];
}

export function headerLines(raw: RawResults): string[] {
  const m = raw.machine;
  const o = raw.options;
  const tools = Object.entries(raw.tools).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    `Date: ${m.date}${o.quick ? '  (--quick: smoke run, numbers meaningless)' : ''}`,
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryMiB} MiB, ${m.os}, Node ${m.nodeVersion}`,
    `Busy: load average ${m.loadAverageStart.join(' ')} at start (CPU ${m.idlePercentStart ?? 'n/a'}% idle just before), ` +
      `${raw.loadAverageEnd.join(' ')} at end; ${Math.round(raw.elapsedS)} s in all` +
      (raw.cpu
        ? `; CPU over the run: ${raw.cpu.busyPercent}% busy, ${raw.cpu.benchPercent}% the bench and its processes, ` +
          `${raw.cpu.othersPercent}% other processes`
        : ''),
    `Tools: ${tools}`,
    `Load: GET / on loopback, keep-alive, ${o.connections} connections, no pipelining, autocannon in the orchestrating ` +
      `process (it shares the cores with the server); each run ${o.durationS} s after ${o.warmupS} s of unmeasured ` +
      `warm-up; rounds: ${o.pairs}, contender order reversed every other round`,
  ];
}

function textTable(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => row[column].length)),
  );
  // Numbers right-aligned, the first (name-like) columns left-aligned.
  const cell = (value: string, column: number) =>
    /^[-+]?[\d,.]+(×| \(default\))?$|^n\/a$/.test(value) ? value.padStart(widths[column]) : value.padEnd(widths[column]);
  const line = (cells: readonly string[]) => cells.map(cell).join('  ').trimEnd();
  return [
    table.title,
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
    ...table.notes.map((note) => `  ${note}`),
  ].join('\n');
}

export function renderText(raw: RawResults, summary: Summary): string {
  return [
    headerLines(raw).join('\n'),
    ...tables(raw, summary).map(textTable),
    ['Packing recommendation', ...summary.recommendation.reasons.map((reason) => `  ${reason}`)].join('\n'),
  ].join('\n\n') + '\n';
}

const escapeCell = (value: string) => value.replace(/\|/g, '\\|');

function markdownTable(table: Table): string {
  const numeric = table.headers.map((_, column) => table.rows.length > 0 && table.rows.every((row) => /^[-+]?[\d,.]+×?$|^n\/a$/.test(row[column])));
  return [
    `**${table.title}**`,
    '',
    `| ${table.headers.map(escapeCell).join(' | ')} |`,
    `|${numeric.map((isNumber) => (isNumber ? '---:' : '---')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
    ...(table.notes.length > 0 ? ['', table.notes.join(' ')] : []),
  ].join('\n');
}

export function renderMarkdown(raw: RawResults, summary: Summary): string {
  return [
    '<!-- Generated by `npm run bench` (bench/report.ts); paste into docs/benchmarks.md. -->',
    headerLines(raw).map((line) => `- ${line}`).join('\n'),
    ...tables(raw, summary).map(markdownTable),
    ['**Packing recommendation**', '', ...summary.recommendation.reasons.map((reason) => `- ${reason}`)].join('\n'),
  ].join('\n\n') + '\n';
}

/** The JSON file: everything measured plus everything derived, so runs can be compared later. */
export function toJson(raw: RawResults, summary: Summary): string {
  return `${JSON.stringify({ ...raw, summary }, null, 2)}\n`;
}

/** "2026-11-25T19:40:12.345Z" -> "2026-11-25T19-40-12Z": sortable and safe in file names. */
export function resultFileStem(isoDate: string): string {
  return isoDate.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}
