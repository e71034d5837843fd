// Command line + environment → one deeply frozen Config, with Gunicorn's option names. Pure: no I/O.
import { isIPv4, isIPv6 } from 'node:net';
import { normalisePrefix } from './statsd/lines';

export interface Address {
  /** A host name or IP address; IPv6 without brackets ('::1'). */
  readonly host: string;
  readonly port: number;
}

export const STATSD_PACKINGS = ['line', 'request', 'buffer'] as const;
/** line: one datagram per line (as Gunicorn); request: one datagram per call; buffer: size/interval batching. */
export type StatsdPacking = (typeof STATSD_PACKINGS)[number];

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StatsdConfig {
  /** null = metrics off, as Gunicorn without --statsd-host. */
  readonly target: Address | null;
  /** Already normalised the way Gunicorn does it ('flask_app' → 'flask_app.'; '' stays ''). */
  readonly prefix: string;
  /** The dogstatsd tags, stripped as Gunicorn strips them ('' = none), validated as key:value[,key:value...]. */
  readonly tags: string;
  readonly packing: StatsdPacking;
  readonly flushIntervalMs: number;
}

export interface Config {
  /** At least one; in the order given. */
  readonly binds: readonly Address[];
  readonly workers: number;
  /** 0 disables the worker timeout, as in Gunicorn. */
  readonly timeoutSeconds: number;
  readonly gracefulTimeoutSeconds: number;
  readonly statsd: StatsdConfig;
  /** '-' = stdout; null = no access log (Gunicorn's default). */
  readonly accessLogfile: string | null;
  readonly logLevel: LogLevel;
  /** Listener for the Node runtime metrics (prom-client); null = off. */
  readonly metricsBind: Address | null;
  /** Multiplies the demo routes' delays (tests use 0.01). */
  readonly demoDelayScale: number;
  /** --check-config (a Gunicorn flag): validate, then exit 0 without starting anything. */
  readonly checkConfig: boolean;
  /** --enable-backlog-metric (Gunicorn 24.1+): the master sends gunicorn.backlog about once a second. */
  readonly enableBacklogMetric: boolean;
}

/** A bad option or environment value; `message` is one line naming the option and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

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
  /** Lines batched into datagrams of up to 1432 bytes, sent at the end of each event-loop turn, each
   * line byte-identical to Gunicorn's: the benchmark (README "Benchmarks") measured it the cheapest
   * and the one that loses fewest lines at saturation. `line` is Gunicorn's one datagram per line. */
  statsdPacking: 'buffer' as StatsdPacking,
  /** hot-shots' periodic flush in the `buffer` packing: only a backstop, lines leave at the end of the turn. */
  statsdFlushIntervalMs: 10,
  accessLogfile: null,
  logLevel: 'info' as LogLevel,
  metricsBind: null,
  demoDelayScale: 1,
});

/** setTimeout's ceiling (2^31-1 ms): a longer timeout would silently fire after 1 ms in Node. */
const MAX_SECONDS = 2_147_483;
const MAX_FLUSH_INTERVAL_MS = 1000;

type OptionKey =
  | 'bind' | 'workers' | 'timeout' | 'gracefulTimeout' | 'statsdHost' | 'statsdPrefix' | 'dogstatsdTags'
  | 'statsdPacking' | 'statsdFlushInterval' | 'accessLogfile' | 'logLevel' | 'metricsBind'
  | 'demoDelayScale' | 'enableBacklogMetric' | 'checkConfig' | 'help';

interface OptionSpec {
  readonly key: OptionKey;
  readonly flag: string;
  readonly short?: string;
  /** Absent for a switch (takes no value). */
  readonly metavar?: string;
  readonly help: string;
  readonly defaultText: string;
}

