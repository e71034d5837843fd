// Fixed records of one bench run for the report's tests: three rounds at 1 and 2 workers in which
// the machine "slows down" by round, so that only ratios taken within a round are exact.
import type { LoadResult } from '../../bench/load';
import { SCHEMA, type LosslessRecord, type RawResults, type RunRecord, type SlicePair, type SliceRecord } from '../../bench/results';

export function load(requestsPerSecond: number, p99 = 10, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    responses: requestsPerSecond * 8,
    durationS: 8,
    requestsPerSecond,
    latencyP50Ms: p99 / 4,
    latencyP99Ms: p99,
    latencyMeanMs: p99 / 3,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    ...extra,
  };
}

/** CPU per request (µs) of each contender's processes, and of the exporter for those that feed it. */
const CPU: Record<string, [number, number | null]> = {
  'app-off': [25, null], 'app-line': [40, 30], 'app-line-discard': [30, null], 'app-request': [30, 12], 'app-buffer': [27, 2],
  'bare-http': [10, null], 'express-prom-bundle': [35, null], 'gunicorn-off': [200, null], 'gunicorn-on': [260, 30],
};

/** Datagrams per request each contender that sends any has its receiver count (the exporter, or the
 * discarding socket's kernel drops), in round 0; later rounds a little more. */
const DATAGRAMS: Record<string, number> = { 'app-line': 3, 'app-line-discard': 2.5, 'app-request': 1, 'app-buffer': 0.1, 'gunicorn-on': 3 };

export function run(workers: number, round: number, contender: string, rps: number, p99 = 10): RunRecord {
  const loaded = load(rps, p99);
  // CPU per request rises by round like the load falls: only within-round ratios are exact.
  const [server, exporter] = CPU[contender] ?? [20, null];
  const factor = 1 + round / 10;
  return {
    workers, round, position: 0, contender, load: loaded,
    cpu: {
      serverMicroseconds: server * factor * loaded.responses,
      exporterMicroseconds: exporter === null ? null : exporter * factor * loaded.responses,
    },
    datagrams: DATAGRAMS[contender] === undefined ? null : Math.round(DATAGRAMS[contender] * (1 + round / 20) * loaded.responses),
  };
}

export function lossless(packing: string, responses: number, counted: number, drops = 0, kernel: number | null = 0): LosslessRecord {
  return {
    packing,
    workers: 2,
    load: { ...load(1000), responses, durationS: 60 },
    exporterRequests: counted,
    exporterUdpDrops: drops,
    kernelUdpDrops: kernel,
    udpPackets: packing === 'line' ? responses * 3 : responses,
    lines: responses * 3,
    memory: [{ pid: 42, samples: [{ atS: 1, rssKiB: 60_000 }, { atS: 30, rssKiB: 70_000 }, { atS: 60.4, rssKiB: 70_512 }] }],
  };
}

/** One quad of slices (off, on, on, off) with these CPU times per request (µs), 1,000 responses each. */
export function quad(
  workers: number,
  index: number,
  perRequest: readonly [number, number, number, number],
  pair: SlicePair = 'target',
): SliceRecord[] {
  return (['off', 'on', 'on', 'off'] as const).map((side, position) => ({
    workers, pair, quad: index, position, side, cpuMicroseconds: perRequest[position] * 1000, responses: 1000,
  }));
}

const CONTENDERS = ['app-off', 'app-line', 'app-line-discard', 'app-request', 'app-buffer', 'bare-http', 'express-prom-bundle', 'gunicorn-off', 'gunicorn-on'];

export function raw(overrides: Partial<RawResults> = {}): RawResults {
  // Three rounds at 1 and 2 workers; the machine "slows down" by round so only within-round ratios are stable.
  const rps: Record<string, number> = {
    'app-off': 10_000, 'app-line': 9_500, 'app-line-discard': 9_700, 'app-request': 9_800, 'app-buffer': 9_900,
    'bare-http': 20_000, 'express-prom-bundle': 8_000, 'gunicorn-off': 2_000, 'gunicorn-on': 1_800,
  };
  const runs = [1, 2].flatMap((workers) =>
    [0, 1, 2].flatMap((round) => CONTENDERS.map((id) => run(workers, round, id, rps[id] * workers * (1 - round / 10)))),
  );
  return {
    schema: SCHEMA,
    machine: {
      date: '2026-11-25T20:00:00.123Z', cpuModel: 'Test CPU', cores: 2, nodeVersion: 'v24.21.0', os: 'Linux test x64',
      memoryMiB: 1024, loadAverageStart: [0.1, 0.2, 0.3], idlePercentStart: 99.5,
    },
    options: {
      quick: false, durationS: 8, warmupS: 2, pairs: 3, quads: 2, sliceS: 1, workers: [1, 2], connections: 50, losslessS: 60, outDir: '/tmp/x',
    },
    tools: { autocannon: '8.0.0' },
    contenders: CONTENDERS.map((id) => ({ id, label: `label of ${id}` })),
    defaultPacking: 'line',
    packings: ['line', 'request', 'buffer'],
    maxDatagramBytes: 16_000,
    runs,
    slices: [...quad(1, 0, [20, 21, 21, 20]), ...quad(1, 1, [30, 33, 33, 30])],
    lossless: [lossless('line', 60_000, 60_000), lossless('request', 60_000, 60_000), lossless('buffer', 60_000, 59_990, 0, 3)],
    kills: {
      packing: 'buffer', workers: 2, connections: 32, requests: 60_000, killAfterMs: 1500, label: 'bench',
      rounds: [{ answered: 59_990, durationS: 5, counted: 59_990, killedWhileLoading: true }],
    },
    memoryControl: {
      packing: 'off',
      workers: 2,
      load: load(1000),
      memory: [{ pid: 7, samples: [{ atS: 30.2, rssKiB: 50_000 }, { atS: 61, rssKiB: 49_000 }] }],
    },
    loadAverageEnd: [1, 1, 1],
    cpu: { busyPercent: 99, benchPercent: 90, othersPercent: 9 },
    elapsedS: 700,
    ...overrides,
  };
}
