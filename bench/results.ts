// The shape of bench/results/latest.json: what one run measured. summary.ts derives the tables from it.
// Bump SCHEMA when a field changes meaning, so a file is never read as something it is not.
import type { BenchOptions } from './args';
import type { LoadResult } from './load';
import type { CpuShare, Machine } from './machine';

export const SCHEMA = 8;

/** The oldest schema the report reads. */
export const OLDEST_READABLE_SCHEMA = 8;

/** One measured load run of one contender (ids as in contenders.ts). */
export interface RunRecord {
  readonly workers: number;
  /** Round index: the runs of a round are adjacent in time, so ratios are taken within a round. */
  readonly round: number;
  /** Position within the round (the order is reversed every other round). */
  readonly position: number;
  readonly contender: string;
  readonly load: LoadResult;
  /** CPU time (utime + stime from /proc, microseconds) spent during the measured run. */
  readonly cpu: RunCpu;
  /** Datagrams the contender sent during the measured run, as their receiver counted them: the
   * shared statsd_exporter's udp_packets_total, or the discarding socket's kernel drops
   * (discard.ts); null for contenders that send none. */
  readonly datagrams: number | null;
}

export interface RunCpu {
  /** The contender's processes: master (or the single process) and every worker. */
  readonly serverMicroseconds: number;
  /** The statsd_exporter the contender sends to; null for contenders that send it nothing. */
  readonly exporterMicroseconds: number | null;
}

/**
 * Which comparison a quad of slices belongs to. target: metrics off vs metrics on (the default
 * packing, into the exporter). control: metrics off vs a second, identical metrics-off app in the
 * place of "on", so its ratio is what a difference of nothing measures: the floor of the figure.
 */
export type SlicePair = 'target' | 'control';

/** One slice of the alternating quads (slices.ts): a second or so of load on one app. */
export interface SliceRecord {
  readonly workers: number;
  readonly pair: SlicePair;
  readonly quad: number;
  /** 0..3 within the quad: off, on, on, off. */
  readonly position: number;
  /** The app's role in the quad: the metrics-off app, or the one compared with it (see SlicePair). */
  readonly side: 'off' | 'on';
  /** CPU time (utime + stime, microseconds) of the app's processes during the slice. */
  readonly cpuMicroseconds: number;
  readonly responses: number;
}

export interface MemorySample {
  /** Seconds since the saturation load started. */
  readonly atS: number;
  readonly rssKiB: number;
}

export interface WorkerMemory {
  readonly pid: number;
  readonly samples: readonly MemorySample[];
}

/** One nothing-lost run: exactly `load.responses` requests at saturation into a fresh exporter. */
export interface LosslessRecord {
  readonly packing: string;
  readonly workers: number;
  readonly load: LoadResult;
  /** Increase of gunicorn_requests_total{app=...} over the run, read once it stopped moving. */
  readonly exporterRequests: number;
  /** statsd_exporter_udp_packet_drops_total at the end: over the fresh exporter's whole life,
   * warm-up included, which is stricter than over the counted run alone. */
  readonly exporterUdpDrops: number;
  /** Kernel receive-buffer drops on the exporter's (fresh) UDP socket, likewise; null if unreadable. */
  readonly kernelUdpDrops: number | null;
  /** statsd_exporter_udp_packets_total and _lines_total increases over the run. */
  readonly udpPackets: number;
  readonly lines: number;
  readonly memory: readonly WorkerMemory[];
}

/** Saturation with kills (kills.ts): per round, the responses received and the requests counted. */
export interface KillRecord {
  readonly packing: string;
  readonly workers: number;
  readonly connections: number;
  readonly requests: number;
  readonly killAfterMs: number;
  readonly label: string;
  readonly rounds: readonly KillRound[];
}

export interface KillRound {
  /** Responses the client received, of `requests` made (the rest failed with the killed worker). */
  readonly answered: number;
  readonly durationS: number;
  /** Increase of gunicorn_requests_total over the round, read once it stopped moving. */
  readonly counted: number;
  /** The kill landed while the load was still running. */
  readonly killedWhileLoading: boolean;
}

/** The same saturation as a nothing-lost run with metrics off, for its memory only. */
export interface MemoryControlRecord {
  readonly packing: 'off';
  readonly workers: number;
  readonly load: LoadResult;
  readonly memory: readonly WorkerMemory[];
}

export interface RawResults {
  readonly schema: number;
  readonly machine: Machine;
  readonly options: BenchOptions;
  readonly tools: Readonly<Record<string, string>>;
  readonly contenders: readonly { readonly id: string; readonly label: string }[];
  /** The app's current default --statsd-packing. */
  readonly defaultPacking: string;
  readonly packings: readonly string[];
  /** The `buffer` packing's largest datagram to the bench's exporter (on loopback). */
  readonly maxDatagramBytes: number;
  readonly runs: readonly RunRecord[];
  /** The target figure's alternating slices, target and control quads. */
  readonly slices: readonly SliceRecord[];
  readonly lossless: readonly LosslessRecord[];
  /** Saturation with a worker SIGKILLed in each round. */
  readonly kills: KillRecord;
  readonly memoryControl: MemoryControlRecord;
  readonly loadAverageEnd: readonly number[];
  /** How the machine's CPU time was spent during the run; null where /proc is unreadable. */
  readonly cpu: CpuShare | null;
  readonly elapsedS: number;
}