const OPTIONS: readonly OptionSpec[] = [
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
    help: 'line: one datagram per line (as Gunicorn); request: a request\'s lines in one datagram; buffer: batch up to 1432 bytes, sent at the end of each event-loop turn.' },
  { key: 'statsdFlushInterval', flag: '--statsd-flush-interval', metavar: 'MS', defaultText: String(DEFAULTS.statsdFlushIntervalMs),
    help: `hot-shots' periodic flush in the buffer packing, a backstop (1..${MAX_FLUSH_INTERVAL_MS}).` },
  { key: 'accessLogfile', flag: '--access-logfile', metavar: 'PATH|-', defaultText: 'none',
    help: 'Write an access log line per request to PATH, or to stdout with "-".' },
  { key: 'logLevel', flag: '--log-level', metavar: LOG_LEVELS.join('|'), defaultText: DEFAULTS.logLevel,
    help: 'Threshold of the server (error) log on stderr. Does not affect the gunicorn.log.* counters, as in Gunicorn.' },
  { key: 'metricsBind', flag: '--metrics-bind', metavar: 'HOST:PORT', defaultText: 'none (off)',
    help: 'Serve the Node runtime metrics of all workers (Prometheus format) at http://HOST:PORT/metrics.' },
  { key: 'demoDelayScale', flag: '--demo-delay-scale', metavar: 'FACTOR', defaultText: String(DEFAULTS.demoDelayScale),
    help: 'Multiplies the delays of the demo routes (/io_task, /random_sleep).' },
  { key: 'enableBacklogMetric', flag: '--enable-backlog-metric', defaultText: 'off',
    help: 'Send gunicorn.backlog (|h) about once a second: connections waiting in the listen sockets\' accept queues (Linux).' },
  { key: 'checkConfig', flag: '--check-config', defaultText: 'off',
    help: 'Validate the options and environment, then exit 0 (1 with a message if invalid).' },
  { key: 'help', flag: '--help', short: '-h', defaultText: '',
    help: 'Show this help and exit.' },
];

const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['GUNICORN_CMD_ARGS', 'options, read before the command line (which wins), as Gunicorn does'],
  ['WEB_CONCURRENCY', 'default for --workers'],
  ['APP_NAME', 'default for --statsd-prefix'],
  ['STATSD_HOST', 'default host for --statsd-host'],
  ['STATSD_PORT', `port for STATSD_HOST (default ${DEFAULTS.statsdEnvPort})`],
];

const BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTIONS.flatMap((spec) => (spec.short ? [[spec.flag, spec], [spec.short, spec]] : [[spec.flag, spec]])),
);

/** The text printed for --help / -h: every option with its default. */
export function helpText(): string {
  const names = OPTIONS.map((spec) => `${spec.short ? `${spec.short}, ` : '    '}${spec.flag}${spec.metavar ? ` ${spec.metavar}` : ''}`);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = OPTIONS.map((spec, i) => {
    const defaultNote = spec.defaultText ? ` [default: ${spec.defaultText}]` : '';
    return `  ${names[i].padEnd(width)}${spec.help}${defaultNote}`;
  });
  const envWidth = Math.max(...ENVIRONMENT.map(([name]) => name.length)) + 2;
  return [
    'Usage: node dist/main.js [OPTIONS]',
    '',
    'An Express app run by a Gunicorn-style master that sends Gunicorn\'s StatsD lines.',
    '',
    'Options (Gunicorn\'s names; "--opt VALUE" and "--opt=VALUE" both work; options override the environment):',
    ...lines,
    '',
    'Environment:',
    ...ENVIRONMENT.map(([name, text]) => `  ${name.padEnd(envWidth)}${text}`),
    '',
  ].join('\n');
}

/** True when argv asks for help, even if other options are invalid (so --help always helps). */
export function isHelpRequested(argv: readonly string[]): boolean {
  try {
    return tokenize(argv, { lenient: true }).some(({ spec }) => spec.key === 'help');
  } catch {
    return false;
  }
}

interface Token {
  readonly spec: OptionSpec;
  /** The option as written (e.g. '-w' or '--workers'), for messages. */
  readonly written: string;
  readonly value: string;
}

