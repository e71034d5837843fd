// The environment variables the app reads, as Gunicorn and its deployments use them: options in
// GUNICORN_CMD_ARGS (split like a shell), defaults in WEB_CONCURRENCY, APP_NAME and
// STATSD_HOST/STATSD_PORT.
import type { Address } from '../address';
import { ConfigError, quote } from './error';
import { DEFAULTS, tokenize, type Token } from './flags';
import { isHost, parsePort } from './validate';

export type Environment = Readonly<Record<string, string | undefined>>;

/** For --help: each variable and what it stands for. */
export const ENVIRONMENT_HELP: readonly (readonly [string, string])[] = [
  ['GUNICORN_CMD_ARGS', 'options, read before the command line (which wins), as Gunicorn does'],
  ['WEB_CONCURRENCY', 'default for --workers'],
  ['APP_NAME', 'default for --statsd-prefix'],
  ['STATSD_HOST', 'default host for --statsd-host'],
  ['STATSD_PORT', `port for STATSD_HOST (default ${DEFAULTS.statsdEnvPort})`],
];

/** A variable's value, with an empty one counted as unset (compose files often declare VAR: ""). */
export function variable(env: Environment, name: string): string | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : env[name];
}

/**
 * The options in GUNICORN_CMD_ARGS, split into words as Gunicorn's shlex.split does. Each token's
 * option is written "--x (in GUNICORN_CMD_ARGS)", so that a bad value's message says where it is.
 */
export function environmentTokens(env: Environment): Token[] {
  const text = variable(env, 'GUNICORN_CMD_ARGS');
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

/** The StatsD target from STATSD_HOST and STATSD_PORT, for when --statsd-host is not given. */
export function statsdTargetFromEnvironment(env: Environment): Address | null {
  const host = variable(env, 'STATSD_HOST');
  const port = variable(env, 'STATSD_PORT');
  if (host === undefined) {
    if (port !== undefined) throw new ConfigError(`STATSD_PORT: ${quote(port)} is set but STATSD_HOST is not`);
    return DEFAULTS.statsdHost;
  }
  const bareHost = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!isHost(bareHost)) {
    const hint = bareHost.includes(':') ? ' (the port goes in STATSD_PORT)' : '';
    throw new ConfigError(`STATSD_HOST: ${quote(host)} is not a host name or IP address${hint}`);
  }
  return { host: bareHost, port: port === undefined ? DEFAULTS.statsdEnvPort : parsePort('STATSD_PORT', port, port) };
}
