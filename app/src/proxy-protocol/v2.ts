// The PROXY protocol v2 header (binary: signature, version and command, family and transport,
// length, addresses, TLVs) read and judged as Gunicorn 27 judges it (gunicorn/http/message.py),
// with Gunicorn's own messages. Pure: the socket side is in connection.ts.
import { ipv4Text, ipv6Text } from './inet-ntop';
import type { ProxiedAddresses } from './header';

/** The 12 bytes that start a v2 header. */
export const V2_SIGNATURE = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
/** Signature, version and command, family and transport, and the 16-bit length of the rest. */
const FIXED_BYTES = 16;

/**
 * Gunicorn's InvalidProxyHeader. Gunicorn's handle_error() does not list it among client errors,
 * so it is answered 500 and logged as an exception ("Error handling request (no URI read)"),
 * counted as log.exception, however wrong the client's bytes were.
 */
export class InvalidProxyHeader extends Error {
  constructor(detail: string) {
    super(`Invalid PROXY header: ${detail}`);
    this.name = 'InvalidProxyHeader';
  }
}

const COMMAND = { LOCAL: 0x0, PROXY: 0x1 } as const;
const FAMILY_UNSPEC = 0x0;
/** AF_INET (0x1) and AF_INET6 (0x2): the size of an address, how Gunicorn names the family and prints one. */
const INET_FAMILIES: Readonly<Record<number, { protocol: 'TCP4' | 'TCP6'; addressBytes: number; name: string; text: (bytes: Uint8Array) => string }>> = {
  0x1: { protocol: 'TCP4', addressBytes: 4, name: 'IPv4', text: ipv4Text },
  0x2: { protocol: 'TCP6', addressBytes: 16, name: 'IPv6', text: ipv6Text },
};
const TRANSPORT_STREAM = 0x1;

/** A header that names no address: Gunicorn's REMOTE_ADDR and ports are then None. */
const NO_ADDRESSES = { clientAddress: null, clientPort: null, proxyAddress: null, proxyPort: null };

export type V2Verdict =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'proxied'; readonly addresses: ProxiedAddresses; readonly rest: Buffer }
  | { readonly kind: 'failed'; readonly error: InvalidProxyHeader };

function failed(detail: string): V2Verdict {
  return { kind: 'failed', error: new InvalidProxyHeader(detail) };
}

/** `bytes` start with V2_SIGNATURE. Each check comes as soon as Gunicorn has the bytes for it. */
export function judgeV2(bytes: Buffer): V2Verdict {
  if (bytes.length < FIXED_BYTES) return { kind: 'need-more' };
  const version = bytes[12] >> 4;
  if (version !== 2) return failed(`unsupported version ${version}`);
  const command = bytes[12] & 0x0f;
  if (command !== COMMAND.LOCAL && command !== COMMAND.PROXY) return failed(`unsupported command ${command}`);
  const length = bytes.readUInt16BE(14);
  const end = FIXED_BYTES + length;
  if (bytes.length < end) return { kind: 'need-more' };
  const rest = bytes.subarray(end);
  // LOCAL (a proxy's own health check) carries no client: whatever follows is skipped unread.
  if (command === COMMAND.LOCAL) return { kind: 'proxied', addresses: { protocol: 'LOCAL', ...NO_ADDRESSES }, rest };

  const family = bytes[13] >> 4;
  if ((bytes[13] & 0x0f) !== TRANSPORT_STREAM) return failed('only TCP protocol is supported');
  const inet = INET_FAMILIES[family];
  if (inet) {
    // Two addresses, then two ports; TLVs after them are skipped: the length covers them.
    const size = inet.addressBytes;
    if (length < 2 * size + 4) return failed(`insufficient address data for ${inet.name}`);
    const body = bytes.subarray(FIXED_BYTES, end);
    return {
      kind: 'proxied',
      addresses: {
        protocol: inet.protocol,
        clientAddress: inet.text(body.subarray(0, size)),
        proxyAddress: inet.text(body.subarray(size, 2 * size)),
        clientPort: body.readUInt16BE(2 * size),
        proxyPort: body.readUInt16BE(2 * size + 2),
      },
      rest,
    };
  }
  if (family === FAMILY_UNSPEC) return { kind: 'proxied', addresses: { protocol: 'UNSPEC', ...NO_ADDRESSES }, rest };
  return failed(`unsupported address family ${family}`);
}