function tokenize(argv: readonly string[], { lenient }: { lenient: boolean }): Token[] {
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

/**
 * Parses Gunicorn-style options and the environment into a frozen Config.
 * Throws ConfigError (one line naming the option or variable and the value) on the first bad one.
 * --help is accepted and ignored here: check isHelpRequested(argv) first.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  // An empty environment variable counts as unset (compose files often declare VAR: "").
  const fromEnv = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const cliTokens = tokenize(argv, { lenient: false });
  const tokens = [...environmentTokens(fromEnv('GUNICORN_CMD_ARGS')), ...cliTokens];
  const last = (key: OptionKey): Token | undefined => tokens.filter((token) => token.spec.key === key).at(-1);
  const given = (key: OptionKey) => last(key) !== undefined;

  // --bind may be repeated; binds on the command line replace those of GUNICORN_CMD_ARGS.
  const cliBinds = cliTokens.filter((token) => token.spec.key === 'bind');
  const bindTokens = cliBinds.length > 0 ? cliBinds : tokens.filter((token) => token.spec.key === 'bind');
  const binds = bindTokens.length === 0
    ? [parseAddress('--bind', DEFAULTS.bind)]
    : bindTokens.map((token) => parseAddress(token.written, token.value));

  const workersToken = last('workers');
  const webConcurrency = fromEnv('WEB_CONCURRENCY');
  const workers = workersToken
    ? parsePositiveInteger(workersToken.written, workersToken.value)
    : webConcurrency !== undefined
      ? parsePositiveInteger('WEB_CONCURRENCY', webConcurrency)
      : DEFAULTS.workers;

  const prefixToken = last('statsdPrefix');
  const rawPrefix = prefixToken ? prefixToken.value : (env.APP_NAME ?? DEFAULTS.statsdPrefix);
  const prefix = checkPrefix(prefixToken ? prefixToken.written : 'APP_NAME', rawPrefix);

  const tagsToken = last('dogstatsdTags');
  const packingToken = last('statsdPacking');
  const flushToken = last('statsdFlushInterval');
  const accessToken = last('accessLogfile');
  const logLevelToken = last('logLevel');
  const metricsToken = last('metricsBind');
  const scaleToken = last('demoDelayScale');
  const timeoutToken = last('timeout');
  const gracefulToken = last('gracefulTimeout');

  return deepFreeze({
    binds,
    workers,
    timeoutSeconds: timeoutToken ? parseSeconds(timeoutToken.written, timeoutToken.value) : DEFAULTS.timeoutSeconds,
    gracefulTimeoutSeconds: gracefulToken
      ? parseSeconds(gracefulToken.written, gracefulToken.value)
      : DEFAULTS.gracefulTimeoutSeconds,
    statsd: {
      target: statsdTarget(last('statsdHost'), fromEnv),
      prefix: normalisePrefix(prefix),
      tags: tagsToken ? checkTags(tagsToken.written, tagsToken.value) : DEFAULTS.dogstatsdTags,
      packing: packingToken ? parseChoice(packingToken.written, packingToken.value, STATSD_PACKINGS) : DEFAULTS.statsdPacking,
      flushIntervalMs: flushToken
        ? parseIntegerInRange(flushToken.written, flushToken.value, 1, MAX_FLUSH_INTERVAL_MS, 'milliseconds')
        : DEFAULTS.statsdFlushIntervalMs,
    },
    accessLogfile: accessToken ? checkNonEmpty(accessToken.written, accessToken.value) : DEFAULTS.accessLogfile,
    // Gunicorn lower-cases the level name before looking it up.
    logLevel: logLevelToken
      ? parseChoice(logLevelToken.written, logLevelToken.value.toLowerCase(), LOG_LEVELS, logLevelToken.value)
      : DEFAULTS.logLevel,
    metricsBind: metricsToken ? parseAddress(metricsToken.written, metricsToken.value) : DEFAULTS.metricsBind,
    demoDelayScale: scaleToken ? parseNonNegativeNumber(scaleToken.written, scaleToken.value, 'factor') : DEFAULTS.demoDelayScale,
    checkConfig: given('checkConfig'),
    enableBacklogMetric: given('enableBacklogMetric'),
  });
}

/**
 * The options in GUNICORN_CMD_ARGS, split into words as Gunicorn's shlex.split does. Each token's
 * option is written "--x (in GUNICORN_CMD_ARGS)", so that a bad value's message says where it is.
 */
function environmentTokens(text: string | undefined): Token[] {
  if (text === undefined) return [];
  try {
    return tokenize(splitShellWords(text), { lenient: false })
      .map((token) => ({ ...token, written: `${token.written} (in GUNICORN_CMD_ARGS)` }));
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`GUNICORN_CMD_ARGS: ${error.message}`);
    throw error;
  }
}

