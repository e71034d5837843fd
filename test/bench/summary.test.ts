// bench/summary.ts on fixed records: ratios within rounds, overhead, CPU per request, the nothing-lost
// verdict, datagrams, memory deltas, noise and the packing recommendation. No process, no timing.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../bench/results';
import { loadRatio, summarise } from '../../bench/summary';
import { lossless, raw, run } from './records';

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
