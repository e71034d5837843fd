// The interleaved runs behind the overhead, packing and peer tables: for each worker count, every
// contender is started once, then each round puts every one of them under the same load in turn.
// Contenders stay up between rounds (idle ones cost nothing measurable) so start-up is paid once.
// Ratios are taken within a round, between runs a few seconds apart (see report.ts).
import type { BenchOptions } from './args';
import type { Contender } from './contenders';
import { runLoad } from './load';
import { kernelUdpDrops, totalCpuMicroseconds, workerPids } from './proc';
import type { RunRecord, SliceRecord } from './results';
import { runSlices } from './slices';
import { scrapeValue } from '../harness/prometheus-api';
import type { App } from '../harness/stack';

/** Serpentine order: forward in even rounds, backward in odd ones. Neighbours stay neighbours
 * (metrics off sits between two packings, Gunicorn off beside on), the first and last places
 * alternate, and a steady drift of the machine weighs equally on both sides of each pair of rounds. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function assertAlive(contender: Contender, server: App): void {
  const { child } = server.process;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`${contender.id} exited (${child.exitCode ?? child.signalCode}):\n${server.process.output().slice(-2000)}`);
  }
}

/** The master (or single process) and the workers it booted, alive now. */
function serverPids(server: App): number[] {
  return [server.process.pid, ...workerPids(server.process.output())];
}

/** The statsd_exporter the contenders that use one share. */
export interface SharedExporter {
  readonly pid: number;
  /** Its /metrics page. */
  readonly metricsUrl: string;
}

/** How the datagrams a contender sends are counted, by their receiver; null if it sends none. */
function datagramCounter(contender: Contender, exporter: SharedExporter): (() => Promise<number>) | null {
  if (contender.usesExporter) return () => scrapeValue(exporter.metricsUrl, 'statsd_exporter_udp_packets_total');
  const port = contender.discardingSinkPort;
  if (port === undefined) return null;
  return async () => {
    const drops = kernelUdpDrops(port);
    if (drops === null) throw new Error(`no UDP socket bound on port ${port}: the discarding socket is gone`);
    return drops;
  };
}

/** The key of the slices' second metrics-off app among the running servers (no contender has it). */
const CONTROL = 'control';

/** The two contenders of the target figure, which the alternating slices compare. */
export interface TargetPair {
  readonly off: Contender['id'];
  readonly on: Contender['id'];
}

export async function runRounds(
  options: BenchOptions,
  contenders: readonly Contender[],
  exporter: SharedExporter,
  target: TargetPair,
  log: (line: string) => void,
): Promise<{ runs: RunRecord[]; slices: SliceRecord[] }> {
  const records: RunRecord[] = [];
  const slices: SliceRecord[] = [];
  for (const workers of options.workers) {
    const servers = new Map<string, App>();
    try {
      // One at a time, so start-ups do not compete for the two cores.
      for (const contender of contenders) servers.set(contender.id, await contender.start(workers));
      for (let round = 0; round < options.pairs; round += 1) {
        for (const [position, contender] of roundOrder(contenders, round).entries()) {
          const server = servers.get(contender.id)!;
          const url = `${server.url}/`;
          await runLoad(url, { connections: options.connections, durationS: options.warmupS });
          // CPU time, not wall time: what the contender's processes (and the exporter it feeds)
          // spent, whatever else the shared machine was doing.
          const pids = serverPids(server);
          const countDatagrams = datagramCounter(contender, exporter);
          const datagramsBefore = countDatagrams ? await countDatagrams() : 0;
          const before = { server: totalCpuMicroseconds(pids), exporter: totalCpuMicroseconds([exporter.pid]) };
          const load = await runLoad(url, { connections: options.connections, durationS: options.durationS });
          const cpu = {
            serverMicroseconds: totalCpuMicroseconds(pids) - before.server,
            exporterMicroseconds: contender.usesExporter ? totalCpuMicroseconds([exporter.pid]) - before.exporter : null,
          };
          assertAlive(contender, server);
          // Let this run's connections close before the next contender starts, and its last
          // datagrams reach their receiver.
          await sleep(250);
          const datagrams = countDatagrams ? (await countDatagrams()) - datagramsBefore : null;
          records.push({ workers, round, position, contender: contender.id, load, cpu, datagrams });
          log(
            `  workers=${workers} round ${round + 1}/${options.pairs} ${contender.id.padEnd(20)} ` +
              `${Math.round(load.requestsPerSecond).toString().padStart(6)} req/s  p99 ${load.latencyP99Ms.toFixed(2)} ms  ` +
              `CPU ${(cpu.serverMicroseconds / Math.max(1, load.responses)).toFixed(1)} µs/request` +
              (cpu.exporterMicroseconds === null ? '' : ` + exporter ${(cpu.exporterMicroseconds / Math.max(1, load.responses)).toFixed(1)}`) +
              (datagrams === null ? '' : `, ${(datagrams / Math.max(1, load.responses)).toFixed(3)} datagrams/request`) +
              (load.errors + load.timeouts + load.non2xx > 0 ? `  errors ${load.errors + load.timeouts} non2xx ${load.non2xx}` : ''),
          );
        }
      }
      // While the contenders are still up and warm: the target figure in alternating slices, with
      // a second metrics-off app for the control.
      const control = await contenders.find((contender) => contender.id === target.off)!.start(workers);
      servers.set(CONTROL, control);
      slices.push(...(await runSlices({ off: servers.get(target.off)!, on: servers.get(target.on)!, control }, workers, options, log)));
    } finally {
      await Promise.all([...servers.values()].map((server) => server.stop()));
    }
  }
  return { runs: records, slices };
}
