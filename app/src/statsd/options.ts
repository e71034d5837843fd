// What the StatsD client is told, declared once: the config builds it from the flags and the
// environment, the master and each worker hand it to createGunicornStatsd, the packing and the
// socket take their share.
import type { Address } from '../address';
import type { StatsdPrefix } from './lines';

export const STATSD_PACKINGS = ['line', 'request', 'buffer'] as const;
/** line: one datagram per line (as Gunicorn); request: one datagram per call; buffer: one turn's lines in as few datagrams as fit. */
export type StatsdPacking = (typeof STATSD_PACKINGS)[number];

export interface StatsdOptions {
  /** null = metrics off, as Gunicorn without --statsd-host. */
  readonly target: Address | null;
  /** Normalised the way Gunicorn does it ('flask_app' → 'flask_app.'; '' stays ''), by normalisePrefix. */
  readonly prefix: StatsdPrefix;
  /** The dogstatsd tags, stripped as Gunicorn strips them ('' = none), validated as key:value[,key:value...]. */
  readonly tags: string;
  readonly packing: StatsdPacking;
}
