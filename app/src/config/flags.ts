// The command-line options, in one table (Gunicorn's names, with the help text and default each
// shows in --help), every default value, and the split of argv into options and their values.
import type { StatsdPacking } from '../statsd/options';
import { STATSD_PACKINGS } from '../statsd/options';
import { ConfigError, quote } from './error';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

/** Gunicorn's words for --proxy-protocol and the mode each means ('true' is 'auto', ...). */
export const PROXY_PROTOCOL_WORDS: Readonly<Record<string, ProxyProtocolMode>> = {
  false: 'off', off: 'off', 0: 'off', none: 'off',
  true: 'auto', auto: 'auto', 1: 'auto',
  v1: 'v1', v2: 'v2',
};
/** off: no header read; v1 or v2: a header of that version read when one comes; auto: either. */
export type ProxyProtocolMode = 'off' | 'v1' | 'v2' | 'auto';
export type LogLevel = (typeof LOG_LEVELS)[number];

// ---------------------------------------------------------------------------------------------
// Every default, in one place. Gunicorn's own default wherever Gunicorn has the option.
// ---------------------------------------------------------------------------------------------
export const DEFAULTS = Object.freeze({
  /** Gunicorn's default bind. (Gunicorn also honours $PORT as 0.0.0.0:$PORT; this app does not.) */
  bind: '127.0.0.1:8000',
  /** Used when neither --workers nor WEB_CONCURRENCY is given (Gunicorn: 1). */
  workers: 1,
  timeoutSeconds: 30,
  gracefulTimeoutSeconds: 30,
  /** No --statsd-host and no STATSD_HOST: metrics off, as Gunicorn. */
  statsdHost: null,
  /** Port used when STATSD_HOST is set without STATSD_PORT: StatsD's conventional port, which is
   *  also what Gunicorn assumes for a port-less --statsd-host. The flag itself must carry a port
   *  (a bare `--statsd-host exporter` is far more likely a mistake than a wish for 8125). */
  statsdEnvPort: 8125,
  statsdPrefix: '',
  dogstatsdTags: '',
  /** The lines of each event-loop turn batched into as few datagrams as fit the path (1432 bytes;
   * 16,000 to a loopback address), sent at the end of the turn, each line byte-identical to
   * Gunicorn's: the benchmark (docs/benchmarks.md) measured it the cheapest and the one that loses
   * fewest lines at saturation. `line` is Gunicorn's one datagram per line. */
  statsdPacking: 'buffer' as StatsdPacking,
  accessLogfile: null,
  logLevel: 'info' as LogLevel,
  metricsBind: null,
  demoDelayScale: 1,
  proxyProtocol: 'off' as ProxyProtocolMode,
  /** What --proxy-protocol given without a value means, as in Gunicorn. */
  proxyProtocolBare: 'auto',
  /** Gunicorn's default: only a front door on this host may send a PROXY header. */
  proxyAllowFrom: '127.0.0.1,::1',
});

export type OptionKey =
  | 'bind' | 'workers' | 'timeout' | 'gracefulTimeout' | 'statsdHost' | 'statsdPrefix' | 'dogstatsdTags'
  | 'statsdPacking' | 'accessLogfile' | 'logLevel' | 'metricsBind'
  | 'demoDelayScale' | 'proxyProtocol' | 'proxyAllowFrom' | 'enableBacklogMetric' | 'checkConfig' | 'help';

