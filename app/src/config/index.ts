// Command line + environment → one deeply frozen Config, with Gunicorn's option names. Pure: no I/O.
// The option table and argv splitting are in flags.ts, --help in help.ts, the environment in
// environment.ts, the checks of each kind of value in validate.ts; this module says which option
// (or variable) wins and assembles the result.
import type { Address } from '../address';
import { normalisePrefix } from '../statsd/lines';
import { STATSD_PACKINGS, type StatsdOptions } from '../statsd/options';
import { environmentTokens, statsdTargetFromEnvironment, variable, type Environment } from './environment';
import { DEFAULTS, LOG_LEVELS, tokenize, type LogLevel, type OptionKey, type ProxyProtocolMode, type Token } from './flags';
import {
  checkNonEmpty, checkPrefix, checkTags, parseAddress, parseAllowFrom, parseChoice,
  parseNonNegativeNumber, parsePositiveInteger, parseProxyProtocol, parseSeconds,
} from './validate';

export { formatAddress, type Address } from '../address';
export { STATSD_PACKINGS, type StatsdOptions, type StatsdPacking } from '../statsd/options';
export { splitShellWords } from './environment';
export { ConfigError } from './error';
export { DEFAULTS, isHelpRequested, LOG_LEVELS, type LogLevel, type ProxyProtocolMode } from './flags';
export { helpText } from './help';

export interface Config {
  /** At least one; in the order given. */
  readonly binds: readonly Address[];
  readonly workers: number;
  /** 0 disables the worker timeout, as in Gunicorn. */
  readonly timeoutSeconds: number;
  readonly gracefulTimeoutSeconds: number;
  readonly statsd: StatsdOptions;
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
  readonly proxyProtocol: {
    readonly mode: ProxyProtocolMode;
    /** --proxy-allow-from, split and checked: addresses, CIDR networks, or '*'. */
    readonly allowFrom: readonly string[];
  };
}

/**
 * Parses Gunicorn-style options and the environment into a frozen Config.
 * Throws ConfigError (one line naming the option or variable and the value) on the first bad one.
 * --help is accepted and ignored here: check isHelpRequested(argv) first.
 */
export function parseConfig(argv: readonly string[], env: Environment): Config {
  const cliTokens = tokenize(argv, { lenient: false });
  const tokens = [...environmentTokens(env), ...cliTokens];
  const last = (key: OptionKey): Token | undefined => tokens.filter((token) => token.spec.key === key).at(-1);
  const given = (key: OptionKey) => last(key) !== undefined;

  // --bind may be repeated; binds on the command line replace those of GUNICORN_CMD_ARGS.
  const cliBinds = cliTokens.filter((token) => token.spec.key === 'bind');
  const bindTokens = cliBinds.length > 0 ? cliBinds : tokens.filter((token) => token.spec.key === 'bind');
  const binds = bindTokens.length === 0
    ? [parseAddress('--bind', DEFAULTS.bind)]
    : bindTokens.map((token) => parseAddress(token.written, token.value));

  const workersToken = last('workers');
  const webConcurrency = variable(env, 'WEB_CONCURRENCY');
  const workers = workersToken
    ? parsePositiveInteger(workersToken.written, workersToken.value)
    : webConcurrency !== undefined
      ? parsePositiveInteger('WEB_CONCURRENCY', webConcurrency)
      : DEFAULTS.workers;

  const prefixToken = last('statsdPrefix');
  const rawPrefix = prefixToken ? prefixToken.value : (env.APP_NAME ?? DEFAULTS.statsdPrefix);
  const prefix = checkPrefix(prefixToken ? prefixToken.written : 'APP_NAME', rawPrefix);

  const hostToken = last('statsdHost');
  const tagsToken = last('dogstatsdTags');
  const packingToken = last('statsdPacking');
  const accessToken = last('accessLogfile');
  const logLevelToken = last('logLevel');
  const metricsToken = last('metricsBind');
  const scaleToken = last('demoDelayScale');
  const timeoutToken = last('timeout');
  const gracefulToken = last('gracefulTimeout');
  const proxyProtocolToken = last('proxyProtocol');
  const allowFromToken = last('proxyAllowFrom');

  return deepFreeze({
    binds,
    workers,
    timeoutSeconds: timeoutToken ? parseSeconds(timeoutToken.written, timeoutToken.value) : DEFAULTS.timeoutSeconds,
    gracefulTimeoutSeconds: gracefulToken
      ? parseSeconds(gracefulToken.written, gracefulToken.value)
      : DEFAULTS.gracefulTimeoutSeconds,
    statsd: {
      target: hostToken ? parseAddress(hostToken.written, hostToken.value) : statsdTargetFromEnvironment(env),
      // The one place the prefix is normalised: the StatsD client takes it as it is.
      prefix: normalisePrefix(prefix),
      tags: tagsToken ? checkTags(tagsToken.written, tagsToken.value) : DEFAULTS.dogstatsdTags,
      packing: packingToken ? parseChoice(packingToken.written, packingToken.value, STATSD_PACKINGS) : DEFAULTS.statsdPacking,
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
    proxyProtocol: {
      mode: proxyProtocolToken ? parseProxyProtocol(proxyProtocolToken.written, proxyProtocolToken.value) : DEFAULTS.proxyProtocol,
      allowFrom: parseAllowFrom(allowFromToken?.written ?? '--proxy-allow-from', allowFromToken?.value ?? DEFAULTS.proxyAllowFrom),
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
