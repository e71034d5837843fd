// The bench's report on fixed records: statistics (medians, ratios within rounds), the summary (the
// nothing-lost verdict, memory deltas, the packing recommendation, the quads) and the renderings.
// No process, no timing.
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../bench/load';
import { sliceRows } from '../../bench/quads';
import { renderMarkdown, renderText, toJson } from '../../bench/render';
import { SCHEMA, type LosslessRecord, type RawResults, type RunRecord, type SlicePair, type SliceRecord } from '../../bench/results';
import { serverCpu } from '../../bench/run-figures';
import { median, pairedRatio, quantile } from '../../bench/statistics';
import { loadRatio, summarise } from '../../bench/summary';

function load(requestsPerSecond: number, p99 = 10, extra: Partial<LoadResult> = {}): LoadResult {
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

function run(workers: number, round: number, contender: string, rps: number, p99 = 10): RunRecord {
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

function lossless(packing: string, responses: number, counted: number, drops = 0, kernel: number | null = 0): LosslessRecord {
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
function quad(
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

function raw(overrides: Partial<RawResults> = {}): RawResults {
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

describe('loadRatio: throughput, p50 and p99 paired within rounds', () => {
  it('takes the ratio within each round, then the median, so drift between rounds cancels', () => {
    const runs = [
      run(1, 0, 'a', 100, 10), run(1, 0, 'b', 200, 5),
      run(1, 1, 'a', 50, 20), run(1, 1, 'b', 100, 10),
      run(1, 2, 'a', 90, 10), run(1, 2, 'b', 100, 10),
    ];
    expect(loadRatio(runs, 1, 'a', 'b')).toEqual({ throughput: 0.5, p50: 2, p99: 2, rounds: 3, throughputSpread: 0.2 });
  });

  it('ignores rounds where one side is missing and other worker counts', () => {
    const runs = [run(1, 0, 'a', 100), run(1, 0, 'b', 100), run(1, 1, 'a', 10), run(2, 1, 'b', 100)];
    expect(loadRatio(runs, 1, 'a', 'b').rounds).toBe(1);
    expect(loadRatio(runs, 1, 'a', 'b').throughput).toBe(1);
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

describe('summarise', () => {
  const summary = summarise(raw());

  it('overhead compares the default packing with metrics off, per worker count, against the targets', () => {
    expect(summary.overhead.map((row) => [row.workers, row.packing, row.ratio.throughput, row.throughputTargetMet, row.p99TargetMet]))
      .toEqual([[1, 'line', 0.95, false, true], [2, 'line', 0.95, false, true]]);
  });

  it('the app\'s own cost: the default packing into a discarding socket vs off', () => {
    expect(summary.appOwnCost.map((row) => [row.workers, row.ratio.throughput, row.throughputTargetMet])).toEqual([[1, 0.97, true], [2, 0.97, true]]);
  });

  it('Gunicorn\'s own on/off ratio is reported beside, for reference', () => {
    expect(summary.gunicornOverhead.map((row) => [row.workers, row.ratio.throughput])).toEqual([[1, 0.9], [2, 0.9]]);
  });

  it('packing has one row per worker count and mode, each against metrics off', () => {
    expect(summary.packing.map((row) => [row.workers, row.packing, Number(row.ratioToOff.throughput.toFixed(3))])).toEqual([
      [1, 'line', 0.95], [1, 'request', 0.98], [1, 'buffer', 0.99],
      [2, 'line', 0.95], [2, 'request', 0.98], [2, 'buffer', 0.99],
    ]);
  });

  it('peers are ratios to the app with metrics on in the default packing', () => {
    const twoWorkers = summary.peers.filter((row) => row.workers === 2);
    expect(twoWorkers.map((row) => row.contender)).toEqual(['bare-http', 'app-off', 'app-line', 'express-prom-bundle', 'gunicorn-off', 'gunicorn-on']);
    expect(twoWorkers.find((row) => row.contender === 'app-line')!.ratioToApp.throughput).toBe(1);
    expect(twoWorkers.find((row) => row.contender === 'gunicorn-on')!.ratioToApp.throughput).toBeCloseTo(1800 / 9500, 10);
  });

  it('CPU per request: each contender against its own metrics-off, within rounds, the exporter shown and added', () => {
    const oneWorker = summary.cpu.filter((row) => row.workers === 1);
    const round3 = (value: number) => (Number.isNaN(value) ? 'NaN' : Number(value.toFixed(3)));
    expect(oneWorker.map((row) => [row.contender, row.baseline, round3(row.ratio), round3(row.ratioWithExporter), round3(row.ratioSpread)])).toEqual([
      ['app-off', '', 'NaN', 'NaN', 'NaN'],
      ['app-line', 'app-off', 1.6, 2.8, 0],
      ['app-line-discard', 'app-off', 1.2, 1.2, 0],
      ['app-request', 'app-off', 1.2, 1.68, 0],
      ['app-buffer', 'app-off', 1.08, 1.16, 0],
      ['express-prom-bundle', 'app-off', 1.4, 1.4, 0],
      ['bare-http', 'app-off', 0.4, 0.4, 0],
      ['gunicorn-off', '', 'NaN', 'NaN', 'NaN'],
      ['gunicorn-on', 'gunicorn-off', 1.3, 1.45, 0],
    ]);
    // Medians over rounds whose CPU per request rises 10% a round: the middle round's.
    const line = oneWorker.find((row) => row.contender === 'app-line')!;
    expect([line.serverMicroseconds, line.exporterMicroseconds].map(round3)).toEqual([44, 33]);
    expect([line.isTarget, line.targetMet]).toEqual([true, false]);
    expect(oneWorker.filter((row) => row.isTarget)).toHaveLength(1);
  });

  it('CPU target: the default packing at 1.08× metrics off misses 1.05×; at 1.04× it meets it', () => {
    const target = (runs: readonly RunRecord[]) =>
      summarise(raw({ defaultPacking: 'buffer', runs })).cpu.find((row) => row.contender === 'app-buffer' && row.workers === 2)!;
    const missed = target(raw().runs);
    expect([missed.isTarget, missed.targetMet, Number(missed.ratio.toFixed(3))]).toEqual([true, false, 1.08]);
    const cheaper = raw().runs.map((candidate) =>
      candidate.contender === 'app-buffer'
        ? { ...candidate, cpu: { ...candidate.cpu, serverMicroseconds: (candidate.cpu.serverMicroseconds * 26) / 27 } }
        : candidate);
    const met = target(cheaper);
    expect([met.targetMet, Number(met.ratio.toFixed(3))]).toEqual([true, 1.04]);
  });

  it.each([
    ['exact count and no drops: nothing lost', 'line', 0, true],
    ['ten lines short and three kernel drops: lost', 'buffer', -10, false],
  ])('nothing lost: %s', (_name, packing, difference, nothingLost) => {
    const row = summary.lossless.find((candidate) => candidate.packing === packing)!;
    expect([row.difference, row.nothingLost]).toEqual([difference, nothingLost]);
  });

  it('counts an exporter drop as a loss even when the totals happen to match', () => {
    const [row] = summarise(raw({ lossless: [lossless('line', 10, 10, 1)] })).lossless;
    expect(row.nothingLost).toBe(false);
  });

  it('datagrams per request come from the exporter packet counter', () => {
    expect(summary.lossless.map((row) => row.datagramsPerRequest)).toEqual([3, 1, 1]);
  });

  it('packing rows: datagrams per request per worker count are the median over the rounds', () => {
    // Rounds 0, 1, 2 read 1, 1.05 and 1.1 times the base count: the median is round 1's.
    const perRequest = summary.packing.map((row) => [row.workers, row.packing, Number(row.datagramsPerRequest.toFixed(4))]);
    expect(perRequest).toEqual([
      [1, 'line', 3.15], [1, 'request', 1.05], [1, 'buffer', 0.105],
      [2, 'line', 3.15], [2, 'request', 1.05], [2, 'buffer', 0.105],
    ]);
  });

  it('CPU rows: datagrams per request for every contender that sends any, the discarding socket included; none for the rest', () => {
    const perRequest = summary.cpu.filter((row) => row.workers === 1).map((row) => [row.contender, Number(row.datagramsPerRequest.toFixed(4))]);
    expect(perRequest).toEqual([
      ['app-off', Number.NaN], ['app-line', 3.15], ['app-line-discard', 2.625], ['app-request', 1.05], ['app-buffer', 0.105],
      ['express-prom-bundle', Number.NaN], ['bare-http', Number.NaN], ['gunicorn-off', Number.NaN], ['gunicorn-on', 3.15],
    ]);
  });

  it('packing rows: no datagram count (a contender that feeds no exporter) is NaN, never a made-up 0', () => {
    const runs = raw().runs.map((record) => ({ ...record, datagrams: null }));
    expect(summarise(raw({ runs })).packing.every((row) => Number.isNaN(row.datagramsPerRequest))).toBe(true);
  });

  it('memory: the sample nearest half-time, the last one, their difference and the highest', () => {
    const row = summary.memory[0];
    expect([row.pid, row.midAtS, row.midKiB, row.endAtS, row.endKiB, row.deltaKiB, row.maxKiB]).toEqual([42, 30, 70_000, 60.4, 70_512, 512, 70_512]);
  });

  it('memory: the metrics-off baseline comes last, a shrinking worker shows a negative delta', () => {
    const row = summary.memory[summary.memory.length - 1];
    expect([row.packing, row.pid, row.deltaKiB, row.maxKiB]).toEqual(['off', 7, -1000, 50_000]);
  });

  it('noise: the spread of metrics-off between rounds, and of the within-round ratios (none here)', () => {
    expect(summary.noise.map((row) => [row.workers, Number(row.offSpreadPercent.toFixed(2)), Number(row.ratioSpreadPoints.toFixed(6))]))
      .toEqual([[1, 11.11, 0], [2, 11.11, 0]]);
  });

  it('recommends the fastest mode that lost nothing, not the fastest overall', () => {
    expect(summary.recommendation.packing).toBe('request');
    expect(summary.recommendation.reasons.join('\n')).toMatch(/buffer: .*LOST/);
    expect(summary.recommendation.reasons.join('\n')).toMatch(/current default is line; these numbers favour request/);
  });

  it('recommends the fastest when every mode lost nothing', () => {
    const all = raw({ lossless: ['line', 'request', 'buffer'].map((packing) => lossless(packing, 5, 5)) });
    expect(summarise(all).recommendation.packing).toBe('buffer');
  });
});

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

describe('rendering', () => {
  const results = raw();
  const summary = summarise(results);

  it('the text table starts with the date and the machine, and has every section', () => {
    const text = renderText(results, summary);
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Date: 2026-11-25T20:00:00.123Z',
      'Machine: Test CPU, 2 cores, 1024 MiB, Linux test x64, Node v24.21.0',
    ]);
    for (const title of ['Overhead:', 'CPU time per request', 'alternating slices', 'Packing:', 'Nothing lost:', 'Peers:', 'Memory:', 'Packing recommendation']) {
      expect(text).toContain(title);
    }
  });

  it('the Markdown has a well-formed table per section', () => {
    const markdown = renderMarkdown(results, summary);
    expect(markdown.match(/^\|(---:?\|)+$/gm)).toHaveLength(7);
    for (const block of markdown.split('\n\n').filter((candidate) => candidate.startsWith('|'))) {
      const cells = block.split('\n').map((line) => line.replace(/\\\|/g, '').split('|').length);
      expect(new Set(cells).size).toBe(1);
    }
  });

  it('the saturation table gains a row with kills: answered, counted, and the difference per kill', () => {
    const withKills = raw({
      kills: {
        packing: 'buffer', workers: 2, connections: 32, requests: 60_000, killAfterMs: 1500, label: 'bench',
        rounds: [
          { answered: 59_970, durationS: 5, counted: 59_970, killedWhileLoading: true },
          { answered: 59_969, durationS: 5, counted: 59_999, killedWhileLoading: true },
        ],
      },
    });
    const markdown = renderMarkdown(withKills, summarise(withKills));
    expect(markdown).toContain('| buffer, 2 kills | 2 | 10.0 | 11,994 | 119939 | 119969 | +30 (0, +30) |  |  |  | yes |');
    const lost = raw({
      kills: { ...withKills.kills!, rounds: [{ answered: 59_970, durationS: 5, counted: 59_965, killedWhileLoading: true }] },
    });
    expect(renderMarkdown(lost, summarise(lost))).toContain('| buffer, 1 kill | 2 | 5.0 | 11,994 | 59970 | 59965 | -5 (-5) |  |  |  | NO |');
  });

  it('the JSON holds the raw records and the summary', () => {
    const parsed = JSON.parse(toJson(results, summary)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['machine', 'options', 'runs', 'lossless', 'summary']));
  });
});