/** POSIX shell words: blanks separate, '…' is literal, "…" and bare text honour backslash escapes. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (char === "'" || char === '"') {
      const close = char === "'" ? text.indexOf("'", i + 1) : closingDoubleQuote(text, i + 1);
      if (close === -1) throw new ConfigError(`${quote(text)} has an unterminated ${char} quote`);
      const inner = text.slice(i + 1, close);
      word = (word ?? '') + (char === "'" ? inner : inner.replace(/\\(["\\$`])/g, '$1'));
      i = close;
    } else if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[i + 1];
      i += 1;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function closingDoubleQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** 'HOST:PORT' for an Address, with brackets around IPv6 ('[::1]:8000'), as Gunicorn logs binds. */
export function formatAddress(address: Address): string {
  return isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function statsdTarget(
  token: Token | undefined,
  fromEnv: (name: string) => string | undefined,
): Address | null {
  if (token) return parseAddress(token.written, token.value);
  const host = fromEnv('STATSD_HOST');
  const port = fromEnv('STATSD_PORT');
  if (host === undefined) {
    if (port !== undefined) throw new ConfigError(`STATSD_PORT: ${quote(port)} is set but STATSD_HOST is not`);
    return DEFAULTS.statsdHost;
  }
  const bareHost = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!isIPv4(bareHost) && !isIPv6(bareHost) && !HOST_NAME.test(bareHost)) {
    const hint = bareHost.includes(':') ? ' (the port goes in STATSD_PORT)' : '';
    throw new ConfigError(`STATSD_HOST: ${quote(host)} is not a host name or IP address${hint}`);
  }
  return { host: bareHost, port: port === undefined ? DEFAULTS.statsdEnvPort : parsePort('STATSD_PORT', port, port) };
}

function parseAddress(option: string, raw: string): Address {
  let host: string;
  let portText: string;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close === -1) throw new ConfigError(`${option}: ${quote(raw)} has no closing "]" (expected [IPv6]:PORT)`);
    host = raw.slice(1, close);
    const rest = raw.slice(close + 1);
    if (!rest.startsWith(':')) throw new ConfigError(`${option}: ${quote(raw)} has no port (expected [IPv6]:PORT)`);
    portText = rest.slice(1);
    if (!isIPv6(host)) throw new ConfigError(`${option}: ${quote(raw)} has ${quote(host)} in brackets, which is not an IPv6 address`);
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon === -1) throw new ConfigError(`${option}: ${quote(raw)} has no port (expected HOST:PORT)`);
    host = raw.slice(0, colon);
    portText = raw.slice(colon + 1);
    if (host.includes(':')) throw new ConfigError(`${option}: ${quote(raw)} needs brackets around the IPv6 address (e.g. [::1]:8000)`);
    checkHost(option, raw, host);
  }
  return { host, port: parsePort(option, raw, portText) };
}

// Host names as DNS and /etc/hosts know them (letters, digits, '-', '_', dots between labels),
// IPv4, or IPv6. Anything else cannot be a StatsD or listen address and may corrupt logs.
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*\.?$/;

