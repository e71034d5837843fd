// The start of a connection judged as Gunicorn 27 judges it (gunicorn/http/message.py): is there a
// PROXY header, v2 (v2.ts) or the v1 line ("PROXY TCP4 <client> <proxy> <client port> <proxy
// port>\r\n", read here), may this peer send one, and what does it say; with Gunicorn's own
// messages. Pure: the socket side is in connection.ts.
import { isIPv4, isIPv6 } from 'node:net';
import type { ProxyProtocolMode } from '../config';
import { pythonRepr } from './python-repr';
import { InvalidProxyHeader, judgeV2, V2_SIGNATURE } from './v2';

/** The bytes that start a v1 header. */
export const V1_PREFIX = 'PROXY ';
/** Gunicorn reads 12 bytes (the length of the v2 signature) before it decides whether a header is there. */
export const DETECT_BYTES = V2_SIGNATURE.length;

/** The modes that read a header: v1 lines, v2 headers, or either (auto). */
export type HeaderMode = Exclude<ProxyProtocolMode, 'off'>;

export interface ProxiedAddresses {
  /** TCP4 and TCP6 from either version; LOCAL and UNSPEC (no addresses) from v2 only. */
  readonly protocol: 'TCP4' | 'TCP6' | 'LOCAL' | 'UNSPEC';
  /** null where the header names no client, as Gunicorn's None. */
  readonly clientAddress: string | null;
  readonly clientPort: number | null;
  readonly proxyAddress: string | null;
  readonly proxyPort: number | null;
}

/** Gunicorn's InvalidProxyLine: answered 400, logged as a counted warning. */
export class InvalidProxyLine extends Error {
  constructor(detail: string) {
    super(`Invalid PROXY line: ${pythonRepr(detail)}`);
  }
}

/** Gunicorn's ForbiddenProxyRequest: a header from a peer outside --proxy-allow-from, answered 403. */
export class ForbiddenProxyRequest extends Error {
  constructor(peer: string) {
    super(`Proxy request from ${pythonRepr(peer)} not allowed`);
  }
}

// Python's int() of a port field: optional sign, ASCII digits with single underscores between
// them, surrounded by whitespace as str.strip() knows it.
const PYTHON_INT = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0]*[+-]?\d+(?:_\d+)*[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0]*$/;

// Python refuses to convert a decimal string of more digits than this (sys.get_int_max_str_digits()).
const PYTHON_INT_MAX_STR_DIGITS = 4300;

function port(field: string, line: string): number {
  if (!PYTHON_INT.test(field)) throw new InvalidProxyLine(`invalid port ${line}`);
  if (field.replace(/\D/g, '').length > PYTHON_INT_MAX_STR_DIGITS) throw new InvalidProxyLine(`invalid port ${line}`);
  const value = Number(field.trim().replace(/[\x1c-\x1f\x85\xa0]/g, '').replaceAll('_', ''));
  // -0 is 0 for Python as for the range check.
  if (!(value >= 0 && value <= 65535)) throw new InvalidProxyLine(`invalid port ${line}`);
  return value === 0 ? 0 : value;
}

/** inet_pton's addresses: Node's checks without the zone index inet_pton refuses. */
const isAddress = { TCP4: isIPv4, TCP6: (text: string) => isIPv6(text) && !text.includes('%') };

/** The line without its CRLF, decoded as latin-1. */
export function parseV1Line(line: string): ProxiedAddresses {
  const bits = line.split(' ');
  if (bits.length !== 6) throw new InvalidProxyLine(line);
  const [, protocol, source, destination, sourcePort, destinationPort] = bits;
  if (protocol !== 'TCP4' && protocol !== 'TCP6') throw new InvalidProxyLine(`protocol '${protocol}' not supported`);
  if (!isAddress[protocol](source) || !isAddress[protocol](destination)) throw new InvalidProxyLine(line);
  return {
    protocol,
    clientAddress: source,
    clientPort: port(sourcePort, line),
    proxyAddress: destination,
    proxyPort: port(destinationPort, line),
  };
}

/**
 * A v1 line is at most 107 bytes, and Gunicorn reads one until its CRLF however long it grows, so
 * a longer line is still answered for what it says. The app does the same up to this many bytes
 * (1 MiB; the most Gunicorn itself buffers for a request's head is about 0.8 MB), and refuses a
 * line that is still without its CRLF here, so that one client cannot make a worker buffer
 * without end: Gunicorn's reader would hold any length until its worker timed out.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

export type HeaderVerdict =
  | { readonly kind: 'need-more' }
  /** No PROXY header: the bytes go to the HTTP parser as they are. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'proxied'; readonly addresses: ProxiedAddresses; readonly rest: Buffer }
  /** Refused as a client error: 400 or 403 and a counted warning. */
  | { readonly kind: 'refused'; readonly error: InvalidProxyLine | ForbiddenProxyRequest }
  /** A malformed v2 header: Gunicorn's 500 and a counted exception. */
  | { readonly kind: 'failed'; readonly error: InvalidProxyHeader };

/**
 * What the first bytes of a connection are, Gunicorn's way: 12 bytes are awaited first; a header
 * from a peer the allow list refuses is refused before the rest of it is read. `searchFrom` is
 * where a CRLF can first be (the bytes before it were judged already), so that a line arriving
 * in many small pieces is not searched again from its start each time.
 */
export function judgeConnectionStart(
  bytes: Buffer, peer: string, allows: (peer: string) => boolean, mode: HeaderMode, searchFrom = 0,
): HeaderVerdict {
  if (bytes.length < DETECT_BYTES) return { kind: 'need-more' };
  if (mode !== 'v1' && bytes.subarray(0, DETECT_BYTES).equals(V2_SIGNATURE)) {
    return allows(peer) ? judgeV2(bytes) : { kind: 'refused', error: new ForbiddenProxyRequest(peer) };
  }
  if (mode === 'v2' || bytes.toString('latin1', 0, V1_PREFIX.length) !== V1_PREFIX) return { kind: 'absent' };
  if (!allows(peer)) return { kind: 'refused', error: new ForbiddenProxyRequest(peer) };
  const end = bytes.indexOf('\r\n', Math.max(0, searchFrom - 1));
  if (end === -1) {
    if (bytes.length < MAX_LINE_BYTES) return { kind: 'need-more' };
    return { kind: 'refused', error: new InvalidProxyLine(bytes.toString('latin1')) };
  }
  try {
    return { kind: 'proxied', addresses: parseV1Line(bytes.toString('latin1', 0, end)), rest: bytes.subarray(end + 2) };
  } catch (error) {
    if (error instanceof InvalidProxyLine) return { kind: 'refused', error };
    throw error;
  }
}
