// CPU time per request of every contender, each against its own "metrics off", from the rounds.
import type { RawResults } from './results';
import { appId, datagramsPerRequest, exporterCpu, serverCpu, withExporterCpu } from './run-figures';
import { median, pairedRatio, runsOf } from './statistics';
import { TARGETS } from './targets';

export interface CpuRow {
  readonly workers: number;
  readonly contender: string;
  readonly label: string;
  /** Median over the rounds of the contender's own CPU time per response (µs). */
  readonly serverMicroseconds: number;
  /** Likewise for the exporter it sends to; NaN for contenders that send it nothing. */
  readonly exporterMicroseconds: number;
  /** Median over the rounds of the datagrams it sent per response, as the receiver counted them (NaN: sends none). */
  readonly datagramsPerRequest: number;
  /** The contender compared with ('' for a baseline row). */
  readonly baseline: string;
  /** Median of the per-round ratios of CPU per request (server only), and their half-range. */
  readonly ratio: number;
  readonly ratioSpread: number;
  /** The same with the exporter's CPU added to the contender's. */
  readonly ratioWithExporter: number;
  readonly ratioWithExporterSpread: number;
  /** Only for this app's default packing into the real exporter. */
  readonly isTarget: boolean;
  readonly targetMet: boolean;
}

const NONE = { ratio: Number.NaN, spread: Number.NaN };

export function cpuRows(raw: RawResults, workerCounts: readonly number[]): CpuRow[] {
  const onId = appId(raw.defaultPacking);
  // Each contender against its own "metrics off": the app's variants and express-prom-bundle (the
  // app's routes, instrumented by pull) and bare node:http against this app with metrics off;
  // Gunicorn with StatsD against Gunicorn without.
  const order: [string, string][] = [
    ['app-off', ''],
    [onId, 'app-off'],
    [`${onId}-discard`, 'app-off'],
    ...raw.packings.filter((packing) => packing !== raw.defaultPacking).map((packing): [string, string] => [appId(packing), 'app-off']),
    ['express-prom-bundle', 'app-off'],
    ['bare-http', 'app-off'],
    ['gunicorn-off', ''],
    ['gunicorn-on', 'gunicorn-off'],
  ];
  const label = (id: string) => raw.contenders.find((contender) => contender.id === id)?.label ?? id;
  return workerCounts.flatMap((workers) =>
    order
      .filter(([id]) => runsOf(raw.runs, workers, id).length > 0)
      .map(([id, baseline]): CpuRow => {
        const runs = runsOf(raw.runs, workers, id);
        const server = baseline === '' ? NONE : pairedRatio(raw.runs, workers, id, baseline, serverCpu);
        const total = baseline === '' ? NONE : pairedRatio(raw.runs, workers, id, baseline, withExporterCpu, serverCpu);
        const isTarget = id === onId;
        return {
          workers,
          contender: id,
          label: label(id),
          serverMicroseconds: median(runs.map(serverCpu)),
          exporterMicroseconds: median(runs.map(exporterCpu).filter((value) => !Number.isNaN(value))),
          datagramsPerRequest: datagramsPerRequest(runs),
          baseline,
          ratio: server.ratio,
          ratioSpread: server.spread,
          ratioWithExporter: total.ratio,
          ratioWithExporterSpread: total.spread,
          isTarget,
          targetMet: isTarget && server.ratio <= TARGETS.cpuRatioAtMost,
        };
      }),
  );
}