function checkHost(option: string, raw: string, host: string): void {
  if (host === '') throw new ConfigError(`${option}: ${quote(raw)} has no host (expected HOST:PORT)`);
  if (isIPv4(host) || isIPv6(host) || HOST_NAME.test(host)) return;
  throw new ConfigError(`${option}: ${quote(raw)} has ${quote(host)}, which is not a host name or IP address`);
}

function parsePort(option: string, raw: string, portText: string): number {
  if (portText === '') throw new ConfigError(`${option}: ${quote(raw)} has no port (expected HOST:PORT)`);
  if (!/^\d+$/.test(portText)) throw new ConfigError(`${option}: ${quote(raw)} has port ${quote(portText)}, which is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new ConfigError(`${option}: ${quote(raw)} has port ${port}, not in 1..65535`);
  return port;
}

function parsePositiveInteger(option: string, raw: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${option}: ${quote(raw)} is not a positive integer`);
  return value;
}

function parseIntegerInRange(option: string, raw: string, min: number, max: number, unit: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new ConfigError(`${option}: ${quote(raw)} is not a whole number of ${unit} in ${min}..${max}`);
  return value;
}

const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

function parseNonNegativeNumber(option: string, raw: string, what: string): number {
  if (!DECIMAL.test(raw)) throw new ConfigError(`${option}: ${quote(raw)} is not a non-negative ${what}`);
  return Number(raw);
}

function parseSeconds(option: string, raw: string): number {
  const seconds = parseNonNegativeNumber(option, raw, 'number of seconds');
  if (seconds > MAX_SECONDS) throw new ConfigError(`${option}: ${quote(raw)} is more than ${MAX_SECONDS} seconds`);
  return seconds;
}

function parseChoice<T extends string>(option: string, value: string, choices: readonly T[], raw = value): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${option}: ${quote(raw)} is not one of ${choices.join(', ')}`);
}

function checkNonEmpty(option: string, raw: string): string {
  if (raw === '') throw new ConfigError(`${option}: ${quote(raw)} is empty`);
  return raw;
}

// Characters that would break a StatsD line: ':' ends the name, '|' separates fields, '#' starts
// tags, '@' a sample rate, control characters (newline!) split or garble lines. Non-ASCII is
// refused too: Gunicorn encodes every line as ASCII and would drop it.
const PREFIX_FORBIDDEN = /[:|#@]|[^\x20-\x7e]/;
const TAGS_FORBIDDEN = /[|#]|[^\x20-\x7e]/;

function checkPrefix(option: string, raw: string): string {
  const bad = PREFIX_FORBIDDEN.exec(raw);
  if (bad) throw new ConfigError(`${option}: ${quote(raw)} contains ${quote(bad[0])}, which would corrupt the StatsD lines`);
  return raw;
}

// What Python's str.strip() removes (non-ASCII is refused below anyway).
const PYTHON_WHITESPACE_EDGES = /^[\t\n\x0b\x0c\r\x1c-\x1f ]+|[\t\n\x0b\x0c\r\x1c-\x1f ]+$/g;

function checkTags(option: string, value: string): string {
  // Gunicorn strips the value (validate_string) before appending it: " instance:a " sends |#instance:a.
  const raw = value.replace(PYTHON_WHITESPACE_EDGES, '');
  if (raw === '') return raw;
  const bad = TAGS_FORBIDDEN.exec(raw);
  if (bad) throw new ConfigError(`${option}: ${quote(raw)} contains ${quote(bad[0])}, which would corrupt the StatsD lines`);
  // statsd_exporter counts a tag without "key:" or without a value as a malformed-tag sample error.
  const badTag = raw.split(',').find((tag) => !/^[^:]+:.+$/.test(tag));
  if (badTag !== undefined) throw new ConfigError(`${option}: ${quote(raw)} has tag ${quote(badTag)}, which is not key:value`);
  return raw;
}

/** JSON quoting keeps a message on one line whatever the value holds ("\n" is shown escaped). */
function quote(value: string): string {
  return JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
