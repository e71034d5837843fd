// The PROXY protocol v1 line ("PROXY TCP4 <client> <proxy> <client port> <proxy port>\r\n") read
// and judged as Gunicorn 27 judges it (gunicorn/http/message.py), with Gunicorn's own messages.
// Pure: the socket side is in connection.ts.
import { isIPv4, isIPv6 } from 'node:net';
import { pythonRepr } from './python-repr';

/** The bytes that start a v1 header. */
export const V1_PREFIX = 'PROXY ';
/** Gunicorn reads 12 bytes (the length of the v2 signature) before it decides whether a header is there. */
export const DETECT_BYTES = 12;

export interface ProxiedAddresses {
  readonly protocol: 'TCP4' | 'TCP6';
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly proxyAddress: string;
  readonly proxyPort: number;
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

function port(field: string, line: string): number {
  if (!PYTHON_INT.test(field)) throw new InvalidProxyLine(`invalid port ${line}`);
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
 * A v1 line is at most 107 bytes; Gunicorn reads until CRLF however long the line grows. The app
 * stops at this many bytes without a CRLF and refuses the line, so a client cannot make it buffer
 * without end; no line Gunicorn would accept is this long.
 */
export const MAX_LINE_BYTES = 4096;

export type HeaderVerdict =
  | { readonly kind: 'need-more' }
  /** No PROXY header: the bytes go to the HTTP parser as they are. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'proxied'; readonly addresses: ProxiedAddresses; readonly rest: Buffer }
  | { readonly kind: 'refused'; readonly error: InvalidProxyLine | ForbiddenProxyRequest };

/**
 * What the first bytes of a connection are, Gunicorn's way: 12 bytes are awaited first; a header
 * from a peer the allow list refuses is refused before its line is read.
 */
export function judgeConnectionStart(bytes: Buffer, peer: string, allows: (peer: string) => boolean): HeaderVerdict {
  if (bytes.length < DETECT_BYTES) return { kind: 'need-more' };
  if (bytes.toString('latin1', 0, V1_PREFIX.length) !== V1_PREFIX) return { kind: 'absent' };
  if (!allows(peer)) return { kind: 'refused', error: new ForbiddenProxyRequest(peer) };
  const end = bytes.indexOf('\r\n');
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
