// One function a kind of value: each turns the text of an option or environment variable into its
// value, or throws a ConfigError naming the option (as written) and the value.
import { isIPv4, isIPv6 } from 'node:net';
import type { Address } from '../address';
import { findBadEntry, splitAllowFrom } from '../proxy-protocol/allow-list';
import { ConfigError, quote } from './error';
import { PROXY_PROTOCOL_WORDS, type ProxyProtocolMode } from './flags';

/** setTimeout's ceiling (2^31-1 ms): a longer timeout would silently fire after 1 ms in Node. */
const MAX_SECONDS = 2_147_483;

export function parseAddress(option: string, raw: string): Address {
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

export function isHost(host: string): boolean {
  return isIPv4(host) || isIPv6(host) || HOST_NAME.test(host);
}

function checkHost(option: string, raw: string, host: string): void {
  if (host === '') throw new ConfigError(`${option}: ${quote(raw)} has no host (expected HOST:PORT)`);
  if (isHost(host)) return;
  throw new ConfigError(`${option}: ${quote(raw)} has ${quote(host)}, which is not a host name or IP address`);
}

export function parsePort(option: string, raw: string, portText: string): number {
  if (portText === '') throw new ConfigError(`${option}: ${quote(raw)} has no port (expected HOST:PORT)`);
  if (!/^\d+$/.test(portText)) throw new ConfigError(`${option}: ${quote(raw)} has port ${quote(portText)}, which is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new ConfigError(`${option}: ${quote(raw)} has port ${port}, not in 1..65535`);
  return port;
}

export function parsePositiveInteger(option: string, raw: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${option}: ${quote(raw)} is not a positive integer`);
  return value;
}

const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

export function parseNonNegativeNumber(option: string, raw: string, what: string): number {
  if (!DECIMAL.test(raw)) throw new ConfigError(`${option}: ${quote(raw)} is not a non-negative ${what}`);
  return Number(raw);
}

export function parseSeconds(option: string, raw: string): number {
  const seconds = parseNonNegativeNumber(option, raw, 'number of seconds');
  if (seconds > MAX_SECONDS) throw new ConfigError(`${option}: ${quote(raw)} is more than ${MAX_SECONDS} seconds`);
  return seconds;
}

export function parseChoice<T extends string>(option: string, value: string, choices: readonly T[], raw = value): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${option}: ${quote(raw)} is not one of ${choices.join(', ')}`);
}

export function checkNonEmpty(option: string, raw: string): string {
  if (raw === '') throw new ConfigError(`${option}: ${quote(raw)} is empty`);
  return raw;
}

// Characters that would break a StatsD line: ':' ends the name, '|' separates fields, '#' starts
// tags, '@' a sample rate, control characters (newline!) split or garble lines. Non-ASCII is
// refused too: Gunicorn encodes every line as ASCII and would drop it.
const PREFIX_FORBIDDEN = /[:|#@]|[^\x20-\x7e]/;
const TAGS_FORBIDDEN = /[|#]|[^\x20-\x7e]/;

export function checkPrefix(option: string, raw: string): string {
  const bad = PREFIX_FORBIDDEN.exec(raw);
  if (bad) throw new ConfigError(`${option}: ${quote(raw)} contains ${quote(bad[0])}, which would corrupt the StatsD lines`);
  return raw;
}

// What Python's str.strip() removes (non-ASCII is refused below anyway).
const PYTHON_WHITESPACE_EDGES = /^[\t\n\x0b\x0c\r\x1c-\x1f ]+|[\t\n\x0b\x0c\r\x1c-\x1f ]+$/g;

export function checkTags(option: string, value: string): string {
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

/** Gunicorn's validate_proxy_protocol: the value lower-cased and stripped, then one of its words. */
export function parseProxyProtocol(option: string, raw: string): ProxyProtocolMode {
  const word = raw.trim().toLowerCase();
  // Own words only: "constructor" is no mode.
  const mode = Object.hasOwn(PROXY_PROTOCOL_WORDS, word) ? PROXY_PROTOCOL_WORDS[word] : undefined;
  if (mode === undefined) {
    throw new ConfigError(`${option}: ${quote(raw)} is not one of off, v1, v2, auto (or Gunicorn's true, false, 1, 0, none)`);
  }
  return mode;
}

export function parseAllowFrom(option: string, raw: string): string[] {
  const entries = splitAllowFrom(raw);
  const bad = findBadEntry(entries);
  if (bad) throw new ConfigError(`${option}: ${quote(raw)} has ${quote(bad.entry)}, which ${bad.problem}`);
  return entries;
}
