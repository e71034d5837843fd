// The target figure, measured a second way: metrics off and on (the default packing, into the
// exporter) in short alternating slices, off-on-on-off, many times over. On a shared virtual
// machine the CPU time a request costs drifts within a minute as other guests come and go; runs
// seconds apart (the rounds) catch different moments of that drift, while the four slices of a
// quad fall within a few seconds and in mirrored order, so a steady drift weighs on both sides
// equally. The ratio of each quad is one sample; the report gives their median and quartiles.
//
// After the target quads come as many control quads: the same metrics-off app against a second
// one, started with the same flags. Nothing differs between them, so the control's ratios show how
// far from 1 this machine puts a difference of nothing: a target figure inside that spread is not
// told apart from no cost at all. The two series run one after the other, not interleaved, so that
// in both each app serves two slices in a row and then rests for two. Interleaved, the apps
// compared with metrics off would rest three times as long before their slices, and an app that
// has rested costs more per request in its next slice: no mirroring of the order removes that
// bias; equal rests do.
import type { BenchOptions } from './args';
import { runLoad } from './load';
import { totalCpuMicroseconds, workerPids } from './proc';
import { quadRatio } from './quads';
import type { SlicePair, SliceRecord } from './results';
import type { App } from '../harness/stack';

/** The order within a quad: each side's two slices mirror the other's around its middle. */
export const QUAD: readonly ('off' | 'on')[] = ['off', 'on', 'on', 'off'];

/** CPU time per response of one slice of load on `server` (µs), and the responses it counted. */
async function slice(server: App, options: BenchOptions): Promise<{ cpuMicroseconds: number; responses: number }> {
  const pids = [server.process.pid, ...workerPids(server.process.output())];
  const before = totalCpuMicroseconds(pids);
  const load = await runLoad(`${server.url}/`, { connections: options.connections, durationS: options.sliceS });
  return { cpuMicroseconds: totalCpuMicroseconds(pids) - before, responses: load.responses };
}

/** The two apps one quad compares: the metrics-off app, and the one loaded in the place of "on". */
interface QuadApps {
  readonly off: App;
  readonly on: App;
}

/** The apps the quads load: metrics off, metrics on, and a second metrics-off app (the control). */
export interface SliceServers extends QuadApps {
  readonly control: App;
}

async function quad(pair: SlicePair, apps: QuadApps, workers: number, index: number, options: BenchOptions): Promise<SliceRecord[]> {
  const records: SliceRecord[] = [];
  for (const [position, side] of QUAD.entries()) {
    records.push({ workers, pair, quad: index, position, side, ...(await slice(apps[side], options)) });
  }
  return records;
}

export async function runSlices(
  servers: SliceServers,
  workers: number,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<SliceRecord[]> {
  const records: SliceRecord[] = [];
  const series = async (pair: SlicePair, apps: QuadApps): Promise<void> => {
    // One quad unrecorded, so that the first recorded one finds each app in the rhythm of the rest.
    await quad(pair, apps, workers, -1, options);
    for (let index = 0; index < options.quads; index += 1) {
      const quadRecords = await quad(pair, apps, workers, index, options);
      records.push(...quadRecords);
      log(`  workers=${workers} ${pair} quad ${index + 1}/${options.quads}: ${pair === 'target' ? 'on/off' : 'off′/off'} ${quadRatio(quadRecords).toFixed(3)}`);
    }
  };
  await series('target', servers);
  // The control app is fresh: as long a warm-up as one of the rounds' runs gave the others.
  await runLoad(`${servers.control.url}/`, { connections: options.connections, durationS: options.warmupS + options.durationS });
  await series('control', { off: servers.off, on: servers.control });
  return records;
}