export interface OptionSpec {
  readonly key: OptionKey;
  readonly flag: string;
  readonly short?: string;
  /** Absent for a switch (takes no value). */
  readonly metavar?: string;
  /** The value of an option whose value may be left out (Gunicorn's nargs="?"), given bare. */
  readonly bareValue?: string;
  readonly help: string;
  readonly defaultText: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'bind', flag: '--bind', short: '-b', metavar: 'HOST:PORT', defaultText: DEFAULTS.bind,
    help: 'Address to listen on; repeat for several. IPv6 as [::1]:8000.' },
  { key: 'workers', flag: '--workers', short: '-w', metavar: 'N', defaultText: `$WEB_CONCURRENCY, else ${DEFAULTS.workers}`,
    help: 'Number of worker processes.' },
  { key: 'timeout', flag: '--timeout', short: '-t', metavar: 'SECONDS', defaultText: String(DEFAULTS.timeoutSeconds),
    help: 'A worker silent for longer is killed and replaced (WORKER TIMEOUT). 0 disables it.' },
  { key: 'gracefulTimeout', flag: '--graceful-timeout', metavar: 'SECONDS', defaultText: String(DEFAULTS.gracefulTimeoutSeconds),
    help: 'Time in-flight requests get to finish after SIGTERM/SIGHUP before workers are killed.' },
  { key: 'statsdHost', flag: '--statsd-host', metavar: 'HOST:PORT', defaultText: '$STATSD_HOST:$STATSD_PORT (port 8125 if unset), else none: metrics off',
    help: 'StatsD server (e.g. statsd_exporter) to send Gunicorn\'s metric lines to over UDP.' },
  { key: 'statsdPrefix', flag: '--statsd-prefix', metavar: 'PREFIX', defaultText: '$APP_NAME, else empty',
    help: 'Prefix of every metric name, normalised as Gunicorn does ("flask_app" → "flask_app.gunicorn.…").' },
  { key: 'dogstatsdTags', flag: '--dogstatsd-tags', metavar: 'K:V,K2:V2', defaultText: 'none',
    help: 'Tags appended to every line as |#K:V,K2:V2 (blanks around the value stripped, as Gunicorn does).' },
  { key: 'statsdPacking', flag: '--statsd-packing', metavar: STATSD_PACKINGS.join('|'), defaultText: DEFAULTS.statsdPacking,
    help: 'line: one datagram per line (as Gunicorn); request: a request\'s lines in one datagram; buffer: each event-loop turn\'s lines in as few datagrams as fit (1432 bytes, 16000 to loopback), sent at the end of the turn.' },
  { key: 'accessLogfile', flag: '--access-logfile', metavar: 'PATH|-', defaultText: 'none',
    help: 'Write an access log line per request to PATH, or to stdout with "-".' },
  { key: 'logLevel', flag: '--log-level', metavar: LOG_LEVELS.join('|'), defaultText: DEFAULTS.logLevel,
    help: 'Threshold of the server (error) log on stderr. Does not affect the gunicorn.log.* counters, as in Gunicorn.' },
  { key: 'metricsBind', flag: '--metrics-bind', metavar: 'HOST:PORT', defaultText: 'none (off)',
    help: 'Serve the Node runtime metrics of all workers (Prometheus format) at http://HOST:PORT/metrics.' },
  { key: 'demoDelayScale', flag: '--demo-delay-scale', metavar: 'FACTOR', defaultText: String(DEFAULTS.demoDelayScale),
    help: 'Multiplies the delays of the demo routes (/io_task, /random_sleep).' },
  { key: 'proxyProtocol', flag: '--proxy-protocol', metavar: '[MODE]', bareValue: DEFAULTS.proxyProtocolBare, defaultText: DEFAULTS.proxyProtocol,
    help: 'Read a PROXY protocol header (HAProxy\'s send-proxy or send-proxy-v2) at the start of each connection and log its client address: off, v1, v2 or auto (either version; the same when the flag is given without a value). Connections without a header are served as they are.' },
  { key: 'proxyAllowFrom', flag: '--proxy-allow-from', metavar: 'ADDRS', defaultText: DEFAULTS.proxyAllowFrom,
    help: 'Peers allowed to send a PROXY header: IP addresses and CIDR networks, comma separated, or * for any. A header from another peer is refused (403).' },
  { key: 'enableBacklogMetric', flag: '--enable-backlog-metric', defaultText: 'off',
    help: 'Send gunicorn.backlog (|h) about once a second: connections waiting in the listen sockets\' accept queues (Linux).' },
  { key: 'checkConfig', flag: '--check-config', defaultText: 'off',
    help: 'Validate the options and environment, then exit 0 (1 with a message if invalid).' },
  { key: 'help', flag: '--help', short: '-h', defaultText: '',
    help: 'Show this help and exit.' },
];

const BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTIONS.flatMap((spec) => (spec.short ? [[spec.flag, spec], [spec.short, spec]] : [[spec.flag, spec]])),
);

export interface Token {
  readonly spec: OptionSpec;
  /** The option as written (e.g. '-w' or '--workers'), for messages. */
  readonly written: string;
  readonly value: string;
}

/** True when argv asks for help, even if other options are invalid (so --help always helps). */
export function isHelpRequested(argv: readonly string[]): boolean {
  try {
    return tokenize(argv, { lenient: true }).some(({ spec }) => spec.key === 'help');
  } catch {
    return false;
  }
}

/** argv as options with their values, in order; `lenient` skips what it cannot read instead of throwing. */
export function tokenize(argv: readonly string[], { lenient }: { lenient: boolean }): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const written = equals === -1 ? arg : arg.slice(0, equals);
    const spec = BY_NAME.get(written);
    if (!spec) {
      if (lenient) continue;
      if (arg.startsWith('-') && arg !== '-') throw new ConfigError(`${written}: unknown option (see --help)`);
      throw new ConfigError(`${quote(arg)}: unexpected argument; this app takes options only (see --help)`);
    }
    if (!spec.metavar) {
      if (equals !== -1 && !lenient) throw new ConfigError(`${written}: takes no value, got ${quote(arg.slice(equals + 1))}`);
      tokens.push({ spec, written, value: '' });
      continue;
    }
    if (equals !== -1) {
      tokens.push({ spec, written, value: arg.slice(equals + 1) });
      continue;
    }
    const next = argv[i + 1];
    // As argparse's nargs="?": the next word is the value unless it looks like an option.
    if (spec.bareValue !== undefined && (next === undefined || next.startsWith('-'))) {
      tokens.push({ spec, written, value: spec.bareValue });
      continue;
    }
    // A value may start with '-' ('-' for stdout, '-1' to be rejected as a number), but not
    // look like another option: then the value was forgotten.
    if (next === undefined || next.startsWith('--') || BY_NAME.has(next)) {
      if (lenient) continue;
      throw new ConfigError(`${written}: missing value (expected ${written} ${spec.metavar})`);
    }
    tokens.push({ spec, written, value: next });
    i += 1;
  }
  return tokens;
}
