// `npm run bench` in --quick mode with tiny durations: it completes against the real programs and
// writes well-formed JSON with every section, and the Markdown. Never asserts a timing or a ratio.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLatest } from '../../bench/render-latest';
import { SCHEMA } from '../../bench/results';
import { start, stopAll } from '../../harness/processes';
import { requireTool, ROOT } from '../../harness/stack';

const PACKINGS = ['line', 'request', 'buffer'];
const CONTENDERS = ['app-off', ...PACKINGS.map((packing) => `app-${packing}`), 'bare-http', 'express-prom-bundle', 'gunicorn-off', 'gunicorn-on'];

describe('npm run bench -- --quick', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
  let output = '';
  let exitCode: number | NodeJS.Signals;
  let results: Record<string, any>;

  beforeAll(async () => {
    requireTool('STATSD_EXPORTER_BIN');
    requireTool('GUNICORN_BIN');
    const bench = start('bench', process.execPath, [
      '--require', 'ts-node/register', path.join(ROOT, 'bench', 'main.ts'),
      '--quick', '--duration', '0.5', '--warmup', '0.2', '--lossless-duration', '1', '--out', outDir,
    ], { cwd: ROOT });
    exitCode = await bench.exited;
    output = bench.output();
    results = JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8'));
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('exits 0 and prints the table with the machine at the top', () => {
    expect(exitCode, output).toBe(0);
    expect(output).toMatch(/^Date: .*\nMachine: .+ cores, .*Node v\d+/m);
    for (const title of ['Overhead:', 'CPU time per request', 'alternating slices', 'Packing:', 'Nothing lost:', 'Peers:', 'Memory:', 'Packing recommendation']) {
      expect(output).toContain(title);
    }
  });

  it('writes latest.json and latest.md and nothing else, latest.md again from latest.json byte for byte', () => {
    expect(readdirSync(outDir).sort()).toEqual(['latest.json', 'latest.md']);
    expect(results.schema).toBe(SCHEMA);
    const markdown = readFileSync(path.join(outDir, 'latest.md'), 'utf8');
    expect(renderLatest(outDir)).toBe(markdown);
    expect(markdown).toMatch(/^\| server \| workers \| on req\/s /m);
  });

  it('records the machine and how busy it was', () => {
    expect(results.machine).toMatchObject({ cores: expect.any(Number), cpuModel: expect.any(String), nodeVersion: process.version });
    expect(results.cpu).toMatchObject({ busyPercent: expect.any(Number), benchPercent: expect.any(Number), othersPercent: expect.any(Number) });
  });

  it('ran every contender at both worker counts, each with a load result', () => {
    const seen = new Set(results.runs.map((run: any) => `${run.workers} ${run.contender}`));
    const discard = `app-${results.defaultPacking}-discard`;
    const all = [...CONTENDERS, discard];
    expect([...seen].sort()).toEqual([1, 2].flatMap((workers) => all.map((id) => `${workers} ${id}`)).sort());
    for (const run of results.runs) {
      expect(run.load).toMatchObject({ responses: expect.any(Number), requestsPerSecond: expect.any(Number), latencyP99Ms: expect.any(Number) });
      // CPU time read from /proc for the contender, and for the exporter exactly when it feeds it.
      const feedsExporter = /^app-(line|request|buffer)$|^gunicorn-on$/.test(run.contender);
      expect(run.cpu.serverMicroseconds, run.contender).toBeGreaterThan(0);
      if (feedsExporter) expect(run.cpu.exporterMicroseconds, run.contender).toEqual(expect.any(Number));
      else expect(run.cpu.exporterMicroseconds, run.contender).toBeNull();
      // Datagrams, counted by their receiver: the exporter, or the discarding socket's kernel drops.
      const sendsDatagrams = feedsExporter || run.contender === discard;
      if (sendsDatagrams) expect(run.datagrams, run.contender).toBeGreaterThan(0);
      else expect(run.datagrams, run.contender).toBeNull();
    }
    expect(new Set(results.summary.cpu.map((row: any) => row.workers))).toEqual(new Set([1, 2]));
  });

  it('loaded metrics off and on in one quad of alternating slices per worker count, then a control quad, each slice with CPU time', () => {
    expect(results.slices.map((slice: any) => `${slice.workers} ${slice.pair} ${slice.quad} ${slice.side}`)).toEqual(
      [1, 2].flatMap((workers) =>
        ['target', 'control'].flatMap((pair) => ['off', 'on', 'on', 'off'].map((side) => `${workers} ${pair} 0 ${side}`))),
    );
    for (const slice of results.slices) {
      expect(slice.responses).toBeGreaterThan(0);
      expect(slice.cpuMicroseconds).toBeGreaterThan(0);
    }
    expect(results.summary.slices.map((row: any) => [row.workers, row.quads, row.control.quads])).toEqual([[1, 1, 1], [2, 1, 1]]);
  });

  it('has overhead, packing and peer rows for both worker counts', () => {
    const { summary } = results;
    expect(summary.overhead.map((row: any) => row.workers)).toEqual([1, 2]);
    expect(summary.appOwnCost.map((row: any) => row.workers)).toEqual([1, 2]);
    expect(summary.gunicornOverhead.map((row: any) => row.workers)).toEqual([1, 2]);
    expect(summary.packing.map((row: any) => `${row.workers} ${row.packing}`)).toEqual(
      [1, 2].flatMap((workers) => PACKINGS.map((packing) => `${workers} ${packing}`)),
    );
    expect(new Set(summary.peers.map((row: any) => row.contender))).toEqual(
      new Set(['bare-http', 'app-off', `app-${results.defaultPacking}`, 'express-prom-bundle', 'gunicorn-off', 'gunicorn-on']),
    );
  });

  it('counts each packing\'s datagrams per request at the real exporter: line (one per line) sends the most', () => {
    for (const workers of [1, 2]) {
      const perRequest = (packing: string): number =>
        results.summary.packing.find((row: any) => row.workers === workers && row.packing === packing).datagramsPerRequest;
      expect(perRequest('request'), `${workers} workers`).toBeLessThan(perRequest('line'));
      expect(perRequest('buffer'), `${workers} workers`).toBeLessThan(perRequest('line'));
    }
  });

  it('ran the nothing-lost check for every packing, with exporter and drop counts', () => {
    expect(results.summary.lossless.map((row: any) => row.packing).sort()).toEqual([...PACKINGS].sort());
    for (const row of results.summary.lossless) {
      expect(row).toMatchObject({
        responses: expect.any(Number),
        exporterRequests: expect.any(Number),
        exporterUdpDrops: expect.any(Number),
        nothingLost: expect.any(Boolean),
      });
      expect(row.responses).toBeGreaterThan(0);
    }
  });

  it('sampled the memory of every worker of every nothing-lost run and of the metrics-off baseline', () => {
    expect(results.summary.memory.map((row: any) => row.packing).sort()).toEqual(
      [...PACKINGS, 'off'].flatMap((packing) => [packing, packing]).sort(),
    );
    for (const row of results.summary.memory) expect(row.endKiB).toBeGreaterThan(0);
  });

  it('ran the saturation with kills and gave its row in the nothing-lost table', () => {
    expect(results.kills.rounds).toHaveLength(1);
    expect(results.kills.rounds[0].answered).toBeGreaterThan(0);
    expect(readFileSync(path.join(outDir, 'latest.md'), 'utf8')).toMatch(/^\| \w+, 1 kill \| 2 \| /m);
  });

  it('names a recommended packing with its reasons', () => {
    expect(PACKINGS).toContain(results.summary.recommendation.packing);
    expect(results.summary.recommendation.reasons.length).toBeGreaterThan(2);
  });
});
