// What each measured run gives per response: CPU time and datagrams.
import type { RunRecord } from './results';
import { median } from './statistics';

/** The contender id of the app with metrics on in a packing mode (contenders.ts). */
export const appId = (packing: string) => `app-${packing}`;

/** The contender's own CPU time per response (µs). */
export const serverCpu = (run: RunRecord) => run.cpu.serverMicroseconds / run.load.responses;

/** The CPU time per response of the exporter the contender sends to (µs); NaN for one that sends it nothing. */
export const exporterCpu = (run: RunRecord) =>
  run.cpu.exporterMicroseconds === null ? Number.NaN : run.cpu.exporterMicroseconds / run.load.responses;

/** The contender's and its exporter's CPU time per response together (µs). */
export const withExporterCpu = (run: RunRecord) => serverCpu(run) + (Number.isNaN(exporterCpu(run)) ? 0 : exporterCpu(run));

/** Median over `runs` of the datagrams sent per response; NaN when none were counted. */
export function datagramsPerRequest(runs: readonly RunRecord[]): number {
  return median(runs.flatMap((run) => (run.datagrams !== null && run.load.responses > 0 ? [run.datagrams / run.load.responses] : [])));
}
