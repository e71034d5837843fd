// The target figure, measured a second way: metrics off and on (the default packing, into the
// exporter) in short alternating slices, off-on-on-off, many times over. On a shared virtual
// machine the CPU time a request costs drifts by tens of per cent within a minute, as other
// guests come and go; runs seconds apart (the rounds) catch different moments of that drift, while
// the four slices of a quad fall within a few seconds and in mirrored order, so a steady drift
// weighs on both sides equally. The ratio of each quad is one sample; the report gives their median
// and quartiles.
import type { BenchOptions } from './args';
import { runLoad } from './load';
import { totalCpuMicroseconds, workerPids } from './proc';
import { quadRatio } from './report';
import type { SliceRecord } from './results';
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

export async function runSlices(
  servers: { readonly off: App; readonly on: App },
  workers: number,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<SliceRecord[]> {
  const records: SliceRecord[] = [];
  for (let quad = 0; quad < options.quads; quad += 1) {
    for (const [position, side] of QUAD.entries()) {
      records.push({ workers, quad, position, side, ...(await slice(servers[side], options)) });
    }
    log(`  workers=${workers} quad ${quad + 1}/${options.quads}: on/off ${quadRatio(records.slice(-QUAD.length)).toFixed(3)}`);
  }
  return records;
}
