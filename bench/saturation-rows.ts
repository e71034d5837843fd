// The nothing-lost and memory rows, from the saturation runs (lossless.ts).
import type { LosslessRecord, MemoryControlRecord } from './results';

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

export function losslessRow(record: LosslessRecord): LosslessRow {
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

/** Per worker: the sample nearest half-time, the last one, their difference and the highest. */
export function memoryRows(record: LosslessRecord | MemoryControlRecord, plannedS: number): MemoryRow[] {
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
